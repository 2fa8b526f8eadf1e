"""Per-account token buckets: one set per process (the default), or one set shared by every node on
the database (``rate_limit_scope = "database"``), behind one small interface."""

from __future__ import annotations

import abc
import math
import time

from senderpools import ids
from senderpools.errors import TooManyRequests
from senderpools.store import Store


def _too_many(wait: float) -> TooManyRequests:
    return TooManyRequests(retry_after=max(1, math.ceil(wait)))


class Limiter(abc.ABC):
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate  # tokens added per second; 0 disables limiting
        self.burst = burst

    @abc.abstractmethod
    async def check(self, account: str) -> None:
        """Take one token for ``account`` or raise 429 with the wait until one is available."""


class RateLimiter(Limiter):
    """Buckets in this process's memory: each process (node or HTTP worker) limits on its own."""

    def __init__(self, rate: float, burst: float) -> None:
        super().__init__(rate, burst)
        self._buckets: dict[str, tuple[float, float]] = {}  # account -> (tokens, last refill)

    async def check(self, account: str) -> None:
        if self.rate <= 0:
            return
        now = time.monotonic()
        tokens, last = self._buckets.get(account, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[account] = (tokens, now)
            raise _too_many((1 - tokens) / self.rate)
        self._buckets[account] = (tokens - 1, now)


class SharedRateLimiter(Limiter):
    """Buckets in the database (table ``rate_buckets``): one limit across every node sharing it.
    Costs one write per request, and requests of one account queue on its bucket row."""

    def __init__(self, store: Store, rate: float, burst: float) -> None:
        super().__init__(rate, burst)
        self._store = store

    async def check(self, account: str) -> None:
        if self.rate <= 0:
            return
        wait = await self._store.take_rate_token(account, self.rate, self.burst, ids.now_ms())
        if wait > 0:
            raise _too_many(wait)


def make_limiter(scope: str, store: Store, rate: float, burst: float) -> Limiter:
    """``process`` (per-process buckets) or ``database`` (shared through the store)."""
    if scope == "process":
        return RateLimiter(rate, burst)
    if scope == "database":
        return SharedRateLimiter(store, rate, burst)
    raise ValueError(f"rate limit scope must be 'process' or 'database', not {scope!r}")
