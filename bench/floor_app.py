"""The floor: a bare ASGI app (no framework) that returns a fixed JSON body shaped like a SenderPool (301
bytes, or padded to ``--body-bytes``), checking the Basic auth header if given one. Served by the same
server program with the same options as ``senderpools serve``, it is the most Python can do on this
machine for an answer of that size. bench/run.py and bench/edge.py both serve their floors with it.

Usage: python -m bench.floor_app --port 8001 [--workers 1] [--authorization 'Basic ...'] [--body-bytes N]
   or: python bench/floor_app.py ... (bench/edge.py: with this directory, not the repository, on the path)
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

AUTHORIZATION_ENV = "FLOOR_AUTHORIZATION"
BODY_BYTES_ENV = "FLOOR_BODY_BYTES"

# Shaped like a SenderPool response of the real server; "padding" takes the bytes a larger body needs.
_HEAD = (
    b'{"id":"comms_senderpool_01jfloor0000000000000000000","name":"floor","tags":{"team":"bench","env":"floor"},'
    b'"createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-01T00:00:00Z","links":{"senders":'
    b'"http://127.0.0.1/v1/SenderPools/comms_senderpool_01jfloor0000000000000000000/Senders"},"padding":"'
)
_TAIL = b'"}'
MIN_BYTES = len(_HEAD) + len(_TAIL)
DEFAULT_BYTES = MIN_BYTES + len(b"floor")  # 301


def floor_body(size: int = DEFAULT_BYTES) -> bytes:
    """The floor's JSON body, exactly ``size`` bytes (at least ``MIN_BYTES``)."""
    if size < MIN_BYTES:
        raise ValueError(f"a floor body needs at least {MIN_BYTES} bytes")
    padding = b"floor" + b"x" * (size - DEFAULT_BYTES) if size >= DEFAULT_BYTES else b"x" * (size - MIN_BYTES)
    return _HEAD + padding + _TAIL


# Read by each worker process at import (main() sets them before the server starts its workers).
BODY = floor_body(int(os.environ.get(BODY_BYTES_ENV, str(DEFAULT_BYTES))))
_OK = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
_DENIED = [(b"content-type", b"application/json"), (b"content-length", b"2")]
_EXPECTED = os.environ.get(AUTHORIZATION_ENV, "").encode()  # empty: no auth check at all


async def app(
    scope: Scope, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if _EXPECTED and not any(name == b"authorization" and value == _EXPECTED for name, value in scope["headers"]):
        await send({"type": "http.response.start", "status": 401, "headers": _DENIED})
        await send({"type": "http.response.body", "body": b"{}"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": _OK})
    await send({"type": "http.response.body", "body": BODY})


def serve(host: str, port: int, workers: int, body_bytes: int, authorization: str) -> None:
    floor_body(body_bytes)  # fails here, not in the worker, if the size is impossible
    os.environ[BODY_BYTES_ENV] = str(body_bytes)
    os.environ[AUTHORIZATION_ENV] = authorization
    # Run as ``-m bench.floor_app`` or as a file (then this directory is on the worker's path).
    target = f"{__spec__.name if __spec__ else Path(__file__).stem}:app"
    try:  # the same server options as ``senderpools serve``, with this app instead of the factory
        from senderpools.cli.server import granian_server
        from senderpools.config import Settings
    except ImportError:  # a tree from before serve's options had one home (bench/edge.py --tree)
        from granian import Granian
        from granian.constants import Interfaces

        Granian(target, address=host, port=port, interface=Interfaces.ASGI, workers=workers).serve()
        return
    granian_server(Settings(host=host, port=port, workers=workers), target, factory=False).serve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--authorization", default="", help="the exact Authorization header to accept (default: any)")
    parser.add_argument("--body-bytes", type=int, default=DEFAULT_BYTES, help=f"body size (default {DEFAULT_BYTES})")
    args = parser.parse_args()
    serve(args.host, args.port, args.workers, args.body_bytes, args.authorization)


if __name__ == "__main__":
    main()
