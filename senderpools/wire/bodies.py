"""Request bodies. msgspec decodes and validates each in one pass; the same types give the OpenAPI
document its schemas and the error report its rules (``http/validation.py``)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from senderpools.wire.fields import (
    MAX_SENDERS_PER_REQUEST,
    NO_NUL,
    Address,
    Channel,
    DisplayName,
    EventType,
    Health,
    ListOrder,
    PageSize,
    PoolId,
    PoolName,
    RecipientChannel,
    SenderId,
    SenderStatus,
    Stickiness,
    TagMap,
    Weight,
)
from senderpools.wire.resources import SenderSelection

_SELECTION = "How Resolve ranks the pool's members (senderpools extension)."

_PROTECTION = "Extension: while `true`, deleting the pool is refused (409) until it is set back to `false`."


class SenderRef(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """A reference to a Sender of the account."""

    sender_id: SenderId


class CreateSenderPoolRequest(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """Every field is optional; an empty body means `{}`."""

    name: PoolName = ""
    tags: TagMap = msgspec.field(default_factory=dict)
    senders: Annotated[
        list[SenderRef],
        Meta(
            max_length=MAX_SENDERS_PER_REQUEST,
            description="Senders to add to the pool in the background; each at most once.",
            extra_json_schema={"uniqueItems": True},
        ),
    ] = msgspec.field(default_factory=list)
    deletion_protection: Annotated[bool, Meta(description=_PROTECTION)] = False
    selection: Annotated[SenderSelection, Meta(description=_SELECTION)] | UnsetType = UNSET


class UpdateSenderPoolRequest(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """The fields to change: at least one."""

    JSON_SCHEMA: ClassVar[dict[str, Any]] = {"minProperties": 1}

    name: PoolName | UnsetType = UNSET
    tags: Annotated[TagMap, Meta(description="Replaces the whole tag map.")] | UnsetType = UNSET
    deletion_protection: Annotated[bool, Meta(description=_PROTECTION)] | UnsetType = UNSET
    selection: Annotated[SenderSelection, Meta(description=_SELECTION + " Replaces it whole.")] | UnsetType = UNSET


SenderRefs = Annotated[
    list[SenderRef],
    Meta(min_length=1, max_length=MAX_SENDERS_PER_REQUEST, extra_json_schema={"uniqueItems": True}),
]
# A JSON array of references; a single object is accepted as a one-item array (older guides).
AddSendersRequest = SenderRefs | SenderRef
RemoveSendersRequest = SenderRefs


class RegisterSenderRequest(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """One sender to register; status defaults to ACTIVATED."""

    address: Annotated[Address, Meta(description="Validated per channel (see Register Senders).")]
    channel: Channel
    display_name: DisplayName | None = None
    status: SenderStatus = SenderStatus.ACTIVATED
    tags: TagMap = msgspec.field(default_factory=dict)
    weight: Annotated[Weight, Meta(examples=[3])] | UnsetType = UNSET  # extension
    health: (
        Annotated[Health, Meta(description="Default HEALTHY (senderpools extension).", examples=["HEALTHY"])]
        | UnsetType
    ) = UNSET


RegisterSendersRequest = (
    Annotated[list[RegisterSenderRequest], Meta(min_length=1, max_length=MAX_SENDERS_PER_REQUEST)]
    | RegisterSenderRequest
)


class UpdateSenderRequest(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """The fields to change: at least one."""

    JSON_SCHEMA: ClassVar[dict[str, Any]] = {"minProperties": 1}

    display_name: Annotated[DisplayName | None, Meta(description="`null` clears the display name.")] | UnsetType = UNSET
    status: SenderStatus | UnsetType = UNSET
    tags: Annotated[TagMap, Meta(description="Replaces the whole tag map.")] | UnsetType = UNSET
    weight: Annotated[Weight, Meta(examples=[3])] | UnsetType = UNSET  # extension
    health: Annotated[Health, Meta(description="senderpools extension.", examples=["DEGRADED"])] | UnsetType = UNSET


class SearchSendersRequest(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """What to look for, and the page to return."""

    address: Address
    channel: RecipientChannel
    status: SenderStatus | None = None
    page_token: str | None = None
    page_size: PageSize = 50
    order: Annotated[
        ListOrder | None, Meta(description="Extension: `oldest` first (the default) or `newest` first.")
    ] = None

    EXTENSIONS: ClassVar[tuple[str, ...]] = ("order",)


class RecipientAddress(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    address: Address
    channel: RecipientChannel


class SenderAddress(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    address: Address


class ChannelPreferences(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """Which channels to use, and in which order."""

    filter_in: Annotated[
        Annotated[list[Channel], Meta(min_length=1, max_length=5)] | None,
        Meta(description="Only these channels are used."),
    ] = None
    priority: Annotated[
        list[Channel], Meta(max_length=5, description="These channels come first, in this order; the others follow.")
    ] = msgspec.field(default_factory=list)


class ResolveSendersRequest(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """Recipients to find senders for, and where to take the candidates from."""

    # stickiness POOL names the pool its mappings belong to: it needs a senderPoolId.
    JSON_SCHEMA: ClassVar[dict[str, Any]] = {
        "if": {"properties": {"stickiness": {"const": "POOL"}}, "required": ["stickiness"]},
        "then": {"properties": {"senderPoolId": {"type": "string"}}, "required": ["senderPoolId"]},
    }

    recipient_addresses: Annotated[list[RecipientAddress], Meta(min_length=1, max_length=100)]
    sender_pool_id: Annotated[PoolId | None, Meta(description="Only this pool's members are candidates.")] = None
    sender_addresses: Annotated[
        Annotated[list[Address | SenderAddress], Meta(min_length=1, max_length=1000)] | None,
        Meta(description="Only senders with these addresses are candidates."),
    ] = None
    channels: ChannelPreferences | None = None
    # senderpools extensions: optional, and a request without them is answered as before they existed.
    geo_match: Annotated[
        bool,
        Meta(
            description="Prefer senders in the recipient's area code, then its time zone, then its country "
            "(libphonenumber's data); other countries only when none is eligible.",
            examples=[True],
        ),
    ] = False
    stickiness: Annotated[
        Stickiness,
        Meta(
            description="Remember each choice, per pool (`POOL`, needs `senderPoolId`) or across the "
            "account's pools (`ACCOUNT`), and answer it again while its sender stays eligible.",
            examples=["ACCOUNT"],
        ),
    ] = Stickiness.NONE
    skip_unhealthy: Annotated[
        bool,
        Meta(description="Never choose an UNHEALTHY sender; prefer HEALTHY to DEGRADED among equals.", examples=[True]),
    ] = False
    explain: Annotated[
        bool,
        Meta(
            description="Add each result's `reasons` and, per recipient, why the other candidates lost.",
            examples=[True],
        ),
    ] = False
    dry_run: Annotated[bool, Meta(description="Choose as usual, but store no new sticky sender.", examples=[True])] = (
        False
    )

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "recipientAddresses": [{"address": "+14155550123", "channel": "PHONE"}],
        "senderPoolId": "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8",
        "geoMatch": True,
        "stickiness": "ACCOUNT",
        "skipUnhealthy": True,
        "explain": True,
    }


# -- event sinks (senderpools extension) ---------------------------------------------------------------
SinkUrl = Annotated[
    str,
    Meta(
        min_length=8,
        max_length=2048,
        pattern="^[hH][tT][tT][pP][sS]?://[^\\s]+$",
        description="An http or https URL. Private, loopback and link-local addresses are refused unless the "
        "server runs with `SENDERPOOLS_WEBHOOK_ALLOW_PRIVATE=true`.",
        examples=["https://hooks.example.com/senderpools"],
    ),
]
SinkTypes = Annotated[
    list[EventType],
    Meta(max_length=len(EventType), description="The event types to deliver; empty or omitted: every type."),
]
SinkDescription = Annotated[str, Meta(max_length=256, pattern=NO_NUL)]


class CreateEventSinkRequest(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    url: SinkUrl
    types: SinkTypes = msgspec.field(default_factory=list)
    description: SinkDescription | None = None


class UpdateEventSinkRequest(msgspec.Struct, rename="camel", kw_only=True, omit_defaults=True):
    """The fields to change: at least one."""

    JSON_SCHEMA: ClassVar[dict[str, Any]] = {"minProperties": 1}

    url: SinkUrl | UnsetType = UNSET
    types: SinkTypes | UnsetType = UNSET
    description: Annotated[SinkDescription | None, Meta(description="`null` clears it.")] | UnsetType = UNSET
