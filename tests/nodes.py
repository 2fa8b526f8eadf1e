"""Helpers for multi-node tests: several ``senderpools`` processes on one database, and direct SQL on it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

import asyncpg

from senderpools.service import credentials
from senderpools.store import open_store
from tests.postgres_cluster import PostgresCluster
from tests.procs import Process, ServerProcess, clean_env, free_port, run_cli

MIGRATIONS = Path(__file__).parent.parent / "senderpools" / "store" / "migrations"


def numbered(sql: str) -> str:
    """``sql`` with its ``?`` placeholders written as PostgreSQL's ``$1``, ``$2``..."""
    first, *rest = sql.split("?")
    return first + "".join(f"${i}{part}" for i, part in enumerate(rest, 1))


def query(url: str, sql: str, *args: Any) -> list[Any]:
    """Run one statement on its own connection, as an operator with psql or sqlite3 would. Placeholders are
    ``?`` on both backends (or ``$1`` on PostgreSQL)."""
    if url.startswith("sqlite:"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite://").removeprefix("/"))) as db, db:
            return db.execute(sql, args).fetchall()  # committed on the way out (``with db``)

    async def run() -> list[Any]:
        connection = await asyncpg.connect(url)
        try:
            return list(await connection.fetch(numbered(sql), *args))
        finally:
            await connection.close()

    return asyncio.run(run())


ORPHAN_MEMBERSHIPS = "SELECT count(*) FROM pool_members m LEFT JOIN pools p ON p.id = m.pool_id WHERE p.id IS NULL"


def assert_no_orphan_memberships(url: str) -> None:
    """The invariant every concurrency test ends with: no membership row outlives its pool's row (a
    deleted pool's memberships are purged, then the pool row; nothing may join a pool after that)."""
    orphans = query(url, ORPHAN_MEMBERSHIPS)[0][0]
    assert orphans == 0, f"{orphans} membership rows point at no pool"


def empty_database(cluster: PostgresCluster) -> str:
    """A new database with no schema at all (``cluster.new_database()`` hands out migrated ones)."""
    name = f"sp_empty_{uuid.uuid4().hex[:12]}"
    query(cluster.url("postgres"), f"CREATE DATABASE {name}")
    return cluster.url(name)


def migration_versions(backend: str) -> list[str]:
    """The versions the shipped migration files define, in order."""
    return sorted(p.name.split("_", 1)[0] for p in (MIGRATIONS / backend).glob("*.sql"))


def create_accounts(url: str, count: int = 1) -> list[tuple[str, str]]:
    """New accounts, made directly in the store (quicker than the CLI): [(account SID, auth token)]."""

    async def run() -> list[tuple[str, str]]:
        store = open_store(url)
        try:
            await store.migrate()
            made = [await credentials.create_account(store) for _ in range(count)]
            return [(sid, token) for sid, token, _ in made]
        finally:
            await store.close()

    return asyncio.run(run())


def create_api_key(url: str, account_sid: str) -> tuple[str, str]:
    """A new API key of the account, made with the admin CLI: (key SID, secret)."""
    made = run_cli("keys", "create", "--account", account_sid, "--database-url", url)
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    return key["sid"], key["secret"]


class Nodes:
    """Every ``serve`` and ``worker`` process a test starts; all stopped (SIGKILL if need be) on exit."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: list[Process] = []

    def serve(self, url: str, *args: str, env: dict[str, str] | None = None) -> ServerProcess:
        """Start ``senderpools serve`` on a free port; the caller waits for health (so several start at once)."""
        port = free_port()
        server = ServerProcess(self.log_dir, port, ["--port", str(port), "--database-url", url, *args], env)
        self.processes.append(server)
        return server

    def worker(self, url: str, *args: str) -> Process:
        process = Process(["worker", "--database-url", url, *args], self.log_dir, clean_env())
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        """SIGTERM every process still running (so they shut down in parallel), then wait for each."""
        for process in self.processes:
            if process.popen.poll() is None:  # not reaped, so its group id is still its own
                os.killpg(process.popen.pid, signal.SIGTERM)
        for process in self.processes:
            process.stop(timeout=5.0)

    def __enter__(self) -> Nodes:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop_all()
