"""Applies queued operation items in the background.

Any number of workers (in-process tasks or ``senderpools worker`` processes) may run against one
database: each batch is claimed and applied in a single store transaction, so an item is applied
exactly once and a worker that dies mid-batch leaves nothing half-done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from senderpools import ids
from senderpools.store import Store

log = logging.getLogger("senderpools.worker")


class OperationWorker:
    def __init__(
        self, store: Store, batch_size: int = 1000, poll_interval: float = 0.25, operations_per_round: int = 32
    ) -> None:
        self._store = store
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._operations_per_round = operations_per_round
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Called after new work is committed in this process, so it starts without waiting for a poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """One round: a batch from each operation with work (round-robin, so a big operation does not
        starve small ones), then a batch of deleted-pool cleanup. Returns the number of rows handled."""
        handled = 0
        for operation_id in await self._store.operations_with_work(self._operations_per_round):
            handled += await self._store.apply_operation_batch(operation_id, self._batch_size, ids.now_ms())
            await asyncio.sleep(0)  # let requests in between batches
        handled += await self._store.purge_deleted_pools(self._batch_size)
        return handled

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                handled = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("operation worker round failed; retrying")
                handled = 0
                await asyncio.sleep(self._poll_interval)
            if handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval)
