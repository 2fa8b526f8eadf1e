"""The SDK's events (senderpools extension): ``client.events`` (the log) and ``client.event_sinks`` (webhooks).

Flows (shared by the sync and async clients) first, then the facades. Receivers check deliveries with
``senderpools.client.verify_webhook``.
"""

from __future__ import annotations

from collections.abc import Sequence

from msgspec import UNSET, UnsetType

from senderpools.client._api import Date, Listing, Order, _get_listing, _query, request
from senderpools.client._http import Core, Flow
from senderpools.client.resources import AsyncPager, AsyncRunner, Pager, Runner
from senderpools.client.types import ResourceReference
from senderpools.wire import bodies, endpoints
from senderpools.wire.fields import DeliveryStatus, EventType
from senderpools.wire.queries import DeliveryFilters, EventFilters
from senderpools.wire.replies import CreatedEventSink, SinkTestResult
from senderpools.wire.resources import Event, EventDelivery, EventSink

Types = Sequence[EventType | str]


class EventsApi:
    """``/v1/Events`` and ``/v1/EventSinks``: the flows behind ``client.events`` and ``client.event_sinks``."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def list(
        self,
        type: EventType | str | None,
        resource_id: str | None,
        sender_pool_id: str | None,
        start_date: Date | None,
        end_date: Date | None,
        order: Order | None,
        page_size: int | None,
        page_token: str | None,
    ) -> Listing[Event]:
        kind = None if type is None else EventType(type)
        filters = EventFilters(type=kind, resource_id=resource_id, sender_pool_id=sender_pool_id)
        params = _query(filters, start_date, end_date, page_size, order)
        return _get_listing(self.core, endpoints.list_events, (), params, page_token)

    def create_sink(
        self, url: str, types: Types | None, description: str | None, idempotency_key: str | None
    ) -> Flow[CreatedEventSink]:
        body = bodies.CreateEventSinkRequest(
            url=url, types=[EventType(t) for t in types or ()], description=description
        )
        built = request(endpoints.create_event_sink, body=body, idempotency_key=idempotency_key)
        return self.core.call(built, CreatedEventSink)

    def list_sinks(self, page_size: int | None, page_token: str | None) -> Listing[EventSink]:
        params = _query({}, page_size=page_size)
        return _get_listing(self.core, endpoints.list_event_sinks, (), params, page_token)

    def fetch_sink(self, sink_id: str) -> Flow[EventSink]:
        return self.core.call(request(endpoints.fetch_event_sink, sink_id), EventSink)

    def update_sink(
        self, sink_id: str, url: str | None, types: Types | None, description: str | UnsetType | None
    ) -> Flow[EventSink]:
        body = bodies.UpdateEventSinkRequest(
            url=UNSET if url is None else url,
            types=UNSET if types is None else [EventType(t) for t in types],
            description=description,
        )
        return self.core.call(request(endpoints.update_event_sink, sink_id, body=body), EventSink)

    def delete_sink(self, sink_id: str) -> Flow[None]:
        response = yield from self.core.send(request(endpoints.delete_event_sink, sink_id))
        del response

    def test_sink(self, sink_id: str) -> Flow[SinkTestResult]:
        return self.core.call(request(endpoints.test_event_sink, sink_id), SinkTestResult)

    def deliveries(
        self, sink_id: str, status: DeliveryStatus | str | None, page_size: int | None, page_token: str | None
    ) -> Listing[EventDelivery]:
        filters = DeliveryFilters(status=None if status is None else DeliveryStatus(status))
        params = _query(filters, page_size=page_size)
        return _get_listing(self.core, endpoints.list_event_deliveries, (sink_id,), params, page_token)

    def redeliver(self, sink_id: str, event_id: str) -> Flow[ResourceReference]:
        return self.core.call(request(endpoints.redeliver_event, sink_id, event_id), ResourceReference)


class Events:
    """``/v1/Events``: the audit log of every change (senderpools extension)."""

    def __init__(self, api: EventsApi, run: Runner) -> None:
        self._api = api
        self._run = run

    def list(
        self,
        *,
        type: EventType | str | None = None,
        resource_id: str | None = None,
        sender_pool_id: str | None = None,
        start_date: Date | None = None,
        end_date: Date | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[Event]:
        """Events, oldest first (``order="newest"``: newest first), of one ``type``, about one resource, or
        about one pool (``sender_pool_id``: its own events, its members' and its operations')."""
        listing = self._api.list(type, resource_id, sender_pool_id, start_date, end_date, order, page_size, page_token)
        return Pager(listing, self._run)


class EventSinks:
    """``/v1/EventSinks``: webhooks that receive the account's events (senderpools extension)."""

    def __init__(self, api: EventsApi, run: Runner) -> None:
        self._api = api
        self._run = run

    def create(
        self,
        url: str,
        *,
        types: Types | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> CreatedEventSink:
        """A new sink; its ``secret`` (for ``verify_webhook``) is in this answer only."""
        return self._run(self._api.create_sink(url, types, description, idempotency_key))

    def list(self, *, page_size: int | None = None, page_token: str | None = None) -> Pager[EventSink]:
        return Pager(self._api.list_sinks(page_size, page_token), self._run)

    def fetch(self, sink_id: str) -> EventSink:
        return self._run(self._api.fetch_sink(sink_id))

    def update(
        self,
        sink_id: str,
        *,
        url: str | None = None,
        types: Types | None = None,
        description: str | UnsetType | None = UNSET,
    ) -> EventSink:
        return self._run(self._api.update_sink(sink_id, url, types, description))

    def delete(self, sink_id: str) -> None:
        self._run(self._api.delete_sink(sink_id))

    def test(self, sink_id: str) -> SinkTestResult:
        """Send a signed test event now and say how the receiver answered."""
        return self._run(self._api.test_sink(sink_id))

    def deliveries(
        self,
        sink_id: str,
        *,
        status: DeliveryStatus | str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[EventDelivery]:
        return Pager(self._api.deliveries(sink_id, status, page_size, page_token), self._run)

    def redeliver(self, sink_id: str, event_id: str) -> ResourceReference:
        return self._run(self._api.redeliver(sink_id, event_id))


class AsyncEvents:
    """The asyncio ``Events``."""

    def __init__(self, api: EventsApi, run: AsyncRunner) -> None:
        self._api = api
        self._run = run

    def list(
        self,
        *,
        type: EventType | str | None = None,
        resource_id: str | None = None,
        sender_pool_id: str | None = None,
        start_date: Date | None = None,
        end_date: Date | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> AsyncPager[Event]:
        listing = self._api.list(type, resource_id, sender_pool_id, start_date, end_date, order, page_size, page_token)
        return AsyncPager(listing, self._run)


class AsyncEventSinks:
    """The asyncio ``EventSinks``."""

    def __init__(self, api: EventsApi, run: AsyncRunner) -> None:
        self._api = api
        self._run = run

    async def create(
        self,
        url: str,
        *,
        types: Types | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> CreatedEventSink:
        return await self._run(self._api.create_sink(url, types, description, idempotency_key))

    def list(self, *, page_size: int | None = None, page_token: str | None = None) -> AsyncPager[EventSink]:
        return AsyncPager(self._api.list_sinks(page_size, page_token), self._run)

    async def fetch(self, sink_id: str) -> EventSink:
        return await self._run(self._api.fetch_sink(sink_id))

    async def update(
        self,
        sink_id: str,
        *,
        url: str | None = None,
        types: Types | None = None,
        description: str | UnsetType | None = UNSET,
    ) -> EventSink:
        return await self._run(self._api.update_sink(sink_id, url, types, description))

    async def delete(self, sink_id: str) -> None:
        await self._run(self._api.delete_sink(sink_id))

    async def test(self, sink_id: str) -> SinkTestResult:
        return await self._run(self._api.test_sink(sink_id))

    def deliveries(
        self,
        sink_id: str,
        *,
        status: DeliveryStatus | str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> AsyncPager[EventDelivery]:
        return AsyncPager(self._api.deliveries(sink_id, status, page_size, page_token), self._run)

    async def redeliver(self, sink_id: str, event_id: str) -> ResourceReference:
        return await self._run(self._api.redeliver(sink_id, event_id))


__all__ = ["AsyncEventSinks", "AsyncEvents", "EventSinks", "Events", "EventsApi"]
