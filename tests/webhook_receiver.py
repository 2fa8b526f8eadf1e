"""A webhook receiver for tests: a real HTTP server on loopback that records what it is sent and answers
as a script says (a status per request, a delay, no answer at all, or a closed connection), like a
user's endpoint would."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

HANG: Literal["hang"] = "hang"  # read the request, never answer (until the receiver stops)
CLOSE: Literal["close"] = "close"  # read the request, close the connection without a word

Answer = int | Literal["hang", "close"]


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    def __init__(self, answer: Callable[[int], Answer] = lambda n: 200, delay: float = 0.0) -> None:
        self.answer = answer  # what to do with the n-th request (0, 1, ...): a status, HANG or CLOSE
        self.delay = delay  # seconds to wait before answering
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()  # releases the requests left hanging
        self.url = ""

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"received {len(self.received)} deliveries, expected {count}")

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length)
        if len(body) < length:  # the sender went away mid-body (killed): nothing was delivered
            handler.close_connection = True
            return
        with self._lock:
            n = len(self.received)
            self.received.append(Received({k.lower(): v for k, v in handler.headers.items()}, body, time.monotonic()))
        if self.delay:
            time.sleep(self.delay)
        answer = self.answer(n)
        if answer == HANG:
            self.stopping.wait(60.0)
        if answer in (HANG, CLOSE):
            handler.close_connection = True
            return
        try:
            handler.send_response(int(answer))
            handler.send_header("content-length", "2")
            handler.end_headers()
            handler.wfile.write(b"ok")
        except ConnectionError:  # the sender gave up (timed out) or died meanwhile
            handler.close_connection = True


@contextmanager
def receiving(
    answer: Callable[[int], Answer] = lambda n: 200, delay: float = 0.0, tls: ssl.SSLContext | None = None
) -> Iterator[Receiver]:
    """A receiver on a free loopback port (``tls``: HTTPS with that server context; its URL still names
    127.0.0.1, so a test that wants a certificate's name in the URL makes its own)."""
    receiver = Receiver(answer, delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver._handle(self)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    receiver.url = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.stopping.set()
        server.shutdown()
        server.server_close()
