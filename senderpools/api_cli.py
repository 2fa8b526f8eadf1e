"""``senderpools pools|senders|operations``: talk to a server through the SDK.

Every command takes ``--base-url`` and credentials (flags or the TWILIO_* variables) and ``--json``.
Output is a readable table by default and the wire JSON with ``--json``. Exit codes: 0 ok, 1 the API
refused something (or some rows of an import failed), 2 usage.
"""

from __future__ import annotations

import csv
import inspect
import itertools
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from senderpools import ids
from senderpools.client import (
    ApiError,
    Client,
    ConfigurationError,
    ConflictError,
    InvalidRequestError,
    NewSender,
    Recipient,
    SenderPoolsError,
)
from senderpools.client.resources import PendingOperation
from senderpools.http.wire import MAX_SENDERS_PER_REQUEST, TAG_PATTERN
from senderpools.models import (
    Channel,
    OperationStatus,
    Sender,
    SenderPool,
    SenderPoolOperation,
    SenderStatus,
    address_problem,
)

pools_app = typer.Typer(help="Sender pools on a server: list, create, show, change, members.", no_args_is_help=True)
senders_app = typer.Typer(help="The sender inventory of a server: list, import, change, resolve.", no_args_is_help=True)
operations_app = typer.Typer(help="Sender pool operations: list, show, wait.", no_args_is_help=True)

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
CHUNK_SIZE = 1000  # senders per request: what real clients send
_TAG = re.compile(TAG_PATTERN).fullmatch
_ITEM_CONTEXT = re.compile(r"^\$\[(\d+)\]").match


# -- the session every command gets --------------------------------------------------------------------
@dataclass
class Session:
    client: Client
    json: bool
    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))

    def emit(self, value: Any, render: Callable[[Any], Any]) -> None:
        """``value`` as wire JSON with ``--json``, else as ``render(value)``."""
        if self.json:
            typer.echo(msgspec.json.encode(value).decode())
        else:
            self.out.print(render(value))

    def say(self, message: str, value: Any) -> None:
        """A one-line human message (never wrapped, no markup), or ``value`` as JSON."""
        if self.json:
            typer.echo(msgspec.json.encode(value).decode())
        else:
            self.out.print(message, markup=False, highlight=False, soft_wrap=True)


def _error(console: Console, text: str) -> None:
    console.print(f"[red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)


Command = Callable[..., None]

_CONNECTION = [
    inspect.Parameter(
        "base_url",
        inspect.Parameter.KEYWORD_ONLY,
        default=DEFAULT_BASE_URL,
        annotation=Annotated[
            str, typer.Option("--base-url", envvar="SENDERPOOLS_BASE_URL", help="The server.", rich_help_panel="Server")
        ],
    ),
    *(
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                str | None,
                typer.Option("--" + name.replace("_", "-"), envvar=env, help=text, rich_help_panel="Server"),
            ],
        )
        for name, env, text in (
            ("account_sid", "TWILIO_ACCOUNT_SID", "Account SID (AC...)."),
            ("auth_token", "TWILIO_AUTH_TOKEN", "Its auth token."),
            ("api_key", "TWILIO_API_KEY", "An API key SID (SK...), instead of the account's token."),
            ("api_secret", "TWILIO_API_SECRET", "The API key's secret."),
        )
    ),
    inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context),
    inspect.Parameter(
        "json_output",
        inspect.Parameter.KEYWORD_ONLY,
        default=False,
        annotation=Annotated[bool, typer.Option("--json", help="Print JSON (the wire objects) for scripts.")],
    ),
]


def _api_command(app: typer.Typer, name: str) -> Callable[[Command], Command]:
    """Register ``fn(session, ...)`` as ``name``, adding the connection options and the error handling."""

    def register(fn: Command) -> Command:
        own = inspect.signature(fn, eval_str=True)
        params = [p for p in own.parameters.values() if p.name != "session"]

        def command(**kwargs: Any) -> None:
            err = Console(stderr=True)
            sid, token, key, secret = (kwargs.pop(n) for n in ("account_sid", "auth_token", "api_key", "api_secret"))
            flags = _given_as_flags(kwargs.pop("ctx"))
            if flags & {"account_sid", "auth_token"} and not flags & {"api_key", "api_secret"}:
                key = secret = None  # account flags beat an API key from the environment
            try:
                client = Client(sid, token, api_key=key, api_secret=secret, base_url=kwargs.pop("base_url"))
            except ConfigurationError as exc:
                _error(err, str(exc))
                raise typer.Exit(2) from None
            session = Session(client, kwargs.pop("json_output"), err=err)
            try:
                with client:
                    fn(session, **kwargs)
            except ApiError as exc:
                _report(session, exc)
                raise typer.Exit(1) from None
            except SenderPoolsError as exc:
                _error(err, str(exc))
                raise typer.Exit(1) from None

        all_params = [*params, *_CONNECTION]
        command.__signature__ = own.replace(parameters=all_params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in all_params}
        command.__name__, command.__doc__ = fn.__name__, fn.__doc__
        app.command(name)(command)
        return fn

    return register


def _given_as_flags(ctx: typer.Context) -> set[str]:
    """The connection options given on the command line (not from the environment or defaults)."""
    names = ("account_sid", "auth_token", "api_key", "api_secret")
    return {n for n in names if getattr(ctx.get_parameter_source(n), "name", None) == "COMMANDLINE"}


def _report(session: Session, error: ApiError) -> None:
    if session.json:
        typer.echo(msgspec.json.encode({"status": error.status_code, "errors": error.errors}).decode(), err=True)
        return
    _error(session.err, f"HTTP {error.status_code} from {error.method} {error.url}")
    for detail in error.errors:
        where = "" if detail.context in ("null", "") else f" (at {detail.context})"
        session.err.print(f"  {detail.code}: {detail.message}{where}", markup=False, highlight=False, soft_wrap=True)


# -- shared options and parsing ------------------------------------------------------------------------
Limit = Annotated[int | None, typer.Option("--limit", min=1, help="Show at most this many (default: all).")]
StartDate = Annotated[str | None, typer.Option("--start-date", help="Created at or after (RFC 3339).")]
EndDate = Annotated[str | None, typer.Option("--end-date", help="Created before (RFC 3339).")]
TagOption = Annotated[list[str] | None, typer.Option("--tag", help="KEY=VALUE; repeat for several.")]
Timeout = Annotated[float, typer.Option("--timeout", min=0, help="Seconds to wait for operations.")]


def parse_tags(text: str) -> dict[str, str]:
    """``k=v;k=v`` (CSV) or one ``k=v`` (flags); raises ValueError on a malformed pair."""
    tags: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not _TAG(key) or not _TAG(value) or len(key) > 128 or len(value) > 256:
            raise ValueError(f"tag {pair!r} is not KEY=VALUE with letters, digits and . _ ~ -")
        tags[key] = value
    if len(tags) > 10:
        raise ValueError("at most 10 tags")
    return tags


def _tag_options(values: list[str] | None) -> dict[str, str] | None:
    if not values:
        return None
    try:
        return parse_tags(";".join(values))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tag") from None


def _page_size(limit: int | None) -> int:
    return 1000 if limit is None else min(limit, 1000)


def _take(items: Iterable[Any], limit: int | None) -> list[Any]:
    return list(itertools.islice(items, limit))


# -- rendering -----------------------------------------------------------------------------------------
def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _tags(tags: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in tags.items())


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _add_row(table: Table, *cells: str) -> None:
    """A row of plain text: values from the server are never read as rich markup."""
    table.add_row(*(Text(cell) for cell in cells))


def pools_table(pools: Sequence[SenderPool]) -> Table:
    table = _table(f"{len(pools)} sender pool(s)", "ID", "Name", "Tags", "Created", "Updated")
    for p in pools:
        _add_row(table, p.id, p.name, _tags(p.tags), _when(p.created_at), _when(p.updated_at))
    return table


def senders_table(senders: Sequence[Sender]) -> Table:
    table = _table(f"{len(senders)} sender(s)", "ID", "Address", "Channel", "Status", "Display name", "Tags")
    for s in senders:
        _add_row(table, s.id, s.address, s.channel, s.status, s.display_name or "", _tags(s.tags))
    return table


def operations_table(operations: Sequence[SenderPoolOperation]) -> Table:
    table = _table(
        f"{len(operations)} operation(s)", "ID", "Status", "Total", "Queued", "Created", "Failed", "Created at"
    )
    for o in operations:
        s = o.stats
        _add_row(table, o.id, o.status, str(s.total), str(s.queued), str(s.created), str(s.failed), _when(o.created_at))
    return table


def details(value: SenderPool | Sender | SenderPoolOperation) -> Table:
    """One object as a field/value table."""
    table = Table(show_header=False, title=type(value).__name__, title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for name, item in msgspec.to_builtins(value).items():
        if isinstance(item, dict):
            item = ", ".join(f"{k}={v}" for k, v in item.items())
        _add_row(table, name, "" if item is None else str(item))
    return table


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
    )


class OperationsProgress:
    """A progress bar driven by the live stats of one or more operations."""

    def __init__(self, progress: Progress, description: str, total: int) -> None:
        self._progress = progress
        self._stats: dict[str, SenderPoolOperation] = {}
        self._task: TaskID = progress.add_task(description, total=total, detail="")

    def update(self, operation: SenderPoolOperation) -> None:
        self._stats[operation.id] = operation
        created = sum(o.stats.created for o in self._stats.values())
        failed = sum(o.stats.failed for o in self._stats.values())
        self._progress.update(self._task, completed=created + failed, detail=f"created {created}, failed {failed}")


# -- CSV rows ------------------------------------------------------------------------------------------
@dataclass
class Row:
    """One CSV data row: its line number, its cells, and why it failed (None while it has not)."""

    line: int
    cells: dict[str, str]
    error: str | None = None


def read_rows(path: Path, required: Sequence[Sequence[str]]) -> tuple[list[str], list[Row]]:
    """The header and the rows; the header must hold one of the alternatives in each of ``required``."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            header = list(reader.fieldnames or [])
            rows = [
                Row(reader.line_num, {k: (v or "").strip() for k, v in r.items() if isinstance(k, str)}) for r in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc}") from None
    for alternatives in required:
        if not any(column in header for column in alternatives):
            raise typer.BadParameter(f"{path} needs a column {' or '.join(alternatives)} (header: {', '.join(header)})")
    return header, rows


def write_failed(path: Path, header: list[str], rows: Sequence[Row]) -> None:
    """The failed rows as CSV: the original columns plus ``line`` and ``error``."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, [*header, "line", "error"], extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row.cells, "line": row.line, "error": row.error})


def _failed_path(source: Path, chosen: Path | None, step: str) -> Path:
    """``chosen``, else ``FILE.failed-STEP.csv`` beside the source file."""
    return chosen or source.with_name(f"{source.stem}.failed-{step}.csv")


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _new_sender(row: Row) -> NewSender:
    """The sender a row describes; raises ValueError with the reason it cannot be one."""
    cells = row.cells
    try:
        channel = Channel(cells.get("channel", "").upper())
    except ValueError:
        raise ValueError(f"channel must be one of {', '.join(Channel)}") from None
    address = cells.get("address", "")
    problem = address_problem(channel, address)
    if problem:
        raise ValueError(f"address {problem}")
    status = cells.get("status") or None
    if status is not None and status.upper() not in SenderStatus.__members__:
        raise ValueError(f"status must be one of {', '.join(SenderStatus)}")
    display_name = cells.get("displayName") or None
    if display_name is not None and len(display_name) > 256:
        raise ValueError("displayName is longer than 256 characters")
    return NewSender(
        address=address,
        channel=channel,
        display_name=display_name,
        status=None if status is None else status.upper(),
        tags=parse_tags(cells.get("tags", "")) or None,
    )


def _summary(session: Session, what: str, total: int, failed: list[Row], header: list[str], failed_file: Path) -> None:
    """Write the failed rows (if any), print the summary, and exit 1 if any row failed."""
    if failed:
        write_failed(failed_file, header, failed)
    created = total - len(failed)
    where = f" (written to {failed_file})" if failed else ""
    session.say(
        f"{what}: {created} created, {len(failed)} failed{where}.",
        {"total": total, "created": created, "failed": len(failed), "failedFile": str(failed_file) if failed else None},
    )
    if failed:
        raise typer.Exit(1)


# -- pools ---------------------------------------------------------------------------------------------
@_api_command(pools_app, "list")
def pools_list(
    session: Session,
    start_date: StartDate = None,
    end_date: EndDate = None,
    operation_id: Annotated[str | None, typer.Option(help="Only the pool this Create operation made.")] = None,
    limit: Limit = None,
) -> None:
    """List sender pools, oldest first."""
    pager = session.client.sender_pools.list(
        start_date=start_date, end_date=end_date, operation_id=operation_id, page_size=_page_size(limit)
    )
    session.emit(_take(pager, limit), pools_table)


@_api_command(pools_app, "create")
def pools_create(
    session: Session,
    name: Annotated[str | None, typer.Option(help="The pool's name.")] = None,
    tag: TagOption = None,
    sender: Annotated[
        list[str] | None, typer.Option("--sender", help="A sender ID to add; repeat for several.")
    ] = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for the operation to finish.")] = True,
    timeout: Timeout = 300.0,
) -> None:
    """Create a pool (optionally with senders) and, by default, wait until its operation finishes."""
    tags, senders = _tag_options(tag), sender or None
    if not wait:
        pending = session.client.sender_pools.create(name, tags=tags, senders=senders)
        session.say(f"Accepted: operation {pending.operation_id}.", pending.reference)
        return
    with _progress(session.err) as progress:
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


@_api_command(pools_app, "show")
def pools_show(session: Session, pool_id: Annotated[str, typer.Argument(help="The pool ID.")]) -> None:
    """Show one pool."""
    session.emit(session.client.sender_pools.fetch(pool_id), details)


@_api_command(pools_app, "update")
def pools_update(
    session: Session,
    pool_id: Annotated[str, typer.Argument(help="The pool ID.")],
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    tag: TagOption = None,
    clear_tags: Annotated[bool, typer.Option("--clear-tags", help="Remove every tag.")] = False,
) -> None:
    """Rename a pool and/or replace its tags (the given tags replace all of them)."""
    tags = {} if clear_tags else _tag_options(tag)
    if name is None and tags is None:
        raise typer.BadParameter("give --name, --tag or --clear-tags")
    session.client.sender_pools.update(pool_id, name=name, tags=tags)
    session.emit(session.client.sender_pools.fetch(pool_id), details)


@_api_command(pools_app, "delete")
def pools_delete(session: Session, pool_id: Annotated[str, typer.Argument(help="The pool ID.")]) -> None:
    """Delete a pool (its senders stay in the inventory)."""
    reference = session.client.sender_pools.delete(pool_id)
    session.say(f"Deleted pool {pool_id}.", reference or {"resourceId": pool_id})


@_api_command(pools_app, "members")
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
        pool_id, channel=channel, status=status, start_date=start_date, end_date=end_date, page_size=_page_size(limit)
    )
    session.emit(_take(pager, limit), senders_table)


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


@_api_command(pools_app, "add")
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
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for the operations to finish.")] = True,
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
    usable = [r for r in rows if r.error is None]
    unique = list(dict.fromkeys(r.cells["senderId"] for r in usable))  # each sender once, in file order
    pending: list[PendingOperation] = [
        session.client.sender_pools.add_senders(pool_id, chunk, idempotency_key=uuid.uuid4().hex)
        for chunk in _chunks(unique, chunk_size)
    ]
    failed_path = _failed_path(from_csv or Path("senders.csv"), failed_file, "add")
    if not wait:
        failed = [r for r in rows if r.error is not None]
        if failed:
            write_failed(failed_path, header, failed)
        session.say(
            f"Accepted: {len(pending)} operation(s) for {len(unique)} sender(s): "
            + ", ".join(p.operation_id for p in pending)
            + (f"; {len(failed)} row(s) failed (written to {failed_path})." if failed else "."),
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
    _summary(session, f"Added to {pool_id}", len(rows), [r for r in rows if r.error], header, failed_path)


def _wait_all(
    session: Session, pending: list[PendingOperation], total: int, timeout: float
) -> list[SenderPoolOperation]:
    """Wait for every operation (``timeout`` in all), one progress bar over their combined stats."""
    deadline = time.monotonic() + timeout
    with _progress(session.err) as progress:
        bar = OperationsProgress(progress, "Adding senders", total)
        return [p.wait(timeout=max(0.0, deadline - time.monotonic()), on_progress=bar.update) for p in pending]


@_api_command(pools_app, "remove")
def pools_remove(
    session: Session,
    pool_id: Annotated[str, typer.Argument(help="The pool ID.")],
    sender_id: Annotated[str, typer.Argument(help="The sender to take out of the pool.")],
) -> None:
    """Remove one sender from a pool."""
    reference = session.client.sender_pools.remove_sender(pool_id, sender_id)
    session.say(f"Removed {sender_id} from {pool_id}.", reference or {"resourceId": sender_id})


# -- senders -------------------------------------------------------------------------------------------
@_api_command(senders_app, "list")
def senders_list(
    session: Session,
    channel: Annotated[str | None, typer.Option(help="SMS, RCS, EMAIL, WHATSAPP, PUSH (PHONE with --address).")] = None,
    status: Annotated[SenderStatus | None, typer.Option(help="Only this status.")] = None,
    address: Annotated[str | None, typer.Option(help="Search this address (needs --channel).")] = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
    limit: Limit = None,
) -> None:
    """List the senders in the inventory, or search one address with --address."""
    senders = session.client.senders
    if address is not None:
        if channel is None:
            raise typer.BadParameter("--address needs --channel")
        pager = senders.search(address, channel.upper(), status=status, page_size=_page_size(limit))
    else:
        if channel is not None and channel.upper() not in Channel.__members__:
            raise typer.BadParameter(f"--channel must be one of {', '.join(Channel)}")
        pager = senders.list(
            channel=channel and channel.upper(),
            status=status,
            start_date=start_date,
            end_date=end_date,
            page_size=_page_size(limit),
        )
    session.emit(_take(pager, limit), senders_table)


@_api_command(senders_app, "show")
def senders_show(session: Session, sender_id: Annotated[str, typer.Argument(help="The sender ID.")]) -> None:
    """Show one sender."""
    session.emit(session.client.senders.fetch(sender_id), details)


@_api_command(senders_app, "import")
def senders_import(
    session: Session,
    file: Annotated[Path, typer.Argument(help="CSV: address, channel[, displayName, tags as k=v;k=v, status].")],
    failed_file: Annotated[
        Path | None, typer.Option(help="Where to write failed rows (default: FILE.failed-import.csv).")
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(min=1, max=MAX_SENDERS_PER_REQUEST, help="Senders per request.")
    ] = CHUNK_SIZE,
) -> None:
    """Register the senders of a CSV in chunks; rows that fail are written to a file and the rest go on."""
    header, rows = read_rows(file, [("address",), ("channel",)])
    ready: list[tuple[Row, NewSender]] = []
    for row in rows:
        try:
            ready.append((row, _new_sender(row)))
        except ValueError as exc:
            row.error = str(exc)
    with _progress(session.err) as progress:
        task = progress.add_task("Registering senders", total=len(rows), detail="")
        progress.advance(task, len(rows) - len(ready))
        for chunk in _chunks(ready, chunk_size):
            _register_chunk(session, list(chunk), lambda n: progress.advance(task, n))
            failed = sum(r.error is not None for r in rows)
            progress.update(task, detail=f"failed {failed}")
    _summary(
        session,
        f"Imported {file}",
        len(rows),
        [r for r in rows if r.error],
        header,
        _failed_path(file, failed_file, "import"),
    )


def _register_chunk(session: Session, chunk: list[tuple[Row, NewSender]], advance: Callable[[int], None]) -> None:
    """One all-or-nothing request; on a 400/409 naming items, fail those rows and send the rest again."""
    while chunk:
        try:
            session.client.senders.create_many([s for _, s in chunk], idempotency_key=uuid.uuid4().hex)
        except (ConflictError, InvalidRequestError) as exc:
            reasons: dict[int, list[str]] = {}
            for detail in exc.errors:
                match = _ITEM_CONTEXT(detail.context)
                if match and int(match[1]) < len(chunk):
                    reasons.setdefault(int(match[1]), []).append(detail.message)
            if not reasons:  # not about particular rows: the whole chunk fails
                reasons = {i: [exc.message] for i in range(len(chunk))}
            for i, messages in reasons.items():
                chunk[i][0].error = "; ".join(messages)
            advance(len(reasons))
            chunk = [item for i, item in enumerate(chunk) if i not in reasons]
        else:
            advance(len(chunk))
            return


@_api_command(senders_app, "update")
def senders_update(
    session: Session,
    sender_id: Annotated[str, typer.Argument(help="The sender ID.")],
    display_name: Annotated[str | None, typer.Option(help="A new display name.")] = None,
    clear_display_name: Annotated[bool, typer.Option("--clear-display-name", help="Remove the display name.")] = False,
    status: Annotated[SenderStatus | None, typer.Option(help="ACTIVATED or DEACTIVATED.")] = None,
    tag: TagOption = None,
    clear_tags: Annotated[bool, typer.Option("--clear-tags", help="Remove every tag.")] = False,
) -> None:
    """Change a sender's display name, status or tags (the given tags replace all of them)."""
    tags = {} if clear_tags else _tag_options(tag)
    changes: dict[str, Any] = {}
    if clear_display_name or display_name is not None:
        changes["display_name"] = None if clear_display_name else display_name
    if display_name is None and not clear_display_name and status is None and tags is None:
        raise typer.BadParameter("give --display-name, --clear-display-name, --status, --tag or --clear-tags")
    sender = session.client.senders.update(sender_id, status=status, tags=tags, **changes)
    session.emit(sender, details)


@_api_command(senders_app, "delete")
def senders_delete(session: Session, sender_id: Annotated[str, typer.Argument(help="The sender ID.")]) -> None:
    """Delete a sender from the inventory (it leaves every pool)."""
    session.client.senders.delete(sender_id)
    session.say(f"Deleted sender {sender_id}.", {"deleted": sender_id})


def parse_recipient(text: str) -> Recipient:
    """``CHANNEL:ADDRESS``, or a bare address: an e-mail, a phone number (PHONE) or else a PUSH token."""
    prefix, sep, rest = text.partition(":")
    if sep and prefix.upper() in {*Channel.__members__, "PHONE"}:
        return Recipient(address=rest, channel=prefix.upper())
    if "@" in text:
        return Recipient(address=text, channel="EMAIL")
    if text.startswith("+"):
        return Recipient(address=text, channel="PHONE")
    return Recipient(address=text, channel="PUSH")


@_api_command(senders_app, "resolve")
def senders_resolve(
    session: Session,
    recipients: Annotated[list[str], typer.Argument(help="Recipients: [CHANNEL:]ADDRESS (CHANNEL may be PHONE).")],
    pool: Annotated[str | None, typer.Option("--pool", help="Only senders of this pool.")] = None,
    sender_address: Annotated[
        list[str] | None, typer.Option(help="Only senders with this address; repeatable.")
    ] = None,
    filter_in: Annotated[list[Channel] | None, typer.Option(help="Only this channel; repeatable.")] = None,
    priority: Annotated[list[Channel] | None, typer.Option(help="Channel order; repeatable.")] = None,
) -> None:
    """Which senders to use for each recipient, best first."""
    results = session.client.senders.resolve(
        [parse_recipient(r) for r in recipients],
        sender_pool_id=pool,
        sender_addresses=sender_address,
        filter_in=filter_in,
        priority=priority,
    )

    def render(_: Any) -> Table:
        table = _table(f"{len(results)} candidate(s)", "Recipient", "Priority", "Sender", "Address", "Channel")
        for r in results:
            _add_row(
                table,
                f"{r.to.channel}:{r.to.address}",
                str(r.priority),
                r.from_.sender_id,
                r.from_.address,
                r.from_.channel,
            )
        return table

    session.emit({"results": results}, render)


# -- operations ----------------------------------------------------------------------------------------
@_api_command(operations_app, "list")
def operations_list(
    session: Session,
    status: Annotated[OperationStatus | None, typer.Option(help="Only this status.")] = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
    limit: Limit = None,
) -> None:
    """List sender pool operations, oldest first."""
    pager = session.client.sender_pools.list_operations(
        status=status, start_date=start_date, end_date=end_date, page_size=_page_size(limit)
    )
    session.emit(_take(pager, limit), operations_table)


@_api_command(operations_app, "show")
def operations_show(session: Session, operation_id: Annotated[str, typer.Argument(help="The operation ID.")]) -> None:
    """Show one operation."""
    session.emit(session.client.sender_pools.fetch_operation(operation_id), details)


@_api_command(operations_app, "wait")
def operations_wait(
    session: Session,
    operation_id: Annotated[str, typer.Argument(help="The operation ID.")],
    timeout: Timeout = 600.0,
) -> None:
    """Wait for an operation to finish, with a progress bar of its stats; then show it."""
    first = session.client.sender_pools.fetch_operation(operation_id)
    with _progress(session.err) as progress:
        bar = OperationsProgress(progress, "Operation", first.stats.total)
        operation = session.client.sender_pools.wait_operation(operation_id, timeout=timeout, on_progress=bar.update)
    session.emit(operation, details)
