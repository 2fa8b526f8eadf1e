"""Carrying a plan out through the SDK: register senders, create and retag pools, add and remove members.

Every step leaves the account in a state the next plan reads afresh, so an apply stopped anywhere (an
error answer, a lost connection, Ctrl-C) is completed by running apply again: a pool created before
the stop is found by its name, members added are no longer missing, removed ones no longer listed.
Requests that create something carry an idempotency key, so the SDK's retries never do it twice.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass

import msgspec
from rich.progress import Progress

from senderpools.cli.remote.poolfile import address_key
from senderpools.cli.remote.reconcile import MemberRef, NewSenderRef, Plan, PoolPlan
from senderpools.cli.remote.rows import CHUNK_SIZE, chunks
from senderpools.cli.remote.session import OperationsProgress
from senderpools.client import ApiError, Client, NewSender, NotFoundError, SenderPoolsError
from senderpools.client.resources import PendingOperation


class Outcome(msgspec.Struct, rename="camel", kw_only=True):
    """What an apply did."""

    registered: int = 0
    created: int = 0
    updated: int = 0
    added: int = 0
    removed: int = 0
    failed: int = 0  # members the server did not add (the operation counted them as failed)


@dataclass
class Execution:
    client: Client
    progress: Progress
    timeout: float

    def run(self, plan: Plan) -> Outcome:
        outcome = Outcome()
        registered = self.register(plan.register, outcome)
        pool_ids = self.shape_pools([p for p in plan.pools if p.changes], outcome)
        adds = {pool_ids[p.name]: [_sender_id(m, registered) for m in p.add] for p in plan.pools if p.add}
        self.add_members(adds, outcome)
        removes = {pool_ids[p.name]: [m.sender_id for m in p.remove if m.sender_id] for p in plan.pools if p.remove}
        self.remove_members(removes, outcome)
        return outcome

    def register(self, new: list[NewSenderRef], outcome: Outcome) -> dict[str, str]:
        """Register the senders ``--register-missing`` asked for (senderpools' ``POST /v1/Senders``)."""
        if not new:
            return {}
        task = self.progress.add_task("Registering senders", total=len(new), detail="")
        ids: dict[str, str] = {}
        for chunk in chunks(new, CHUNK_SIZE):
            batch = [NewSender(address=n.address, channel=n.channel) for n in chunk]
            try:
                senders = self.client.senders.create_many(batch, idempotency_key=uuid.uuid4().hex)
            except ApiError as exc:
                if exc.status_code in (404, 405):
                    raise SenderPoolsError(
                        f"{exc.method} {exc.url} answered {exc.status_code}: --register-missing needs a senderpools "
                        "server (the Comms API registers senders through other APIs)"
                    ) from exc
                raise
            ids.update((address_key(s.channel, s.address), s.id) for s in senders)
            outcome.registered += len(senders)
            self.progress.advance(task, len(senders))
        return ids

    def shape_pools(self, pools: list[PoolPlan], outcome: Outcome) -> dict[str, str]:
        """Create the new pools (empty: members follow in chunks) and set changed tags; pool IDs by name."""
        ids = {p.name: p.id for p in pools if p.id is not None}
        todo = [p for p in pools if p.id is None or p.tags is not None]
        if not todo:
            return ids
        task = self.progress.add_task("Creating and updating pools", total=len(todo), detail="")
        for pool in todo:
            if pool.id is None:
                created = self.client.sender_pools.create(
                    pool.name, tags=pool.tags, wait=True, timeout=self.timeout, idempotency_key=uuid.uuid4().hex
                )
                if created.pool is None:
                    raise SenderPoolsError(f"pool {pool.name!r} was deleted while it was being created")
                ids[pool.name] = created.pool.id
                outcome.created += 1
            else:
                self.client.sender_pools.update(pool.id, tags=pool.tags, idempotency_key=uuid.uuid4().hex)
                outcome.updated += 1
            self.progress.advance(task)
        return ids

    def add_members(self, adds: dict[str, list[str]], outcome: Outcome) -> None:
        """Add Senders, at most 1,000 per request (what real clients send), then wait for every operation."""
        total = sum(len(members) for members in adds.values())
        if not total:
            return
        pending: list[PendingOperation] = [
            self.client.sender_pools.add_senders(pool_id, chunk, idempotency_key=uuid.uuid4().hex)
            for pool_id, members in adds.items()
            for chunk in chunks(members, CHUNK_SIZE)
        ]
        bar = OperationsProgress(self.progress, "Adding members", total)
        deadline = time.monotonic() + self.timeout
        for operation in pending:
            done = operation.wait(timeout=max(0.0, deadline - time.monotonic()), on_progress=bar.update)
            outcome.added += done.stats.created
            outcome.failed += done.stats.failed

    def remove_members(self, removes: dict[str, list[str]], outcome: Outcome) -> None:
        """Remove members one request each, as the Comms API offers (a bulk removal can take this loop's place
        on servers that have one)."""
        total = sum(len(members) for members in removes.values())
        if not total:
            return
        task = self.progress.add_task("Removing members", total=total, detail="")
        for pool_id, members in removes.items():
            for sender_id in members:
                with contextlib.suppress(NotFoundError):  # no longer a member: the end state holds
                    self.client.sender_pools.remove_sender(pool_id, sender_id)
                outcome.removed += 1
                self.progress.advance(task)


def _sender_id(member: MemberRef, registered: dict[str, str]) -> str:
    return member.sender_id or registered[address_key(str(member.channel), str(member.address))]
