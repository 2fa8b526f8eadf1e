"""Scalar types and enums of the contract: what an ID, a tag, a name or a channel may be."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Final

from msgspec import Meta

from senderpools import ids
from senderpools.errors import Conflict, NotFound


def expected(words: str) -> dict[str, Any]:
    """A pattern's meaning in words, for a type's ``Meta(**expected(...))``: the query reader says
    "must be <words>" (``extra``), and the OpenAPI schema carries it as ``x-expected`` beside the
    pattern, so a client (the console) can say it in words too instead of showing the regex."""
    return {"extra": {"expected": words}, "extra_json_schema": {"x-expected": words}}


# -- IDs -------------------------------------------------------------------------------------------
PoolId = Annotated[str, Meta(pattern=ids.POOL_ID_PATTERN, extra_json_schema={"x-expected": "a sender pool ID"})]
SenderId = Annotated[str, Meta(pattern=ids.SENDER_ID_PATTERN, extra_json_schema={"x-expected": "a sender ID"})]
OperationId = Annotated[
    str, Meta(pattern=ids.OPERATION_ID_PATTERN, extra_json_schema={"x-expected": "an operation ID"})
]
EventId = Annotated[str, Meta(pattern=ids.EVENT_ID_PATTERN, extra_json_schema={"x-expected": "an event ID"})]
EventSinkId = Annotated[
    str, Meta(pattern=ids.EVENT_SINK_ID_PATTERN, extra_json_schema={"x-expected": "an event sink ID"})
]

# -- text ------------------------------------------------------------------------------------------
TAG_PATTERN: Final = "^[a-zA-Z0-9._~-]+$"
TAG_WORDS: Final = "letters, digits and . _ ~ -"
TagKey = Annotated[str, Meta(min_length=1, max_length=128, pattern=TAG_PATTERN, **expected(TAG_WORDS))]
TagValue = Annotated[str, Meta(min_length=1, max_length=256, pattern=TAG_PATTERN, **expected(TAG_WORDS))]
TagMap = Annotated[dict[TagKey, TagValue], Meta(max_length=10, description="At most 10 tags.")]
Tags = dict[str, str]

# Free text may hold anything but U+0000, which PostgreSQL text cannot store: refused on every backend alike.
NO_NUL: Final = "^[^\\x00]*$"
PoolName = Annotated[str, Meta(max_length=256, pattern=NO_NUL)]
DisplayName = Annotated[str, Meta(max_length=256, pattern=NO_NUL)]
Address = Annotated[str, Meta(min_length=1, max_length=256, pattern=NO_NUL)]

TIMESTAMP_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
Timestamp = Annotated[datetime, Meta(tz=True, extra_json_schema={"pattern": TIMESTAMP_PATTERN})]
"""RFC 3339 UTC to the second, as every response shows it (``2024-01-15T09:30:00Z``)."""

PageSize = Annotated[int, Meta(ge=1, le=1000)]
MAX_SENDERS_PER_REQUEST: Final = 10_000


# -- enums -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AddressRule:
    """What an address on one channel must be. ``pattern`` (None: anything) must match the whole address
    and is written so that Python and ECMAScript read it alike: the OpenAPI document publishes these
    rules (``x-addressRules`` on Channel) and the console checks a CSV with them before sending it."""

    max_length: int
    problem: str
    pattern: str | None = None

    def fits(self, address: str) -> bool:
        if not 0 < len(address) <= self.max_length:
            return False
        return self.pattern is None or re.fullmatch(self.pattern, address) is not None

    def schema(self) -> dict[str, Any]:
        found: dict[str, Any] = {"minLength": 1, "maxLength": self.max_length, "problem": self.problem}
        if self.pattern is not None:
            found["pattern"] = f"^(?:{self.pattern})$"
        return found


_PHONE_RULE = AddressRule(256, "must be an E.164 phone number: '+' and 2 to 15 digits", r"\+[0-9]{2,15}")
_NOT_IN_EMAIL = r"[^@\s\x00-\x1f\x7f]+"  # no controls
_EMAIL_RULE = AddressRule(254, "must be an e-mail address", rf"{_NOT_IN_EMAIL}@{_NOT_IN_EMAIL}\.{_NOT_IN_EMAIL}")
_PUSH_RULE = AddressRule(256, "must be 1 to 256 characters")


class Channel(enum.StrEnum):
    """A sender's channel."""

    SMS = "SMS"
    RCS = "RCS"
    EMAIL = "EMAIL"
    WHATSAPP = "WHATSAPP"
    PUSH = "PUSH"

    @property
    def address_rule(self) -> AddressRule:
        """E.164 for SMS, RCS and WHATSAPP, an e-mail address for EMAIL, 1 to 256 characters for PUSH."""
        return _EMAIL_RULE if self is Channel.EMAIL else _PUSH_RULE if self is Channel.PUSH else _PHONE_RULE

    def address_problem(self, address: str) -> str | None:
        """Why ``address`` is not an address on this channel, or None if it is."""
        rule = self.address_rule
        return None if rule.fits(address) else rule.problem


PHONE: Final = "PHONE"
PHONE_CHANNELS: Final = (Channel.SMS, Channel.RCS, Channel.WHATSAPP)
RECIPIENT_CHANNELS: Final = (*Channel, PHONE)
RecipientChannel = Annotated[
    str,
    Meta(
        pattern=f"^({'|'.join(RECIPIENT_CHANNELS)})$",
        extra_json_schema={"x-expected": f"one of {', '.join(RECIPIENT_CHANNELS[:-1])} or {PHONE}"},
        description=f"A sender channel, or `{PHONE}` for {', '.join(PHONE_CHANNELS[:-1])} and {PHONE_CHANNELS[-1]}.",
    ),
]


def channels_for(recipient_channel: str) -> tuple[Channel, ...]:
    """The sender channels that reach a recipient on ``recipient_channel`` (a sender channel or PHONE)."""
    return PHONE_CHANNELS if recipient_channel == PHONE else (Channel(recipient_channel),)


class SenderStatus(enum.StrEnum):
    """ACTIVATED senders are eligible for Resolve; DEACTIVATED ones stay in their pools but are not."""

    ACTIVATED = "ACTIVATED"
    DEACTIVATED = "DEACTIVATED"


class Health(enum.StrEnum):
    """A sender's health, as its owner reports it (senderpools extension). Resolve's `skipUnhealthy` never
    picks an UNHEALTHY sender and prefers HEALTHY to DEGRADED among otherwise equal candidates."""

    HEALTHY = "HEALTHY"
    DEGRADED = "DEGRADED"
    UNHEALTHY = "UNHEALTHY"


class SenderType(enum.StrEnum):
    """What kind of phone number a sender is, from libphonenumber's data (senderpools extension)."""

    LONG_CODE = "LONG_CODE"  # a geographic, mobile or other ordinary number
    TOLL_FREE = "TOLL_FREE"


class Stickiness(enum.StrEnum):
    """Whether Resolve remembers the sender it chose for a recipient (senderpools extension). NONE: the
    choice follows the candidates (a hash of the recipient). POOL: remembered per pool. ACCOUNT:
    remembered across every pool of the account."""

    NONE = "NONE"
    POOL = "POOL"
    ACCOUNT = "ACCOUNT"


Weight = Annotated[
    int, Meta(ge=1, le=100, description="Relative share of recipients among equally good senders (1-100; default 1).")
]
DEFAULT_WEIGHT: Final = 1


class OperationStatus(enum.StrEnum):
    """The state of a SenderPool Operation."""

    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"


class OperationType(enum.StrEnum):
    """What a SenderPool Operation does: create a pool (with senders), add senders to one, or remove them."""

    CREATE = "CREATE"
    ADD_SENDERS = "ADD_SENDERS"
    REMOVE_SENDERS = "REMOVE_SENDERS"


class ListOrder(enum.StrEnum):
    """The order of a list: the contract's oldest first, or newest first."""

    OLDEST = "oldest"
    NEWEST = "newest"


class ItemOutcome(enum.StrEnum):
    """QUEUED: not applied yet (counts as queued). CREATED, ALREADY_MEMBER (adding), REMOVED, NOT_A_MEMBER
    (removing): applied (count as created). SENDER_NOT_FOUND: no such sender in the account; CANCELED: the
    operation was canceled before the item ran (both count as failed)."""

    QUEUED = "QUEUED"  # not applied yet (NULL in storage)
    CREATED = "CREATED"  # applied: the pool was made or the sender joined it
    ALREADY_MEMBER = "ALREADY_MEMBER"  # counts as created: the end state holds
    REMOVED = "REMOVED"  # applied: the sender left the pool
    NOT_A_MEMBER = "NOT_A_MEMBER"  # counts as created: the end state (not a member) holds
    SENDER_NOT_FOUND = "SENDER_NOT_FOUND"  # failed: no such sender in the account
    CANCELED = "CANCELED"  # failed: the operation was stopped before this item ran

    @property
    def succeeded(self) -> bool:
        return self in _SUCCEEDED

    def error(self, sender_id: str | None) -> tuple[int, str] | None:
        """The error ``code`` and ``message`` an item with this outcome reports (None unless it failed)."""
        if self is ItemOutcome.SENDER_NOT_FOUND:
            return NotFound.code, f"Sender {sender_id} was not found in the account."
        if self is ItemOutcome.CANCELED:
            return Conflict.code, "The operation was canceled before this item was applied."
        return None

    @staticmethod
    def for_addition(exists: bool, already_member: bool) -> ItemOutcome:
        """The rule for adding one sender to a pool (contract section 6)."""
        if not exists:
            return ItemOutcome.SENDER_NOT_FOUND
        return ItemOutcome.ALREADY_MEMBER if already_member else ItemOutcome.CREATED

    @staticmethod
    def for_removal(exists: bool, was_member: bool) -> ItemOutcome:
        """The rule for removing one sender from a pool: the mirror of adding one."""
        if not exists:
            return ItemOutcome.SENDER_NOT_FOUND
        return ItemOutcome.REMOVED if was_member else ItemOutcome.NOT_A_MEMBER


_SUCCEEDED: Final = frozenset(
    {ItemOutcome.CREATED, ItemOutcome.ALREADY_MEMBER, ItemOutcome.REMOVED, ItemOutcome.NOT_A_MEMBER}
)


EVENT_PREFIX: Final = "io.senderpools."
"""The prefix of senderpools' own event types; the operation events keep the Comms API's names."""


class EventType(enum.StrEnum):
    """What an event records (senderpools extension). Operations use the Comms API's event names; every
    other type starts with ``io.senderpools.``."""

    OPERATION_PROCESSING = "com.twilio.comms-api.operation.processing"
    OPERATION_COMPLETED = "com.twilio.comms-api.operation.completed"
    OPERATION_CANCELED = "io.senderpools.operation.canceled"
    POOL_CREATED = "io.senderpools.senderpool.created"
    POOL_UPDATED = "io.senderpools.senderpool.updated"
    POOL_DELETED = "io.senderpools.senderpool.deleted"
    MEMBERS_ADDED = "io.senderpools.senderpool.members.added"
    MEMBERS_REMOVED = "io.senderpools.senderpool.members.removed"
    SENDER_REGISTERED = "io.senderpools.sender.registered"
    SENDER_UPDATED = "io.senderpools.sender.updated"
    SENDER_DELETED = "io.senderpools.sender.deleted"
    API_KEY_CREATED = "io.senderpools.apikey.created"
    API_KEY_REVOKED = "io.senderpools.apikey.revoked"
    SINK_TEST = "io.senderpools.eventsink.test"  # sent by POST /v1/EventSinks/{id}/Test only, never logged


class DeliveryStatus(enum.StrEnum):
    """Where a delivery of an event to a sink stands: PENDING until a 2xx (DELIVERED) or until its
    retries run out (FAILED, dead-lettered: redeliver it by hand)."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
