"""Every endpoint once, as request building plus decoding (flows), shared by the sync and async clients.

Methods, paths, query parameter names and reply types come from the endpoint declarations
(``senderpools.wire.endpoints``), the same the server is built from.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, get_type_hints

import httpx
import msgspec
from msgspec import UNSET, UnsetType

from senderpools.client._http import ApiRequest, Core, Flow, decode, format_date, json_body, sleep
from senderpools.client.errors import OperationTimeoutError
from senderpools.client.types import (
    CreatedPool,
    NewSender,
    OperationReference,
    Page,
    Pagination,
    Recipient,
    Resolutions,
    ResolveResults,
    ResourceReference,
)
from senderpools.wire import bodies, endpoints
from senderpools.wire.endpoints import Endpoint
from senderpools.wire.fields import (
    Channel,
    Health,
    ListOrder,
    OperationStatus,
    OperationType,
    SenderStatus,
    SenderType,
    Stickiness,
)
from senderpools.wire.queries import ItemFilters, OperationFilters, PoolFilters, SenderFilters, StickyFilters
from senderpools.wire.replies import RegisteredSenders, StickyMapping, StickyMappings, StickyMappingsCleared
from senderpools.wire.resources import (
    OperationItem,
    Sender,
    SenderPool,
    SenderPoolOperation,
    SenderPoolSummary,
    SenderSelection,
)

T = TypeVar("T")

Date = datetime | str
Order = ListOrder | str  # "oldest" (the default) or "newest"
Tag = str | tuple[str, str]  # "key:value", or (key, value)
SenderRef = str | Sender  # a sender ID, or a Sender as returned by the API
RecipientLike = Recipient | tuple[str, str] | Mapping[str, str]
ProgressCallback = Callable[[SenderPoolOperation], None]

DEFAULT_WAIT_TIMEOUT = 300.0
DEFAULT_POLL_INTERVAL = 0.1
DEFAULT_MAX_POLL_INTERVAL = 2.0


def _sender_id(ref: SenderRef) -> str:
    return ref if isinstance(ref, str) else ref.id


def selection(
    channel_priority: Sequence[Channel | str] | None, sender_type_priority: Sequence[SenderType | str] | None
) -> SenderSelection | UnsetType:
    """A pool's selection preferences from the SDK's arguments (UNSET when neither is given)."""
    if channel_priority is None and sender_type_priority is None:
        return UNSET
    return msgspec.convert(
        {"channelPriority": list(channel_priority or ()), "senderTypePriority": list(sender_type_priority or ())},
        SenderSelection,
    )


@dataclass(frozen=True, slots=True)
class ResolveOptions:
    """Resolve's senderpools options (``bodies.ResolveSendersRequest``)."""

    geo_match: bool = False
    stickiness: Stickiness | str = Stickiness.NONE
    skip_unhealthy: bool = False
    explain: bool = False
    dry_run: bool = False


def _recipient(value: RecipientLike) -> Recipient:
    if isinstance(value, Recipient):
        return value
    if isinstance(value, tuple):
        return Recipient(address=value[0], channel=value[1])
    return Recipient(address=value["address"], channel=value["channel"])


def request(
    endpoint: Endpoint[Any, Any, Any],
    *path_ids: str,
    params: Mapping[str, str] | None = None,
    body: Any = None,
    idempotency_key: str | None = None,
    if_match: str | None = None,
) -> ApiRequest:
    """A request to a declared endpoint, with the IDs of its path in order (``if_match``: an entity tag
    the change is conditional on, for endpoints declared ``if_match``)."""
    assert if_match is None or endpoint.if_match, endpoint.operation_id
    return ApiRequest(
        endpoint.method,
        endpoint.path.format(**{p.name: i for p, i in zip(endpoint.path_params, path_ids, strict=True)}),
        params,
        None if body is None else json_body(body),
        idempotency_key,
        endpoint.safe_to_repeat,
        None if if_match is None else {"If-Match": if_match},
    )


def _query(
    filters: Any,
    start_date: Date | None = None,
    end_date: Date | None = None,
    page_size: int | None = None,
    order: Order | None = None,
) -> dict[str, str]:
    """Query parameters: the set filters under their wire names, dates as RFC 3339 UTC, the page size and order."""
    params = {k: str(v) for k, v in msgspec.to_builtins(filters).items() if v is not None}
    if order is not None:
        params["order"] = ListOrder(order).value
    for name, value in (("startDate", start_date), ("endDate", end_date)):
        if value is not None:
            params[name] = format_date(value) if isinstance(value, datetime) else value
    if page_size is not None:
        params["pageSize"] = str(page_size)
    return params


def _tag(tag: Tag | None) -> str | None:
    return tag if tag is None or isinstance(tag, str) else f"{tag[0]}:{tag[1]}"


_TOLERANT_PAGES: dict[type[Any], type[Any]] = {}


def _read_page(page_type: type[Any]) -> Callable[[httpx.Response], tuple[list[Any], str | None, str | None]]:
    """How to read a page of ``page_type``, tolerant of its ``pagination`` (see ``types.Pagination``)."""
    key = page_type.__struct_fields__[0]
    tolerant = _TOLERANT_PAGES.get(page_type)
    if tolerant is None:
        fields = [
            (key, get_type_hints(page_type)[key]),
            ("pagination", Pagination, msgspec.field(default_factory=Pagination)),
        ]
        tolerant = _TOLERANT_PAGES[page_type] = msgspec.defstruct(
            page_type.__name__, fields, rename="camel", kw_only=True
        )
    key = page_type.__struct_fields__[0]

    def read(response: httpx.Response) -> tuple[list[Any], str | None, str | None]:
        page: Any = decode(response, tolerant)
        pagination: Pagination = page.pagination
        return getattr(page, key), pagination.next, pagination.self_

    return read


Reader = Callable[[httpx.Response], tuple[list[T], str | None, str | None]]  # a page's items and tokens


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """A paginated list: how to ask for the page after ``token``, and how to read one."""

    core: Core
    request: Callable[[str | None], ApiRequest]
    items: Reader[T]
    first_token: str | None = None

    def page(self, token: str | None) -> Flow[Page[T]]:
        response = yield from self.core.send(self.request(token))
        items, next_token, self_token = self.items(response)
        return Page(items, next_token, self_token)

    @staticmethod
    def following(page: Page[Any], token: str | None) -> str | None:
        """The token of the page after ``page`` (fetched with ``token``), or None when the walk is over."""
        if not page.next_token or page.next_token == token:
            return None
        return page.next_token


def _get_listing(
    core: Core, endpoint: Endpoint[Any, Any, Any], path_ids: Sequence[str], params: dict[str, str], first: str | None
) -> Listing[Any]:
    """A list read with GET: the filters are resent with every page token."""

    def build(token: str | None) -> ApiRequest:
        return request(endpoint, *path_ids, params={**params, "pageToken": token} if token else params)

    return Listing(core, build, _read_page(endpoint.returns), first)


class SenderPoolsApi:
    """``/v1/SenderPools``: the flows behind ``client.sender_pools``."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def list(
        self,
        start_date: Date | None,
        end_date: Date | None,
        operation_id: str | None,
        page_size: int | None,
        page_token: str | None,
        name_prefix: str | None = None,
        tag: Tag | None = None,
        order: Order | None = None,
    ) -> Listing[SenderPool]:
        filters = PoolFilters(operation_id=operation_id, name_prefix=name_prefix, tag=_tag(tag))
        params = _query(filters, start_date, end_date, page_size, order)
        return _get_listing(self.core, endpoints.list_sender_pools, (), params, page_token)

    def create(
        self,
        name: str | None,
        tags: Mapping[str, str] | None,
        senders: Iterable[SenderRef] | None,
        idempotency_key: str | None,
        deletion_protection: bool = False,
        preferences: SenderSelection | UnsetType = UNSET,
    ) -> Flow[OperationReference]:
        body = bodies.CreateSenderPoolRequest(
            name=name or "",
            tags=dict(tags or {}),
            senders=[bodies.SenderRef(sender_id=_sender_id(s)) for s in senders or ()],
            deletion_protection=deletion_protection,
            selection=preferences,
        )
        return self.core.call(
            request(endpoints.create_sender_pool, body=body, idempotency_key=idempotency_key), OperationReference
        )

    def create_and_wait(
        self,
        name: str | None,
        tags: Mapping[str, str] | None,
        senders: Iterable[SenderRef] | None,
        idempotency_key: str | None,
        timeout: float,
        on_progress: ProgressCallback | None,
        deletion_protection: bool = False,
        preferences: SenderSelection | UnsetType = UNSET,
    ) -> Flow[CreatedPool]:
        reference = yield from self.create(name, tags, senders, idempotency_key, deletion_protection, preferences)
        operation = yield from self.wait_operation(reference.operation_id, timeout, on_progress)
        pool = yield from self.created_pool(reference.operation_id)
        return CreatedPool(operation, pool)

    def created_pool(self, operation_id: str) -> Flow[SenderPool | None]:
        """The pool a Create produced, found by listing pools with its operation ID."""
        page = yield from self.list(None, None, operation_id, None, None).page(None)
        return page.items[0] if page.items else None

    def fetch(self, sender_pool_id: str) -> Flow[SenderPool]:
        return self.core.call(request(endpoints.fetch_sender_pool, sender_pool_id), SenderPool)

    def fetch_with_etag(self, sender_pool_id: str) -> Flow[tuple[SenderPool, str | None]]:
        """The pool and its entity tag (None from a server without conditional requests)."""
        response = yield from self.core.send(request(endpoints.fetch_sender_pool, sender_pool_id))
        return decode(response, SenderPool), response.headers.get("ETag")

    def summary(self, sender_pool_id: str) -> Flow[SenderPoolSummary]:
        return self.core.call(request(endpoints.fetch_pool_summary, sender_pool_id), SenderPoolSummary)

    def update(
        self,
        sender_pool_id: str,
        name: str | None,
        tags: Mapping[str, str] | None,
        idempotency_key: str | None,
        deletion_protection: bool | None = None,
        if_match: str | None = None,
        preferences: SenderSelection | UnsetType = UNSET,
    ) -> Flow[ResourceReference]:
        body = bodies.UpdateSenderPoolRequest(
            name=UNSET if name is None else name,
            tags=UNSET if tags is None else dict(tags),
            deletion_protection=UNSET if deletion_protection is None else deletion_protection,
            selection=preferences,
        )
        built = request(
            endpoints.update_sender_pool, sender_pool_id, body=body, idempotency_key=idempotency_key, if_match=if_match
        )
        return self.core.call(built, ResourceReference)

    def delete(self, sender_pool_id: str, if_match: str | None = None) -> Flow[ResourceReference | None]:
        built = request(endpoints.delete_sender_pool, sender_pool_id, if_match=if_match)
        return self.core.call_optional(built, ResourceReference)

    def list_senders(
        self,
        sender_pool_id: str,
        channel: Channel | str | None,
        status: SenderStatus | str | None,
        start_date: Date | None,
        end_date: Date | None,
        page_size: int | None,
        page_token: str | None,
        order: Order | None = None,
    ) -> Listing[Sender]:
        filters = SenderFilters(channel=channel, status=status)  # type: ignore[arg-type]
        params = _query(filters, start_date, end_date, page_size, order)
        return _get_listing(self.core, endpoints.list_pool_senders, (sender_pool_id,), params, page_token)

    def add_senders(
        self, sender_pool_id: str, senders: Iterable[SenderRef], idempotency_key: str | None
    ) -> Flow[OperationReference]:
        return self._queue(endpoints.add_senders, sender_pool_id, senders, idempotency_key)

    def remove_senders(
        self, sender_pool_id: str, senders: Iterable[SenderRef], idempotency_key: str | None
    ) -> Flow[OperationReference]:
        return self._queue(endpoints.remove_senders, sender_pool_id, senders, idempotency_key)

    def _queue(
        self,
        endpoint: Endpoint[Any, Any, Any],
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        idempotency_key: str | None,
    ) -> Flow[OperationReference]:
        body = [bodies.SenderRef(sender_id=_sender_id(s)) for s in senders]
        built = request(endpoint, sender_pool_id, body=body, idempotency_key=idempotency_key)
        return self.core.call(built, OperationReference)

    def queue_and_wait(
        self,
        queued: Flow[OperationReference],
        timeout: float,
        on_progress: ProgressCallback | None,
    ) -> Flow[SenderPoolOperation]:
        """Send an Add or Remove Senders, then wait for its operation to finish."""
        reference = yield from queued
        return (yield from self.wait_operation(reference.operation_id, timeout, on_progress))

    def remove_sender(self, sender_pool_id: str, sender_id: str) -> Flow[ResourceReference | None]:
        return self.core.call_optional(request(endpoints.remove_sender, sender_pool_id, sender_id), ResourceReference)

    def list_operations(
        self,
        status: OperationStatus | str | None,
        start_date: Date | None,
        end_date: Date | None,
        page_size: int | None,
        page_token: str | None,
        sender_pool_id: str | None = None,
        type: OperationType | str | None = None,
        order: Order | None = None,
    ) -> Listing[SenderPoolOperation]:
        filters = OperationFilters(status=status, sender_pool_id=sender_pool_id, type=type)  # type: ignore[arg-type]
        params = _query(filters, start_date, end_date, page_size, order)
        return _get_listing(self.core, endpoints.list_operations, (), params, page_token)

    def fetch_operation(self, operation_id: str) -> Flow[SenderPoolOperation]:
        return self.core.call(request(endpoints.fetch_operation, operation_id), SenderPoolOperation)

    def list_items(
        self,
        operation_id: str,
        outcome: str | None,
        page_size: int | None,
        page_token: str | None,
        order: Order | None = None,
    ) -> Listing[OperationItem]:
        params = _query(ItemFilters(outcome=outcome), page_size=page_size, order=order)  # type: ignore[arg-type]
        return _get_listing(self.core, endpoints.list_operation_items, (operation_id,), params, page_token)

    def cancel_operation(self, operation_id: str) -> Flow[SenderPoolOperation]:
        return self.core.call(request(endpoints.cancel_operation, operation_id), SenderPoolOperation)

    def wait_operation(
        self,
        operation_id: str,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
    ) -> Flow[SenderPoolOperation]:
        """Poll the operation, backing off from ``poll_interval`` to ``max_poll_interval``, until it
        leaves PROCESSING; raises OperationTimeoutError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        delay = poll_interval
        while True:
            operation = yield from self.fetch_operation(operation_id)
            if on_progress is not None:
                on_progress(operation)
            if operation.status != OperationStatus.PROCESSING:
                return operation
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OperationTimeoutError(operation, timeout)
            yield from sleep(min(delay, remaining))
            delay = min(delay * 1.5, max_poll_interval)


class SendersApi:
    """``/v1/Senders``: the flows behind ``client.senders``."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def list(
        self,
        channel: Channel | str | None,
        status: SenderStatus | str | None,
        start_date: Date | None,
        end_date: Date | None,
        page_size: int | None,
        page_token: str | None,
        order: Order | None = None,
    ) -> Listing[Sender]:
        filters = SenderFilters(channel=channel, status=status)  # type: ignore[arg-type]
        params = _query(filters, start_date, end_date, page_size, order)
        return _get_listing(self.core, endpoints.list_senders, (), params, page_token)

    def fetch(self, sender_id: str) -> Flow[Sender]:
        return self.core.call(request(endpoints.fetch_sender, sender_id), Sender)

    def search(
        self,
        address: str,
        channel: Channel | str,
        status: SenderStatus | str | None,
        page_size: int | None,
        page_token: str | None,
        order: Order | None = None,
    ) -> Listing[Sender]:
        """Search sends its filters and the page token in a POST body; it only reads, so it may be retried."""

        def build(token: str | None) -> ApiRequest:
            body = bodies.SearchSendersRequest(
                address=address,
                channel=str(channel),
                status=status,  # type: ignore[arg-type]
                page_token=token,
                page_size=50 if page_size is None else page_size,
                order=None if order is None else ListOrder(order),
            )
            return request(endpoints.search_senders, body=body)

        return Listing(self.core, build, _read_page(endpoints.search_senders.returns), page_token)

    def resolve(
        self,
        recipient_addresses: Sequence[RecipientLike],
        sender_pool_id: str | None,
        sender_addresses: Sequence[str] | None,
        filter_in: Sequence[Channel | str] | None,
        priority: Sequence[Channel | str] | None,
        options: ResolveOptions = ResolveOptions(),
    ) -> Flow[ResolveResults]:
        channels = None
        if filter_in is not None or priority is not None:
            channels = bodies.ChannelPreferences(
                filter_in=None if filter_in is None else list(filter_in),  # type: ignore[arg-type]
                priority=list(priority or ()),  # type: ignore[arg-type]
            )
        body = bodies.ResolveSendersRequest(
            recipient_addresses=[_recipient(r) for r in recipient_addresses],
            sender_pool_id=sender_pool_id,
            sender_addresses=None
            if sender_addresses is None
            else [bodies.SenderAddress(address=a) for a in sender_addresses],
            channels=channels,
            geo_match=options.geo_match,
            stickiness=Stickiness(options.stickiness),
            skip_unhealthy=options.skip_unhealthy,
            explain=options.explain,
            dry_run=options.dry_run,
        )
        resolutions = yield from self.core.call(request(endpoints.resolve_senders, body=body), Resolutions)
        return ResolveResults(resolutions.results, resolutions.recipients)

    def sticky_senders(self, address: str, scope: str | None) -> Flow[builtins.list[StickyMapping]]:
        params = _query(StickyFilters(address=address, scope=scope))
        mappings = yield from self.core.call(request(endpoints.list_sticky_senders, params=params), StickyMappings)
        return mappings.mappings

    def clear_sticky_senders(self, address: str, scope: str | None) -> Flow[int]:
        params = _query(StickyFilters(address=address, scope=scope))
        cleared = yield from self.core.call(
            request(endpoints.clear_sticky_senders, params=params), StickyMappingsCleared
        )
        return cleared.deleted

    def create(
        self,
        address: str,
        channel: Channel | str,
        display_name: str | None,
        status: SenderStatus | str | None,
        tags: Mapping[str, str] | None,
        idempotency_key: str | None,
        weight: int | None = None,
        health: Health | str | None = None,
    ) -> Flow[Sender]:
        sender = NewSender(
            address=address,
            channel=str(channel),
            display_name=display_name,
            status=None if status is None else str(status),
            tags=None if tags is None else dict(tags),
            weight=weight,
            health=None if health is None else str(health),
        )
        return self.core.call(request(endpoints.register_senders, body=sender, idempotency_key=idempotency_key), Sender)

    def create_many(self, senders: Sequence[NewSender], idempotency_key: str | None) -> Flow[builtins.list[Sender]]:
        built = request(endpoints.register_senders, body=list(senders), idempotency_key=idempotency_key)
        registered = yield from self.core.call(built, RegisteredSenders)
        return registered.senders

    def update(
        self,
        sender_id: str,
        display_name: str | UnsetType | None,
        status: SenderStatus | str | None,
        tags: Mapping[str, str] | None,
        idempotency_key: str | None,
        weight: int | None = None,
        health: Health | str | None = None,
    ) -> Flow[Sender]:
        body = bodies.UpdateSenderRequest(
            display_name=display_name,
            status=UNSET if status is None else status,  # type: ignore[arg-type]
            tags=UNSET if tags is None else dict(tags),
            weight=UNSET if weight is None else weight,
            health=UNSET if health is None else Health(health),
        )
        built = request(endpoints.update_sender, sender_id, body=body, idempotency_key=idempotency_key)
        return self.core.call(built, Sender)

    def delete(self, sender_id: str) -> Flow[None]:
        response = yield from self.core.send(request(endpoints.delete_sender, sender_id))
        del response
