"""Records that services and the store exchange, beyond what the wire shows: what to list, what to
change, and the facts kept about operations, credentials and idempotency keys."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from senderpools.wire.fields import Channel, SenderStatus, Tags
from senderpools.wire.resources import SenderPoolOperation


class OperationKind(enum.StrEnum):
    CREATE_POOL = "CREATE_POOL"
    ADD_SENDERS = "ADD_SENDERS"


class OperationRecord(msgspec.Struct, kw_only=True):
    """An operation together with the facts the wire object leaves out."""

    operation: SenderPoolOperation
    kind: OperationKind
    pool_id: str


class Credential(msgspec.Struct, kw_only=True, frozen=True):
    """A stored credential: an account's auth token or one of its API keys."""

    sid: str
    account_sid: str
    secret_hash: str
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class Window:
    """One keyset page over time-ordered IDs: ``lower <= id < upper``, ``id > after``."""

    limit: int
    after: str | None = None
    lower: str | None = None
    upper: str | None = None


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

    def __bool__(self) -> bool:
        """Whether anything changes."""
        return self.set_display_name or self.status is not None or self.tags is not None


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
