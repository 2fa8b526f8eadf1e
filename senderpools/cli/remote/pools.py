"""``senderpools pools``: sender pools on a server."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from senderpools import ids
from senderpools.cli.options import flag
from senderpools.cli.remote.rows import (
    CHUNK_SIZE,
    Row,
    chunks,
    failed_path,
    read_rows,
    skip_repeats,
    summary,
    write_failed,
)
from senderpools.cli.remote.session import (
    EndDate,
    Limit,
    OperationsProgress,
    Session,
    StartDate,
    TagOption,
    Timeout,
    api_command,
    details,
    page_size,
    pools_table,
    progress_bar,
    senders_table,
    tag_options,
    take,
)
from senderpools.client.resources import PendingOperation
from senderpools.wire.fields import MAX_SENDERS_PER_REQUEST, Channel, SenderStatus
from senderpools.wire.resources import SenderPoolOperation

app = typer.Typer(help="Sender pools on a server: list, create, show, change, members.", no_args_is_help=True)


# -- pools ---------------------------------------------------------------------------------------------
@api_command(app, "list")
def pools_list(
    session: Session,
    start_date: StartDate = None,
    end_date: EndDate = None,
    operation_id: Annotated[str | None, typer.Option(help="Only the pool this Create operation made.")] = None,
    limit: Limit = None,
) -> None:
    """List sender pools, oldest first."""
    pager = session.client.sender_pools.list(
        start_date=start_date, end_date=end_date, operation_id=operation_id, page_size=page_size(limit)
    )
    session.emit(take(pager, limit), pools_table)


@api_command(app, "create")
def pools_create(
    session: Session,
    name: Annotated[str | None, typer.Option(help="The pool's name.")] = None,
    tag: TagOption = None,
    sender: Annotated[
        list[str] | None, typer.Option("--sender", help="A sender ID to add; repeat for several.")
    ] = None,
    wait: Annotated[bool, flag("--wait/--no-wait", help="Wait for the operation to finish.")] = True,
    timeout: Timeout = 300.0,
) -> None:
    """Create a pool (optionally with senders) and, by default, wait until its operation finishes."""
    tags, senders = tag_options(tag), sender or None
    if not wait:
        pending = session.client.sender_pools.create(name, tags=tags, senders=senders)
        session.say(f"Accepted: operation {pending.operation_id}.", pending.reference)
        return
    with progress_bar(session.err) as progress:
        bar = OperationsProgress(progress, "Creating pool", 1 + len(senders or []))
        created = session.client.sender_pools.create(
            name, tags=tags, senders=senders, wait=True, timeout=timeout, on_progress=bar.update
        )
    if session.json:
        typer.echo(msgspec.json.encode(created).decode())
        return
    if created.pool is not None:
        session.out.print(details(created.pool))
    session.out.print(details(created.operation))


@api_command(app, "show")
def pools_show(session: Session, pool_id: Annotated[str, typer.Argument(help="The pool ID.")]) -> None:
    """Show one pool."""
    session.emit(session.client.sender_pools.fetch(pool_id), details)


@api_command(app, "update")
def pools_update(
    session: Session,
    pool_id: Annotated[str, typer.Argument(help="The pool ID.")],
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    tag: TagOption = None,
    clear_tags: Annotated[bool, flag("--clear-tags", help="Remove every tag.")] = False,
) -> None:
    """Rename a pool and/or replace its tags (the given tags replace all of them)."""
    tags = {} if clear_tags else tag_options(tag)
    if name is None and tags is None:
        raise typer.BadParameter("give --name, --tag or --clear-tags")
    session.client.sender_pools.update(pool_id, name=name, tags=tags)
    session.emit(session.client.sender_pools.fetch(pool_id), details)


@api_command(app, "delete")
def pools_delete(session: Session, pool_id: Annotated[str, typer.Argument(help="The pool ID.")]) -> None:
    """Delete a pool (its senders stay in the inventory)."""
    reference = session.client.sender_pools.delete(pool_id)
    session.say(f"Deleted pool {pool_id}.", reference or {"resourceId": pool_id})


@api_command(app, "members")
def pools_members(
    session: Session,
    pool_id: Annotated[str, typer.Argument(help="The pool ID.")],
    channel: Annotated[Channel | None, typer.Option(help="Only this channel.")] = None,
    status: Annotated[SenderStatus | None, typer.Option(help="Only this status.")] = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
    limit: Limit = None,
) -> None:
    """List the senders in a pool."""
    pager = session.client.sender_pools.list_senders(
        pool_id, channel=channel, status=status, start_date=start_date, end_date=end_date, page_size=page_size(limit)
    )
    session.emit(take(pager, limit), senders_table)


def _sender_ids_for(session: Session, rows: list[Row]) -> None:
    """Fill ``senderId`` of rows given by address and channel from the inventory; unknown ones fail."""
    wanted: dict[Channel, list[Row]] = {}
    for row in rows:
        if row.cells.get("senderId") or row.cells.get("id"):
            row.cells["senderId"] = row.cells.get("senderId") or row.cells["id"]
            if not ids.is_sender_id(row.cells["senderId"]):
                row.error = "not a sender ID (comms_sender_...)"
            continue
        try:
            channel = Channel(row.cells.get("channel", "").upper())
        except ValueError:
            row.error = f"channel must be one of {', '.join(Channel)}"
            continue
        wanted.setdefault(channel, []).append(row)
    for channel, channel_rows in wanted.items():
        by_address = {s.address: s.id for s in session.client.senders.list(channel=channel, page_size=1000)}
        for row in channel_rows:
            found = by_address.get(row.cells.get("address", ""))
            if found is None:
                row.error = f"no {channel} sender with this address (import it first)"
            else:
                row.cells["senderId"] = found


@api_command(app, "add")
def pools_add(
    session: Session,
    pool_id: Annotated[str, typer.Argument(help="The pool ID.")],
    sender_ids: Annotated[list[str] | None, typer.Argument(help="Sender IDs to add.", show_default=False)] = None,
    from_csv: Annotated[
        Path | None,
        typer.Option(
            "--from-csv", help="A CSV with a senderId column, or address and channel columns.", dir_okay=False
        ),
    ] = None,
    failed_file: Annotated[
        Path | None, typer.Option(help="Where to write failed rows (default: FILE.failed-add.csv).")
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(min=1, max=MAX_SENDERS_PER_REQUEST, help="Senders per request.")
    ] = CHUNK_SIZE,
    wait: Annotated[bool, flag("--wait/--no-wait", help="Wait for the operations to finish.")] = True,
    timeout: Timeout = 600.0,
) -> None:
    """Add senders to a pool, by ID or from a CSV, in chunks; shows progress from the operations' stats."""
    header, rows = ["senderId"], [Row(0, {"senderId": s}) for s in sender_ids or []]
    if from_csv is not None:
        csv_header, csv_rows = read_rows(from_csv, [("senderId", "id", "address")])
        if "senderId" not in csv_header and "id" not in csv_header and "channel" not in csv_header:
            raise typer.BadParameter(f"{from_csv} has addresses but no channel column")
        header = [*csv_header, *(["senderId"] if "senderId" not in csv_header else [])]
        rows += csv_rows
    if not rows:
        raise typer.BadParameter("give sender IDs or --from-csv FILE")
    session.client.sender_pools.fetch(pool_id)  # a missing pool is one clear error, before any work
    _sender_ids_for(session, rows)
    skip_repeats(rows, lambda row: row.cells["senderId"])  # each sender once, in file order
    usable = [r for r in rows if r.pending]
    unique = [r.cells["senderId"] for r in usable]
    pending: list[PendingOperation] = [
        session.client.sender_pools.add_senders(pool_id, chunk, idempotency_key=uuid.uuid4().hex)
        for chunk in chunks(unique, chunk_size)
    ]
    failed_rows = failed_path(from_csv or Path("senders.csv"), failed_file, "add")
    if not wait:
        failed = [r for r in rows if r.error is not None]
        if failed:
            write_failed(failed_rows, header, failed)
        session.say(
            f"Accepted: {len(pending)} operation(s) for {len(unique)} sender(s): "
            + ", ".join(p.operation_id for p in pending)
            + (f"; {len(failed)} row(s) failed (written to {failed_rows})." if failed else "."),
            {"operations": [p.reference for p in pending], "failed": len(failed)},
        )
        if failed:
            raise typer.Exit(1)
        return
    finished = _wait_all(session, pending, len(unique), timeout)
    if any(o.stats.failed for o in finished):
        members = {s.id for s in session.client.sender_pools.list_senders(pool_id, page_size=1000)}
        for row in usable:
            if row.cells["senderId"] not in members:
                row.error = "not added: the operation counted it as failed (unknown sender?)"
    summary(session, f"Added to {pool_id}", rows, header, failed_rows)


def _wait_all(
    session: Session, pending: list[PendingOperation], total: int, timeout: float
) -> list[SenderPoolOperation]:
    """Wait for every operation (``timeout`` in all), one progress bar over their combined stats."""
    deadline = time.monotonic() + timeout
    with progress_bar(session.err) as progress:
        bar = OperationsProgress(progress, "Adding senders", total)
        return [p.wait(timeout=max(0.0, deadline - time.monotonic()), on_progress=bar.update) for p in pending]


@api_command(app, "remove")
def pools_remove(
    session: Session,
    pool_id: Annotated[str, typer.Argument(help="The pool ID.")],
    sender_id: Annotated[str, typer.Argument(help="The sender to take out of the pool.")],
) -> None:
    """Remove one sender from a pool."""
    reference = session.client.sender_pools.remove_sender(pool_id, sender_id)
    session.say(f"Removed {sender_id} from {pool_id}.", reference or {"resourceId": sender_id})
