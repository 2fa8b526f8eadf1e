"""The resources of the contract, declared once.

These structs are what the store returns, what the service works with and what the HTTP layer
encodes: field names and order match the wire (camelCase via ``rename``).
"""

from __future__ import annotations

import enum
import re
from datetime import datetime

import msgspec

from senderpools.errors import Conflict, NotFound


class Channel(enum.StrEnum):
    SMS = "SMS"
    RCS = "RCS"
    EMAIL = "EMAIL"
    WHATSAPP = "WHATSAPP"
    PUSH = "PUSH"


PHONE_CHANNELS = (Channel.SMS, Channel.RCS, Channel.WHATSAPP)

_E164 = re.compile(r"\+[0-9]{2,15}").fullmatch
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+").fullmatch  # no controls


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

    QUEUED = "QUEUED"  # not applied yet (never stored: NULL in storage); counts as queued
    CREATED = "CREATED"  # applied: the pool was made or the sender joined it
    ALREADY_MEMBER = "ALREADY_MEMBER"  # counts as created: the end state holds
    SENDER_NOT_FOUND = "SENDER_NOT_FOUND"  # failed: no such sender in the account
    CANCELED = "CANCELED"  # failed: the operation was stopped before this item ran

    @property
    def succeeded(self) -> bool:
        return self in (ItemOutcome.CREATED, ItemOutcome.ALREADY_MEMBER)

    def error(self, sender_id: str | None) -> tuple[int, str] | None:
        """The error ``code`` and ``message`` an item with this outcome reports (None unless it failed)."""
        found = ITEM_ERRORS.get(self)
        return None if found is None else (found[0], found[1].format(sender_id=sender_id))

    @staticmethod
    def for_sender(exists: bool, already_member: bool) -> ItemOutcome:
        """The rule for adding one sender to a pool (contract section 6)."""
        if not exists:
            return ItemOutcome.SENDER_NOT_FOUND
        return ItemOutcome.ALREADY_MEMBER if already_member else ItemOutcome.CREATED


# Failed outcomes: the error code (the contract's codes, by meaning) and message of the item.
ITEM_ERRORS: dict[ItemOutcome, tuple[int, str]] = {
    ItemOutcome.SENDER_NOT_FOUND: (NotFound.code, "Sender {sender_id} was not found in the account."),
    ItemOutcome.CANCELED: (Conflict.code, "The operation was canceled before this item was applied."),
}


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


class OperationItem(msgspec.Struct, rename="camel", kw_only=True):
    """One work item of an operation: the pool itself (``senderId`` null, item 0 of a Create) or one sender."""

    sender_id: str | None
    outcome: ItemOutcome
    code: int | None  # set when the item failed
    message: str | None
    updated_at: datetime

    @classmethod
    def of(cls, sender_id: str | None, outcome: ItemOutcome, updated_at: datetime) -> OperationItem:
        code, message = outcome.error(sender_id) or (None, None)
        return cls(sender_id=sender_id, outcome=outcome, code=code, message=message, updated_at=updated_at)


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
