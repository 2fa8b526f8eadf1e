"""Sending one webhook delivery: the target's address checked, the body signed, a POST with a timeout.

Shared by the delivery loop (``senderpools.deliveries``) and the sinks' Test endpoint. Response bodies
are never kept beyond a short excerpt of a failure; secrets are never logged.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11
import httpx

from senderpools.wire import webhooks

EXCERPT = 200  # characters of a failed answer's body kept as its error


def blocked_address(address: str) -> bool:
    """Loopback, private, link-local and other addresses that are not the public internet's."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


@functools.lru_cache(maxsize=1024)
def _target(url: str) -> tuple[str | None, str, int]:
    """What is wrong with ``url`` as a target whatever its host resolves to (None: nothing), its host and
    port. Cached: the delivery loop asks at every attempt."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)  # a bad port raises
        httpx.URL(url)  # as strict as the sinks' URLs have always been checked
    except (ValueError, httpx.InvalidURL):
        return "must be a valid http or https URL", "", 0
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "must be an http or https URL with a host", "", 0
    if parts.username is not None or parts.password is not None:  # they would be shown in every answer
        return "must not carry credentials (user:password@); a receiver verifies the webhook-signature instead", "", 0
    return None, parts.hostname, port


async def refusal(url: str, allow_private: bool) -> str | None:
    """Why events may not be sent to ``url`` (None: they may): a scheme other than http(s), no host,
    credentials in it, or a host whose addresses include a private, loopback or link-local one (unless ``allow_private``)."""
    wrong, hostname, port = _target(url)
    if wrong is not None or allow_private:
        return wrong
    try:
        found = await asyncio.get_running_loop().getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError):
        return f"the host {hostname} cannot be resolved"
    if any(blocked_address(str(info[4][0])) for info in found):
        return _private(hostname)
    return None


def _private(hostname: str) -> str:
    return (
        f"the host {hostname} is a private, loopback or link-local address; "
        "the server's operator may allow these with SENDERPOOLS_WEBHOOK_ALLOW_PRIVATE=true"
    )


class Refused(OSError):
    """A connection not made: the host resolved to an address events may not be sent to."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one POST went: 2xx is delivered; anything else (or no answer) is retried."""

    delivered: bool
    status_code: int | None
    latency_ms: int
    error: str | None


class _Connection:
    """One kept-alive HTTP/1.1 connection: its streams and h11's state machine."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.state = h11.Connection(h11.CLIENT)

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()

    async def post(self, target: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, bytes]:
        """Send one request; the answer's status and the first ``_KEPT`` bytes of its body. Leaves the
        connection ready for the next request if both sides allow it (else it is closed)."""
        state = self.state
        self.writer.write(
            state.send(h11.Request(method="POST", target=target, headers=headers))
            + state.send(h11.Data(data=body))
            + state.send(h11.EndOfMessage())
        )
        await self.writer.drain()
        status, kept = 0, bytearray()
        while True:
            event = state.next_event()
            if event is h11.NEED_DATA:
                data = await self.reader.read(65_536)
                if not data and status == 0:
                    raise ConnectionResetError("the receiver closed the connection without answering")
                try:
                    state.receive_data(data)  # b"": the peer closed (the end of a body sent without a length)
                except h11.RemoteProtocolError as exc:
                    raise h11.RemoteProtocolError("the connection was closed before the answer ended") from exc
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                kept += event.data[: _KEPT - len(kept)]
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise h11.RemoteProtocolError("the connection was closed before the answer ended")
        if state.our_state is h11.DONE and state.their_state is h11.DONE:
            state.start_next_cycle()
        else:
            self.close()
        return status, bytes(kept)


_KEPT = 4 * EXCERPT  # bytes of an answer's body read into memory (the rest is read and dropped)
_IDLE = 16  # connections kept per origin


class Sender:
    """POSTs signed deliveries over kept-alive HTTP/1.1 connections (h11 on asyncio streams): a delivery
    costs about a tenth of the CPU time it did through httpx's AsyncClient (bench/README.md, workload 13)."""

    def __init__(self, timeout: float, allow_private: bool) -> None:
        self._timeout = timeout
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None
        self.allow_private = allow_private

    async def send(self, url: str, secret: str, msg_id: str, body: bytes) -> Outcome:
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        wrong, _, _ = _target(url)
        if wrong is not None:
            return Outcome(False, None, took(), f"refused: {wrong}")
        try:
            async with asyncio.timeout(self._timeout):
                status, content = await self._post(url, [*webhooks.headers(secret, msg_id, body).items()], body)
        except TimeoutError:
            return Outcome(False, None, took(), f"timed out after {self._timeout:g} s")
        except Refused as exc:
            return Outcome(False, None, took(), f"refused: {exc}")
        except (OSError, h11.ProtocolError, ValueError) as exc:  # refused, reset, unparseable...
            return Outcome(False, None, took(), f"{type(exc).__name__}: {exc}"[:EXCERPT])
        if 200 <= status < 300:
            return Outcome(True, status, took(), None)
        excerpt = content.decode("utf-8", "replace")[:EXCERPT]
        return Outcome(False, status, took(), excerpt or f"HTTP {status}")

    async def _post(self, url: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, bytes]:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        default_port = parts.port is None or parts.port == (443 if scheme == "https" else 80)
        authority = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [("host", authority), ("content-length", str(len(body))), *headers]
        origin = (scheme, host, port)
        idle = self._idle.setdefault(origin, [])
        while idle:  # a kept connection the receiver has since closed fails at once: try the next
            connection = idle.pop()
            if not connection.usable():
                connection.close()
                continue
            try:
                answer = await connection.post(target, headers, body)
            except (ConnectionError, h11.RemoteProtocolError, asyncio.IncompleteReadError):
                connection.close()
                continue
            except BaseException:
                connection.close()
                raise
            self._keep(origin, connection)
            return answer
        connection = await self._connect(scheme, host, port)
        try:
            answer = await connection.post(target, headers, body)
        except BaseException:
            connection.close()
            raise
        self._keep(origin, connection)
        return answer

    async def _connect(self, scheme: str, host: str, port: int) -> _Connection:
        if scheme == "https" and self._tls is None:
            self._tls = httpx.create_ssl_context()  # the trust store httpx used
        tls = self._tls if scheme == "https" else None
        addresses = [host]
        if not self.allow_private:  # checked as the connection is made, on exactly the addresses connected to:
            # a name that answered with a public address before and a private one now (DNS rebinding) is refused
            found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
            if any(blocked_address(address) for address in addresses):
                raise Refused(_private(host))
        error: OSError = OSError(f"the host {host} has no address")
        for address in addresses:
            try:
                reader, writer = await asyncio.open_connection(
                    address, port, ssl=tls, server_hostname=host if tls else None
                )
            except OSError as exc:
                error = exc
                continue
            return _Connection(reader, writer)
        raise error

    def _keep(self, origin: tuple[str, str, int], connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if connection.usable() and connection.state.our_state is h11.IDLE and len(idle) < _IDLE:
            idle.append(connection)
        else:
            connection.close()

    async def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
