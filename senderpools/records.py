"""Records that services and the store exchange, beyond what the wire shows: what to list, what to
change, and the facts kept about operations, credentials and idempotency keys."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from senderpools import ids
from senderpools.clock import to_rfc3339_ms
from senderpools.wire.encoding import encode, view_tag
from senderpools.wire.fields import (
    Channel,
    DeliveryStatus,
    EventType,
    Health,
    OperationStatus,
    OperationType,
    SenderStatus,
    Tags,
)
from senderpools.wire.resources import Event, Sender, SenderPoolOperation, SenderSelection


class Credential(msgspec.Struct, kw_only=True, frozen=True):
    """A stored credential: an account's auth token or one of its API keys."""

    sid: str
    account_sid: str
    secret_hash: str
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class Window:
    """One keyset page over time-ordered IDs: ``lower <= id < upper``, and past ``after`` (the previous
    page's last cursor: ``id > after``, or ``id < after`` when ``newest_first``)."""

    limit: int
    after: str | int | None = None  # an ID (or a name cursor); an operation item's seq
    lower: str | None = None
    upper: str | None = None
    newest_first: bool = False


def name_key(name: str) -> str:
    """How the namePrefix search compares pool names: Unicode case folding."""
    return name.casefold()


@dataclass(frozen=True, slots=True)
class PoolFilter:
    """What narrows a list of pools. With ``name_prefix`` the list is in name order (``name_key``, then ID)."""

    operation_id: str | None = None
    name_prefix: str | None = None
    tag: tuple[str, str] | None = None  # (key, value)


@dataclass(frozen=True, slots=True)
class OperationFilter:
    status: OperationStatus | None = None
    pool_id: str | None = None
    type: OperationType | None = None


@dataclass(frozen=True, slots=True)
class PoolChanges:
    """Fields to change on a pool (None: leave as is)."""

    name: str | None = None
    tags: Tags | None = None
    deletion_protection: bool | None = None
    selection: SenderSelection | None = None

    def __bool__(self) -> bool:
        """Whether anything changes."""
        return any(v is not None for v in (self.name, self.tags, self.deletion_protection, self.selection))


@dataclass(frozen=True, slots=True)
class IfMatch:
    """An ``If-Match`` precondition: the entity tags the client holds, or ``*`` (any current version)."""

    tags: frozenset[str]

    def holds(self, extended_json: bytes) -> bool:
        """Whether the resource, kept as ``extended_json``, still has one of the tags (either view's)."""
        return "*" in self.tags or any(view_tag(extended_json, extended) in self.tags for extended in (False, True))


class Refused(enum.Enum):
    """Why the store did not apply a change to a pool."""

    NOT_FOUND = "not found"  # no such pool in the account (or deleted)
    CHANGED = "changed"  # its If-Match precondition did not hold
    PROTECTED = "protected"  # deletion protection is on


@dataclass(frozen=True, slots=True)
class SenderFilter:
    channels: Sequence[Channel] | None = None
    status: SenderStatus | None = None
    address: str | None = None

    @classmethod
    def of(cls, channel: Channel | None, status: SenderStatus | None) -> SenderFilter:
        return cls(channels=None if channel is None else (channel,), status=status)


@dataclass(frozen=True, slots=True)
class SenderChanges:
    """Fields to change on a sender; ``set_display_name`` distinguishes "set to null" from "leave"."""

    set_display_name: bool = False
    display_name: str | None = None
    status: SenderStatus | None = None
    tags: Tags | None = None
    weight: int | None = None
    health: Health | None = None

    def __bool__(self) -> bool:
        """Whether anything changes."""
        return self.set_display_name or any(v is not None for v in (self.status, self.tags, self.weight, self.health))


ACCOUNT_SCOPE = "*"
"""The scope of sticky senders kept across every pool of an account (a pool's own scope is its ID)."""


@dataclass(frozen=True, slots=True)
class StickySender:
    """A remembered choice: ``recipient`` on ``channel`` gets ``sender_id`` within ``scope``."""

    scope: str  # a pool ID, or ACCOUNT_SCOPE
    recipient: str
    channel: Channel
    sender_id: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class ResolveScope:
    """What Resolve needs to know of where it chooses from before it chooses: the version of the
    candidates (the account's senders, and the pool's members when a pool is named) and the pool's
    selection preferences."""

    version: tuple[int, int]
    selection: SenderSelection | None = None


@dataclass(frozen=True, slots=True)
class Candidates:
    """Every ACTIVATED sender Resolve may choose from in a scope, as of ``version``."""

    version: tuple[int, int]
    senders: list[Sender]


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """What an Idempotency-Key was first used for and, once that request finished, its response."""

    method: str
    path: str
    body_sha256: str
    created_ms: int
    status: int | None = None  # None while the first request is still in progress
    headers: str | None = None  # JSON: [[name, value], ...]
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class Pacing:
    """Test controls: how the worker paces one account's operations."""

    hold: bool = False  # apply none of the account's items until released
    items_per_second: int | None = None  # apply at most this many items per second


# -- events ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append in the transaction of the change it records."""

    id: str
    type: EventType
    time_ms: int
    account: str
    actor: str
    resource_id: str | None
    data: dict[str, Any]

    @classmethod
    def of(
        cls, kind: EventType, account: str, actor: str | None, resource_id: str | None, now_ms: int, **data: Any
    ) -> NewEvent:
        """``actor`` None: the account itself (an operator's command, or work queued before actors were kept)."""
        return cls(ids.new_id(ids.EVENT_PREFIX, now_ms), kind, now_ms, account, actor or account, resource_id, data)

    @property
    def pool_id(self) -> str | None:
        """The pool it concerns, if any (what ``senderPoolId`` finds): the pool's own events and its
        members' have the pool as their resource; an operation's name it in their data."""
        if self.resource_id is not None and self.resource_id.startswith(ids.POOL_PREFIX):
            return self.resource_id
        pool_id = self.data.get("senderPoolId")
        return pool_id if isinstance(pool_id, str) else None

    def doc(self) -> bytes:
        """Its wire JSON."""
        return encode(
            Event(
                id=self.id,
                type=self.type,
                time=to_rfc3339_ms(self.time_ms),
                account_sid=self.account,
                actor=self.actor,
                resource_id=self.resource_id,
                data=self.data,
            )
        )


def operation_event(operation: SenderPoolOperation, account: str, actor: str | None, now_ms: int) -> NewEvent:
    """The Comms API's event for an operation in its current status (processing, completed, or canceled)."""
    kind = {
        OperationStatus.PROCESSING: EventType.OPERATION_PROCESSING,
        OperationStatus.COMPLETED: EventType.OPERATION_COMPLETED,
        OperationStatus.CANCELED: EventType.OPERATION_CANCELED,
    }[operation.status]
    stats = operation.stats
    return NewEvent.of(
        kind,
        account,
        actor,
        operation.id,
        now_ms,
        operationId=operation.id,
        senderPoolId=operation.sender_pool_id,
        type=str(operation.type),
        status=str(operation.status),
        stats={"total": stats.total, "queued": stats.queued, "created": stats.created, "failed": stats.failed},
    )


@dataclass(frozen=True, slots=True)
class EventFilter:
    type: EventType | None = None
    resource_id: str | None = None
    sender_pool_id: str | None = None


@dataclass(frozen=True, slots=True)
class SinkRecord:
    """A webhook sink as stored (``secret``: its signing key, never shown again after creation)."""

    id: str
    account: str
    url: str
    types: tuple[EventType, ...]  # empty: every type
    description: str | None
    secret: str
    created_ms: int
    updated_ms: int


@dataclass(frozen=True, slots=True)
class SinkChanges:
    url: str | None = None
    types: tuple[EventType, ...] | None = None
    set_description: bool = False
    description: str | None = None

    def __bool__(self) -> bool:
        return self.set_description or self.url is not None or self.types is not None


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery the delivery loop claimed: the event's JSON and where to send it, signed with what."""

    sink_id: str
    event_id: str
    attempts: int  # before this one
    url: str
    secret: str
    event: bytes


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one delivery attempt went, and what follows it."""

    status: DeliveryStatus  # DELIVERED, PENDING (retry at next_ms) or FAILED (dead-lettered)
    at_ms: int
    next_ms: int | None
    status_code: int | None
    latency_ms: int | None
    error: str | None
