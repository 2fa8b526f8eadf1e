"""Process supervision of ``senderpools serve`` (granian's main process and its HTTP worker): a worker
never outlives its parent, a second server cannot share a port, and a worker that dies is replaced."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.procs import (
    Process,
    ServerProcess,
    clean_env,
    running,
    serving,
    start_server,
    the_worker,
    wait_operation,
)


def kill_if_ours(pid: int, group: int) -> None:
    """SIGKILL ``pid`` if it is still running in process group ``group`` (a test's leftover worker)."""
    if running(pid) and os.getpgid(pid) == group:
        os.kill(pid, signal.SIGKILL)


def serve_once(tmp_path: Path, *args: str, timeout: float = 20.0) -> tuple[int | None, str]:
    """Run ``senderpools serve ARGS``, expecting it to refuse to start: (exit code, stderr). A server that
    starts instead is stopped after ``timeout`` seconds, its whole process group (exit code None)."""
    process = Process(["serve", *args], tmp_path / "refused", clean_env())
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.popen.wait(timeout=timeout)
    code = process.popen.poll()
    process.stop()
    return code, process.stderr


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[ServerProcess, tuple[str, str]]]:
    with serving(tmp_path / "logs", database_url) as served:
        yield served


def test_a_worker_exits_within_a_second_of_its_parents_death(
    tmp_path: Path, served: tuple[ServerProcess, tuple[str, str]], database_url: str
) -> None:
    server, _ = served
    worker, group = the_worker(server), server.popen.pid
    try:
        os.kill(server.popen.pid, signal.SIGKILL)  # the main process only, as a crash or the OOM killer would
        killed = time.monotonic()
        server.popen.wait(timeout=10)
        while running(worker) and time.monotonic() - killed < 5:
            time.sleep(0.01)
        lived = time.monotonic() - killed
        print(f"\nthe worker outlived its parent by {lived:.3f} s")
        assert not running(worker), "the worker kept running after its parent was killed"
        assert lived < 1.0, lived
        # Nothing serves the port any more: a new server takes it.
        again = start_server(tmp_path / "again", database_url, port=server.port)
        assert again.popen.poll() is None
        again.stop()
    finally:
        kill_if_ours(worker, group)


def test_serve_refuses_a_port_already_served(
    tmp_path: Path, served: tuple[ServerProcess, tuple[str, str]], database_url: str
) -> None:
    server, credentials = served
    other = tmp_path / "other.db"
    code, stderr = serve_once(tmp_path, "--port", str(server.port), "--database-url", f"sqlite:///{other}")
    assert code != 0, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{server.port}" in lines[0], stderr
    assert not other.exists()  # refused before touching its database
    # The first server alone answers, every time.
    with httpx.Client(base_url=server.base_url, auth=credentials) as client:
        assert all(client.get("/v1/SenderPools").status_code == 200 for _ in range(20))


def test_serve_refuses_a_port_held_by_another_program(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        code, stderr = serve_once(tmp_path, "--port", str(port), "--database-url", f"sqlite:///{tmp_path}/x.db")
    assert code != 0, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert f"127.0.0.1:{port}" in stderr


def test_a_killed_worker_is_respawned_and_the_server_keeps_serving(
    served: tuple[ServerProcess, tuple[str, str]],
) -> None:
    server, credentials = served
    first = the_worker(server)
    os.kill(first, signal.SIGKILL)
    killed = time.monotonic()
    with httpx.Client(base_url=server.base_url, auth=credentials, timeout=5.0) as client:
        while True:
            assert server.popen.poll() is None, f"the server exited when its worker died\n{server.describe()}"
            try:
                if client.get("/v1/SenderPools").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() - killed < 20, f"no answer 20 s after the worker died\n{server.describe()}"
            time.sleep(0.05)
        print(f"\nserving again {time.monotonic() - killed:.2f} s after the worker was killed")
        assert the_worker(server) != first
        # The new worker applies operations too.
        senders = client.post("/v1/Senders", json=[{"address": "+14155550100", "channel": "SMS"}]).json()["senders"]
        created = client.post("/v1/SenderPools", json={"senders": [{"senderId": senders[0]["id"]}]})
        assert created.status_code == 202, created.text
        operation = wait_operation(client, created.json()["operationId"])
        assert operation["status"] == "COMPLETED" and operation["stats"]["created"] == 2, operation
