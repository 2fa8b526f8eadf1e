"""The contract's resources. Field names and order are the wire's (camelCase via ``rename``).

``EXAMPLE`` on a type is its example in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from senderpools.wire.fields import (
    Channel,
    DeliveryStatus,
    EventId,
    EventSinkId,
    EventType,
    Health,
    ItemOutcome,
    OperationId,
    OperationStatus,
    OperationType,
    PoolId,
    SenderId,
    SenderStatus,
    SenderType,
    TagMap,
    Timestamp,
    Weight,
)

Count = Annotated[int, Meta(ge=0)]


class SenderSelection(msgspec.Struct, rename="camel", kw_only=True):
    """How Resolve ranks a pool's members (senderpools extension). A Resolve request's own
    `channels.priority` comes before `channelPriority`; within a channel, geo-matching comes before
    `senderTypePriority`. Channels and types left out follow the listed ones, in their usual order."""

    channel_priority: Annotated[
        list[Channel], Meta(max_length=5, description="These channels come first, in this order.")
    ] = msgspec.field(default_factory=list)
    sender_type_priority: Annotated[
        list[SenderType],
        Meta(max_length=2, description="Among equally well placed senders, the first listed type present wins."),
    ] = msgspec.field(default_factory=list)


class SenderPool(msgspec.Struct, rename="camel", kw_only=True):
    """A set of sending identities. Members are listed under `/v1/SenderPools/{senderPoolId}/Senders`."""

    id: PoolId
    name: Annotated[str, Meta(description='A friendly name; `""` when none was given.')]
    tags: TagMap
    created_at: Timestamp
    updated_at: Timestamp
    deletion_protection: (
        Annotated[
            bool,
            Meta(
                description="Extension: while `true`, DELETE answers 409; PATCH it to `false` first. Shown only "
                "with `Senderpools-Extensions: true`."
            ),
        ]
        | UnsetType
    ) = UNSET

    selection: SenderSelection | UnsetType = UNSET  # extension: how Resolve ranks the members

    EXTENSIONS: ClassVar[tuple[str, ...]] = ("deletion_protection", "selection")
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "id": "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8",
        "name": "MarketingCampaignPool",
        "tags": {"environment": "production", "region": "us-east-1"},
        "createdAt": "2024-01-15T09:30:00Z",
        "updatedAt": "2024-04-10T12:45:00Z",
    }


class Sender(msgspec.Struct, rename="camel", kw_only=True):
    """A sending identity of the account's inventory. One sender may belong to several pools."""

    id: SenderId
    display_name: str | None
    address: Annotated[
        str, Meta(description="E.164 for SMS, RCS and WHATSAPP; an e-mail address for EMAIL; a token for PUSH.")
    ]
    channel: Channel
    status: SenderStatus
    tags: TagMap
    created_at: Timestamp
    updated_at: Timestamp
    # Extensions (shown with Senderpools-Extensions: true): how Resolve weighs this sender, and where it is.
    weight: Weight | UnsetType = UNSET
    health: Annotated[Health, Meta(description="Set by you; Resolve's `skipUnhealthy` acts on it.")] | UnsetType = UNSET
    country: (
        Annotated[str | None, Meta(description="ISO 3166-1 country of a phone number (libphonenumber); else null.")]
        | UnsetType
    ) = UNSET
    area_code: (
        Annotated[str | None, Meta(description="Geographic area code of a phone number (e.g. `415`), if it has one.")]
        | UnsetType
    ) = UNSET
    time_zone: (
        Annotated[str | None, Meta(description="The IANA time zone of a phone number, when its prefix has one.")]
        | UnsetType
    ) = UNSET
    sender_type: (
        Annotated[SenderType | None, Meta(description="LONG_CODE or TOLL_FREE for a phone number; else null.")]
        | UnsetType
    ) = UNSET

    EXTENSIONS: ClassVar[tuple[str, ...]] = ("weight", "health", "country", "area_code", "time_zone", "sender_type")
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "id": "comms_sender_01h9krwprkeee8fzqspvwy6nq8",
        "displayName": "Cool Support",
        "address": "+14153902337",
        "channel": "SMS",
        "status": "ACTIVATED",
        "tags": {},
        "createdAt": "2022-08-24T14:15:22Z",
        "updatedAt": "2023-09-13T12:00:24Z",
    }


class OperationStats(msgspec.Struct, kw_only=True):
    """Counts of the operation's work items."""

    total: Annotated[Count, Meta(description="Work items: always queued + created + failed.")]
    queued: Annotated[Count, Meta(description="Items not yet applied.")]
    created: Annotated[Count, Meta(description="Items applied (a sender already in the pool counts here).")]
    failed: Annotated[Count, Meta(description="Items rejected (unknown sender, or canceled before they ran).")]


class SenderPoolOperation(msgspec.Struct, rename="camel", kw_only=True):
    """The aggregate, asynchronous work of creating a pool, or of adding senders to one or removing them."""

    id: OperationId
    status: Annotated[
        OperationStatus, Meta(description="PROCESSING while items are queued, then COMPLETED; CANCELED if stopped.")
    ]
    stats: OperationStats
    created_at: Timestamp
    updated_at: Timestamp
    type: (
        Annotated[
            OperationType, Meta(description="Extension: what the operation does (with `Senderpools-Extensions: true`).")
        ]
        | UnsetType
    ) = UNSET
    sender_pool_id: (
        Annotated[PoolId, Meta(description="Extension: the pool it is about (with `Senderpools-Extensions: true`).")]
        | UnsetType
    ) = UNSET

    EXTENSIONS: ClassVar[tuple[str, ...]] = ("type", "sender_pool_id")

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "id": "comms_operation_01h9krwprkeee8fzqspvwy6nq8",
        "status": "COMPLETED",
        "stats": {"total": 3, "queued": 0, "created": 2, "failed": 1},
        "createdAt": "2024-04-05T06:20:00Z",
        "updatedAt": "2024-04-05T06:20:01Z",
    }


class OperationItem(msgspec.Struct, rename="camel", kw_only=True):
    """One work item of an operation: the pool itself (`senderId` null, item 0 of a Create) or one sender."""

    sender_id: Annotated[
        str | None,
        Meta(description="The sender this item adds or removes; `null` for item 0 of a Create (the pool itself)."),
    ]
    outcome: ItemOutcome
    code: Annotated[
        int | None, Meta(description="For a failed item: the error code (20404 sender not found, 20409 canceled).")
    ]
    message: Annotated[str | None, Meta(description="For a failed item: what went wrong.")]
    updated_at: Timestamp

    @classmethod
    def of(cls, sender_id: str | None, outcome: ItemOutcome, updated_at: Any) -> OperationItem:
        code, message = outcome.error(sender_id) or (None, None)
        return cls(sender_id=sender_id, outcome=outcome, code=code, message=message, updated_at=updated_at)


class SenderPoolSummary(msgspec.Struct, rename="camel", kw_only=True):
    """Extension: a pool's member counts and running work, kept exact as members come and go (never
    counted over the members on read, so it is as cheap for a million members as for one)."""

    sender_pool_id: PoolId
    sender_count: Annotated[Count, Meta(description="Members of the pool.")]
    by_channel: Annotated[dict[Channel, Count], Meta(description="Members per channel; every channel is listed.")]
    by_status: Annotated[dict[SenderStatus, Count], Meta(description="Members per status; every status is listed.")]
    processing_operations: Annotated[
        Count, Meta(description="Operations of the pool (Create, Add Senders, Remove Senders) still PROCESSING.")
    ]
    updated_at: Annotated[
        Timestamp,
        Meta(
            description="When a figure last changed: a member joined or left, a member's status changed, or an "
            "operation of the pool started or finished."
        ),
    ]

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "senderPoolId": "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8",
        "senderCount": 3,
        "byChannel": {"SMS": 2, "RCS": 0, "EMAIL": 1, "WHATSAPP": 0, "PUSH": 0},
        "byStatus": {"ACTIVATED": 2, "DEACTIVATED": 1},
        "processingOperations": 0,
        "updatedAt": "2024-04-10T12:45:00Z",
    }


# -- events (senderpools extension) -------------------------------------------------------------------
EventTime = Annotated[str, Meta(description="When it happened: RFC 3339 UTC to the millisecond.")]


class Event(msgspec.Struct, rename="camel", kw_only=True):
    """One change, recorded in the transaction that made it (senderpools extension)."""

    id: EventId
    type: EventType
    time: EventTime
    account_sid: Annotated[str, Meta(description="The account the change belongs to.")]
    actor: Annotated[
        str,
        Meta(
            description="Who made the change: the account SID or the API key SID it authenticated with "
            "(background work carries the actor of the request that queued it)."
        ),
    ]
    resource_id: Annotated[str | None, Meta(description="The pool, sender, operation or API key changed.")]
    data: Annotated[dict[str, Any], Meta(description="A small object of facts about the change; depends on `type`.")]

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "id": "event_01h9krwprkeee8fzqspvwy6nq8",
        "type": "com.twilio.comms-api.operation.completed",
        "time": "2024-04-05T06:20:01.250Z",
        "accountSid": "AC0123456789abcdef0123456789abcdef",
        "actor": "SK0123456789abcdef0123456789abcdef",
        "resourceId": "comms_operation_01h9krwprkeee8fzqspvwy6nq8",
        "data": {
            "operationId": "comms_operation_01h9krwprkeee8fzqspvwy6nq8",
            "senderPoolId": "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8",
            "type": "CREATE",
            "status": "COMPLETED",
            "stats": {"total": 3, "queued": 0, "created": 3, "failed": 0},
        },
    }


class EventSink(msgspec.Struct, rename="camel", kw_only=True):
    """A webhook endpoint that receives the account's events (senderpools extension)."""

    id: EventSinkId
    url: Annotated[str, Meta(description="Where events are POSTed (http or https).")]
    types: Annotated[list[EventType], Meta(description="The event types delivered; empty: every type.")]
    description: str | None
    created_at: Timestamp
    updated_at: Timestamp

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "id": "eventsink_01h9krwprkeee8fzqspvwy6nq8",
        "url": "https://hooks.example.com/senderpools",
        "types": ["com.twilio.comms-api.operation.completed"],
        "description": "Operations finishing",
        "createdAt": "2024-04-05T06:20:00Z",
        "updatedAt": "2024-04-05T06:20:00Z",
    }


class EventDelivery(msgspec.Struct, rename="camel", kw_only=True):
    """An event's delivery to one sink: its attempts so far and how the last one went."""

    event_id: EventId
    event_type: EventType
    status: DeliveryStatus
    attempts: Count
    next_attempt_at: Annotated[str | None, Meta(description="When the next attempt is due (PENDING only).")]
    last_attempt_at: str | None
    last_status_code: Annotated[int | None, Meta(description="The HTTP status of the last answer, if any.")]
    last_latency_ms: int | None
    last_error: Annotated[
        str | None, Meta(description="Why the last attempt failed: a timeout, a refused connection, or an excerpt.")
    ]
