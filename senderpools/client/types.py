"""What the SDK takes and returns besides the wire types it shares with the server (``senderpools.wire``).

The resources (SenderPool, Sender, SenderPoolOperation) are decoded with the server's own types. The
copies below are tolerant on purpose, each where Twilio's real answers may differ from ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

import msgspec

from senderpools.wire.bodies import RecipientAddress
from senderpools.wire.fields import Channel
from senderpools.wire.replies import Reason, RecipientExplanation
from senderpools.wire.resources import SenderPool, SenderPoolOperation

T = TypeVar("T")


class OperationReference(msgspec.Struct, rename="camel", kw_only=True):
    """The 202 body of Create and Add Senders: the operation that tracks the work.

    Tolerant copy of ``wire.replies.OperationReference``: Twilio's schema marks the location optional."""

    operation_id: str
    operation_location: str | None = None


class ResourceReference(msgspec.Struct, rename="camel", kw_only=True):
    """The 202 body of Update, Delete and Remove Sender: the resource the change is about.

    Tolerant copy of ``wire.replies.ResourceReference``: Twilio's schema marks the location optional."""

    resource_id: str
    resource_location: str | None = None


class Pagination(msgspec.Struct, kw_only=True):
    """Tolerant copy of ``wire.replies.Pagination``: some Comms answers leave out ``self`` (or both)."""

    next: str | None = None
    self_: str | None = msgspec.field(name="self", default=None)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its items and the tokens of this page and the next (None on the last)."""

    items: list[T]
    next_token: str | None
    self_token: str | None


@dataclass(frozen=True, slots=True)
class CreatedPool:
    """What ``sender_pools.create(..., wait=True)`` returns.

    ``pool`` is None only if the pool was deleted before the operation finished."""

    operation: SenderPoolOperation
    pool: SenderPool | None


class NewSender(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """One sender to register with ``senders.create_many`` (senderpools extension)."""

    address: str
    channel: str
    display_name: str | None = None
    status: str | None = None
    tags: dict[str, str] | None = None
    weight: int | None = None  # 1-100; the server's default is 1
    health: str | None = None  # HEALTHY (the default), DEGRADED or UNHEALTHY


Recipient = RecipientAddress
"""A recipient for Resolve: ``channel`` is PHONE, EMAIL, PUSH or a sender channel."""


class ResolvedSender(msgspec.Struct, rename="camel", kw_only=True):
    """Tolerant copy of ``wire.replies.ResolvedSender``: Resolve's shape comes from clients, not from
    Twilio's reference, so fields beyond the ID may be missing."""

    sender_id: str
    display_name: str | None = None
    address: str
    channel: Channel


class Resolution(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One candidate sender for one recipient; ``priority`` 1 is the first choice. ``reasons``: with
    ``explain=True``, why this sender, rule by rule (senderpools)."""

    from_: ResolvedSender = msgspec.field(name="from")
    to: Recipient
    priority: int
    reasons: list[Reason] | None = None


class Resolutions(msgspec.Struct, kw_only=True, omit_defaults=True):
    results: list[Resolution]
    recipients: list[RecipientExplanation] | None = None


class ResolveResults(list[Resolution]):
    """What ``senders.resolve`` returns: the results, in order; with ``explain=True`` also ``recipients``,
    per recipient why the other candidates lost (senderpools)."""

    def __init__(self, results: list[Resolution], recipients: list[RecipientExplanation] | None = None) -> None:
        super().__init__(results)
        self.recipients = recipients
