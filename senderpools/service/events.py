"""The event log and its webhook sinks (senderpools extension)."""

from __future__ import annotations

from collections.abc import Sequence

from senderpools import ids
from senderpools.clock import to_rfc3339_ms
from senderpools.errors import InvalidRequest, NotFound
from senderpools.records import EventFilter, SinkChanges, SinkRecord
from senderpools.service.paging import PageRequest
from senderpools.service.webhooks import Sender, refusal
from senderpools.store import Store
from senderpools.store.rows import sink_resource
from senderpools.wire import webhooks
from senderpools.wire.encoding import Listed, encode
from senderpools.wire.fields import DeliveryStatus, EventType
from senderpools.wire.replies import CreatedEventSink, SinkTestResult
from senderpools.wire.resources import Event, EventSink


def _sink_not_found(sink_id: str) -> NotFound:
    return NotFound(f"EventSink {sink_id} was not found.")


class EventService:
    def __init__(self, store: Store, sender: Sender) -> None:
        self._store = store
        self._sender = sender

    async def list_events(self, account: str, page: PageRequest, where: EventFilter) -> Listed:
        return await self._store.list_events(account, page.window(ids.EVENT_PREFIX), where)

    # -- sinks -------------------------------------------------------------------------------------------
    async def _check_url(self, url: str) -> None:
        refused = await refusal(url, self._sender.allow_private)
        if refused is not None:
            raise InvalidRequest(f"url {refused}", "$.url")

    async def require(self, account: str, sink_id: str) -> None:
        """404 unless the account has this sink."""
        await self._sink(account, sink_id)

    async def _sink(self, account: str, sink_id: str) -> SinkRecord:
        sink = await self._store.get_sink(account, sink_id)
        if sink is None:
            raise _sink_not_found(sink_id)
        return sink

    async def create_sink(
        self, account: str, url: str, types: Sequence[EventType], description: str | None
    ) -> CreatedEventSink:
        await self._check_url(url)
        now = ids.now_ms()
        sink = SinkRecord(
            ids.new_id(ids.EVENT_SINK_PREFIX, now),
            account,
            url,
            tuple(dict.fromkeys(types)),  # each once, in the order given
            description,
            webhooks.new_secret(),
            now,
            now,
        )
        await self._store.create_sink(sink)
        shown = sink_resource(sink)
        return CreatedEventSink(**{f: getattr(shown, f) for f in shown.__struct_fields__}, secret=sink.secret)

    async def fetch_sink(self, account: str, sink_id: str) -> EventSink:
        return sink_resource(await self._sink(account, sink_id))

    async def list_sinks(self, account: str, page: PageRequest) -> Listed:
        sinks = await self._store.list_sinks(account, page.window(ids.EVENT_SINK_PREFIX))
        return [(s.id, encode(sink_resource(s))) for s in sinks]

    async def update_sink(self, account: str, sink_id: str, changes: SinkChanges) -> EventSink:
        if not changes:
            raise InvalidRequest("The request must change at least one of url, types and description.")
        if changes.url is not None:
            await self._check_url(changes.url)
        updated = await self._store.update_sink(account, sink_id, changes, ids.now_ms())
        if updated is None:
            raise _sink_not_found(sink_id)
        return sink_resource(updated)

    async def delete_sink(self, account: str, sink_id: str) -> None:
        if not await self._store.delete_sink(account, sink_id):
            raise _sink_not_found(sink_id)

    async def test_sink(self, account: str, sink_id: str, actor: str) -> SinkTestResult:
        """Send a test event now, signed like every delivery; nothing is recorded."""
        sink = await self._sink(account, sink_id)
        now = ids.now_ms()
        event = Event(
            id=ids.new_id(ids.EVENT_PREFIX, now),
            type=EventType.SINK_TEST,
            time=to_rfc3339_ms(now),
            account_sid=account,
            actor=actor,
            resource_id=sink.id,
            data={"message": "A test event from senderpools."},
        )
        outcome = await self._sender.send(sink.url, sink.secret, event.id, webhooks.cloudevent(encode(event)))
        return SinkTestResult(
            delivered=outcome.delivered,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
        )

    # -- deliveries --------------------------------------------------------------------------------------
    async def list_deliveries(
        self, account: str, sink_id: str, page: PageRequest, status: DeliveryStatus | None
    ) -> Listed:
        rows = await self._store.list_deliveries(account, sink_id, page.window(ids.EVENT_PREFIX), status)
        if rows is None:
            raise _sink_not_found(sink_id)
        return rows

    async def redeliver(self, account: str, sink_id: str, event_id: str) -> None:
        await self._sink(account, sink_id)
        if not await self._store.redeliver(account, sink_id, event_id, ids.now_ms()):
            raise NotFound(f"EventSink {sink_id} has no delivery of Event {event_id}.")
