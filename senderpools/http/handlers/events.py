"""The event log and its webhook sinks (senderpools extension; docs/events.md)."""

from __future__ import annotations

from msgspec import UNSET

from senderpools.http.endpoint import Call, Routes
from senderpools.records import EventFilter, SinkChanges
from senderpools.wire import bodies, endpoints, queries, replies
from senderpools.wire.encoding import Rendered
from senderpools.wire.resources import EventSink

routes = Routes()


@routes.handles(endpoints.list_events)
async def list_events(call: Call[queries.EventFilters, None]) -> Rendered[replies.EventPage]:
    query = call.query
    where = EventFilter(type=query.type, resource_id=query.resource_id, sender_pool_id=query.sender_pool_id)
    rows = await call.services.events.list_events(call.account, call.page.request, where)
    return call.page.render(replies.EventPage, rows)


@routes.handles(endpoints.create_event_sink)
async def create_event_sink(call: Call[None, bodies.CreateEventSinkRequest]) -> replies.CreatedEventSink:
    body = call.body
    sink = await call.services.events.create_sink(call.account, body.url, body.types, body.description)
    call.located(f"/v1/EventSinks/{sink.id}")
    return sink


@routes.handles(endpoints.list_event_sinks)
async def list_event_sinks(call: Call[None, None]) -> Rendered[replies.EventSinkPage]:
    rows = await call.services.events.list_sinks(call.account, call.page.request)
    return call.page.render(replies.EventSinkPage, rows)


@routes.handles(endpoints.fetch_event_sink)
async def fetch_event_sink(call: Call[None, None]) -> EventSink:
    return await call.services.events.fetch_sink(call.account, call.path("eventSinkId"))


@routes.handles(endpoints.update_event_sink)
async def update_event_sink(call: Call[None, bodies.UpdateEventSinkRequest]) -> EventSink:
    body = call.body
    changes = SinkChanges(
        url=None if body.url is UNSET else body.url,
        types=None if body.types is UNSET else tuple(dict.fromkeys(body.types)),
        set_description=body.description is not UNSET,
        description=None if body.description is UNSET else body.description,
    )
    return await call.services.events.update_sink(call.account, call.path("eventSinkId"), changes)


@routes.handles(endpoints.delete_event_sink)
async def delete_event_sink(call: Call[None, None]) -> None:
    await call.services.events.delete_sink(call.account, call.path("eventSinkId"))


@routes.handles(endpoints.test_event_sink)
async def test_event_sink(call: Call[None, None]) -> replies.SinkTestResult:
    return await call.services.events.test_sink(call.account, call.path("eventSinkId"), call.actor)


@routes.handles(endpoints.list_event_deliveries)
async def list_event_deliveries(call: Call[queries.DeliveryFilters, None]) -> Rendered[replies.EventDeliveryPage]:
    sink_id = call.path("eventSinkId")
    rows = await call.services.events.list_deliveries(call.account, sink_id, call.page.request, call.query.status)
    return call.page.render(replies.EventDeliveryPage, rows)


@routes.handles(endpoints.redeliver_event)
async def redeliver_event(call: Call[None, None]) -> replies.ResourceReference:
    sink_id, event_id = call.path("eventSinkId"), call.path("eventId")
    await call.services.events.redeliver(call.account, sink_id, event_id)
    return call.resource_accepted(event_id, f"/v1/EventSinks/{sink_id}/Deliveries")
