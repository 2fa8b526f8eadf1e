"""Reset, seed and pacing: the test controls' domain rules, on the product's store."""

from __future__ import annotations

from collections.abc import Sequence

from senderpools import ids
from senderpools.clock import to_datetime
from senderpools.errors import FieldError, InvalidRequest
from senderpools.records import Pacing
from senderpools.service.senders import NewSender, already_registered, build_senders, check_registrations
from senderpools.store import Store
from senderpools.testing.wire import SeedPool, SeedResult
from senderpools.wire.resources import Sender, SenderPool


class TestControlService:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def pacing(self, account: str) -> Pacing:
        return await self._store.get_pacing(account)

    async def set_pacing(self, account: str, pacing: Pacing) -> None:
        await self._store.set_pacing(account, pacing)

    async def operation_pacing(self, operation_id: str) -> tuple[str, Pacing] | None:
        return await self._store.operation_pacing(operation_id)

    async def reset(self, account: str) -> dict[str, int]:
        return await self._store.reset_account(account)

    async def seed(self, account: str, new: Sequence[NewSender], pools: Sequence[SeedPool]) -> SeedResult:
        """Senders (the registration rules apply, reported by position in ``new``) and pools with members
        among them, in one transaction; no Operation."""
        check_registrations(new)
        senders = build_senders(new)
        members = _members(pools, senders)
        now = ids.now_ms()
        created = to_datetime(now)
        made = [
            SenderPool(
                id=ids.new_id(ids.POOL_PREFIX, now), name=p.name, tags=p.tags, created_at=created, updated_at=created
            )
            for p in pools
        ]
        pairs = [(pool.id, sender_id) for pool, ids_ in zip(made, members, strict=True) for sender_id in ids_]
        taken = await self._store.seed_account(account, senders, made, pairs)
        if taken:
            raise already_registered(senders, taken)
        return SeedResult(senders=senders, sender_pools=made)


def _members(pools: Sequence[SeedPool], senders: Sequence[Sender]) -> list[list[str]]:
    """Each pool's member IDs; a member that is not a sender of the seed, or repeats, is a 400."""
    by_address = {(s.channel, s.address): s.id for s in senders}
    problems, members = [], []
    for i, pool in enumerate(pools):
        ids_, seen = [], set()
        for j, member in enumerate(pool.senders):
            where = f"$.senderPools[{i}].senders[{j}]"
            sender_id = by_address.get((member.channel, member.address))
            if sender_id is None:
                problems.append(FieldError(f"No {member.channel} sender {member.address} in $.senders.", where))
            elif sender_id in seen:
                problems.append(FieldError(f"{member.channel} sender {member.address} appears more than once.", where))
            else:
                seen.add(sender_id)
                ids_.append(sender_id)
        members.append(ids_)
    if problems:
        raise InvalidRequest.of(problems)
    return members
