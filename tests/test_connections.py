"""Connections from a hostile client, against a real ``senderpools serve``: thousands of idle or slow
connections lock nobody else out and are closed once their time is up; a malformed chunked body is a
400 (or a dropped connection), never a 5xx or a traceback."""

from __future__ import annotations

import base64
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.procs import ServerProcess, clean_env, serving

IDLE = 3_000  # connections that never send a byte
KEPT_ALIVE = 1_000  # connections that made one request and stay open, idle
HEADER_TIMEOUT = 5.0  # seconds (--header-timeout) a connection has to send a request's head
ANSWER_WITHIN = 1.0  # seconds another client's requests may take while the flood is on


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[ServerProcess, tuple[str, str]]]:
    """``senderpools serve`` on the backend under test, with a short header timeout, and its account."""
    env = clean_env(SENDERPOOLS_HEADER_TIMEOUT=str(HEADER_TIMEOUT))
    with serving(tmp_path / "logs", database_url, env=env) as served:
        yield served


def raise_open_file_limit(needed: int) -> None:
    """This test process holds thousands of sockets: raise its soft limit (the hard one must allow it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert hard == resource.RLIM_INFINITY or hard >= needed, f"the open-file hard limit {hard} is below {needed}"
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else needed, hard))


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (read returns end of file, or the connection was reset)."""
    sock.setblocking(False)
    try:
        while sock.recv(65536):
            pass
    except BlockingIOError:
        return False
    except OSError:
        return True
    return True


def timed_get(url: str, auth: tuple[str, str] | None = None) -> float:
    """Seconds one GET on a new connection takes; it must answer 200."""
    started = time.perf_counter()
    response = httpx.get(url, auth=auth, timeout=10.0)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed


def test_thousands_of_idle_and_slow_connections_lock_nobody_out(
    served: tuple[ServerProcess, tuple[str, str]],
) -> None:
    server, credentials = served
    raise_open_file_limit(IDLE + KEPT_ALIVE + 500)
    address = ("127.0.0.1", server.port)
    opened = time.monotonic()
    idle = [socket.create_connection(address) for _ in range(IDLE)]
    kept_alive = []
    for _ in range(KEPT_ALIVE):
        sock = socket.create_connection(address)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        kept_alive.append(sock)
    for sock in kept_alive:
        sock.settimeout(10)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    slow = socket.create_connection(address)
    slow.sendall(b"GET /v1/SenderPools HTTP/1.1\r\nHost: x\r\n")  # and the rest of the head, never
    last = time.monotonic()
    try:
        assert time.monotonic() - opened < HEADER_TIMEOUT - 0.5, "opening the connections took too long to measure"
        latencies = [
            (timed_get(f"{server.base_url}/healthz"), timed_get(f"{server.base_url}/v1/SenderPools", credentials))
            for _ in range(3)
        ]
        print(f"\nwith {IDLE} idle + {KEPT_ALIVE} kept-alive + 1 slow-header connections open: {latencies}")
        assert max(max(pair) for pair in latencies) < ANSWER_WITHIN, latencies

        # Once the header timeout is over, the server has closed every one of them.
        time.sleep(max(0.0, last + HEADER_TIMEOUT + 1.5 - time.monotonic()))
        still_open = [s for s in [*idle, *kept_alive, slow] if not closed_by_server(s)]
        assert not still_open, f"{len(still_open)} connections still open after the header timeout"
    finally:
        for sock in [*idle, *kept_alive, slow]:
            sock.close()
    assert timed_get(f"{server.base_url}/healthz") < ANSWER_WITHIN


def test_a_body_that_does_not_arrive_in_time_gets_408(tmp_path: Path, database_url: str) -> None:
    env = clean_env(SENDERPOOLS_BODY_TIMEOUT="1")
    with (
        serving(tmp_path / "logs", database_url, env=env) as (server, credentials),
        socket.create_connection(("127.0.0.1", server.port)) as sock,
    ):
        sock.settimeout(10)
        started = time.monotonic()
        sock.sendall(request_head("POST", "/v1/Senders", credentials, b"Content-Length: 100\r\n") + b"[{")
        answer = sock.recv(65536)
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b'"code":20408' in answer, answer
    assert 0.9 < elapsed < 3.0, elapsed


def request_head(method: str, path: str, credentials: tuple[str, str], extra: bytes = b"") -> bytes:
    token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode())
    return (
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".encode()
        + b"Authorization: Basic "
        + token
        + b"\r\n"
        + extra
        + b"\r\n"
    )


MALFORMED_CHUNKED = {
    "chunk size not hex": b"zz\r\n[]\r\n0\r\n\r\n",
    "chunk size overflows": b"ffffffffffffffffff\r\n[]\r\n0\r\n\r\n",
    "chunk shorter than announced, then EOF": b"5\r\nab",
    "missing chunk terminator": b"2\r\n[]XX0\r\n\r\n",
}


@pytest.mark.parametrize("case", list(MALFORMED_CHUNKED))
def test_a_malformed_chunked_body_is_400_or_dropped_never_5xx(
    served: tuple[ServerProcess, tuple[str, str]], case: str
) -> None:
    server, credentials = served
    for method, path in [("POST", "/v1/Senders"), ("POST", "/v1/SenderPools"), ("POST", "/v1/Senders/Resolve")]:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.settimeout(10)
            head = request_head(method, path, credentials, b"Transfer-Encoding: chunked\r\n")
            sock.sendall(head + MALFORMED_CHUNKED[case])
            if case.endswith("EOF"):
                sock.shutdown(socket.SHUT_WR)
            try:
                answer = sock.recv(65536)
            except ConnectionResetError:
                answer = b""  # dropped: acceptable
        assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), (case, path, answer)
        if answer:
            assert b'"code":20001' in answer, answer
    assert timed_get(f"{server.base_url}/healthz") < ANSWER_WITHIN
    assert "Traceback" not in server.stdout + server.stderr, server.describe()
