"""Every endpoint of the API, declared once.

A declaration says everything a client can know about an endpoint: method and path, the IDs in the
path, its query filters and paging, its body, its reply, the errors it can answer, and its prose. The
server's route table and request parsing, the OpenAPI document, ``/docs`` and the SDK are derived
from these declarations; a handler is bound to one with ``http.routes.Routes.handles`` and must return
its reply type (checked by mypy).

operationIds follow the official Comms SDKs: ``client.senderPools.listSenders(...)`` is
``SenderPools_listSenders``. Endpoints the SDKs lack use the same ``{Resource}_{method}`` scheme.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

from senderpools.errors import (
    ApiError,
    Conflict,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    RequestTimeout,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
)
from senderpools.wire import bodies, queries, replies
from senderpools.wire.fields import EventId, EventSinkId, OperationId, PoolId, SenderId
from senderpools.wire.resources import EventSink, Sender, SenderPool, SenderPoolOperation, SenderPoolSummary

Q = TypeVar("Q")  # the query filters (a struct of ``wire.queries``) or None
B = TypeVar("B")  # the decoded body, or None
R = TypeVar("R")  # the reply, or None for a reply without a body

Method = Literal["GET", "POST", "PATCH", "PUT", "DELETE"]
_PATH_NAME = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class PathParam:
    """An ID in a path. One that does not match its pattern names nothing: 404, never 400."""

    name: str
    type: Any
    resource: str  # what it names, as messages say it ("SenderPool")

    known: ClassVar[dict[str, PathParam]] = {}

    def __post_init__(self) -> None:
        PathParam.known[self.name] = self


SENDER_POOL_ID = PathParam("senderPoolId", PoolId, "SenderPool")
SENDER_ID = PathParam("senderId", SenderId, "Sender")
OPERATION_ID = PathParam("operationId", OperationId, "SenderPool Operation")
EVENT_SINK_ID = PathParam("eventSinkId", EventSinkId, "EventSink")
EVENT_ID = PathParam("eventId", EventId, "Event")


@dataclass(frozen=True, slots=True)
class Tag:
    """A group of endpoints in the documentation."""

    name: str
    description: str


SENDER_POOLS = Tag("SenderPools", "Sets of senders to send from.")
OPERATIONS = Tag("Operations", "Asynchronous work on SenderPools, and its progress.")
SENDERS = Tag("Senders", "The account's sender inventory (phone numbers, e-mail addresses, push apps).")
EVENTS = Tag(
    "Events",
    "senderpools extension: the audit log of every change, and webhook sinks that receive it (CloudEvents 1.0, "
    "signed per Standard Webhooks). See docs/events.md.",
)


@dataclass(frozen=True, slots=True)
class Pages:
    """How a list endpoint pages: page tokens are bound to ``scope`` plus the account, the path IDs and
    the filters. ``dated``: it takes ``startDate``/``endDate``. ``in_body``: ``pageToken`` and
    ``pageSize`` come in the request body (Search), not the query string."""

    scope: str
    dated: bool = True
    in_body: bool = False


@dataclass(frozen=True, slots=True, eq=False)  # each declaration is one endpoint: compared by identity
class Endpoint(Generic[Q, B, R]):
    method: Method
    path: str
    operation_id: str
    tag: Tag
    summary: str
    description: str
    status: int
    outcome: str  # what the success response means
    returns: Any = None  # the reply's type (a tuple: one of several); None for no body
    query: type[Q] | None = None  # the filters (``wire.queries``)
    pages: Pages | None = None  # set on list endpoints
    body: Any = None  # the request body's type
    body_required: bool = True
    body_example: Any = None
    items: str = "$"  # JSON path of the body's list of items, for errors the service reports by position
    headers: tuple[str, ...] = ()  # headers of the success response (all required unless `optional_headers`)
    optional_headers: bool = False
    raises: tuple[type[ApiError], ...] = ()  # errors beyond the ones derived from the rest
    reads_only: bool = False  # a POST that changes nothing (Search, Resolve): safe to repeat, like a GET
    etag: bool = False  # the reply carries an ETag; If-None-Match with it answers 304 (conditional reads)
    if_match: bool = False  # takes If-Match: 412 when the resource no longer has that ETag (conditional writes)
    path_params: tuple[PathParam, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = _PATH_NAME.findall(self.path)
        object.__setattr__(self, "path_params", tuple(PathParam.known[name] for name in names))

    @property
    def safe_to_repeat(self) -> bool:
        """Sending it twice changes no more than sending it once (a client may retry it)."""
        return self.method in ("GET", "PUT", "DELETE") or self.reads_only

    @property
    def takes_idempotency_key(self) -> bool:
        """A bad key is a 400; reusing one for another request a 409."""
        return self.method in ("POST", "PATCH", "DELETE")

    @property
    def errors(self) -> list[type[ApiError]]:
        """Every error this endpoint can answer, by status."""
        found: set[type[ApiError]] = {Unauthorized, TooManyRequests, ApiError, ServiceUnavailable, *self.raises}
        if self.takes_idempotency_key:
            found |= {InvalidRequest, Conflict}
        if self.path_params:
            found.add(NotFound)
        if self.query is not None or self.pages is not None or self.body is not None:
            found.add(InvalidRequest)
        if self.body is not None:
            found |= {RequestTimeout, PayloadTooLarge, UnsupportedMediaType}
        if self.if_match:
            found.add(PreconditionFailed)
        return sorted(found, key=lambda error: error.status)


_POOL = "/v1/SenderPools/{senderPoolId}"
_EXAMPLE_SENDER_ID = "comms_sender_01h9krwprkeee8fzqspvwy6nq8"
_OPERATION_HEADERS = ("Location", "Operation-Id", "Operation-Location")
_RESOURCE_HEADERS = ("Location", "Resource-Location")

# -- SenderPools -------------------------------------------------------------------------------------
list_sender_pools: Endpoint[queries.PoolFilters, None, replies.SenderPoolPage] = Endpoint(
    "GET",
    "/v1/SenderPools",
    "SenderPools_list",
    SENDER_POOLS,
    "List SenderPools",
    "The account's SenderPools, oldest first. Filter by `operationId` to find the pool a Create produced. "
    "Extensions: search by `namePrefix` (name order) and `tag`, and list newest first with `order=newest`.",
    200,
    "A page of SenderPools.",
    replies.SenderPoolPage,
    query=queries.PoolFilters,
    pages=Pages("pools"),
)
create_sender_pool: Endpoint[None, bodies.CreateSenderPoolRequest, replies.OperationReference] = Endpoint(
    "POST",
    "/v1/SenderPools",
    "SenderPools_create",
    SENDER_POOLS,
    "Create a SenderPool",
    "Creates a pool and, in the background, adds the given senders to it (up to 10,000). The pool exists "
    "(and is listable with `?operationId=`) as soon as the 202 is sent. An empty body means `{}`. "
    "The operation's `total` is 1 (the pool, applied at once) plus one per sender; unknown senders count "
    "as failed. A senderId repeated within the request is a 400.",
    202,
    "Accepted: the Operation tracks the senders joining the pool.",
    replies.OperationReference,
    body=bodies.CreateSenderPoolRequest,
    body_required=False,
    body_example={
        "name": "Sales Leads - APAC",
        "tags": {"region": "APAC"},
        "senders": [{"senderId": _EXAMPLE_SENDER_ID}],
    },
    items="$.senders",
    headers=_OPERATION_HEADERS,
)
list_operations: Endpoint[queries.OperationFilters, None, replies.SenderPoolOperationPage] = Endpoint(
    "GET",
    "/v1/SenderPools/Operations",
    "SenderPools_listOperations",
    OPERATIONS,
    "List SenderPool Operations",
    "The account's SenderPool Operations (Create, Add Senders and the Remove Senders extension), oldest first. "
    "Extensions: filter by `senderPoolId` and `type`; with `Senderpools-Extensions: true` each operation "
    "shows its `type` and `senderPoolId`.",
    200,
    "A page of SenderPool Operations.",
    replies.SenderPoolOperationPage,
    query=queries.OperationFilters,
    pages=Pages("operations"),
)
fetch_operation: Endpoint[None, None, SenderPoolOperation] = Endpoint(
    "GET",
    "/v1/SenderPools/Operations/{operationId}",
    "SenderPools_fetchOperation",
    OPERATIONS,
    "Fetch a SenderPool Operation",
    "Operations stay readable after they finish, and after their pool is deleted.",
    200,
    "The SenderPool Operation.",
    SenderPoolOperation,
)
list_operation_items: Endpoint[queries.ItemFilters, None, replies.OperationItemPage] = Endpoint(
    "GET",
    "/v1/SenderPools/Operations/{operationId}/Items",
    "SenderPools_listOperationItems",
    OPERATIONS,
    "List the items of a SenderPool Operation",
    "One entry per work item, in request order: for a Create, item 0 is the pool itself (`senderId` null, "
    "CREATED), then one per sender. Queued items report QUEUED; failed ones carry an error `code` and "
    "`message`. Once the operation has left PROCESSING, the counts by outcome agree with its `stats`. "
    "Paginated like every list (no date filters: items share their operation's creation time).",
    200,
    "A page of items.",
    replies.OperationItemPage,
    query=queries.ItemFilters,
    pages=Pages("operation-items", dated=False),
)
cancel_operation: Endpoint[None, None, SenderPoolOperation] = Endpoint(
    "POST",
    "/v1/SenderPools/Operations/{operationId}/Cancel",
    "SenderPools_cancelOperation",
    OPERATIONS,
    "Cancel a SenderPool Operation",
    "Stops a PROCESSING operation: no further items are applied, it becomes CANCELED, and its queued items "
    "become failed with outcome CANCELED. Items already applied stay applied (senders that joined the pool "
    "remain members; a Create's pool remains). A batch being applied when the request arrives finishes "
    "first. Canceling an operation that is no longer PROCESSING is a 409. No request body.",
    202,
    "Accepted: the operation, now CANCELED.",
    SenderPoolOperation,
    headers=_OPERATION_HEADERS,
    raises=(Conflict,),
)
fetch_sender_pool: Endpoint[None, None, SenderPool] = Endpoint(
    "GET",
    _POOL,
    "SenderPools_fetch",
    SENDER_POOLS,
    "Fetch a SenderPool",
    "A SenderPool of the account; 404 if unknown or deleted. Extension: the answer carries an `ETag`; sent "
    "back as `If-None-Match`, it gets a 304 while the pool is unchanged, and as `If-Match` on PATCH or DELETE "
    "it makes the change conditional.",
    200,
    "The SenderPool.",
    SenderPool,
    etag=True,
)
update_sender_pool: Endpoint[None, bodies.UpdateSenderPoolRequest, replies.ResourceReference] = Endpoint(
    "PATCH",
    _POOL,
    "SenderPools_update",
    SENDER_POOLS,
    "Update a SenderPool",
    "Changes `name` and/or `tags` (and the `deletionProtection` extension); omitted fields stay unchanged and "
    "`tags` replaces the whole map. A body changing nothing is a 400. Applied at once; bumps `updatedAt`. An "
    "unknown pool is a 404 whatever the body. Extension: with `If-Match` (the pool's `ETag`), a pool changed "
    "since is a 412 and nothing is changed.",
    202,
    "Accepted and applied.",
    replies.ResourceReference,
    body=bodies.UpdateSenderPoolRequest,
    body_example={"name": "Customer Support Senders - Tier 1", "tags": {"tier": "1"}},
    headers=_RESOURCE_HEADERS,
    if_match=True,
)
delete_sender_pool: Endpoint[None, None, replies.ResourceReference] = Endpoint(
    "DELETE",
    _POOL,
    "SenderPools_delete",
    SENDER_POOLS,
    "Delete a SenderPool",
    "Deletes the pool and its memberships (the Senders themselves stay). Its PROCESSING operations become "
    "CANCELED, their queued items counting as failed; operation records stay readable. Extensions: a pool with "
    "`deletionProtection` on is a 409 (PATCH it off first); with `If-Match`, a pool changed since is a 412.",
    202,
    "Accepted: the pool is gone.",
    replies.ResourceReference,
    headers=_RESOURCE_HEADERS,
    raises=(Conflict,),
    if_match=True,
)
fetch_pool_summary: Endpoint[None, None, SenderPoolSummary] = Endpoint(
    "GET",
    f"{_POOL}/Summary",
    "SenderPools_fetchSummary",
    SENDER_POOLS,
    "Fetch the summary of a SenderPool",
    "Extension: how many members the pool has, by channel and by status, and how many of its operations are "
    "still PROCESSING. The counts are kept exact as members join and leave (in the same transaction), so this "
    "costs the same for a million members as for one. 404 if the pool is unknown or deleted. The answer "
    "carries an `ETag`; `If-None-Match` with it gets a 304 while nothing changed.",
    200,
    "The summary.",
    SenderPoolSummary,
    etag=True,
)
list_pool_senders: Endpoint[queries.SenderFilters, None, replies.SenderPage] = Endpoint(
    "GET",
    f"{_POOL}/Senders",
    "SenderPools_listSenders",
    SENDER_POOLS,
    "List Senders in a SenderPool",
    "The pool's members, oldest first. Date filters apply to the sender's `createdAt`.",
    200,
    "A page of Senders.",
    replies.SenderPage,
    query=queries.SenderFilters,
    pages=Pages("pool-senders"),
)
add_senders: Endpoint[None, bodies.AddSendersRequest, replies.OperationReference] = Endpoint(
    "POST",
    f"{_POOL}/Senders",
    "SenderPools_addSender",
    SENDER_POOLS,
    "Add Senders to a SenderPool",
    "Adds 1 to 10,000 senders in the background. The body is a JSON array of references; a single object "
    "is accepted as a one-item array. A senderId repeated within the request is a 400. Unknown senders count "
    "as failed; senders already in the pool count as created. An unknown pool is a 404 whatever the body.",
    202,
    "Accepted: the Operation (at its pool-scoped URL) tracks the senders joining the pool.",
    replies.OperationReference,
    body=bodies.AddSendersRequest,
    body_example=[{"senderId": _EXAMPLE_SENDER_ID}],
    headers=_OPERATION_HEADERS,
)
remove_senders: Endpoint[None, bodies.RemoveSendersRequest, replies.OperationReference] = Endpoint(
    "POST",
    f"{_POOL}/Senders/Remove",
    "SenderPools_removeSenders",
    SENDER_POOLS,
    "Remove Senders from a SenderPool",
    "Extension: removes 1 to 10,000 senders (a JSON array of references) in the background, as an operation "
    "of type REMOVE_SENDERS. A senderId repeated within the request is a 400. Each item's outcome is REMOVED, "
    "NOT_A_MEMBER (counted as created: the end state holds) or SENDER_NOT_FOUND (failed), listed by the "
    "operation's Items. The Senders stay in the inventory. An unknown pool is a 404 whatever the body.",
    202,
    "Accepted: the Operation (at its pool-scoped URL) tracks the senders leaving the pool.",
    replies.OperationReference,
    body=bodies.RemoveSendersRequest,
    body_example=[{"senderId": _EXAMPLE_SENDER_ID}],
    headers=_OPERATION_HEADERS,
)
fetch_pool_operation: Endpoint[None, None, SenderPoolOperation] = Endpoint(
    "GET",
    f"{_POOL}/Senders/Operations/{{operationId}}",
    "SenderPools_fetchPoolOperation",
    OPERATIONS,
    "Fetch a SenderPool Operation (pool-scoped)",
    "The URL Add Senders (and Remove Senders) returns as `operationLocation`: the same Operation as "
    "`/v1/SenderPools/Operations/{operationId}`, but 404 if the operation is not about this pool.",
    200,
    "The SenderPool Operation.",
    SenderPoolOperation,
)
remove_sender: Endpoint[None, None, replies.ResourceReference] = Endpoint(
    "DELETE",
    f"{_POOL}/Senders/{{senderId}}",
    "SenderPools_removeSender",
    SENDER_POOLS,
    "Remove a Sender from a SenderPool",
    "Removes the membership; the Sender stays in the inventory. 404 if the pool is unknown or the sender is "
    "not a member.",
    202,
    "Accepted: the sender left the pool. The reference points at the Sender.",
    replies.ResourceReference,
    headers=_RESOURCE_HEADERS,
)

# -- Senders -----------------------------------------------------------------------------------------
list_senders: Endpoint[queries.SenderFilters, None, replies.SenderPage] = Endpoint(
    "GET",
    "/v1/Senders",
    "Senders_list",
    SENDERS,
    "List Senders",
    "The account's sender inventory, oldest first.",
    200,
    "A page of Senders.",
    replies.SenderPage,
    query=queries.SenderFilters,
    pages=Pages("senders"),
)
register_senders: Endpoint[None, bodies.RegisterSendersRequest, Sender | replies.RegisteredSenders] = Endpoint(
    "POST",
    "/v1/Senders",
    "Senders_create",
    SENDERS,
    "Register Senders",
    "Registers one sender (a JSON object, answered with the Sender and a `Location`) or 1 to 10,000 "
    '(a JSON array, answered with `{"senders": [...]}` in request order), all or nothing. Addresses are '
    "validated per channel: E.164 for SMS, RCS and WHATSAPP, an e-mail address for EMAIL, 1 to 256 "
    "characters for PUSH. A channel+address that exists in the account, or repeats within the request, "
    "is a 409 with one error per offending item. Status defaults to ACTIVATED.",
    201,
    "Created.",
    (Sender, replies.RegisteredSenders),
    body=bodies.RegisterSendersRequest,
    body_example={"address": "+14155550100", "channel": "SMS", "displayName": "Support line"},
    headers=("Location",),
    optional_headers=True,
    raises=(Conflict,),
)
search_senders: Endpoint[None, bodies.SearchSendersRequest, replies.SenderPage] = Endpoint(
    "POST",
    "/v1/Senders/Search",
    "Senders_search",
    SENDERS,
    "Search Senders",
    "Senders with this address on this channel (`PHONE` means SMS, RCS and WHATSAPP). Paginated like the "
    "lists, with `pageToken` and `pageSize` in the body.",
    200,
    "A page of Senders.",
    replies.SenderPage,
    pages=Pages("search", dated=False, in_body=True),
    body=bodies.SearchSendersRequest,
    body_example={"address": "+14155550100", "channel": "PHONE"},
    reads_only=True,
)
resolve_senders: Endpoint[None, bodies.ResolveSendersRequest, replies.ResolveSendersResult] = Endpoint(
    "POST",
    "/v1/Senders/Resolve",
    "Senders_resolve",
    SENDERS,
    "Resolve Senders for recipients",
    "For each recipient (1 to 100), one ACTIVATED sender per channel that can reach it, in channel-priority "
    "order (`channels.priority`, then SMS, RCS, EMAIL, WHATSAPP, PUSH), restricted to `channels.filterIn`. "
    "Candidates come from `senderPoolId`, `senderAddresses`, or else the whole inventory. The choice within "
    "a channel is sticky per recipient address. An unknown `senderPoolId` is a 404.\n\n"
    "senderpools extensions, all optional (a request without them is answered as before): `geoMatch` prefers "
    "senders in the recipient's area code, then time zone, then country (libphonenumber's data); `stickiness` "
    "(`POOL` or `ACCOUNT`) remembers each choice durably and answers it again while its sender stays eligible "
    "(a sender deactivated, removed from the pool or deleted releases its recipients; see "
    "`/v1/Senders/StickySenders`); `skipUnhealthy` never picks an UNHEALTHY sender; `explain` adds each "
    "result's `reasons` and, per recipient, why the others lost; `dryRun` stores no new sticky sender. Sender "
    "`weight`s and a pool's `selection` apply to every request: the last choice among equals is a weighted "
    "draw fixed per recipient (with every weight 1, the same as before weights existed).",
    200,
    "The candidates, by recipient.",
    replies.ResolveSendersResult,
    body=bodies.ResolveSendersRequest,
    body_example={
        "recipientAddresses": [{"address": "+14155550123", "channel": "PHONE"}],
        "geoMatch": True,
        "stickiness": "ACCOUNT",
        "explain": True,
    },
    items="$.recipientAddresses",
    raises=(NotFound,),
    reads_only=True,
)
fetch_sender: Endpoint[None, None, Sender] = Endpoint(
    "GET",
    "/v1/Senders/{senderId}",
    "Senders_fetch",
    SENDERS,
    "Fetch a Sender",
    "A Sender of the account.",
    200,
    "The Sender.",
    Sender,
)
update_sender: Endpoint[None, bodies.UpdateSenderRequest, Sender] = Endpoint(
    "PATCH",
    "/v1/Senders/{senderId}",
    "Senders_update",
    SENDERS,
    "Update a Sender",
    "Changes `displayName` (null clears it), `status` and/or `tags` (replaces the whole map). A body changing "
    "nothing is a 400. An unknown sender is a 404 whatever the body.",
    200,
    "The updated Sender.",
    Sender,
    body=bodies.UpdateSenderRequest,
    body_example={"status": "DEACTIVATED"},
)
delete_sender: Endpoint[None, None, None] = Endpoint(
    "DELETE",
    "/v1/Senders/{senderId}",
    "Senders_delete",
    SENDERS,
    "Delete a Sender",
    "Deletes the sender; it leaves every pool it was in.",
    204,
    "Deleted.",
)

list_sticky_senders: Endpoint[queries.StickyFilters, None, replies.StickyMappings] = Endpoint(
    "GET",
    "/v1/Senders/StickySenders",
    "Senders_listStickySenders",
    SENDERS,
    "List the sticky senders of a recipient",
    "The senders Resolve remembers for one recipient (`address`, required), one per scope and channel: "
    "scope `ACCOUNT` (`stickiness: ACCOUNT`) or a pool ID (`stickiness: POOL`). `scope` narrows the list. "
    "Expired mappings (`SENDERPOOLS_STICKY_TTL`) are left out. senderpools extension.",
    200,
    "The recipient's sticky senders.",
    replies.StickyMappings,
    query=queries.StickyFilters,
)
clear_sticky_senders: Endpoint[queries.StickyFilters, None, replies.StickyMappingsCleared] = Endpoint(
    "DELETE",
    "/v1/Senders/StickySenders",
    "Senders_clearStickySenders",
    SENDERS,
    "Clear the sticky senders of a recipient",
    "Forgets the senders Resolve remembers for one recipient (`address`, required): in every scope, or in "
    "one (`scope`: `ACCOUNT` or a pool ID). The next Resolve with stickiness chooses afresh. senderpools "
    "extension.",
    200,
    "How many were forgotten.",
    replies.StickyMappingsCleared,
    query=queries.StickyFilters,
)

# -- Events (senderpools extension) -------------------------------------------------------------------
_SINK = "/v1/EventSinks/{eventSinkId}"

list_events: Endpoint[queries.EventFilters, None, replies.EventPage] = Endpoint(
    "GET",
    "/v1/Events",
    "Events_list",
    EVENTS,
    "List Events",
    "The account's events, oldest first: every change (pools, members, operations, senders, API keys), "
    "appended in the transaction that made it, with who made it (`actor`: the account or API key SID). "
    "Filter by `type`, `resourceId` and the date range. Events are kept `SENDERPOOLS_EVENT_RETENTION_DAYS` "
    "days (default 30).",
    200,
    "A page of Events.",
    replies.EventPage,
    query=queries.EventFilters,
    pages=Pages("events"),
)
create_event_sink: Endpoint[None, bodies.CreateEventSinkRequest, replies.CreatedEventSink] = Endpoint(
    "POST",
    "/v1/EventSinks",
    "EventSinks_create",
    EVENTS,
    "Create an EventSink",
    "A webhook endpoint for the account's events (all types, or those in `types`). Every event from now on is "
    "POSTed to it as CloudEvents 1.0 JSON, signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, "
    "`webhook-signature`) with the `secret` of this answer, which is never shown again. Failed deliveries are "
    "retried with exponential backoff for 24 hours, then dead-lettered (see Deliveries).",
    201,
    "Created.",
    replies.CreatedEventSink,
    body=bodies.CreateEventSinkRequest,
    body_example={
        "url": "https://hooks.example.com/senderpools",
        "types": ["com.twilio.comms-api.operation.completed"],
    },
    headers=("Location",),
)
list_event_sinks: Endpoint[None, None, replies.EventSinkPage] = Endpoint(
    "GET",
    "/v1/EventSinks",
    "EventSinks_list",
    EVENTS,
    "List EventSinks",
    "The account's webhook sinks, oldest first (without their secrets).",
    200,
    "A page of EventSinks.",
    replies.EventSinkPage,
    pages=Pages("event-sinks", dated=False),
)
fetch_event_sink: Endpoint[None, None, EventSink] = Endpoint(
    "GET", _SINK, "EventSinks_fetch", EVENTS, "Fetch an EventSink", "A webhook sink of the account.", 200,
    "The EventSink.", EventSink,
)  # fmt: skip
update_event_sink: Endpoint[None, bodies.UpdateEventSinkRequest, EventSink] = Endpoint(
    "PATCH",
    _SINK,
    "EventSinks_update",
    EVENTS,
    "Update an EventSink",
    "Changes `url`, `types` and/or `description`; the secret stays. Applies to events from now on.",
    200,
    "The updated EventSink.",
    EventSink,
    body=bodies.UpdateEventSinkRequest,
    body_example={"types": []},
)
delete_event_sink: Endpoint[None, None, None] = Endpoint(
    "DELETE",
    _SINK,
    "EventSinks_delete",
    EVENTS,
    "Delete an EventSink",
    "Deletes the sink and its delivery history; pending deliveries are never sent.",
    204,
    "Deleted.",
)
test_event_sink: Endpoint[None, None, replies.SinkTestResult] = Endpoint(
    "POST",
    f"{_SINK}/Test",
    "EventSinks_test",
    EVENTS,
    "Send a test event to an EventSink",
    "POSTs an event of type `io.senderpools.eventsink.test` to the sink at once, signed like every delivery, "
    "and answers how the receiver responded. Nothing is recorded or retried. No request body.",
    200,
    "The result of the test delivery.",
    replies.SinkTestResult,
)
list_event_deliveries: Endpoint[queries.DeliveryFilters, None, replies.EventDeliveryPage] = Endpoint(
    "GET",
    f"{_SINK}/Deliveries",
    "EventSinks_listDeliveries",
    EVENTS,
    "List the deliveries of an EventSink",
    "One entry per event sent (or to send) to the sink, by event: `status` PENDING (with `nextAttemptAt`), "
    "DELIVERED or FAILED (dead-lettered after its retries), the number of `attempts`, and the last "
    "attempt's response code, latency and error.",
    200,
    "A page of deliveries.",
    replies.EventDeliveryPage,
    query=queries.DeliveryFilters,
    pages=Pages("event-deliveries", dated=False),
)
redeliver_event: Endpoint[None, None, replies.ResourceReference] = Endpoint(
    "POST",
    f"{_SINK}/Deliveries/{{eventId}}/Redeliver",
    "EventSinks_redeliver",
    EVENTS,
    "Redeliver an event to an EventSink",
    "Makes the delivery PENDING again, due now, with a fresh retry schedule (a dead-lettered one, or one "
    "delivered already: the receiver gets it again with the same `webhook-id`). No request body. 404 if the "
    "event was never meant for this sink.",
    202,
    "Accepted: the delivery is due now. The reference points at the sink's deliveries.",
    replies.ResourceReference,
    headers=_RESOURCE_HEADERS,
)

ENDPOINTS: tuple[Endpoint[Any, Any, Any], ...] = (
    list_sender_pools,
    create_sender_pool,
    list_operations,
    fetch_operation,
    list_operation_items,
    cancel_operation,
    fetch_sender_pool,
    update_sender_pool,
    delete_sender_pool,
    fetch_pool_summary,
    list_pool_senders,
    add_senders,
    remove_senders,
    fetch_pool_operation,
    remove_sender,
    list_senders,
    register_senders,
    search_senders,
    resolve_senders,
    list_sticky_senders,
    clear_sticky_senders,
    fetch_sender,
    update_sender,
    delete_sender,
    list_events,
    create_event_sink,
    list_event_sinks,
    fetch_event_sink,
    update_event_sink,
    delete_event_sink,
    test_event_sink,
    list_event_deliveries,
    redeliver_event,
)
