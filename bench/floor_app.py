"""The floor: a bare ASGI app (no framework) that checks the Basic auth header and returns a fixed
~300-byte JSON body. Served by the same server program with the same options as ``senderpools serve``,
it is the most Python can do on this machine.

Usage: python -m bench.floor_app --port 8001 --workers 1 --authorization 'Basic ...'
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

# Shaped like a SenderPool response of the real server.
BODY = (
    b'{"id":"comms_senderpool_01jfloor0000000000000000000","name":"floor","tags":{"team":"bench","env":"floor"},'
    b'"createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-01T00:00:00Z","links":{"senders":'
    b'"http://127.0.0.1/v1/SenderPools/comms_senderpool_01jfloor0000000000000000000/Senders"},"padding":"floor"}'
)
_OK = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
_DENIED = [(b"content-type", b"application/json"), (b"content-length", b"2")]
_EXPECTED = os.environ.get("FLOOR_AUTHORIZATION", "").encode()


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
    authorized = any(name == b"authorization" and value == _EXPECTED for name, value in scope["headers"])
    if authorized:
        await send({"type": "http.response.start", "status": 200, "headers": _OK})
        await send({"type": "http.response.body", "body": BODY})
    else:
        await send({"type": "http.response.start", "status": 401, "headers": _DENIED})
        await send({"type": "http.response.body", "body": b"{}"})


def main() -> None:
    from senderpools.cli.server import granian_server
    from senderpools.config import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--authorization", required=True, help="the exact Authorization header to accept")
    args = parser.parse_args()
    os.environ["FLOOR_AUTHORIZATION"] = args.authorization  # read by each worker process at import
    # The same server options as ``senderpools serve``, with this app instead of the factory.
    settings = Settings(host=args.host, port=args.port, workers=args.workers)
    granian_server(settings, "bench.floor_app:app", factory=False).serve()


if __name__ == "__main__":
    main()
