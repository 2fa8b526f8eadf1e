"""Records that services and the store exchange, beyond what the wire shows: what to list, what to
change, and the facts kept about operations, credentials and idempotency keys."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from senderpools.wire.encoding import view_tag
from senderpools.wire.fields import Channel, Health, OperationStatus, OperationType, SenderStatus, Tags
from senderpools.wire.resources import Sender, SenderSelection


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
