"""Query-string filters of the list endpoints, one struct per list.

Every field is optional and is a filter: it narrows the list, is part of what a page token is
bound to, and becomes a documented query parameter. The paging parameters (``pageToken``,
``pageSize``, and ``startDate``/``endDate`` where the endpoint is dated) are the same for every list
and are declared once, below (``PageParams``, ``DateRange``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from senderpools import ids
from senderpools.wire.fields import (
    Address,
    Channel,
    ItemOutcome,
    OperationId,
    OperationStatus,
    PageSize,
    SenderStatus,
)


class PoolFilters(msgspec.Struct, rename="camel", kw_only=True):
    operation_id: Annotated[
        OperationId | None, Meta(description="Only the SenderPool that this Create operation produced.")
    ] = None


class SenderFilters(msgspec.Struct, rename="camel", kw_only=True):
    channel: Annotated[Channel | None, Meta(description="Only senders on this channel.")] = None
    status: Annotated[SenderStatus | None, Meta(description="Only senders in this status.")] = None


class OperationFilters(msgspec.Struct, rename="camel", kw_only=True):
    status: Annotated[OperationStatus | None, Meta(description="Only operations in this status.")] = None


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
    """Which recipient's sticky senders (senderpools extension); `address` is required."""

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
