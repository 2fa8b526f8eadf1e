"""Request bodies of the contract, declared once.

msgspec decodes and validates them in one pass; the same declarations produce the JSON Schemas
of the OpenAPI document and drive the error collector in ``validation.py``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from senderpools import ids
from senderpools.models import Channel, SenderStatus

TAG_PATTERN = "^[a-zA-Z0-9._~-]+$"
TagKey = Annotated[str, Meta(min_length=1, max_length=128, pattern=TAG_PATTERN)]
TagValue = Annotated[str, Meta(min_length=1, max_length=256, pattern=TAG_PATTERN)]
TagMap = Annotated[dict[TagKey, TagValue], Meta(max_length=10, description="At most 10 tags.")]

PoolId = Annotated[str, Meta(pattern=ids.POOL_ID_PATTERN)]
SenderId = Annotated[str, Meta(pattern=ids.SENDER_ID_PATTERN)]
# Free text may hold anything but U+0000, which PostgreSQL text cannot store: refused on every backend alike.
NO_NUL = "^[^\\x00]*$"
PoolName = Annotated[str, Meta(max_length=256, pattern=NO_NUL)]
DisplayName = Annotated[str, Meta(max_length=256, pattern=NO_NUL)]
Address = Annotated[str, Meta(min_length=1, max_length=256, pattern=NO_NUL)]

MAX_SENDERS_PER_REQUEST = 10_000


class SenderRef(msgspec.Struct, rename="camel", kw_only=True):
    sender_id: SenderId


class CreateSenderPoolRequest(msgspec.Struct, rename="camel", kw_only=True):
    name: PoolName = ""
    tags: TagMap = msgspec.field(default_factory=dict)
    senders: Annotated[list[SenderRef], Meta(max_length=MAX_SENDERS_PER_REQUEST)] = msgspec.field(default_factory=list)


class UpdateSenderPoolRequest(msgspec.Struct, rename="camel", kw_only=True):
    name: PoolName | UnsetType = UNSET
    tags: TagMap | UnsetType = UNSET


# A JSON array of references; a single object is accepted as a one-item array (older guides).
AddSendersRequest = Annotated[list[SenderRef], Meta(min_length=1, max_length=MAX_SENDERS_PER_REQUEST)] | SenderRef


class RegisterSenderRequest(msgspec.Struct, rename="camel", kw_only=True):
    address: Address
    channel: Channel
    display_name: DisplayName | None = None
    status: SenderStatus = SenderStatus.ACTIVATED
    tags: TagMap = msgspec.field(default_factory=dict)


RegisterSendersRequest = (
    Annotated[list[RegisterSenderRequest], Meta(min_length=1, max_length=MAX_SENDERS_PER_REQUEST)]
    | RegisterSenderRequest
)


class UpdateSenderRequest(msgspec.Struct, rename="camel", kw_only=True):
    display_name: DisplayName | UnsetType | None = UNSET
    status: SenderStatus | UnsetType = UNSET
    tags: TagMap | UnsetType = UNSET


PageSize = Annotated[int, Meta(ge=1, le=1000)]


class SearchSendersRequest(msgspec.Struct, rename="camel", kw_only=True):
    address: Address
    channel: Annotated[str, Meta(pattern="^(SMS|RCS|EMAIL|WHATSAPP|PUSH|PHONE)$")]
    status: SenderStatus | None = None
    page_token: str | None = None
    page_size: PageSize = 50


RecipientChannel = Annotated[str, Meta(pattern="^(PHONE|EMAIL|PUSH|SMS|RCS|WHATSAPP)$")]


class RecipientAddress(msgspec.Struct, rename="camel", kw_only=True):
    address: Address
    channel: RecipientChannel


class SenderAddress(msgspec.Struct, rename="camel", kw_only=True):
    address: Address


class ChannelPreferences(msgspec.Struct, rename="camel", kw_only=True):
    filter_in: Annotated[list[Channel], Meta(min_length=1, max_length=5)] | None = None
    priority: Annotated[list[Channel], Meta(max_length=5)] = msgspec.field(default_factory=list)


class ResolveSendersRequest(msgspec.Struct, rename="camel", kw_only=True):
    recipient_addresses: Annotated[list[RecipientAddress], Meta(min_length=1, max_length=100)]
    sender_pool_id: PoolId | None = None
    sender_addresses: Annotated[list[Address | SenderAddress], Meta(min_length=1, max_length=1000)] | None = None
    channels: ChannelPreferences | None = None
