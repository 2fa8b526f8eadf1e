"""The delivery loop: sends the outbox's due deliveries to their webhook sinks, and records each attempt.

At least once: a delivery is claimed with a lease (it becomes due again a while later, so that if this
process dies mid-attempt another one sends it again), sent with a timeout, then recorded as DELIVERED,
due again after a backoff, or dead-lettered (FAILED) once its retries span the retry window. Retries
reuse the event's ID as ``webhook-id``, so receivers can drop duplicates. Every attempt is its own task;
at most ``concurrency`` are in flight per sink, and a sink with that many is left out of the next claims,
so a slow or dead receiver never holds up the others (nor the API: this runs beside it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass

from senderpools import ids
from senderpools.errors import ServiceUnavailable
from senderpools.records import Attempt, DueDelivery
from senderpools.service.webhooks import Sender
from senderpools.store import Store
from senderpools.wire import webhooks
from senderpools.wire.fields import DeliveryStatus

log = logging.getLogger("senderpools.deliveries")


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Exponential backoff: ``base`` seconds, doubling, at most ``longest``, +-20% jitter; a delivery that
    still fails once its nominal waits add up to ``window`` seconds is dead-lettered."""

    base: float = 5.0
    longest: float = 3600.0
    window: float = 86_400.0

    def wait(self, attempts: int) -> float:
        """The nominal wait after the ``attempts``-th failed attempt (1, 2, ...)."""
        return min(self.base * float(2 ** min(attempts - 1, 60)), self.longest)

    def next_ms(self, attempts: int, now_ms: int) -> int | None:
        """When to try again after ``attempts`` failed attempts; None: dead-letter it."""
        if sum(self.wait(n) for n in range(1, attempts)) >= self.window:  # retried for the whole window
            return None
        return now_ms + int(self.wait(attempts) * random.uniform(0.8, 1.2) * 1000)  # noqa: S311 (jitter)


class DeliveryLoop:
    def __init__(
        self,
        store: Store,
        sender: Sender,
        schedule: RetrySchedule,
        timeout: float,
        concurrency: int = 4,
        poll_interval: float = 0.05,
        claim_limit: int = 256,
    ) -> None:
        self._store = store
        self._sender = sender
        self._schedule = schedule
        self._concurrency = concurrency
        self._poll_interval = poll_interval
        self._claim_limit = claim_limit
        # A claim may wait for its sink's slot (a round claims more than the free slots) for two timeouts,
        # then take its timeout and be recorded within the lease: no attempt runs past its lease, when
        # another claimant may send the same delivery. One that waited longer is left to be claimed again.
        self._start_within = 2 * timeout
        self._lease_ms = int((self._start_within + timeout + 10) * 1000)
        self._in_flight: Counter[str] = Counter()
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._unrecorded: list[tuple[str, str, Attempt, asyncio.Future[None]]] = []
        self._recorder: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """Claim the due deliveries (of sinks with a free slot) and start sending them; returns how many."""
        busy = sorted(sink for sink, n in self._in_flight.items() if n >= self._concurrency)
        room = self._claim_limit - len(self._tasks)
        if room <= 0:
            return 0
        start_by = time.monotonic() + self._start_within  # from the lease's start, before the claim
        claimed = await self._store.claim_deliveries(ids.now_ms(), room, self._lease_ms, busy)
        for due in claimed:
            self._in_flight[due.sink_id] += 1
            task = asyncio.create_task(self._deliver(due, start_by), name=f"delivery-{due.event_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(claimed)

    async def _deliver(self, due: DueDelivery, start_by: float) -> None:
        slot = self._slots.setdefault(due.sink_id, asyncio.Semaphore(self._concurrency))
        try:
            async with slot:  # an attempt in flight to the sink; its outcome is stored after, in a group commit
                if time.monotonic() > start_by:  # its lease could run out mid-attempt: due again soon
                    return
                outcome = await self._sender.send(due.url, due.secret, due.event_id, webhooks.cloudevent(due.event))
            now, attempts = ids.now_ms(), due.attempts + 1
            if outcome.delivered:
                status, next_ms = DeliveryStatus.DELIVERED, None
            else:
                next_ms = self._schedule.next_ms(attempts, now)
                status = DeliveryStatus.FAILED if next_ms is None else DeliveryStatus.PENDING
            attempt = Attempt(status, now, next_ms, outcome.status_code, outcome.latency_ms, outcome.error)
            await self._record(due.sink_id, due.event_id, attempt)
        except ServiceUnavailable as exc:  # not recorded: the lease runs out and it is sent again
            log.warning("delivery of %s to %s not recorded: %s", due.event_id, due.sink_id, exc)
        except Exception:
            log.exception("delivery of %s to %s failed", due.event_id, due.sink_id)
        finally:
            self._in_flight[due.sink_id] -= 1
            if self._in_flight[due.sink_id] <= 0:
                del self._in_flight[due.sink_id]
                self._slots.pop(due.sink_id, None)

    async def _record(self, sink_id: str, event_id: str, attempt: Attempt) -> None:
        """Store an attempt's outcome. Group commit: the attempts that end while a write is under way are
        stored together by the next one (one transaction each was the most of a delivery's cost)."""
        written = asyncio.get_running_loop().create_future()
        self._unrecorded.append((sink_id, event_id, attempt, written))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._write(), name="delivery-attempts")
        await written

    async def _write(self) -> None:
        while self._unrecorded:
            batch, self._unrecorded = self._unrecorded, []
            try:
                await self._store.record_attempts([(sink, event, attempt) for sink, event, attempt, _ in batch])
            except Exception as exc:
                for *_, written in batch:
                    if not written.done():
                        written.set_exception(exc)
            except BaseException:
                for *_, written in batch:
                    written.cancel()
                raise
            else:
                for *_, written in batch:
                    if not written.done():
                        written.set_result(None)

    async def run(self) -> None:
        unavailable = False
        try:
            while True:
                try:
                    claimed = await self.run_once()
                    unavailable = False
                except asyncio.CancelledError:
                    raise
                except ServiceUnavailable as exc:
                    if not unavailable:
                        log.warning("delivery loop: %s", exc)
                    unavailable, claimed = True, 0
                except Exception:
                    log.exception("delivery loop round failed; retrying")
                    claimed = 0
                if claimed == 0:
                    await asyncio.sleep(self._poll_interval)
                else:
                    await asyncio.sleep(0)
        finally:
            running = [*self._tasks, *([self._recorder] if self._recorder is not None else [])]
            for task in running:
                task.cancel()
            for task in running:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self._sender.close()
