"""Sending one webhook delivery: the target's address checked, the body signed, a POST with a timeout.

Shared by the delivery loop (``senderpools.deliveries``) and the sinks' Test endpoint. Response bodies
are never kept beyond a short excerpt of a failure; secrets are never logged.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from senderpools.wire import webhooks

EXCERPT = 200  # characters of a failed answer's body kept as its error


def blocked_address(address: str) -> bool:
    """Loopback, private, link-local and other addresses that are not the public internet's."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def refusal(url: str, allow_private: bool) -> str | None:
    """Why events may not be sent to ``url`` (None: they may): a scheme other than http(s), no host,
    credentials in it, or a host whose addresses include a private, loopback or link-local one (unless ``allow_private``)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)  # a bad port raises
        httpx.URL(url)  # what the sender will parse
    except (ValueError, httpx.InvalidURL):
        return "must be a valid http or https URL"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "must be an http or https URL with a host"
    if parts.username is not None or parts.password is not None:  # they would be shown in every answer
        return "must not carry credentials (user:password@); a receiver verifies the webhook-signature instead"
    if allow_private:
        return None
    try:
        found = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError):
        return f"the host {parts.hostname} cannot be resolved"
    if any(blocked_address(str(info[4][0])) for info in found):
        return (
            f"the host {parts.hostname} is a private, loopback or link-local address; "
            "the server's operator may allow these with SENDERPOOLS_WEBHOOK_ALLOW_PRIVATE=true"
        )
    return None


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one POST went: 2xx is delivered; anything else (or no answer) is retried."""

    delivered: bool
    status_code: int | None
    latency_ms: int
    error: str | None


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the check allows, and to exactly the addresses it checked: the host is
    resolved once, here, so a name that changes its answer between a check and the connection (DNS
    rebinding) cannot lead a delivery to a private address."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            found = await asyncio.wait_for(
                asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
            )
        except (OSError, ValueError, UnicodeError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"the host {host} cannot be resolved") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        if any(blocked_address(address) for address in addresses):
            raise httpcore.ConnectError(f"refused: the host {host} is a private, loopback or link-local address")
        error: Exception = httpcore.ConnectError(f"the host {host} has no address")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are sent over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool that connects through ``_CheckedBackend`` (httpx takes no
    network backend of its own, so its pool is replaced with one built the same way)."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=100,  # httpx's defaults
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_CheckedBackend(),
        )


class Sender:
    """POSTs signed deliveries with one shared connection pool; unless private targets are allowed, every
    connection is checked as it is made (``_CheckedBackend``)."""

    def __init__(self, timeout: float, allow_private: bool) -> None:
        transport = None if allow_private else _CheckedTransport()
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False, transport=transport)
        self._timeout = timeout
        self.allow_private = allow_private

    async def send(self, url: str, secret: str, msg_id: str, body: bytes) -> Outcome:
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            response = await self._client.post(url, content=body, headers=webhooks.headers(secret, msg_id, body))
        except httpx.TimeoutException:
            return Outcome(False, None, took(), f"timed out after {self._timeout:g} s")
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:  # refused, reset, unparseable...
            return Outcome(False, None, took(), f"{type(exc).__name__}: {exc}"[:EXCERPT])
        if 200 <= response.status_code < 300:
            return Outcome(True, response.status_code, took(), None)
        excerpt = response.text[:EXCERPT] if response.content else ""
        return Outcome(False, response.status_code, took(), excerpt or f"HTTP {response.status_code}")

    async def close(self) -> None:
        await self._client.aclose()
