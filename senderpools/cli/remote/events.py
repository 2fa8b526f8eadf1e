"""``senderpools events``: the event log of a server (senderpools extension)."""

from __future__ import annotations

import time
from collections.abc import Sequence
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
    start_date: StartDate = None,
    end_date: EndDate = None,
    newest: Newest = False,
    limit: Limit = None,
) -> None:
    """List events, oldest first."""
    pager = session.client.events.list(
        type=kind,
        resource_id=resource,
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
    receiver need not be reachable from it."""
    wanted = set(kinds or ())
    signing = secret or webhooks.new_secret()
    newest = take(session.client.events.list(order="newest", page_size=1), 1)
    last = newest[0] if newest else None
    if forward_to is not None and secret is None:
        session.err.print(f"Forwarding to {forward_to}, signed with {signing}", markup=False, highlight=False)
    seen = 0
    with httpx.Client(timeout=10.0) as http:
        while limit is None or seen < limit:
            start = None if last is None else last.time
            for event in session.client.events.list(start_date=start, page_size=1000):
                if last is not None and event.id <= last.id:
                    continue
                last = event
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


def _forward(http: httpx.Client, url: str, secret: str, event: Event) -> str:
    """POST the event as its webhook delivery would be; how it went, for the printed line."""
    body = webhooks.cloudevent(msgspec.json.encode(event))
    started = time.monotonic()
    try:
        response = http.post(url, content=body, headers=webhooks.headers(secret, event.id, body))
    except httpx.HTTPError as exc:
        return f"-> {type(exc).__name__}"
    return f"-> {response.status_code} ({(time.monotonic() - started) * 1000:.0f} ms)"
