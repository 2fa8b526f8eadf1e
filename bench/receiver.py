"""Workload 13's webhook receiver: a bare asyncio HTTP/1.1 server in a process of its own that answers
every POST 200 at once and notes when it arrived and its CloudEvent's ``subject``, so that it is never
what limits delivery. ``GET /count`` answers how many POSTs it has taken; ``GET /log?from=N`` their
arrival times from the N-th on (``time.monotonic_ns()``: CLOCK_MONOTONIC, one clock for every process of
the machine, so the bench compares them with its own). No import of ``senderpools``.

Usage: python -m bench.receiver --port PORT
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time

CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)")
SUBJECT = re.compile(rb'"subject":"([^"]*)"')
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"


class Arrivals:
    def __init__(self) -> None:
        self.at: list[int] = []  # monotonic ns
        self.subjects: list[str] = []

    def page(self, start: int) -> bytes:
        body = json.dumps({"count": len(self.at), "at": self.at[start:], "subjects": self.subjects[start:]})
        return body.encode()


class Connection(asyncio.Protocol):
    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end]).lower()
            found = CONTENT_LENGTH.search(head)
            total = end + 4 + (int(found.group(1)) if found else 0)
            if len(self.buffer) < total:
                return
            body = bytes(self.buffer[end + 4 : total])
            del self.buffer[:total]
            self.answer(head, body, now)

    def answer(self, head: bytes, body: bytes, now: int) -> None:
        assert self.transport is not None
        if head.startswith(b"post "):
            subject = SUBJECT.search(body)
            self.arrivals.at.append(now)
            self.arrivals.subjects.append(subject.group(1).decode() if subject else "")
            self.transport.write(OK)
            return
        target = head.split(b" ", 2)[1]
        if target == b"/count":
            reply = str(len(self.arrivals.at)).encode()
        elif target.startswith(b"/log"):
            start = int(target.partition(b"from=")[2] or 0)
            reply = self.arrivals.page(start)
        else:
            reply = b"ok"
        self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(reply), reply))


async def serve(port: int) -> None:
    arrivals = Arrivals()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(arrivals), "127.0.0.1", port, backlog=1024)
    print(f"receiver listening on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
