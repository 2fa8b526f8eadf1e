"""What every remote command shares: the SDK client built from the connection options, error
reporting, common options, and how results are printed (tables, or the wire JSON with ``--json``)."""

from __future__ import annotations

import inspect
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand

from senderpools.cli.options import flag
from senderpools.client import ApiError, Client, ConfigurationError, SenderPoolsError
from senderpools.wire.fields import TAG_PATTERN, ListOrder
from senderpools.wire.resources import Sender, SenderPool, SenderPoolOperation, SenderPoolSummary

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
_TAG = re.compile(TAG_PATTERN).fullmatch


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


def print_error(console: Console, text: str) -> None:
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
        annotation=Annotated[bool, flag("--json", help="Print JSON (the wire objects) for scripts.")],
    ),
]


def api_command(
    app: typer.Typer, name: str, *, usage_exit: int = 2, stock: bool = False
) -> Callable[[Command], Command]:
    """Register ``fn(session, ...)`` as ``name``, adding the connection options and the error handling.

    ``usage_exit`` is the exit code of a usage error (a bad option, no credentials): 2, unless the
    command gives 2 a meaning of its own. ``stock``: the command speaks only the Comms API (no
    extension fields asked for), so that it works the same against Twilio."""

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
                client = Client(
                    sid, token, api_key=key, api_secret=secret, base_url=kwargs.pop("base_url"), extensions=not stock
                )
            except ConfigurationError as exc:
                print_error(err, str(exc))
                raise typer.Exit(usage_exit) from None
            session = Session(client, kwargs.pop("json_output"), err=err)
            try:
                with client:
                    fn(session, **kwargs)
            except ApiError as exc:
                report(session, exc)
                raise typer.Exit(1) from None
            except SenderPoolsError as exc:
                print_error(err, str(exc))
                raise typer.Exit(1) from None

        all_params = [*params, *_CONNECTION]
        command.__signature__ = own.replace(parameters=all_params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in all_params}
        command.__name__, command.__doc__ = fn.__name__, fn.__doc__
        app.command(name, cls=_command_class(usage_exit))(command)
        return fn

    return register


# The usage errors of the click typer runs on (typer vendors its own click from 0.22 on).
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]


def _command_class(usage_exit: int) -> type[TyperCommand]:
    """A command whose usage errors (bad options, bad values) exit with ``usage_exit``."""
    if usage_exit == 2:
        return TyperCommand

    class Command(TyperCommand):
        def make_context(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().make_context(*args, **kwargs)
            except _UsageError as exc:
                exc.exit_code = usage_exit  # type: ignore[attr-defined]
                raise

        def invoke(self, ctx: Any) -> Any:
            try:
                return super().invoke(ctx)
            except _UsageError as exc:
                exc.exit_code = usage_exit  # type: ignore[attr-defined]
                raise

    return Command


def _given_as_flags(ctx: typer.Context) -> set[str]:
    """The connection options given on the command line (not from the environment or defaults)."""
    names = ("account_sid", "auth_token", "api_key", "api_secret")
    return {n for n in names if getattr(ctx.get_parameter_source(n), "name", None) == "COMMANDLINE"}


def report(session: Session, error: ApiError) -> None:
    if session.json:
        typer.echo(msgspec.json.encode({"status": error.status_code, "errors": error.errors}).decode(), err=True)
        return
    print_error(session.err, f"HTTP {error.status_code} from {error.method} {error.url}")
    for detail in error.errors:
        where = "" if detail.context in ("null", "") else f" (at {detail.context})"
        session.err.print(f"  {detail.code}: {detail.message}{where}", markup=False, highlight=False, soft_wrap=True)


# -- shared options and parsing ------------------------------------------------------------------------
Limit = Annotated[int | None, typer.Option("--limit", min=1, help="Show at most this many (default: all).")]
StartDate = Annotated[str | None, typer.Option("--start-date", help="Created at or after (RFC 3339).")]
EndDate = Annotated[str | None, typer.Option("--end-date", help="Created before (RFC 3339).")]
TagOption = Annotated[list[str] | None, typer.Option("--tag", help="KEY=VALUE; repeat for several.")]
Timeout = Annotated[float, typer.Option("--timeout", min=0, help="Seconds to wait for operations.")]
Newest = Annotated[bool, flag("--newest", help="Newest first.")]


def order_of(newest: bool) -> ListOrder | None:
    return ListOrder.NEWEST if newest else None


def tag_filter(value: str | None) -> tuple[str, str] | None:
    """A ``--tag KEY=VALUE`` search filter (``KEY:VALUE`` as the API writes it is accepted too)."""
    if value is None:
        return None
    key, sep, tag = value.replace(":", "=", 1).partition("=")
    if not sep or not _TAG(key) or not _TAG(tag):
        raise typer.BadParameter(f"{value!r} is not KEY=VALUE with letters, digits and . _ ~ -", param_hint="--tag")
    return key, tag


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


def tag_options(values: list[str] | None) -> dict[str, str] | None:
    if not values:
        return None
    try:
        return parse_tags(";".join(values))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tag") from None


def page_size(limit: int | None) -> int:
    return 1000 if limit is None else min(limit, 1000)


def take(items: Iterable[Any], limit: int | None) -> list[Any]:
    return list(itertools.islice(items, limit))


# -- rendering -----------------------------------------------------------------------------------------
def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _tags(tags: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in tags.items())


ID_COLUMNS = frozenset({"ID", "Sender"})
ID_WIDTH = len("comms_senderpool_") + 26  # the longest ID: never wrapped, so it can be copied


def new_table(title: str, *columns: str) -> Table:
    """A table whose ID columns never wrap (other columns fold to fit the terminal)."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        if column in ID_COLUMNS:
            table.add_column(column, no_wrap=True, overflow="ignore", min_width=ID_WIDTH)
        else:
            table.add_column(column, overflow="fold")
    return table


def add_row(table: Table, *cells: str) -> None:
    """A row of plain text: values from the server are never read as rich markup."""
    table.add_row(*(Text(cell) for cell in cells))


def pools_table(pools: Sequence[SenderPool]) -> Table:
    table = new_table(f"{len(pools)} sender pool(s)", "ID", "Name", "Tags", "Created", "Updated")
    for p in pools:
        add_row(table, p.id, p.name, _tags(p.tags), _when(p.created_at), _when(p.updated_at))
    return table


def senders_table(senders: Sequence[Sender]) -> Table:
    table = new_table(f"{len(senders)} sender(s)", "ID", "Address", "Channel", "Status", "Display name", "Tags")
    for s in senders:
        add_row(table, s.id, s.address, s.channel, s.status, s.display_name or "", _tags(s.tags))
    return table


def operations_table(operations: Sequence[SenderPoolOperation]) -> Table:
    table = new_table(
        f"{len(operations)} operation(s)", "ID", "Type", "Pool", "Status", "Total", "Queued", "Created", "Failed",
        "Created at",
    )  # fmt: skip
    for o in operations:
        s = o.stats
        kind, pool = ("" if v is msgspec.UNSET else str(v) for v in (o.type, o.sender_pool_id))
        add_row(
            table, o.id, kind, pool, o.status, str(s.total), str(s.queued), str(s.created), str(s.failed),
            _when(o.created_at),
        )  # fmt: skip
    return table


def details(value: SenderPool | Sender | SenderPoolOperation | SenderPoolSummary) -> Table:
    """One object as a field/value table."""
    table = Table(show_header=False, title=type(value).__name__, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold", min_width=ID_WIDTH)
    for name, item in msgspec.to_builtins(value).items():
        if isinstance(item, dict):
            item = ", ".join(f"{k}={v}" for k, v in item.items())
        add_row(table, name, "" if item is None else str(item))
    return table


def progress_bar(console: Console) -> Progress:
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

    def __init__(self, progress: Progress, description: str, total: int, done: str = "created") -> None:
        self._progress = progress
        self._done = done  # what an applied item did (the stats call it created)
        self._stats: dict[str, SenderPoolOperation] = {}
        self._task: TaskID = progress.add_task(description, total=total, detail="")

    def update(self, operation: SenderPoolOperation) -> None:
        self._stats[operation.id] = operation
        created = sum(o.stats.created for o in self._stats.values())
        failed = sum(o.stats.failed for o in self._stats.values())
        detail = f"{self._done} {created}, failed {failed}"
        self._progress.update(self._task, completed=created + failed, detail=detail)
