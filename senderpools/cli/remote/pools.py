"""``senderpools pools``: sender pools on a server."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Group

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
    Newest,
    OperationsProgress,
    Session,
    StartDate,
    TagOption,
    Timeout,
    api_command,
    details,
    order_of,
    page_size,
    pools_table,
    progress_bar,
    senders_table,
    tag_filter,
    tag_options,
    take,
)
from senderpools.client import NotFoundError
from senderpools.client.resources import PendingOperation, SenderPools
from senderpools.wire.fields import MAX_SENDERS_PER_REQUEST, Channel, ItemOutcome, SenderStatus
from senderpools.wire.resources import SenderPool, SenderPoolSummary

app = typer.Typer(help="Sender pools on a server: list, create, show, change, members.", no_args_is_help=True)


# -- pools ---------------------------------------------------------------------------------------------
@api_command(app, "list")
def pools_list(
    session: Session,
    start_date: StartDate = None,
    end_date: EndDate = None,
    operation_id: Annotated[str | None, typer.Option(help="Only the pool this Create operation made.")] = None,
    name_prefix: Annotated[
        str | None, typer.Option(help="Only pools whose name starts with this, ignoring case (in name order).")
    ] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only pools with this tag: KEY=VALUE.")] = None,
    newest: Newest = False,
    limit: Limit = None,
) -> None:
    """List sender pools, oldest first (or by name with --name-prefix; --newest reverses either)."""
    pager = session.client.sender_pools.list(
        start_date=start_date,
        end_date=end_date,
        operation_id=operation_id,
        name_prefix=name_prefix,
        tag=tag_filter(tag),
        order=order_of(newest),
        page_size=page_size(limit),
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
    protect: Annotated[bool, flag("--protect", help="Turn deletion protection on.")] = False,
    wait: Annotated[bool, flag("--wait/--no-wait", help="Wait for the operation to finish.")] = True,
    timeout: Timeout = 300.0,
) -> None:
    """Create a pool (optionally with senders) and, by default, wait until its operation finishes."""
    tags, senders, pools = tag_options(tag), sender or None, session.client.sender_pools
    if not wait:
        pending = pools.create(name, tags=tags, senders=senders, deletion_protection=protect)
        session.say(f"Accepted: operation {pending.operation_id}.", pending.reference)
        return
    with progress_bar(session.err) as progress:
        bar = OperationsProgress(progress, "Creating pool", 1 + len(senders or []))
        created = pools.create(
            name,
            tags=tags,
            senders=senders,
            deletion_protection=protect,
            wait=True,
            timeout=timeout,
            on_progress=bar.update,
        )
    if session.json:
        typer.echo(msgspec.json.encode(created).decode())
        return
    if created.pool is not None:
        session.out.print(details(created.pool))
    session.out.print(details(created.operation))


@dataclass
class ShownPool:
    """What ``pools show`` shows: the pool, and its summary (None from a server without summaries)."""

    pool: SenderPool
    summary: SenderPoolSummary | None


@api_command(app, "show")
def pools_show(session: Session, pool_id: Annotated[str, typer.Argument(help="The pool ID.")]) -> None:
    """Show one pool, with its member counts (by channel and status) and running operations."""
    pool = session.client.sender_pools.fetch(pool_id)
    try:
        found: SenderPoolSummary | None = session.client.sender_pools.summary(pool_id)
    except NotFoundError:  # deleted meanwhile, or a server without the Summary extension
        found = None
    session.emit(ShownPool(pool, found), lambda shown: Group(*(details(v) for v in (shown.pool, shown.summary) if v)))


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
    """Delete a pool (its senders stay in the inventory); refused while it has deletion protection."""
    reference = session.client.sender_pools.delete(pool_id)
    session.say(f"Deleted pool {pool_id}.", reference or {"resourceId": pool_id})


@api_command(app, "protect")
def pools_protect(session: Session, pool_id: Annotated[str, typer.Argument(help="The pool ID.")]) -> None:
    """Turn deletion protection on: deleting the pool is refused until it is unprotected."""
    session.client.sender_pools.update(pool_id, deletion_protection=True)
    session.emit(session.client.sender_pools.fetch(pool_id), details)


@api_command(app, "unprotect")
def pools_unprotect(session: Session, pool_id: Annotated[str, typer.Argument(help="The pool ID.")]) -> None:
    """Turn deletion protection off, so the pool can be deleted."""
    session.client.sender_pools.update(pool_id, deletion_protection=False)
    session.emit(session.client.sender_pools.fetch(pool_id), details)


@api_command(app, "members")
def pools_members(
    session: Session,
    pool_id: Annotated[str, typer.Argument(help="The pool ID.")],
    channel: Annotated[Channel | None, typer.Option(help="Only this channel.")] = None,
    status: Annotated[SenderStatus | None, typer.Option(help="Only this status.")] = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
    newest: Newest = False,
    limit: Limit = None,
) -> None:
    """List the senders in a pool, oldest first."""
    pager = session.client.sender_pools.list_senders(
        pool_id,
        channel=channel,
        status=status,
        start_date=start_date,
        end_date=end_date,
        order=order_of(newest),
        page_size=page_size(limit),
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


FromCsv = Annotated[
    Path | None,
    typer.Option("--from-csv", help="A CSV with a senderId column, or address and channel columns.", dir_okay=False),
]
FailedFile = Annotated[Path | None, typer.Option(help="Where to write failed rows (default: FILE.failed-STEP.csv).")]
ChunkSize = Annotated[int, typer.Option(min=1, max=MAX_SENDERS_PER_REQUEST, help="Senders per request.")]
Wait = Annotated[bool, flag("--wait/--no-wait", help="Wait for the operations to finish.")]


@dataclass(frozen=True)
class Bulk:
    """Adding or removing senders in chunks, one operation each."""

    step: str  # names the failed-rows file: FILE.failed-STEP.csv
    progress: str  # the progress bar's label
    done: str  # what happened to a row that did not fail
    summary: str  # "Added to", "Removed from"
    queue: Callable[[SenderPools], Callable[..., PendingOperation]]  # the SDK method that starts one operation
    failures: Callable[[Session, str, list[PendingOperation], list[Row]], None]  # marks rows that failed


def _bulk(
    session: Session,
    bulk: Bulk,
    pool_id: str,
    sender_ids: list[str] | None,
    from_csv: Path | None,
    failed_file: Path | None,
    chunk_size: int,
    wait: bool,
    timeout: float,
) -> None:
    """Senders by ID or from a CSV, in chunks; a progress bar from the operations' stats; failed rows to a file."""
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
    start = bulk.queue(session.client.sender_pools)
    pending = [start(pool_id, chunk, idempotency_key=uuid.uuid4().hex) for chunk in chunks(unique, chunk_size)]
    failed_rows = failed_path(from_csv or Path("senders.csv"), failed_file, bulk.step)
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
    deadline = time.monotonic() + timeout
    with progress_bar(session.err) as progress:
        bar = OperationsProgress(progress, bulk.progress, len(unique), bulk.done)
        for p in pending:
            p.wait(timeout=max(0.0, deadline - time.monotonic()), on_progress=bar.update)
    bulk.failures(session, pool_id, pending, usable)
    summary(session, f"{bulk.summary} {pool_id}", rows, header, failed_rows, bulk.done)


def _not_added(session: Session, pool_id: str, pending: list[PendingOperation], rows: list[Row]) -> None:
    """Rows whose sender is not a member after the adds (read from the members: any server lists them)."""
    if any(p.fetch().stats.failed for p in pending):
        members = {s.id for s in session.client.sender_pools.list_senders(pool_id, page_size=1000)}
        for row in rows:
            if row.cells["senderId"] not in members:
                row.error = "not added: the operation counted it as failed (unknown sender?)"


def _not_removed(session: Session, pool_id: str, pending: list[PendingOperation], rows: list[Row]) -> None:
    """Rows whose item failed, from the operations' items."""
    failed = {
        item.sender_id: item.message
        for p in pending
        if p.fetch().stats.failed
        for item in p.items(outcome=ItemOutcome.SENDER_NOT_FOUND, page_size=1000)
    }
    for row in rows:
        if row.cells["senderId"] in failed:
            row.error = f"not removed: {failed[row.cells['senderId']]}"


ADDING = Bulk("add", "Adding senders", "created", "Added to", lambda pools: pools.add_senders, _not_added)
REMOVING = Bulk(
    "remove", "Removing senders", "removed", "Removed from", lambda pools: pools.remove_senders, _not_removed
)


@api_command(app, "add")
def pools_add(
    session: Session,
    pool_id: Annotated[str, typer.Argument(help="The pool ID.")],
    sender_ids: Annotated[list[str] | None, typer.Argument(help="Sender IDs to add.", show_default=False)] = None,
    from_csv: FromCsv = None,
    failed_file: FailedFile = None,
    chunk_size: ChunkSize = CHUNK_SIZE,
    wait: Wait = True,
    timeout: Timeout = 600.0,
) -> None:
    """Add senders to a pool, by ID or from a CSV, in chunks; shows progress from the operations' stats."""
    _bulk(session, ADDING, pool_id, sender_ids, from_csv, failed_file, chunk_size, wait, timeout)


@api_command(app, "remove")
def pools_remove(
    session: Session,
    pool_id: Annotated[str, typer.Argument(help="The pool ID.")],
    sender_ids: Annotated[
        list[str] | None, typer.Argument(help="Senders to take out of the pool.", show_default=False)
    ] = None,
    from_csv: FromCsv = None,
    failed_file: FailedFile = None,
    chunk_size: ChunkSize = CHUNK_SIZE,
    wait: Wait = True,
    timeout: Timeout = 600.0,
) -> None:
    """Remove senders from a pool: one sender at once, or many (by ID or from a CSV) in Remove Senders
    operations of up to 10,000, with progress; the senders stay in the inventory."""
    if from_csv is None and sender_ids is not None and len(sender_ids) == 1:
        reference = session.client.sender_pools.remove_sender(pool_id, sender_ids[0])
        session.say(f"Removed {sender_ids[0]} from {pool_id}.", reference or {"resourceId": sender_ids[0]})
        return
    _bulk(session, REMOVING, pool_id, sender_ids, from_csv, failed_file, chunk_size, wait, timeout)
