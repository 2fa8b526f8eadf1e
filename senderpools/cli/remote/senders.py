"""``senderpools senders``: the sender inventory of a server."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.table import Table

from senderpools.cli.options import flag
from senderpools.cli.remote.rows import (
    CHUNK_SIZE,
    Row,
    chunks,
    failed_path,
    new_sender,
    read_rows,
    skip_repeats,
    summary,
)
from senderpools.cli.remote.session import (
    EndDate,
    Limit,
    Session,
    StartDate,
    TagOption,
    add_row,
    api_command,
    details,
    new_table,
    page_size,
    progress_bar,
    senders_table,
    tag_options,
    take,
)
from senderpools.client import ConflictError, InvalidRequestError, NewSender, Recipient
from senderpools.wire.fields import (
    MAX_SENDERS_PER_REQUEST,
    PHONE,
    RECIPIENT_CHANNELS,
    Channel,
    Health,
    SenderStatus,
    Stickiness,
)

app = typer.Typer(help="The sender inventory of a server: list, import, change, resolve.", no_args_is_help=True)
_ITEM_CONTEXT = re.compile(r"^\$\[(\d+)\]").match


# -- senders -------------------------------------------------------------------------------------------
@api_command(app, "list")
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
        pager = senders.search(address, channel.upper(), status=status, page_size=page_size(limit))
    else:
        if channel is not None and channel.upper() not in Channel.__members__:
            raise typer.BadParameter(f"--channel must be one of {', '.join(Channel)}")
        pager = senders.list(
            channel=channel and channel.upper(),
            status=status,
            start_date=start_date,
            end_date=end_date,
            page_size=page_size(limit),
        )
    session.emit(take(pager, limit), senders_table)


@api_command(app, "show")
def senders_show(session: Session, sender_id: Annotated[str, typer.Argument(help="The sender ID.")]) -> None:
    """Show one sender."""
    session.emit(session.client.senders.fetch(sender_id), details)


@api_command(app, "import")
def senders_import(
    session: Session,
    file: Annotated[Path, typer.Argument(help="CSV: address, channel[, displayName, tags as k=v;k=v, status].")],
    failed_file: Annotated[
        Path | None, typer.Option(help="Where to write failed rows (default: FILE.failed-import.csv).")
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(min=1, max=MAX_SENDERS_PER_REQUEST, help="Senders per request.")
    ] = CHUNK_SIZE,
    skip_existing: Annotated[
        bool, flag("--skip-existing", help="Skip rows whose channel and address are registered already.")
    ] = False,
) -> None:
    """Register the senders of a CSV in chunks; rows that fail are written to a file and the rest go on.
    A row repeating an earlier one (same channel and address) is skipped, not sent."""
    header, rows = read_rows(file, [("address",), ("channel",)])
    senders: dict[int, NewSender] = {}
    for row in rows:
        try:
            senders[row.line] = new_sender(row)
        except ValueError as exc:
            row.error = str(exc)
    skip_repeats(rows, lambda row: (senders[row.line].channel, senders[row.line].address))
    ready = [(row, senders[row.line]) for row in rows if row.pending]
    with progress_bar(session.err) as progress:
        task = progress.add_task("Registering senders", total=len(rows), detail="")
        progress.advance(task, len(rows) - len(ready))
        for chunk in chunks(ready, chunk_size):
            _register_chunk(session, list(chunk), lambda n: progress.advance(task, n), skip_existing)
            failed = sum(r.error is not None for r in rows)
            progress.update(task, detail=f"failed {failed}")
    summary(session, f"Imported {file}", rows, header, failed_path(file, failed_file, "import"))


def _register_chunk(
    session: Session, chunk: list[tuple[Row, NewSender]], advance: Callable[[int], None], skip_existing: bool
) -> None:
    """One all-or-nothing request; on a 400/409 naming items, fail those rows (or, with ``skip_existing``,
    skip the ones a 409 names: repeats are gone already, so a 409 means registered before) and send the
    rest again."""
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
                if skip_existing and isinstance(exc, ConflictError):
                    chunk[i][0].skipped = "already registered"
                else:
                    chunk[i][0].error = "; ".join(messages)
            advance(len(reasons))
            chunk = [item for i, item in enumerate(chunk) if i not in reasons]
        else:
            advance(len(chunk))
            return


@api_command(app, "update")
def senders_update(
    session: Session,
    sender_id: Annotated[str, typer.Argument(help="The sender ID.")],
    display_name: Annotated[str | None, typer.Option(help="A new display name.")] = None,
    clear_display_name: Annotated[bool, flag("--clear-display-name", help="Remove the display name.")] = False,
    status: Annotated[SenderStatus | None, typer.Option(help="ACTIVATED or DEACTIVATED.")] = None,
    tag: TagOption = None,
    clear_tags: Annotated[bool, flag("--clear-tags", help="Remove every tag.")] = False,
    weight: Annotated[int | None, typer.Option(min=1, max=100, help="Resolve's weight among equals (1-100).")] = None,
    health: Annotated[Health | None, typer.Option(help="HEALTHY, DEGRADED or UNHEALTHY.")] = None,
) -> None:
    """Change a sender's display name, status, tags (the given tags replace all of them), weight or health."""
    tags = {} if clear_tags else tag_options(tag)
    changes: dict[str, Any] = {}
    if clear_display_name or display_name is not None:
        changes["display_name"] = None if clear_display_name else display_name
    if display_name is None and not clear_display_name and (status, tags, weight, health) == (None,) * 4:
        raise typer.BadParameter(
            "give --display-name, --clear-display-name, --status, --tag, --clear-tags, --weight or --health"
        )
    sender = session.client.senders.update(sender_id, status=status, tags=tags, weight=weight, health=health, **changes)
    session.emit(sender, details)


@api_command(app, "delete")
def senders_delete(session: Session, sender_id: Annotated[str, typer.Argument(help="The sender ID.")]) -> None:
    """Delete a sender from the inventory (it leaves every pool)."""
    session.client.senders.delete(sender_id)
    session.say(f"Deleted sender {sender_id}.", {"deleted": sender_id})


def parse_recipient(text: str) -> Recipient:
    """``CHANNEL:ADDRESS``, or a bare address: an e-mail, a phone number (PHONE) or else a PUSH token."""
    prefix, sep, rest = text.partition(":")
    if sep and prefix.upper() in RECIPIENT_CHANNELS:
        return Recipient(address=rest, channel=prefix.upper())
    if "@" in text:
        return Recipient(address=text, channel="EMAIL")
    if text.startswith("+"):
        return Recipient(address=text, channel=PHONE)
    return Recipient(address=text, channel="PUSH")


@api_command(app, "resolve")
def senders_resolve(
    session: Session,
    recipients: Annotated[list[str], typer.Argument(help="Recipients: [CHANNEL:]ADDRESS (CHANNEL may be PHONE).")],
    pool: Annotated[str | None, typer.Option("--pool", help="Only senders of this pool.")] = None,
    sender_address: Annotated[
        list[str] | None, typer.Option(help="Only senders with this address; repeatable.")
    ] = None,
    filter_in: Annotated[list[Channel] | None, typer.Option(help="Only this channel; repeatable.")] = None,
    priority: Annotated[list[Channel] | None, typer.Option(help="Channel order; repeatable.")] = None,
    geo_match: Annotated[bool, flag("--geo-match", help="Prefer the area code, time zone, country.")] = False,
    stickiness: Annotated[
        Stickiness, typer.Option(help="Remember choices per POOL or across the ACCOUNT's pools.")
    ] = Stickiness.NONE,
    skip_unhealthy: Annotated[bool, flag("--skip-unhealthy", help="Never choose UNHEALTHY senders.")] = False,
    explain: Annotated[bool, flag("--explain", help="Why each sender, and why the others lost.")] = False,
    dry_run: Annotated[bool, flag("--dry-run", help="Store no new sticky sender.")] = False,
) -> None:
    """Which senders to use for each recipient, best first."""
    results = session.client.senders.resolve(
        [parse_recipient(r) for r in recipients],
        sender_pool_id=pool,
        sender_addresses=sender_address,
        filter_in=filter_in,
        priority=priority,
        geo_match=geo_match,
        stickiness=stickiness,
        skip_unhealthy=skip_unhealthy,
        explain=explain,
        dry_run=dry_run,
    )

    def render(_: Any) -> Any:
        columns = ["Recipient", "Priority", "Sender", "Address", "Channel", *(["Why"] if explain else [])]
        table = new_table(f"{len(results)} candidate(s)", *columns)
        for r in results:
            why = ["\n".join(f"{reason.code}: {reason.message}" for reason in r.reasons or ())] if explain else []
            add_row(
                table,
                f"{r.to.channel}:{r.to.address}",
                str(r.priority),
                r.from_.sender_id,
                r.from_.address,
                r.from_.channel,
                *why,
            )
        if not explain or results.recipients is None:
            return table
        lost = new_table("Why the other candidates lost", "Recipient", "Candidates", "Channel", "Lost", "Reason")
        for explained in results.recipients:
            recipient = f"{explained.to.channel}:{explained.to.address}"
            if not explained.lost:
                add_row(lost, recipient, str(explained.candidates), "", "", "")
            for loss in explained.lost:
                reason = f"{loss.reason}: {loss.message}"
                add_row(lost, recipient, str(explained.candidates), loss.channel, str(loss.count), reason)
        return Group(table, lost)

    reply: dict[str, Any] = {"results": list(results)}
    if results.recipients is not None:
        reply["recipients"] = results.recipients
    session.emit(reply, render)


@api_command(app, "sticky")
def senders_sticky(
    session: Session,
    address: Annotated[str, typer.Argument(help="The recipient's address.")],
    scope: Annotated[str | None, typer.Option(help="ACCOUNT, or a pool ID: only that scope.")] = None,
    clear: Annotated[bool, flag("--clear", help="Forget them, so the next Resolve chooses afresh.")] = False,
) -> None:
    """The senders Resolve remembers for a recipient (stickiness), or --clear them."""
    senders = session.client.senders
    if clear:
        deleted = senders.clear_sticky_senders(address, scope=scope)
        session.say(f"Forgot {deleted} sticky sender(s) of {address}.", {"deleted": deleted})
        return
    mappings = senders.sticky_senders(address, scope=scope)

    def render(_: Any) -> Table:
        table = new_table(f"{len(mappings)} sticky sender(s)", "Scope", "Channel", "Sender", "Since", "Expires")
        for m in mappings:
            expires = "never" if m.expires_at is None else m.expires_at.isoformat()
            add_row(table, m.scope, m.channel, m.sender_id, m.created_at.isoformat(), expires)
        return table

    session.emit({"mappings": mappings}, render)
