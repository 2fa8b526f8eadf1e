"""The ``senderpools`` command.

- ``serve``, ``worker`` (``server.py``): run the server; for operators.
- ``accounts``, ``keys`` (``admin.py``): credentials in the database; for operators.
- ``pools``, ``senders``, ``operations`` (``remote/``): the API of a running server, through the SDK; for users.
- ``plan``, ``apply``, ``export`` (``remote/declare.py``): pools as code, in a YAML file; ``schema`` its format.
"""

from __future__ import annotations

import typer

from senderpools.cli import admin, server
from senderpools.cli.remote import declare, events, operations, pools, senders

app = typer.Typer(
    help="senderpools: a self-hostable server for Twilio's Comms API Sender Pools.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(server.serve)
app.command()(server.worker)
app.add_typer(admin.accounts_app, name="accounts")
app.add_typer(admin.keys_app, name="keys")
app.add_typer(pools.app, name="pools")
app.add_typer(senders.app, name="senders")
app.add_typer(operations.app, name="operations")
app.add_typer(events.app, name="events")
app.add_typer(declare.app)
app.add_typer(declare.schema_app, name="schema")


def main() -> None:
    app()
