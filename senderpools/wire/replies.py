"""Response envelopes: pages, the 202 references, registration and resolution results, errors."""

from __future__ import annotations

import enum
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from senderpools.errors import CATALOGUE
from senderpools.wire.bodies import RecipientAddress
from senderpools.wire.fields import Channel, OperationId, SenderId, Timestamp
from senderpools.wire.resources import (
    Event,
    EventDelivery,
    EventSink,
    OperationItem,
    Sender,
    SenderPool,
    SenderPoolOperation,
)

Url = Annotated[str, Meta(description="An absolute URL.", extra_json_schema={"format": "uri"})]


class Pagination(msgspec.Struct, kw_only=True):
    """Page tokens: pass one back as `pageToken`, together with the same filters."""

    next: str | None
    self_: str = msgspec.field(name="self")


class SenderPoolPage(msgspec.Struct, rename="camel", kw_only=True):
    """One page of SenderPools, oldest first."""

    sender_pools: list[SenderPool]
    pagination: Pagination


class SenderPage(msgspec.Struct, rename="camel", kw_only=True):
    """One page of Senders, oldest first."""

    senders: list[Sender]
    pagination: Pagination


class SenderPoolOperationPage(msgspec.Struct, rename="camel", kw_only=True):
    """One page of SenderPool Operations, oldest first."""

    operations: list[SenderPoolOperation]
    pagination: Pagination


class OperationItemPage(msgspec.Struct, kw_only=True):
    """One page of an operation's work items, in request order."""

    items: list[OperationItem]
    pagination: Pagination


class OperationReference(msgspec.Struct, rename="camel", kw_only=True):
    """The Operation that tracks work accepted for background processing."""

    operation_id: OperationId
    operation_location: Url

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "operationId": "comms_operation_01h9krwprkeee8fzqspvwy6nq8",
        "operationLocation": "https://senderpools.example.com/v1/SenderPools/Operations/comms_operation_01h9krwprkeee8fzqspvwy6nq8",
    }


class ResourceReference(msgspec.Struct, rename="camel", kw_only=True):
    """The resource a change was applied to."""

    resource_id: str
    resource_location: Url

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "resourceId": "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8",
        "resourceLocation": "https://senderpools.example.com/v1/SenderPools/comms_senderpool_01h9krwprkeee8fzqspvwy6nq8",
    }


class RegisteredSenders(msgspec.Struct, kw_only=True):
    """The Senders registered by an array request, in request order."""

    senders: list[Sender]


class ResolvedSender(msgspec.Struct, rename="camel", kw_only=True):
    sender_id: SenderId
    display_name: str | None
    address: str
    channel: Channel


class ReasonCode(enum.StrEnum):
    """Why Resolve chose a sender, one rule at a time (`explain`)."""

    CHANNEL_PRIORITY = "CHANNEL_PRIORITY"  # the channel's rank among those that reach the recipient
    STICKY = "STICKY"  # the recipient's sticky sender, still eligible
    STICKY_NOT_ELIGIBLE = "STICKY_NOT_ELIGIBLE"  # its sticky sender is not a candidate here (other pool, filtered)
    STICKY_CREATED = "STICKY_CREATED"  # the choice is now the recipient's sticky sender
    STICKY_DRY_RUN = "STICKY_DRY_RUN"  # it would have become sticky, but `dryRun` stores nothing
    SAME_AREA_CODE = "SAME_AREA_CODE"
    SAME_TIME_ZONE = "SAME_TIME_ZONE"
    SAME_COUNTRY = "SAME_COUNTRY"
    NO_SAME_COUNTRY = "NO_SAME_COUNTRY"  # no eligible sender in the recipient's country: any country
    PLACE_UNKNOWN = "PLACE_UNKNOWN"  # libphonenumber does not place the recipient: no geo preference
    SENDER_TYPE = "SENDER_TYPE"  # the pool's `senderTypePriority`
    HEALTHY = "HEALTHY"  # preferred to DEGRADED senders (`skipUnhealthy`)
    WEIGHTED = "WEIGHTED"  # the weighted draw among equals, fixed per recipient


class LossCode(enum.StrEnum):
    """Why other candidates were not chosen (`explain`)."""

    UNHEALTHY = "UNHEALTHY"  # skipped (`skipUnhealthy`)
    NOT_STICKY = "NOT_STICKY"  # the recipient's sticky sender took precedence
    OTHER_AREA_CODE = "OTHER_AREA_CODE"  # same country, but the winner shares the recipient's area code
    OTHER_TIME_ZONE = "OTHER_TIME_ZONE"  # same country, but the winner shares the recipient's time zone
    OTHER_COUNTRY = "OTHER_COUNTRY"  # the winner is in the recipient's country
    SENDER_TYPE = "SENDER_TYPE"  # a type the pool ranks lower
    DEGRADED = "DEGRADED"  # a HEALTHY sender was as good otherwise
    WEIGHTED_DRAW = "WEIGHTED_DRAW"  # as good as the winner, lost the weighted draw


class Reason(msgspec.Struct, kw_only=True):
    """One rule that led to the choice, in the order the rules apply."""

    code: ReasonCode
    message: str


class Loss(msgspec.Struct, rename="camel", kw_only=True):
    """Candidates on one channel that lost for one reason."""

    channel: Channel
    reason: LossCode
    count: Annotated[int, Meta(ge=1)]
    message: str
    sender_ids: Annotated[
        list[SenderId], Meta(description="The losing senders when there are at most 5 of them; else empty.")
    ]


class RecipientExplanation(msgspec.Struct, kw_only=True):
    """Why the other candidates lost, for one recipient (in request order)."""

    to: RecipientAddress
    candidates: Annotated[int, Meta(ge=0, description="Eligible senders on the channels that reach the recipient.")]
    lost: list[Loss]


class Resolution(msgspec.Struct, kw_only=True):
    """One candidate sender for one recipient; `priority` 1 is the first choice."""

    from_: ResolvedSender = msgspec.field(name="from")
    to: RecipientAddress
    priority: Annotated[int, Meta(ge=1)]
    reasons: (
        Annotated[list[Reason], Meta(description="With `explain`: why this sender, rule by rule (senderpools).")]
        | UnsetType
    ) = UNSET


class ResolveSendersResult(msgspec.Struct, kw_only=True):
    """Per recipient, one ACTIVATED sender per usable channel, best channel first."""

    results: list[Resolution]
    recipients: (
        Annotated[
            list[RecipientExplanation],
            Meta(description="With `explain`: per recipient, why the other candidates lost (senderpools)."),
        ]
        | UnsetType
    ) = UNSET


class StickyMapping(msgspec.Struct, rename="camel", kw_only=True):
    """A remembered choice of Resolve: this recipient gets this sender on this channel, within a scope."""

    recipient: str
    channel: Channel
    scope: Annotated[str, Meta(description="`ACCOUNT`, or the ID of the pool (`POOL` stickiness).")]
    sender_id: SenderId
    created_at: Timestamp
    expires_at: Annotated[Timestamp | None, Meta(description="null: kept until its sender stops being eligible.")]


class StickyMappings(msgspec.Struct, rename="camel", kw_only=True):
    """Every sticky sender of one recipient, by scope and channel."""

    mappings: list[StickyMapping]

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "mappings": [
            {
                "recipient": "+14155550123",
                "channel": "SMS",
                "scope": "ACCOUNT",
                "senderId": "comms_sender_01h9krwprkeee8fzqspvwy6nq8",
                "createdAt": "2024-04-05T06:20:00Z",
                "expiresAt": None,
            }
        ]
    }


class StickyMappingsCleared(msgspec.Struct, kw_only=True):
    """How many sticky senders were forgotten."""

    deleted: Annotated[int, Meta(ge=0)]


class ErrorDetail(msgspec.Struct, rename="camel", kw_only=True):
    code: Annotated[
        int,
        Meta(
            description="A stable error code; see the error documentation pages.",
            extra_json_schema={"enum": sorted({cls.code for cls in CATALOGUE})},
        ),
    ]
    message: str
    info_url: Url
    context: Annotated[
        str, Meta(description='A JSON path to the offending field (e.g. `$.senders[3].senderId`), or "null".')
    ]


class ErrorEnvelope(msgspec.Struct, kw_only=True):
    """Every error response: one entry per problem found in the request."""

    errors: Annotated[list[ErrorDetail], Meta(min_length=1)]

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "errors": [
            {
                "code": 20001,
                "message": "$.tags must have at most 10 entries",
                "infoUrl": "https://senderpools.example.com/docs/errors/20001",
                "context": "$.tags",
            }
        ]
    }


# -- events (senderpools extension) -------------------------------------------------------------------
class EventPage(msgspec.Struct, kw_only=True):
    """One page of the event log, oldest first."""

    events: list[Event]
    pagination: Pagination


class EventSinkPage(msgspec.Struct, rename="camel", kw_only=True):
    """One page of webhook sinks, oldest first."""

    event_sinks: list[EventSink]
    pagination: Pagination


class CreatedEventSink(EventSink, kw_only=True):
    """The new sink, with its signing secret: shown only in this answer."""

    secret: Annotated[
        str,
        Meta(
            description="The Standard Webhooks signing secret (`whsec_` and base64). Keep it: it is never shown "
            "again. Receivers verify `webhook-signature` with it."
        ),
    ]

    EXAMPLE: ClassVar[dict[str, Any]] = {
        **EventSink.EXAMPLE,
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }


class EventDeliveryPage(msgspec.Struct, kw_only=True):
    """One page of a sink's deliveries, by event (oldest first)."""

    deliveries: list[EventDelivery]
    pagination: Pagination


class SinkTestResult(msgspec.Struct, rename="camel", kw_only=True):
    """How a test delivery went (sent at once, signed like every delivery, not recorded)."""

    delivered: Annotated[bool, Meta(description="The receiver answered 2xx.")]
    status_code: int | None
    latency_ms: int | None
    error: str | None
