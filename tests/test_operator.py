"""What an operator meets: readiness for load balancers (``/readyz``), a database outage answered 503
(which clients retry) while liveness holds, and database URLs checked before anything is created."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import Server
from tests.nodes import migration_versions, query
from tests.postgres_cluster import PostgresCluster
from tests.procs import SENDERPOOLS, Process, clean_env
from tests.test_sender_pools import running_server


# -- readiness ----------------------------------------------------------------------------------------
def test_readyz_is_200_and_names_each_check(server: Server) -> None:
    response = server.client.get("/readyz")  # no credentials: load balancers have none
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "schema": "ok"}}


def test_readyz_says_which_migration_is_missing(server: Server, backend: str, database_url: str) -> None:
    latest = migration_versions(backend)[-1]
    applied_at = query(database_url, f"SELECT applied_at FROM schema_migrations WHERE version = '{latest}'")[0][0]
    query(database_url, f"DELETE FROM schema_migrations WHERE version = '{latest}'")
    try:
        response = server.client.get("/readyz")
    finally:  # the database is shared by later tests: put the record back
        applied = "NULL" if applied_at is None else applied_at
        query(database_url, f"INSERT INTO schema_migrations VALUES ('{latest}', {applied})")
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "schema": f"failed: migrations not applied: {latest}"},
    }
    assert server.client.get("/healthz").status_code == 200  # alive all the same


class TcpProxy:
    """A TCP relay to ``target`` on a port of its own, which a test can cut (every connection reset) and
    restore: a database server going away and coming back, as its clients see it."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = listener.accept()
                upstream = socket.create_connection(self.target)
                self._connections += [client, upstream]
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                connection.close()
        self._connections.clear()


@pytest.fixture
def proxied_pg(postgres: PostgresCluster) -> Iterator[tuple[str, TcpProxy]]:
    """A fresh PostgreSQL database, reached through a relay the test can cut."""
    url = postgres.new_database()
    parts = urlsplit(url)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    proxy.start()
    netloc = parts.netloc.rsplit(":", 1)[0] + f":{proxy.port}"
    try:
        yield urlunsplit(parts._replace(netloc=netloc)), proxy
    finally:
        proxy.cut()
        postgres.drop_database(url)


def test_a_postgresql_outage_answers_503_with_retry_after_and_readyz_says_so(
    tmp_path: Path, proxied_pg: tuple[str, TcpProxy]
) -> None:
    url, proxy = proxied_pg
    with running_server(tmp_path, url) as server:
        account = server.new_account()
        assert account.post("/v1/SenderPools", json={"name": "before"}).status_code == 202
        proxy.cut()
        assert server.client.get("/healthz").status_code == 200  # the process itself is fine
        ready = server.client.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.json()["checks"]["database"].startswith("failed: "), ready.text
        for method, path, body in [
            ("POST", "/v1/SenderPools", {"name": "during"}),  # a unit of work in a transaction
            ("GET", "/v1/SenderPools", None),  # a plain read
        ]:
            response = account.request(method, path, json=body)
            assert response.status_code == 503, (method, path, response.text)
            assert response.headers["Retry-After"] == "1"
            assert response.json()["errors"][0]["code"] == 20503
        proxy.start()  # the database is back, on the same address
        assert server.client.get("/readyz").status_code == 200
        assert account.post("/v1/SenderPools", json={"name": "after"}).status_code == 202
        names = {p["name"] for p in account.get("/v1/SenderPools").json()["senderPools"]}
        assert names == {"before", "after"}


# -- database URLs --------------------------------------------------------------------------------------
BAD_URLS = {
    "a directory that does not exist": "sqlite:////nonexistent-senderpools-dir/sub/x.db",
    "two slashes (a host, not a path)": "sqlite://x.db",
    "an unsupported scheme": "mysql://x",
    "not a URL": "senderpools.db",
}


@pytest.mark.parametrize("case", list(BAD_URLS))
@pytest.mark.parametrize("command", [["accounts", "create"], ["keys", "create", "--account", "AC" + "0" * 32]])
def test_a_bad_database_url_is_a_one_line_error_and_exit_2(tmp_path: Path, case: str, command: list[str]) -> None:
    done = subprocess.run(
        [SENDERPOOLS, *command, "--database-url", BAD_URLS[case]],
        env=clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("senderpools: error: "), done.stderr
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no database file made in the working directory
    assert not Path("/nonexistent-senderpools-dir").exists()


@pytest.mark.parametrize("case", list(BAD_URLS))
def test_serve_with_a_bad_database_url_does_not_start(tmp_path: Path, case: str) -> None:
    process = Process(["serve", "--port", "0", "--database-url", BAD_URLS[case]], tmp_path / "logs", clean_env())
    try:
        code = process.popen.wait(timeout=30)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        process.stop()
    assert code == 2, process.describe()
    assert len(process.stderr.strip().splitlines()) == 1, process.stderr
    assert not Path("/nonexistent-senderpools-dir").exists()
