"""Every endpoint once, as request building plus decoding (flows), shared by the sync and async clients."""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import httpx
from msgspec import UNSET, UnsetType

from senderpools.client._http import ApiRequest, Core, Flow, decode, json_body, path, query, sleep
from senderpools.client.errors import OperationTimeoutError
from senderpools.client.types import (
    CreatedPool,
    NewSender,
    OperationList,
    OperationReference,
    Page,
    Recipient,
    RegisteredSenders,
    Resolution,
    Resolutions,
    ResourceReference,
    SenderList,
    SenderPoolList,
)
from senderpools.models import (
    Channel,
    OperationStatus,
    Sender,
    SenderPool,
    SenderPoolOperation,
    SenderStatus,
)

T = TypeVar("T")

Date = datetime | str
SenderRef = str | Sender  # a sender ID, or a Sender as returned by the API
RecipientLike = Recipient | tuple[str, str] | Mapping[str, str]
ProgressCallback = Callable[[SenderPoolOperation], None]

DEFAULT_WAIT_TIMEOUT = 300.0
DEFAULT_POLL_INTERVAL = 0.1
DEFAULT_MAX_POLL_INTERVAL = 2.0


def _text(value: Date | Channel | SenderStatus | OperationStatus | None) -> str | datetime | None:
    return value if value is None or isinstance(value, datetime) else str(value)


def _sender_id(ref: SenderRef) -> str:
    return ref if isinstance(ref, str) else ref.id


def _recipient(value: RecipientLike) -> Recipient:
    if isinstance(value, Recipient):
        return value
    if isinstance(value, tuple):
        return Recipient(address=value[0], channel=value[1])
    return Recipient(address=value["address"], channel=value["channel"])


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


def _get_listing(core: Core, route: str, params: dict[str, str], read: Reader[T], first: str | None) -> Listing[T]:
    """A list read with GET: the filters are resent with every page token."""

    def request(token: str | None) -> ApiRequest:
        return ApiRequest("GET", route, {**params, "pageToken": token} if token else params)

    return Listing(core, request, read, first)


def _read_pools(response: httpx.Response) -> tuple[list[SenderPool], str | None, str | None]:
    body = decode(response, SenderPoolList)
    return body.sender_pools, body.pagination.next, body.pagination.self_


def _read_senders(response: httpx.Response) -> tuple[list[Sender], str | None, str | None]:
    body = decode(response, SenderList)
    return body.senders, body.pagination.next, body.pagination.self_


def _read_operations(response: httpx.Response) -> tuple[list[SenderPoolOperation], str | None, str | None]:
    body = decode(response, OperationList)
    return body.operations, body.pagination.next, body.pagination.self_


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
    ) -> Listing[SenderPool]:
        params = query(
            startDate=_text(start_date),
            endDate=_text(end_date),
            operationId=operation_id,
            pageSize=page_size,
        )
        return _get_listing(self.core, "/v1/SenderPools", params, _read_pools, page_token)

    def create(
        self,
        name: str | None,
        tags: Mapping[str, str] | None,
        senders: Iterable[SenderRef] | None,
        idempotency_key: str | None,
    ) -> Flow[OperationReference]:
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if tags is not None:
            body["tags"] = dict(tags)
        if senders is not None:
            body["senders"] = [{"senderId": _sender_id(s)} for s in senders]
        request = ApiRequest("POST", "/v1/SenderPools", body=json_body(body), idempotency_key=idempotency_key)
        return self.core.call(request, OperationReference)

    def create_and_wait(
        self,
        name: str | None,
        tags: Mapping[str, str] | None,
        senders: Iterable[SenderRef] | None,
        idempotency_key: str | None,
        timeout: float,
        on_progress: ProgressCallback | None,
    ) -> Flow[CreatedPool]:
        reference = yield from self.create(name, tags, senders, idempotency_key)
        operation = yield from self.wait_operation(reference.operation_id, timeout, on_progress)
        pool = yield from self.created_pool(reference.operation_id)
        return CreatedPool(operation, pool)

    def created_pool(self, operation_id: str) -> Flow[SenderPool | None]:
        """The pool a Create produced, found by listing pools with its operation ID."""
        page = yield from self.list(None, None, operation_id, None, None).page(None)
        return page.items[0] if page.items else None

    def fetch(self, sender_pool_id: str) -> Flow[SenderPool]:
        return self.core.call(ApiRequest("GET", path("/v1/SenderPools/{}", sender_pool_id)), SenderPool)

    def update(
        self,
        sender_pool_id: str,
        name: str | None,
        tags: Mapping[str, str] | None,
        idempotency_key: str | None,
    ) -> Flow[ResourceReference]:
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if tags is not None:
            body["tags"] = dict(tags)
        request = ApiRequest(
            "PATCH", path("/v1/SenderPools/{}", sender_pool_id), body=json_body(body), idempotency_key=idempotency_key
        )
        return self.core.call(request, ResourceReference)

    def delete(self, sender_pool_id: str) -> Flow[ResourceReference | None]:
        return self.core.call_optional(
            ApiRequest("DELETE", path("/v1/SenderPools/{}", sender_pool_id)), ResourceReference
        )

    def list_senders(
        self,
        sender_pool_id: str,
        channel: Channel | str | None,
        status: SenderStatus | str | None,
        start_date: Date | None,
        end_date: Date | None,
        page_size: int | None,
        page_token: str | None,
    ) -> Listing[Sender]:
        params = query(
            channel=_text(channel),
            status=_text(status),
            startDate=_text(start_date),
            endDate=_text(end_date),
            pageSize=page_size,
        )
        route = path("/v1/SenderPools/{}/Senders", sender_pool_id)
        return _get_listing(self.core, route, params, _read_senders, page_token)

    def add_senders(
        self, sender_pool_id: str, senders: Iterable[SenderRef], idempotency_key: str | None
    ) -> Flow[OperationReference]:
        body = json_body([{"senderId": _sender_id(s)} for s in senders])
        request = ApiRequest(
            "POST", path("/v1/SenderPools/{}/Senders", sender_pool_id), body=body, idempotency_key=idempotency_key
        )
        return self.core.call(request, OperationReference)

    def add_senders_and_wait(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        idempotency_key: str | None,
        timeout: float,
        on_progress: ProgressCallback | None,
    ) -> Flow[SenderPoolOperation]:
        reference = yield from self.add_senders(sender_pool_id, senders, idempotency_key)
        return (yield from self.wait_operation(reference.operation_id, timeout, on_progress))

    def remove_sender(self, sender_pool_id: str, sender_id: str) -> Flow[ResourceReference | None]:
        route = path("/v1/SenderPools/{}/Senders/{}", sender_pool_id, sender_id)
        return self.core.call_optional(ApiRequest("DELETE", route), ResourceReference)

    def list_operations(
        self,
        status: OperationStatus | str | None,
        start_date: Date | None,
        end_date: Date | None,
        page_size: int | None,
        page_token: str | None,
    ) -> Listing[SenderPoolOperation]:
        params = query(
            status=_text(status),
            startDate=_text(start_date),
            endDate=_text(end_date),
            pageSize=page_size,
        )
        return _get_listing(self.core, "/v1/SenderPools/Operations", params, _read_operations, page_token)

    def fetch_operation(self, operation_id: str) -> Flow[SenderPoolOperation]:
        route = path("/v1/SenderPools/Operations/{}", operation_id)
        return self.core.call(ApiRequest("GET", route), SenderPoolOperation)

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
    ) -> Listing[Sender]:
        params = query(
            channel=_text(channel),
            status=_text(status),
            startDate=_text(start_date),
            endDate=_text(end_date),
            pageSize=page_size,
        )
        return _get_listing(self.core, "/v1/Senders", params, _read_senders, page_token)

    def fetch(self, sender_id: str) -> Flow[Sender]:
        return self.core.call(ApiRequest("GET", path("/v1/Senders/{}", sender_id)), Sender)

    def search(
        self,
        address: str,
        channel: Channel | str,
        status: SenderStatus | str | None,
        page_size: int | None,
        page_token: str | None,
    ) -> Listing[Sender]:
        """Search sends its filters and the page token in a POST body; it only reads, so it may be retried."""
        base: dict[str, Any] = {"address": address, "channel": str(channel)}
        if status is not None:
            base["status"] = str(status)
        if page_size is not None:
            base["pageSize"] = page_size

        def request(token: str | None) -> ApiRequest:
            body = {**base, "pageToken": token} if token else base
            return ApiRequest("POST", "/v1/Senders/Search", body=json_body(body), read_only=True)

        return Listing(self.core, request, _read_senders, page_token)

    def resolve(
        self,
        recipient_addresses: Sequence[RecipientLike],
        sender_pool_id: str | None,
        sender_addresses: Sequence[str] | None,
        filter_in: Sequence[Channel | str] | None,
        priority: Sequence[Channel | str] | None,
    ) -> Flow[builtins.list[Resolution]]:
        body: dict[str, Any] = {"recipientAddresses": [_recipient(r) for r in recipient_addresses]}
        if sender_pool_id is not None:
            body["senderPoolId"] = sender_pool_id
        if sender_addresses is not None:
            body["senderAddresses"] = [{"address": a} for a in sender_addresses]
        if filter_in is not None or priority is not None:
            channels: dict[str, list[str]] = {}
            if filter_in is not None:
                channels["filterIn"] = [str(c) for c in filter_in]
            if priority is not None:
                channels["priority"] = [str(c) for c in priority]
            body["channels"] = channels
        request = ApiRequest("POST", "/v1/Senders/Resolve", body=json_body(body), read_only=True)
        resolutions = yield from self.core.call(request, Resolutions)
        return resolutions.results

    def create(
        self,
        address: str,
        channel: Channel | str,
        display_name: str | None,
        status: SenderStatus | str | None,
        tags: Mapping[str, str] | None,
        idempotency_key: str | None,
    ) -> Flow[Sender]:
        sender = NewSender(
            address=address,
            channel=str(channel),
            display_name=display_name,
            status=None if status is None else str(status),
            tags=None if tags is None else dict(tags),
        )
        request = ApiRequest("POST", "/v1/Senders", body=json_body(sender), idempotency_key=idempotency_key)
        return self.core.call(request, Sender)

    def create_many(self, senders: Sequence[NewSender], idempotency_key: str | None) -> Flow[builtins.list[Sender]]:
        request = ApiRequest("POST", "/v1/Senders", body=json_body(list(senders)), idempotency_key=idempotency_key)
        registered = yield from self.core.call(request, RegisteredSenders)
        return registered.senders

    def update(
        self,
        sender_id: str,
        display_name: str | UnsetType | None,
        status: SenderStatus | str | None,
        tags: Mapping[str, str] | None,
        idempotency_key: str | None,
    ) -> Flow[Sender]:
        body: dict[str, Any] = {}
        if display_name is not UNSET:
            body["displayName"] = display_name
        if status is not None:
            body["status"] = str(status)
        if tags is not None:
            body["tags"] = dict(tags)
        request = ApiRequest(
            "PATCH", path("/v1/Senders/{}", sender_id), body=json_body(body), idempotency_key=idempotency_key
        )
        return self.core.call(request, Sender)

    def delete(self, sender_id: str) -> Flow[None]:
        response = yield from self.core.send(ApiRequest("DELETE", path("/v1/Senders/{}", sender_id)))
        del response
