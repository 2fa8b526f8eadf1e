"""Wire types the SDK decodes besides the resources of ``senderpools.models`` (which it reuses as they are)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

import msgspec

from senderpools.models import Channel, Sender, SenderPool, SenderPoolOperation

T = TypeVar("T")


class OperationReference(msgspec.Struct, rename="camel", kw_only=True):
    """The 202 body of Create and Add Senders: the operation that tracks the work."""

    operation_id: str
    operation_location: str | None = None


class ResourceReference(msgspec.Struct, rename="camel", kw_only=True):
    """The 202 body of Update, Delete and Remove Sender: the resource the change is about."""

    resource_id: str
    resource_location: str | None = None


class Pagination(msgspec.Struct, kw_only=True):
    next: str | None = None
    self_: str | None = msgspec.field(name="self", default=None)


class SenderPoolList(msgspec.Struct, rename="camel", kw_only=True):
    sender_pools: list[SenderPool]
    pagination: Pagination = msgspec.field(default_factory=Pagination)


class SenderList(msgspec.Struct, rename="camel", kw_only=True):
    senders: list[Sender]
    pagination: Pagination = msgspec.field(default_factory=Pagination)


class OperationList(msgspec.Struct, rename="camel", kw_only=True):
    operations: list[SenderPoolOperation]
    pagination: Pagination = msgspec.field(default_factory=Pagination)


class RegisteredSenders(msgspec.Struct, kw_only=True):
    """The 201 body of a bulk ``POST /v1/Senders`` (senderpools extension)."""

    senders: list[Sender]


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


class Recipient(msgspec.Struct, kw_only=True):
    """A recipient for Resolve: ``channel`` is PHONE, EMAIL, PUSH or a sender channel."""

    address: str
    channel: str


class ResolvedSender(msgspec.Struct, rename="camel", kw_only=True):
    sender_id: str
    display_name: str | None = None
    address: str
    channel: Channel


class Resolution(msgspec.Struct, kw_only=True):
    """One candidate sender for one recipient; ``priority`` 1 is the first choice."""

    from_: ResolvedSender = msgspec.field(name="from")
    to: Recipient
    priority: int


class Resolutions(msgspec.Struct, kw_only=True):
    results: list[Resolution]
