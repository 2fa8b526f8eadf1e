"""The contract's resources. Field names and order are the wire's (camelCase via ``rename``).

``EXAMPLE`` on a type is its example in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from senderpools.wire.fields import (
    Channel,
    ItemOutcome,
    OperationId,
    OperationStatus,
    OperationType,
    PoolId,
    SenderId,
    SenderStatus,
    TagMap,
    Timestamp,
)

Count = Annotated[int, Meta(ge=0)]


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

    EXTENSIONS: ClassVar[tuple[str, ...]] = ("deletion_protection",)
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
