"""Subprocess helpers: run the installed ``senderpools`` console script (server, worker, admin commands)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx

from senderpools.pytest_plugin import free_port

SENDERPOOLS = str(Path(sys.executable).parent / "senderpools")  # the console script of the running venv
_BOOTSTRAP = re.compile(r"TWILIO_ACCOUNT_SID=(AC[0-9a-f]{32})\s+(?:export\s+)?TWILIO_AUTH_TOKEN=(\S+)")


def database_url(path: Path) -> str:
    return f"sqlite:///{path}"  # path is absolute, so this is sqlite:////...


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without any SENDERPOOLS_* setting leaking in, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDERPOOLS_")}
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run ``senderpools ARGS`` to completion and capture its output."""
    return subprocess.run(
        [SENDERPOOLS, *args], env=env or clean_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def bootstrap_credentials(output: str) -> tuple[str, str] | None:
    """The development account ``serve`` prints on an empty database, if it printed one."""
    match = _BOOTSTRAP.search(output)
    return None if match is None else (match.group(1), match.group(2))


class Process:
    """A long-running ``senderpools`` command in its own process group, output captured to files."""

    def __init__(
        self, args: list[str], log_dir: Path, env: dict[str, str] | None = None, program: str = SENDERPOOLS
    ) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        stamp = f"{time.monotonic_ns()}"
        self.stdout_path = log_dir / f"stdout-{stamp}.txt"
        self.stderr_path = log_dir / f"stderr-{stamp}.txt"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            # A new session: granian forks HTTP worker processes, and a crash must take them all down.
            self.popen = subprocess.Popen(
                [program, *args], env=env or clean_env(), stdout=out, stderr=err, start_new_session=True
            )

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def describe(self) -> str:
        return f"exit={self.popen.poll()}\n--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown code runs (a crash)."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM the process group and wait; SIGKILL it if it does not exit in time. Returns the exit code.

        Signals go to the group only while its leader is unreaped, so its id cannot name anyone else's."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        return self.popen.returncode


class ServerProcess(Process):
    """``senderpools serve`` on a loopback port."""

    def __init__(
        self,
        log_dir: Path,
        port: int,
        args: list[str] | None = None,
        env: dict[str, str] | None = None,
        program: str = SENDERPOOLS,
    ) -> None:
        super().__init__(["serve", *(args or [])], log_dir, env, program)
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"

    def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.popen.poll() is not None:
                raise AssertionError(f"senderpools serve exited early\n{self.describe()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"senderpools serve not healthy after {timeout}s\n{self.describe()}")
            time.sleep(0.05)

    def client(self, sid: str, secret: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, auth=(sid, secret), timeout=30.0)


def start_server(
    log_dir: Path,
    db: Path | str,
    *args: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
    program: str = SENDERPOOLS,
) -> ServerProcess:
    """Start ``senderpools serve --port P --database-url URL ARGS`` and wait for /healthz (``db``: a
    SQLite file, or any database URL)."""
    port = port or free_port()
    url = database_url(db) if isinstance(db, Path) else db
    server = ServerProcess(log_dir, port, ["--port", str(port), "--database-url", url, *args], env, program)
    try:
        server.wait_healthy()
    except BaseException:
        server.stop()
        raise
    return server


@contextlib.contextmanager
def serving(
    log_dir: Path, db: Path | str, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[ServerProcess, tuple[str, str]]]:
    """``start_server`` on a new database, with the development account it created; stopped on exit."""
    server = start_server(log_dir, db, *args, env=env)
    try:
        credentials = bootstrap_credentials(server.stdout)
        assert credentials is not None, server.describe()
        yield server, credentials
    finally:
        server.stop()


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped has finished)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def the_worker(server: ServerProcess, timeout: float = 15.0) -> int:
    """The one HTTP worker process of ``server`` (started with one worker)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [pid for pid in children(server.popen.pid) if running(pid)]
        if len(found) == 1:
            return found[0]
        assert time.monotonic() < deadline, f"expected one worker, found {found}\n{server.describe()}"
        time.sleep(0.05)


class Getter(Protocol):
    """Anything that GETs a path relative to a server: an ``httpx.Client`` or a conftest ``Account``."""

    def get(self, path: str, *, params: dict[str, Any] | None = None) -> httpx.Response: ...


def wait_operation(client: Getter, operation_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll an operation over HTTP until it leaves PROCESSING."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/v1/SenderPools/Operations/{operation_id}")
        assert response.status_code == 200, response.text
        operation: dict[str, Any] = response.json()
        if operation["status"] != "PROCESSING":
            return operation
        if time.monotonic() > deadline:
            raise AssertionError(f"operation {operation_id} still PROCESSING after {timeout}s: {operation}")
        time.sleep(0.02)


def walk(client: Getter, path: str, key: str, page_size: int = 1000, **filters: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list, following ``next`` tokens (sending the filters with each)."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        params: dict[str, Any] = {**filters, "pageSize": page_size}
        if token:
            params["pageToken"] = token
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body[key]
        token = body["pagination"]["next"]
        if token is None:
            return items


def open_readonly(db: Path) -> sqlite3.Connection:
    """The database file opened read-only, as an operator inspecting it would."""
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)
