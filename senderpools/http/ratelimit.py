"""Per-account token buckets (one set per process)."""

from __future__ import annotations

import math
import time

from senderpools.errors import TooManyRequests


class RateLimiter:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate  # tokens added per second; 0 disables limiting
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}  # account -> (tokens, last refill)

    def check(self, account: str) -> None:
        """Take one token for ``account`` or raise 429 with the wait until one is available."""
        if self.rate <= 0:
            return
        now = time.monotonic()
        tokens, last = self._buckets.get(account, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[account] = (tokens, now)
            raise TooManyRequests(retry_after=max(1, math.ceil((1 - tokens) / self.rate)))
        self._buckets[account] = (tokens - 1, now)
