"""The resources of the contract, declared once.

These structs are what the store returns, what the service works with and what the HTTP layer
encodes: field names and order match the wire (camelCase via ``rename``).
"""

from __future__ import annotations

import enum
import re
from datetime import datetime

import msgspec


class Channel(enum.StrEnum):
    SMS = "SMS"
    RCS = "RCS"
    EMAIL = "EMAIL"
    WHATSAPP = "WHATSAPP"
    PUSH = "PUSH"


PHONE_CHANNELS = (Channel.SMS, Channel.RCS, Channel.WHATSAPP)

_E164 = re.compile(r"\+[0-9]{2,15}").fullmatch
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+").fullmatch


def address_problem(channel: Channel, address: str) -> str | None:
    """Why ``address`` is not a valid address on ``channel``, or None if it is."""
    if channel is Channel.EMAIL:
        ok = len(address) <= 254 and _EMAIL(address) is not None
        return None if ok else "must be an e-mail address"
    if channel is Channel.PUSH:
        return None if 0 < len(address) <= 256 else "must be 1 to 256 characters"
    return None if _E164(address) is not None else "must be an E.164 phone number: '+' and 2 to 15 digits"


class SenderStatus(enum.StrEnum):
    ACTIVATED = "ACTIVATED"
    DEACTIVATED = "DEACTIVATED"


class OperationStatus(enum.StrEnum):
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"


class ItemOutcome(enum.StrEnum):
    """What happened to one work item of an operation. ``None`` in storage means still queued."""

    CREATED = "CREATED"  # applied: the pool was made or the sender joined it
    ALREADY_MEMBER = "ALREADY_MEMBER"  # counts as created: the end state holds
    SENDER_NOT_FOUND = "SENDER_NOT_FOUND"  # failed: no such sender in the account
    CANCELED = "CANCELED"  # failed: the operation was stopped before this item ran

    @property
    def succeeded(self) -> bool:
        return self in (ItemOutcome.CREATED, ItemOutcome.ALREADY_MEMBER)

    @staticmethod
    def for_sender(exists: bool, already_member: bool) -> ItemOutcome:
        """The rule for adding one sender to a pool (contract section 6)."""
        if not exists:
            return ItemOutcome.SENDER_NOT_FOUND
        return ItemOutcome.ALREADY_MEMBER if already_member else ItemOutcome.CREATED


class OperationKind(enum.StrEnum):
    CREATE_POOL = "CREATE_POOL"
    ADD_SENDERS = "ADD_SENDERS"


Tags = dict[str, str]


class SenderPool(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    name: str
    tags: Tags
    created_at: datetime
    updated_at: datetime


class Sender(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    display_name: str | None
    address: str
    channel: Channel
    status: SenderStatus
    tags: Tags
    created_at: datetime
    updated_at: datetime


class OperationStats(msgspec.Struct, kw_only=True):
    total: int
    queued: int
    created: int
    failed: int


class SenderPoolOperation(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    status: OperationStatus
    stats: OperationStats
    created_at: datetime
    updated_at: datetime


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
