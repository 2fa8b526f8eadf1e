"""``senderpools events``: the event log of a server (senderpools extension)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Annotated

import httpx
import msgspec
import typer
from rich.table import Table

from senderpools.cli.remote.session import (
    EndDate,
    Limit,
    Newest,
    Session,
    StartDate,
    add_row,
    api_command,
    new_table,
    order_of,
    page_size,
    take,
)
from senderpools.wire import webhooks
from senderpools.wire.fields import EventType
from senderpools.wire.resources import Event

app = typer.Typer(help="The event log: every change, who made it and when; listen for new ones.", no_args_is_help=True)


def events_table(events: Sequence[Event]) -> Table:
    table = new_table(f"{len(events)} event(s)", "Time", "Type", "Resource", "Actor", "Data")
    for e in events:
        data = ", ".join(f"{k}={v}" for k, v in e.data.items() if k != "stats")
        add_row(table, e.time, e.type, e.resource_id or "", e.actor, data)
    return table


@api_command(app, "list")
def events_list(
    session: Session,
    kind: Annotated[EventType | None, typer.Option("--type", help="Only events of this type.")] = None,
    resource: Annotated[str | None, typer.Option("--resource", help="Only events about this resource ID.")] = None,
    pool: Annotated[
        str | None, typer.Option("--pool", help="Only events about this pool: its own, its members' and operations'.")
    ] = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
    newest: Newest = False,
    limit: Limit = None,
) -> None:
    """List events, oldest first."""
    pager = session.client.events.list(
        type=kind,
        resource_id=resource,
        sender_pool_id=pool,
        start_date=start_date,
        end_date=end_date,
        order=order_of(newest),
        page_size=page_size(limit),
    )
    session.emit(take(pager, limit), events_table)


@api_command(app, "listen")
def events_listen(
    session: Session,
    forward_to: Annotated[
        str | None, typer.Option("--forward-to", help="POST each event here, signed like a webhook delivery.")
    ] = None,
    kinds: Annotated[list[EventType] | None, typer.Option("--type", help="Only this type; repeat for several.")] = None,
    secret: Annotated[
        str | None, typer.Option("--secret", help="The whsec_ secret to sign with (default: a new one, printed).")
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0.05, help="Seconds between looks for new events.")
    ] = 0.5,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Stop after this many events.")] = None,
) -> None:
    """Print new events as they happen (and forward them, signed, with --forward-to) until Ctrl-C.

    It polls GET /v1/Events from the newest event on: nothing to set up on the server, and a local
    receiver need not be reachable from it. Each event is printed once, also when concurrent writers
    commit events out of order."""
    wanted = set(kinds or ())
    signing = secret or webhooks.new_secret()
    tail = Tail()
    newest = take(session.client.events.list(order="newest", page_size=1), 1)
    if newest:  # what is already there is not new: only what comes after it is printed
        tail.new(session.client.events.list(start_date=tail.start(newest[0].time), page_size=1000))
    if forward_to is not None and secret is None:
        session.err.print(f"Forwarding to {forward_to}, signed with {signing}", markup=False, highlight=False)
    seen = 0
    with httpx.Client(timeout=10.0) as http:
        while limit is None or seen < limit:
            for event in tail.new(session.client.events.list(start_date=tail.start(), page_size=1000)):
                if wanted and event.type not in wanted:
                    continue
                line = f"{event.time}  {event.type}  {event.resource_id or '-'}  {event.actor}"
                if forward_to is not None:
                    line += "  " + _forward(http, forward_to, signing, event)
                session.say(line, event)
                seen += 1
                if limit is not None and seen >= limit:
                    return
            time.sleep(interval)


class Tail:
    """Which listed events are new. Each look starts ``SETTLE`` before the newest event seen, because
    concurrent writers commit events out of ID order (an event may appear after a later-numbered one);
    the IDs seen in that window are remembered, so none is printed twice and none is skipped."""

    SETTLE = timedelta(seconds=5)

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}
        self._newest: datetime | None = None

    def start(self, time: str | None = None) -> datetime | None:
        """Where the next look starts (``time``: the newest event known before any look)."""
        newest = _instant(time) if time is not None else self._newest
        return None if newest is None else newest - self.SETTLE

    def new(self, events: Iterable[Event]) -> list[Event]:
        fresh = []
        for event in events:
            if event.id in self._seen:
                continue
            at = self._seen[event.id] = _instant(event.time)
            self._newest = at if self._newest is None else max(self._newest, at)
            fresh.append(event)
        if self._newest is not None:
            settled = self._newest - 2 * self.SETTLE
            self._seen = {i: at for i, at in self._seen.items() if at >= settled}
        return fresh


def _instant(time: str) -> datetime:
    return datetime.fromisoformat(time.replace("Z", "+00:00"))


def _forward(http: httpx.Client, url: str, secret: str, event: Event) -> str:
    """POST the event as its webhook delivery would be; how it went, for the printed line."""
    body = webhooks.cloudevent(msgspec.json.encode(event))
    started = time.monotonic()
    try:
        response = http.post(url, content=body, headers=webhooks.headers(secret, event.id, body))
    except httpx.HTTPError as exc:
        return f"-> {type(exc).__name__}"
    return f"-> {response.status_code} ({(time.monotonic() - started) * 1000:.0f} ms)"
