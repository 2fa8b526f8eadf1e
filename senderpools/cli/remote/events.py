"""``senderpools events``: the event log of a server (senderpools extension)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

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
from senderpools.wire.fields import EventType
from senderpools.wire.resources import Event

app = typer.Typer(help="The event log: every change, who made it and when.", no_args_is_help=True)


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
