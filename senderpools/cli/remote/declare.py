"""``senderpools plan``, ``apply`` and ``export``: sender pools as code, in a YAML file.

``plan`` compares the file with the server and prints the difference (exit 0: nothing to change,
2: changes, 1: an error); ``apply`` makes the server match, after asking; ``export`` writes what the
server has in the same format. ``senderpools schema pools-file`` prints the file's JSON Schema.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from senderpools.cli.options import flag
from senderpools.cli.remote import poolfile, reconcile
from senderpools.cli.remote.execute import Execution
from senderpools.cli.remote.poolfile import Member, Pool, PoolFileError, PoolsFile
from senderpools.cli.remote.reconcile import Plan
from senderpools.cli.remote.session import Session, Timeout, api_command, print_error, progress_bar
from senderpools.client import SenderPoolsError

app = typer.Typer()  # its commands join the top level: senderpools plan|apply|export
schema_app = typer.Typer(help="JSON Schemas of senderpools' file formats, for editors.", no_args_is_help=True)

FileOption = Annotated[
    Path, typer.Option("--file", "-f", help="The pools file (YAML).", dir_okay=False, show_default=False)
]
PruneOption = Annotated[
    bool, flag("--prune", help="Remove members the file does not list. Without it, nothing is removed.")
]
RegisterOption = Annotated[
    bool,
    flag(
        "--register-missing",
        help="Register the senders the file gives by channel and address that the account lacks (senderpools only).",
    ),
]


def _plan(session: Session, file: Path, prune: bool, register_missing: bool) -> Plan:
    """Read the file and the server, and compare; a file problem is reported with its line (exit 1)."""
    try:
        document = poolfile.read(file)
        observed = reconcile.observe(session.client, document)
        return reconcile.make_plan(document, observed, prune=prune, register_missing=register_missing)
    except PoolFileError as exc:
        for line in exc.lines():
            print_error(session.err, line)
        raise typer.Exit(1) from None


@api_command(app, "plan", usage_exit=1, stock=True)
def plan(
    session: Session, file: FileOption, prune: PruneOption = False, register_missing: RegisterOption = False
) -> None:
    """Show what apply would change. Exit code: 0 nothing to change, 2 changes to make, 1 an error."""
    planned = _plan(session, file, prune, register_missing)
    if session.json:
        typer.echo(msgspec.json.encode(planned).decode())
    else:
        session.out.print(reconcile.render(planned), soft_wrap=True)  # long lines stay whole in logs
    raise typer.Exit(2 if planned.changes else 0)


@api_command(app, "apply", stock=True)
def apply(
    session: Session,
    file: FileOption,
    prune: PruneOption = False,
    register_missing: RegisterOption = False,
    yes: Annotated[bool, flag("--yes", "-y", help="Do not ask before making the changes.")] = False,
    timeout: Timeout = 600.0,
) -> None:
    """Make the server match the file: shows the plan, asks, then runs and waits for the operations.

    A run that stops half way (an error, Ctrl-C) is completed by running apply again."""
    planned = _plan(session, file, prune, register_missing)
    if not planned.changes:
        session.say(reconcile.summary(planned), {"plan": planned, "outcome": None})
        return
    (session.err if session.json else session.out).print(reconcile.render(planned), soft_wrap=True)
    if not yes:
        try:
            confirmed = typer.confirm("Apply these changes?", err=True, default=False)
        except typer.Abort:  # no answer: standard input is closed
            confirmed = False
        if not confirmed:
            print_error(session.err, "apply cancelled: nothing was changed")
            raise typer.Exit(1)
    try:
        with progress_bar(session.err) as progress:
            outcome = Execution(session.client, progress, timeout).run(planned)
    except (SenderPoolsError, KeyboardInterrupt):
        session.err.print("The changes made so far stay; run apply again to finish.", highlight=False)
        raise
    session.say(
        f"Applied: {outcome.created} pool(s) created, {outcome.updated} retagged; {outcome.added} member(s) added, "
        f"{outcome.removed} removed; {outcome.registered} sender(s) registered.",
        {"plan": planned, "outcome": outcome},
    )
    if outcome.failed:
        print_error(
            session.err,
            f"{outcome.failed} member(s) were not added: their operations counted them as failed (a sender deleted "
            "meanwhile?). Run plan to see what is missing.",
        )
        raise typer.Exit(1)


@api_command(app, "export", stock=True)
def export(
    session: Session,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of printing.", dir_okay=False)
    ] = None,
    by_id: Annotated[
        bool, flag("--by-id", help="Name members by sender ID (default: by channel and address).")
    ] = False,
    name: Annotated[
        list[str] | None, typer.Option("--name", help="Only the pool(s) with this name; repeat for several.")
    ] = None,
) -> None:
    """Write the server's pools, their tags and members as a pools file (what apply would keep as it is)."""
    pools = [p for p in session.client.sender_pools.list(page_size=1000) if not name or p.name in name]
    content = PoolsFile(
        pools=[
            Pool(
                name=pool.name,
                tags=pool.tags,
                senders=[
                    Member(sender_id=s.id) if by_id else Member(channel=s.channel, address=s.address)
                    for s in session.client.sender_pools.list_senders(pool.id, page_size=1000)
                ],
            )
            for pool in pools
        ]
    )
    names = [p.name for p in pools]
    for shared in sorted({n for n in names if names.count(n) > 1}):
        print_error(
            session.err,
            f"{names.count(shared)} pools are named {shared!r}: plan and apply refuse the file until they have "
            "distinct names",
        )
    if session.json:
        text = msgspec.json.encode(content).decode() + "\n"
    else:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        header = (
            f"senderpools pools file: {len(pools)} pool(s) exported from {session.client.base_url} at {stamp}.\n"
            "Check it with `senderpools plan -f FILE`; the format: `senderpools schema pools-file`."
        )
        text = poolfile.dump(content, header)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        session.err.print(f"Wrote {len(pools)} pool(s) to {output}.", markup=False, highlight=False)


@schema_app.command("pools-file")
def pools_file_schema() -> None:
    """The pools file's JSON Schema (draft 2020-12): point your editor's YAML support at it."""
    typer.echo(json.dumps(poolfile.schema(), indent=2))
