"""HTTP Basic credentials: ``AccountSid:AuthToken`` or ``ApiKeySid:ApiKeySecret``."""

from __future__ import annotations

import base64
import binascii
import math
import time

from senderpools.errors import TooManyRequests, Unauthorized
from senderpools.http.asgi import Request
from senderpools.records import Credential
from senderpools.service.credentials import CredentialVerifier


def parse_basic(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    sid, sep, secret = decoded.partition(":")
    if not sep or not sid or not secret:
        return None
    return sid, secret


class FailureLimiter:
    """Per client address token bucket charged only by failed authentications (guessing costs scrypt).

    A client whose bucket is empty gets 429 before its credentials are even looked at; correct
    credentials are never charged, and other clients are never affected."""

    MAX_CLIENTS = 10_000  # buckets kept; past it, the ones that have refilled are forgotten

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate  # 0 turns it off
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last refill)

    def _tokens(self, client: str, now: float) -> float:
        tokens, last = self._buckets.get(client, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def check(self, client: str) -> None:
        """429 (with the wait until the next attempt) if ``client`` has failed too often."""
        if self.rate <= 0 or not self._buckets or client not in self._buckets:
            return
        tokens = self._tokens(client, time.monotonic())
        if tokens < 1:
            raise TooManyRequests(retry_after=max(1, math.ceil((1 - tokens) / self.rate)))

    def charge(self, client: str) -> None:
        if self.rate <= 0:
            return
        now = time.monotonic()
        self._buckets[client] = (self._tokens(client, now) - 1, now)
        if len(self._buckets) > self.MAX_CLIENTS:
            full = [c for c in self._buckets if self._tokens(c, now) >= self.burst]
            for c in full:
                del self._buckets[c]


async def authenticate(
    request: Request, verifier: CredentialVerifier, failures: FailureLimiter | None = None
) -> Credential:
    """The credential the request presents (the account it acts for, and who acts), or 401 (429 once
    this client has failed too often)."""
    if failures is not None:
        failures.check(request.client_host)
    presented = request.header(b"authorization")
    credential = None if presented is None else await verifier.verify(presented, parse_basic)
    if credential is None:
        if failures is not None:
            failures.charge(request.client_host)
        raise Unauthorized()
    return credential
