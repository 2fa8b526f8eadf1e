"""Injected faults: the account's next matching API requests fail or wait (in this process's memory)."""

from __future__ import annotations

import asyncio
import random

from senderpools import ids
from senderpools.clock import to_datetime
from senderpools.errors import FieldError, InvalidRequest
from senderpools.http.asgi import Request
from senderpools.testing.wire import FAULT_PREFIX, Fault, FaultRequest

PREFIX = "/_test"


class Faults:
    """Armed faults by account; the request hook that fires them. Used only from the event loop."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._by_account: dict[str, list[Fault]] = {}
        self._random = rng or random.Random()  # noqa: S311 (chance of a fault, not a secret)

    def arm(self, account: str, request: FaultRequest) -> Fault:
        """A new fault for the account: it needs a status or a latency, and a count or a probability."""
        problems = []
        if request.status is None and request.latency_ms == 0:
            problems.append(FieldError("A fault needs a status, a latencyMs, or both.", "$.status"))
        if request.count is not None and request.probability is not None:
            problems.append(FieldError("Give count or probability, not both.", "$.probability"))
        if problems:
            raise InvalidRequest.of(problems)
        now = ids.now_ms()
        fault = Fault(
            id=ids.new_id(FAULT_PREFIX, now),
            method=request.method,
            path=request.path,
            status=request.status,
            retry_after=request.retry_after if request.status in (429, 503) else None,
            latency_ms=request.latency_ms,
            remaining=None if request.probability is not None else (request.count or 1),
            probability=request.probability,
            created_at=to_datetime(now),
        )
        self._by_account.setdefault(account, []).append(fault)
        return fault

    def list(self, account: str) -> list[Fault]:
        return list(self._by_account.get(account, ()))

    def remove(self, account: str, fault_id: str) -> bool:
        faults = self._by_account.get(account, [])
        kept = [f for f in faults if f.id != fault_id]
        self._by_account[account] = kept
        return len(kept) < len(faults)

    def clear(self, account: str) -> int:
        return len(self._by_account.pop(account, []))

    async def before(self, account: str, request: Request) -> None:
        """Apply the first armed fault that matches and fires: wait its latency, raise its status.
        ``/_test/`` requests are never faulted."""
        path = request.path
        if path.startswith(PREFIX + "/") or account not in self._by_account:
            return
        for fault in self.list(account):
            if not fault.matches(request.method, path):
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.remove(account, fault.id)
            elif self._random.random() >= (fault.probability or 0.0):
                continue
            if fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            error = fault.error()
            if error is not None:
                raise error
            return
