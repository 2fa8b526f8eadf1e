"""Pacing: the worker's ``Pacer`` hook, from each operation's account's pacing (stored in the database)."""

from __future__ import annotations

import time

from senderpools.testing.service import TestControlService


class OperationPacer:
    """Holds, and per-second budgets kept in this worker process."""

    def __init__(self, service: TestControlService) -> None:
        self._service = service
        self._buckets: dict[str, tuple[int, float, float]] = {}  # account -> (rate, tokens, when)

    async def allowance(self, operation_id: str, batch_size: int) -> int:
        found = await self._service.operation_pacing(operation_id)
        if found is None:
            return batch_size
        account, pacing = found
        rate = pacing.items_per_second
        if pacing.hold:
            return 0
        if rate is None:
            return batch_size
        now = time.monotonic()
        last_rate, tokens, when = self._buckets.get(account, (rate, 1.0, now))  # a new budget: one item now
        if last_rate != rate:
            tokens, when = 1.0, now
        tokens = min(float(rate), tokens + (now - when) * rate)
        allowed = min(batch_size, int(tokens))
        self._buckets[account] = (rate, tokens - allowed, now)
        return allowed
