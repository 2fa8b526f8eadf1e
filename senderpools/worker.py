"""Applies queued operation items in the background.

Any number of workers (in-process tasks or ``senderpools worker`` processes) may run against one
database: each batch is claimed and applied in a single store transaction, so an item is applied
exactly once and a worker that dies mid-batch leaves nothing half-done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Protocol

from senderpools import ids
from senderpools.errors import ServiceUnavailable
from senderpools.store import Store

log = logging.getLogger("senderpools.worker")


class Pacer(Protocol):
    """Test controls' hook: how many of an operation's items may be applied now (0: none)."""

    async def allowance(self, operation_id: str, batch_size: int) -> int: ...


class OperationWorker:
    def __init__(
        self,
        store: Store,
        batch_size: int = 1000,
        poll_interval: float = 0.25,
        operations_per_round: int = 32,
        idempotency_ttl: float = 86_400.0,
        pacer: Pacer | None = None,
        sticky_ttl: float = 0.0,
        event_retention: float = 30 * 86_400.0,
    ) -> None:
        self._store = store
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._operations_per_round = operations_per_round
        self._wake = asyncio.Event()
        self._idempotency_ttl_ms = int(idempotency_ttl * 1000)
        self._next_key_purge = 0.0
        self._sticky_ttl_ms = int(sticky_ttl * 1000)  # 0: sticky senders never expire
        self._pacer = pacer
        self._event_retention_ms = int(event_retention * 1000)

    def wake(self) -> None:
        """Called after new work is committed in this process, so it starts without waiting for a poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """One round: a batch from each operation with work (round-robin, so a big operation does not
        starve small ones; with a pacer, only what test controls' pacing allows), then a batch of
        deleted-pool cleanup and, about once a minute, of expired idempotency keys (sticky senders, events). Returns the number
        of rows handled."""
        handled = await self._apply_batches()
        handled += await self._store.purge_deleted_pools(self._batch_size)
        if time.monotonic() >= self._next_key_purge:  # expired idempotency keys, about once a minute
            expired_before = ids.now_ms() - self._idempotency_ttl_ms
            purged = await self._store.purge_idempotency_keys(expired_before, self._batch_size)
            if self._sticky_ttl_ms:  # and expired sticky senders
                expired = ids.now_ms() - self._sticky_ttl_ms
                purged = max(purged, await self._store.purge_sticky_senders(expired, self._batch_size))
            expired_events = ids.now_ms() - self._event_retention_ms  # and events past their retention
            purged = max(purged, await self._store.purge_events(expired_events, self._batch_size))
            self._next_key_purge = time.monotonic() + (0 if purged == self._batch_size else 60)
        return handled

    async def _apply_batches(self) -> int:
        """A batch for each of the oldest ``operations_per_round`` operations with work. Operations the
        pacer holds back (one account paced or held by test controls) do not count: the worker looks
        further, so they never hide other accounts' operations."""
        handled, served, after, pacer = 0, 0, None, self._pacer
        limit = self._operations_per_round
        while True:
            found = await self._store.operations_with_work(limit, pacer is not None, after)
            for operation_id in found:
                size = self._batch_size if pacer is None else await pacer.allowance(operation_id, self._batch_size)
                if size > 0:
                    handled += await self._store.apply_operation_batch(operation_id, size, ids.now_ms())
                    served += 1
                await asyncio.sleep(0)  # let requests in between batches
            if pacer is None or len(found) < limit or served >= limit:
                return handled
            after = found[-1]

    async def run(self) -> None:
        unavailable = False  # reported once per outage, not every round
        while True:
            self._wake.clear()
            try:
                handled = await self.run_once()
                if unavailable:
                    log.info("operation worker: the database is available again")
                unavailable = False
            except asyncio.CancelledError:
                raise
            except ServiceUnavailable as exc:  # busy or unreachable: nothing was changed, try again later
                if not unavailable:
                    log.warning("operation worker: %s", exc)
                unavailable, handled = True, 0
            except Exception:
                log.exception("operation worker round failed; retrying")
                handled = 0
                await asyncio.sleep(self._poll_interval)
            if handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval)
