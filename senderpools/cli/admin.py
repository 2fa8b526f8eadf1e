"""``senderpools accounts`` and ``senderpools keys``: for operators managing credentials in the database."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from senderpools import ids
from senderpools.cli.common import DEFAULTS, DatabaseUrl, open_database
from senderpools.service import credentials

accounts_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@accounts_app.command("create")
def accounts_create(
    database_url: DatabaseUrl = DEFAULTS.database_url,
    sid: Annotated[str | None, typer.Option("--sid", help="Create exactly this account SID (AC + 32 hex).")] = None,
    auth_token: Annotated[str | None, typer.Option("--auth-token", help="Its auth token.")] = None,
) -> None:
    """Create an account and print its credentials as one JSON line."""
    if (sid is None) != (auth_token is None):
        raise typer.BadParameter("--sid and --auth-token go together")
    if sid is not None and not ids.is_account_sid(sid):
        raise typer.BadParameter("--sid must be AC followed by 32 lowercase hex digits")

    async def run() -> tuple[str, str]:
        store = await open_database(database_url)
        try:
            created_sid, token, _ = await credentials.create_account(store, sid, auth_token)
            return created_sid, token
        finally:
            await store.close()

    try:
        created_sid, token = asyncio.run(run())
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"accountSid": created_sid, "authToken": token}))


@keys_app.command("create")
def keys_create(
    account: Annotated[str, typer.Option("--account", help="The account SID (AC...).")],
    database_url: DatabaseUrl = DEFAULTS.database_url,
) -> None:
    """Create an API key for an account and print it as one JSON line."""

    async def run() -> tuple[str, str]:
        store = await open_database(database_url)
        try:
            return await credentials.create_api_key(store, account)
        finally:
            await store.close()

    try:
        sid, secret = asyncio.run(run())
    except LookupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"sid": sid, "secret": secret}))


@keys_app.command("revoke")
def keys_revoke(sid: str, database_url: DatabaseUrl = DEFAULTS.database_url) -> None:
    """Revoke an API key."""

    async def run() -> bool:
        store = await open_database(database_url)
        try:
            return await store.revoke_api_key(sid, ids.now_ms())
        finally:
            await store.close()

    if not asyncio.run(run()):
        typer.echo(f"error: no active API key {sid}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps({"sid": sid, "revoked": True}))
