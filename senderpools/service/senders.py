"""The sender inventory and sender resolution."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from senderpools import ids
from senderpools.clock import to_datetime
from senderpools.errors import Conflict, FieldError, NotFound
from senderpools.models import PHONE_CHANNELS, Channel, Sender, SenderStatus, Tags
from senderpools.service.paging import PageRequest
from senderpools.store import Store
from senderpools.store.base import SenderChanges, SenderFilter


@dataclass(frozen=True, slots=True)
class NewSender:
    address: str
    channel: Channel
    display_name: str | None = None
    status: SenderStatus = SenderStatus.ACTIVATED
    tags: Tags | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str
    channel: str  # a sender channel, or PHONE


@dataclass(frozen=True, slots=True)
class Resolution:
    sender: Sender
    recipient: Recipient
    priority: int


RECIPIENT_CHANNELS = frozenset({"PHONE", *Channel})


def channels_for(recipient_channel: str) -> tuple[Channel, ...]:
    """The sender channels that can reach a recipient on ``recipient_channel``."""
    return PHONE_CHANNELS if recipient_channel == "PHONE" else (Channel(recipient_channel),)


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


def already_registered(senders: Sequence[Sender], taken: Sequence[int], contexts: Sequence[str]) -> Conflict:
    """A 409 naming every sender whose channel+address the account already has."""
    errors = [
        FieldError(f"A {senders[i].channel} sender with address {senders[i].address} already exists.", contexts[i])
        for i in taken
    ]
    return Conflict.of(errors)


class SenderService:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def register(self, account: str, new: Sequence[NewSender], contexts: Sequence[str]) -> list[Sender]:
        """All or nothing. ``contexts`` are the JSON paths of each item, for conflict errors."""
        senders = build_senders(new)
        taken = await self._store.create_senders(account, senders)
        if taken:
            raise already_registered(senders, taken, contexts)
        return senders

    async def fetch(self, account: str, sender_id: str) -> Sender:
        sender = await self._store.get_sender(account, sender_id) if ids.is_sender_id(sender_id) else None
        if sender is None:
            raise NotFound(f"Sender {sender_id} was not found.")
        return sender

    async def list_senders(self, account: str, page: PageRequest, where: SenderFilter) -> list[Sender]:
        return await self._store.list_senders(account, page.window(ids.SENDER_PREFIX), where)

    async def update(self, account: str, sender_id: str, changes: SenderChanges) -> Sender:
        sender = None
        if ids.is_sender_id(sender_id):
            sender = await self._store.update_sender(account, sender_id, changes, ids.now_ms())
        if sender is None:
            raise NotFound(f"Sender {sender_id} was not found.")
        return sender

    async def delete(self, account: str, sender_id: str) -> None:
        if not (ids.is_sender_id(sender_id) and await self._store.delete_sender(account, sender_id)):
            raise NotFound(f"Sender {sender_id} was not found.")

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
        if pool_id is not None and (
            not ids.is_pool_id(pool_id) or await self._store.get_pool(account, pool_id) is None
        ):
            raise NotFound(f"SenderPool {pool_id} was not found.", "$.senderPoolId")
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
