"""The sender inventory and sender resolution."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from senderpools import ids
from senderpools.clock import to_datetime
from senderpools.errors import Conflict, FieldError, InvalidRequest, NotFound, Where
from senderpools.records import SenderChanges, SenderFilter
from senderpools.service.paging import PageRequest
from senderpools.service.rules import check_addresses, repeats
from senderpools.store import Store
from senderpools.wire.bodies import RegisterSenderRequest
from senderpools.wire.encoding import Listed, Rendered
from senderpools.wire.fields import Channel, SenderStatus, Tags, channels_for
from senderpools.wire.resources import Sender


@dataclass(frozen=True, slots=True)
class NewSender:
    address: str
    channel: Channel
    display_name: str | None = None
    status: SenderStatus = SenderStatus.ACTIVATED
    tags: Tags | None = None

    @classmethod
    def of(cls, request: RegisterSenderRequest) -> NewSender:
        return cls(request.address, request.channel, request.display_name, request.status, request.tags)


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str
    channel: str  # a sender channel, or PHONE


@dataclass(frozen=True, slots=True)
class Resolution:
    sender: Sender
    recipient: Recipient
    priority: int


def _sticky_index(address: str, choices: int) -> int:
    """The same recipient gets the same sender while the candidates stay the same."""
    return int.from_bytes(hashlib.blake2b(address.encode(), digest_size=8).digest(), "big") % choices


def build_senders(new: Sequence[NewSender]) -> list[Sender]:
    """Sender records for registration requests: fresh time-ordered IDs, created now."""
    now = ids.now_ms()
    created = to_datetime(now)
    return [
        Sender(
            id=ids.new_id(ids.SENDER_PREFIX, now),
            display_name=n.display_name,
            address=n.address,
            channel=n.channel,
            status=n.status,
            tags=n.tags or {},
            created_at=created,
            updated_at=created,
        )
        for n in new
    ]


def check_registrations(new: Sequence[NewSender]) -> None:
    """Per-channel address rules (400), then channel+address repeated within the request (409)."""
    check_addresses([(n.channel, n.address) for n in new])
    repeated = repeats((n.channel, n.address) for n in new)
    if repeated:
        raise Conflict.of(
            [
                FieldError(f"{new[i].channel} address {new[i].address} appears more than once.", Where(i))
                for i in repeated
            ]
        )


def already_registered(senders: Sequence[Sender], taken: Sequence[int]) -> Conflict:
    """A 409 naming every sender whose channel+address the account already has."""
    errors = [
        FieldError(f"A {senders[i].channel} sender with address {senders[i].address} already exists.", Where(i))
        for i in taken
    ]
    return Conflict.of(errors)


def _sender_not_found(sender_id: str) -> NotFound:
    return NotFound(f"Sender {sender_id} was not found.")


class SenderService:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def register(self, account: str, new: Sequence[NewSender]) -> list[Sender]:
        """All or nothing: every sender, or a 400/409 naming each offending item."""
        check_registrations(new)
        senders = build_senders(new)
        taken = await self._store.create_senders(account, senders)
        if taken:
            raise already_registered(senders, taken)
        return senders

    async def require(self, account: str, sender_id: str) -> None:
        """404 unless the account has this sender."""
        if not await self._store.sender_exists(account, sender_id):
            raise _sender_not_found(sender_id)

    async def fetch(self, account: str, sender_id: str, extended: bool = False) -> Rendered[Sender]:
        doc = await self._store.get_sender(account, sender_id, extended)
        if doc is None:
            raise _sender_not_found(sender_id)
        return Rendered(doc)

    async def list_senders(
        self, account: str, page: PageRequest, where: SenderFilter, extended: bool = False
    ) -> Listed:
        return await self._store.list_senders(account, page.window(ids.SENDER_PREFIX), where, extended)

    async def update(
        self, account: str, sender_id: str, changes: SenderChanges, extended: bool = False
    ) -> Rendered[Sender]:
        """Change the display name, status and/or tags; at least one of them."""
        if not changes:
            raise InvalidRequest("The request must change at least one of displayName, status and tags.")
        doc = await self._store.update_sender(account, sender_id, changes, ids.now_ms(), extended)
        if doc is None:
            raise _sender_not_found(sender_id)
        return Rendered(doc)

    async def delete(self, account: str, sender_id: str) -> None:
        if not await self._store.delete_sender(account, sender_id, ids.now_ms()):
            raise _sender_not_found(sender_id)

    async def resolve(
        self,
        account: str,
        recipients: Sequence[Recipient],
        pool_id: str | None,
        sender_addresses: Sequence[str] | None,
        filter_in: Sequence[Channel] | None,
        priority: Sequence[Channel],
    ) -> list[Resolution]:
        """For each recipient, one ACTIVATED sender per usable channel, best channel first.

        Channels follow ``priority``, then the contract's channel order; within a channel the
        choice is sticky per recipient address."""
        check_addresses([(r.channel, r.address) for r in recipients])
        if pool_id is not None and not await self._store.pool_exists(account, pool_id):
            raise NotFound(f"SenderPool {pool_id} was not found.", Where(field="senderPoolId"))
        # The first mention of a channel decides its rank: the request's priority, then the contract's order.
        rank = {channel: i for i, channel in enumerate(dict.fromkeys([*priority, *Channel]))}
        wanted = {c for r in recipients for c in channels_for(r.channel)}
        if filter_in is not None:
            wanted &= set(filter_in)
        if not wanted:
            return []
        candidates = await self._store.eligible_senders(
            account, pool_id, sender_addresses, sorted(wanted, key=rank.__getitem__)
        )
        by_channel: dict[Channel, list[Sender]] = {}
        for sender in candidates:
            by_channel.setdefault(sender.channel, []).append(sender)
        results = []
        for recipient in recipients:
            usable = sorted(
                (c for c in channels_for(recipient.channel) if c in wanted and c in by_channel), key=rank.__getitem__
            )
            for position, channel in enumerate(usable, 1):
                choices = by_channel[channel]
                results.append(Resolution(choices[_sticky_index(recipient.address, len(choices))], recipient, position))
        return results
