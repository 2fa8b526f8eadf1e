"""A throwaway PostgreSQL cluster for the test suite: initdb into a temp dir, serve on a free
loopback port, hand out one fresh database per test, stop and delete everything at the end.

It needs the server binaries (Debian's ``postgresql`` package); ``make test`` installs them when
missing, so the PostgreSQL tests run everywhere rather than skip. initdb refuses to run as root,
so as root the cluster runs as the ``postgres`` system user the package creates.
"""

from __future__ import annotations

import asyncio
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from senderpools.store.postgres import PostgresStore


def _bindir() -> Path:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries not found: run `make postgres` (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    def __init__(self) -> None:
        # Directly under the temp root: the postgres user must be able to reach it (pytest's
        # per-run directories are private to root).
        self.directory = Path(tempfile.mkdtemp(prefix="senderpools-pg-"))
        self.data = self.directory / "data"
        self.port = _free_port()
        self.bindir = _bindir()
        self._as_postgres = os.geteuid() == 0
        self._names = itertools.count()
        self._template: str | None = None
        self._shared: str | None = None

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        if self._as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
        # Durability settings are off because a test cluster is thrown away; the server under test
        # behaves the same either way.
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.directory / "log"), "-w", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    async def _admin(self, sql: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.url("postgres"))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    def new_database(self) -> str:
        """A fresh, migrated database (cloned from a template migrated once); returns its URL."""
        if self._template is None:
            asyncio.run(self._admin("CREATE DATABASE sp_template"))
            store = PostgresStore(self.url("sp_template"))

            async def migrate() -> None:
                await store.migrate()
                await store.close()

            asyncio.run(migrate())
            self._template = "sp_template"
        name = f"sp_test_{next(self._names)}"
        asyncio.run(self._admin(f"CREATE DATABASE {name} TEMPLATE {self._template}"))
        return self.url(name)

    def empty_database(self) -> str:
        """The URL of a database shared by in-process tests, emptied of all data on each call
        (truncating is several times cheaper than creating a database per test)."""
        if self._shared is None:
            self._shared = self.new_database()

        async def truncate() -> None:
            import asyncpg

            connection = await asyncpg.connect(self._shared or "")
            try:
                tables = await connection.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename NOT IN ('schema_migrations', 'server_settings')"
                )
                if tables:
                    await connection.execute(f"TRUNCATE {', '.join(t[0] for t in tables)}")
            finally:
                await connection.close()

        asyncio.run(truncate())
        return self._shared

    def drop_database(self, url: str) -> None:
        """Drop a test's database (each is a few MB on disk; a full run makes hundreds)."""
        name = url.rsplit("/", 1)[-1]
        asyncio.run(self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
