"""The ASGI surface, kept small: a request read lazily from the scope, and a response written in two
messages. No framework sits between the server and the handlers, so a request costs what it does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from senderpools.errors import InvalidRequest, PayloadTooLarge, RequestTimeout

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON = "application/json"
_JSON = JSON.encode()


class Request:
    """One HTTP request. Headers, query and body are read from the ASGI scope only when asked for."""

    __slots__ = ("_headers", "_query", "body", "path_params", "receive", "scope")

    def __init__(self, scope: Scope, receive: Receive, path_params: dict[str, str] | None = None) -> None:
        self.scope = scope
        self.receive = receive
        self.path_params = path_params or {}
        self.body: bytes | None = None  # once read and accepted
        self._headers: dict[str, list[str]] | None = None
        self._query: dict[str, list[str]] | None = None

    @property
    def method(self) -> str:
        return str(self.scope["method"])

    @property
    def path(self) -> str:
        return str(self.scope["path"])

    @property
    def query_string(self) -> str:
        return bytes(self.scope.get("query_string", b"")).decode("latin-1")

    def header(self, name: bytes) -> str | None:
        """The first value of header ``name`` (lowercase bytes); a scan beats building a dict for one lookup."""
        for key, value in self.scope["headers"]:
            if key == name:
                return bytes(value).decode("latin-1")
        return None

    def header_values(self, name: bytes) -> list[str]:
        """Every value of header ``name`` (lowercase bytes), in order; a scan, like ``header``."""
        return [bytes(value).decode("latin-1") for key, value in self.scope["headers"] if key == name]

    @property
    def headers(self) -> dict[str, list[str]]:
        """Every header by lowercase name, values in order."""
        if self._headers is None:
            found: dict[str, list[str]] = {}
            for key, value in self.scope["headers"]:
                found.setdefault(bytes(key).decode("latin-1").lower(), []).append(bytes(value).decode("latin-1"))
            self._headers = found
        return self._headers

    @property
    def query(self) -> dict[str, list[str]]:
        """Query parameters by name, every value in order (a name may repeat)."""
        if self._query is None:
            found: dict[str, list[str]] = {}
            for key, value in parse_qsl(self.query_string, keep_blank_values=True):
                found.setdefault(key, []).append(value)
            self._query = found
        return self._query

    @property
    def extended(self) -> bool:
        """The ``Senderpools-Extensions`` opt-in: ``true`` asks for extension fields (see ``wire.encoding``)."""
        value = self.header(b"senderpools-extensions")
        return value is not None and value.strip().lower() == "true"

    @property
    def client_host(self) -> str:
        client = self.scope.get("client")
        return str(client[0]) if client else ""

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` as the client addressed the server (the Host header, else the socket)."""
        scheme = self.scope.get("scheme", "http")
        host = self.header(b"host")
        if host is None:
            server = self.scope.get("server")
            if not server:
                return f"{scheme}://localhost"
            address, port = server
            default = {"http": 80, "https": 443}.get(scheme)
            host = str(address) if port in (None, default) else f"{address}:{port}"
        return f"{scheme}://{host}"

    async def read_body(self, limit: int, timeout: float) -> bytes:
        """The whole body: 413 as soon as it exceeds ``limit`` bytes, 408 unless it has all arrived within
        ``timeout`` seconds, 400 when the server reports it cannot be read as sent (a malformed chunked
        body, or a connection closed early: then nobody reads the answer)."""
        chunks, size = [], 0
        try:
            async with asyncio.timeout(timeout):
                while True:
                    message = await self.receive()
                    if message["type"] != "http.request":  # http.disconnect
                        raise InvalidRequest("The request body could not be read as sent.")
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise PayloadTooLarge(f"The request body is larger than the {limit}-byte limit.")
                    if chunk:
                        chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise RequestTimeout(f"The request body did not arrive within {timeout:g} seconds.") from None


class Response:
    """A complete response: status, headers and body (``content-length`` and ``content-type`` added)."""

    __slots__ = ("body", "headers", "media_type", "status")

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        headers: list[tuple[str, str]] | None = None,
        media_type: str | None = JSON,
    ) -> None:
        self.body = body
        self.status = status
        self.headers = headers if headers is not None else []
        self.media_type = media_type

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers] if self.headers else []
        if self.status not in (204, 304):
            raw.append((b"content-length", b"%d" % len(self.body)))
            if self.media_type is not None and self.body:
                raw.append((b"content-type", _JSON if self.media_type is JSON else self.media_type.encode("latin-1")))
        return raw

    async def send(self, send: Send, head_only: bool = False) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.raw_headers()})
        await send({"type": "http.response.body", "body": b"" if head_only else self.body})


def redirect(location: str, status: int = 308) -> Response:
    return Response(status=status, headers=[("location", location)], media_type=None)
