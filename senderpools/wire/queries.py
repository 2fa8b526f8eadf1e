"""Query-string filters of the list endpoints, one struct per list.

Every field is optional and is a filter: it narrows the list, is part of what a page token is
bound to, and becomes a documented query parameter. The paging parameters (``pageToken``,
``pageSize``, ``order``, and ``startDate``/``endDate`` where the endpoint is dated) are the same for
every list and are declared once, below (``PageParams``, ``DateRange``).

Filters beyond the contract (senderpools' extensions) are named in the struct's ``EXTENSIONS``: a
page token is bound to one only when it is given, so tokens issued before it existed stay valid.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Final

import msgspec
from msgspec import Meta

from senderpools import ids
from senderpools.wire.fields import (
    NO_NUL,
    TAG_WORDS,
    Address,
    Channel,
    DeliveryStatus,
    EventType,
    ItemOutcome,
    ListOrder,
    OperationId,
    OperationStatus,
    OperationType,
    PageSize,
    PoolId,
    SenderStatus,
    expected,
)

NamePrefix = Annotated[str, Meta(min_length=1, max_length=256, pattern=NO_NUL)]
TAG_FILTER_PATTERN: Final = "^[a-zA-Z0-9._~-]{1,128}:[a-zA-Z0-9._~-]{1,256}$"
TagFilter = Annotated[str, Meta(pattern=TAG_FILTER_PATTERN, **expected(f"key:value, each of {TAG_WORDS}"))]


class PoolFilters(msgspec.Struct, rename="camel", kw_only=True):
    operation_id: Annotated[
        OperationId | None, Meta(description="Only the SenderPool that this Create operation produced.")
    ] = None
    name_prefix: Annotated[
        NamePrefix | None,
        Meta(
            description="Extension: only pools whose name starts with this, ignoring case (Unicode case folding). "
            "The pools then come in name order (ignoring case), pools of one name oldest first; "
            "`order=newest` reverses it."
        ),
    ] = None
    tag: Annotated[
        TagFilter | None,
        Meta(description="Extension: only pools with this tag, as `key:value` (exact, case-sensitive)."),
    ] = None

    EXTENSIONS: ClassVar[tuple[str, ...]] = ("name_prefix", "tag")


class SenderFilters(msgspec.Struct, rename="camel", kw_only=True):
    channel: Annotated[Channel | None, Meta(description="Only senders on this channel.")] = None
    status: Annotated[SenderStatus | None, Meta(description="Only senders in this status.")] = None


class OperationFilters(msgspec.Struct, rename="camel", kw_only=True):
    status: Annotated[OperationStatus | None, Meta(description="Only operations in this status.")] = None
    sender_pool_id: Annotated[
        PoolId | None,
        Meta(description="Extension: only operations about this pool (also once it is deleted)."),
    ] = None
    type: Annotated[OperationType | None, Meta(description="Extension: only operations of this type.")] = None

    EXTENSIONS: ClassVar[tuple[str, ...]] = ("sender_pool_id", "type")


class ItemFilters(msgspec.Struct, rename="camel", kw_only=True):
    outcome: Annotated[ItemOutcome | None, Meta(description="Only items with this outcome.")] = None


StickyScope = Annotated[
    str,
    Meta(
        pattern=f"^(ACCOUNT|{ids.POOL_ID_PATTERN.strip('^$')})$",
        description="`ACCOUNT`, or a pool ID: only the sticky senders of that scope.",
    ),
]


class StickyFilters(msgspec.Struct, rename="camel", kw_only=True):
    """Which recipient's sticky senders (senderpools extension)."""

    REQUIRED: ClassVar[tuple[str, ...]] = ("address",)  # None only while the edge reports it missing

    address: Annotated[Address | None, Meta(description="The recipient's address, as Resolve received it.")] = None
    scope: StickyScope | None = None


class PageParams(msgspec.Struct, rename="camel", kw_only=True):
    """The query parameters of every list."""

    page_token: Annotated[
        str | None,
        Meta(
            description="`pagination.next` (or `self`) of a previous page. Send it with the same filters as the first "
            "request; other filters, or a corrupted token, get a 400. `pageSize` may change from page to page."
        ),
    ] = None
    page_size: Annotated[PageSize, Meta(description="Items per page (1 to 1000).")] = 50
    order: Annotated[
        ListOrder | None,
        Meta(
            description="Extension: `oldest` first (the default, the contract's order) or `newest` first. "
            "Send it with every page token, like the filters."
        ),
    ] = None

    EXTENSIONS: ClassVar[tuple[str, ...]] = ("order",)


class DateRange(msgspec.Struct, rename="camel", kw_only=True):
    """The query parameters of a dated list: a range of creation times."""

    start_date: Annotated[
        Annotated[datetime, Meta(tz=True)] | None,
        Meta(description="Only items created at or after this instant (inclusive). RFC 3339, any offset."),
    ] = None
    end_date: Annotated[
        Annotated[datetime, Meta(tz=True)] | None,
        Meta(description="Only items created before this instant (exclusive). Must be later than `startDate`."),
    ] = None


ResourceIdFilter = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=64,
        pattern="^[A-Za-z0-9_]+$",
        description="Only events about this resource: a pool, sender, operation or API key ID.",
    ),
]


class EventFilters(msgspec.Struct, rename="camel", kw_only=True):
    """What narrows the event log (senderpools extension)."""

    type: Annotated[EventType | None, Meta(description="Only events of this type.")] = None
    resource_id: ResourceIdFilter | None = None
    sender_pool_id: Annotated[
        PoolId | None,
        Meta(
            description="Only events about this pool: its own, its members' and its operations' (also once it "
            "is deleted)."
        ),
    ] = None


class DeliveryFilters(msgspec.Struct, rename="camel", kw_only=True):
    status: Annotated[DeliveryStatus | None, Meta(description="Only deliveries in this status.")] = None
