"""A webhook receiver for tests: a real HTTP server on loopback that records what it is sent and answers
as a script says (a status per request, or a delay), like a user's endpoint would."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    def __init__(self, answer: Callable[[int], int] = lambda n: 200, delay: float = 0.0) -> None:
        self.answer = answer  # the status of the n-th request (0, 1, ...)
        self.delay = delay  # seconds to wait before answering
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self.url = ""

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"received {len(self.received)} deliveries, expected {count}")

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length)
        with self._lock:
            n = len(self.received)
            self.received.append(Received({k.lower(): v for k, v in handler.headers.items()}, body, time.monotonic()))
        if self.delay:
            time.sleep(self.delay)
        status = self.answer(n)
        handler.send_response(status)
        handler.send_header("content-length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")


@contextmanager
def receiving(answer: Callable[[int], int] = lambda n: 200, delay: float = 0.0) -> Iterator[Receiver]:
    receiver = Receiver(answer, delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver._handle(self)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
