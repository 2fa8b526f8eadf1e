"""The ``senderpools`` command: run the server or a worker, and manage accounts and API keys."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from typing import Annotated, Literal

import typer

from senderpools import api_cli
from senderpools.config import Settings
from senderpools.service import credentials
from senderpools.store import Store, open_store

app = typer.Typer(help="senderpools: a self-hostable server for Twilio's Comms API Sender Pools.", no_args_is_help=True)
accounts_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(api_cli.pools_app, name="pools")
app.add_typer(api_cli.senders_app, name="senders")
app.add_typer(api_cli.operations_app, name="operations")

_DEFAULTS = Settings()


def _env(field: str) -> str:
    return Settings.env_name(field)


TestControlsOption = typer.Option(
    "--test-controls",
    envvar=_env("test_controls"),
    help="Serve /_test/ (faults, pacing, reset, seed); and respect pacing.",
)
DatabaseUrl = Annotated[str, typer.Option("--database-url", envvar=_env("database_url"), help="sqlite:///PATH")]


async def _open(database_url: str) -> Store:
    store = open_store(database_url)
    await store.migrate()
    return store


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar=_env("host"))] = _DEFAULTS.host,
    port: Annotated[int, typer.Option(envvar=_env("port"))] = _DEFAULTS.port,
    database_url: DatabaseUrl = _DEFAULTS.database_url,
    public_url: Annotated[
        str | None, typer.Option(envvar=_env("public_url"), help="Base of Location URLs (default: from the request).")
    ] = None,
    workers: Annotated[int, typer.Option(envvar=_env("workers"), help="HTTP worker processes.")] = _DEFAULTS.workers,
    run_worker: Annotated[
        bool, typer.Option("--worker/--no-worker", envvar=_env("run_worker"), help="Apply operations in this process.")
    ] = True,
    rate_limit: Annotated[
        float,
        typer.Option(
            envvar=_env("rate_limit"), help="Requests/s per account (and process, see --rate-limit-scope); 0 = off."
        ),
    ] = _DEFAULTS.rate_limit,
    rate_burst: Annotated[float, typer.Option(envvar=_env("rate_burst"))] = _DEFAULTS.rate_burst,
    rate_limit_scope: Annotated[
        Literal["process", "database"],
        typer.Option(
            envvar=_env("rate_limit_scope"),
            help="process: buckets per process; database: one set shared by every node on the database.",
        ),
    ] = _DEFAULTS.rate_limit_scope,
    max_body_bytes: Annotated[int, typer.Option(envvar=_env("max_body_bytes"))] = _DEFAULTS.max_body_bytes,
    sqlite_synchronous: Annotated[
        str, typer.Option(envvar=_env("sqlite_synchronous"), help="NORMAL or FULL.")
    ] = _DEFAULTS.sqlite_synchronous,
    log_level: Annotated[str, typer.Option(envvar=_env("log_level"))] = _DEFAULTS.log_level,
    test_controls: Annotated[bool, TestControlsOption] = False,
) -> None:
    """Serve the HTTP API (and, by default, the operation worker)."""
    from granian import Granian  # imported here: the other commands do not need the server
    from granian.constants import Interfaces
    from granian.log import LogLevels

    settings = Settings.from_env(
        host=host,
        port=port,
        database_url=database_url,
        public_url=public_url,
        workers=workers,
        run_worker=run_worker,
        rate_limit=rate_limit,
        rate_burst=rate_burst,
        rate_limit_scope=rate_limit_scope,
        max_body_bytes=max_body_bytes,
        sqlite_synchronous=sqlite_synchronous,
        log_level=log_level,
        test_controls=test_controls or None,
    )
    asyncio.run(_bootstrap(settings.database_url))
    os.environ.update(settings.to_env())  # the HTTP worker processes read their settings from here
    Granian(
        "senderpools.http.app:app_from_env",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        factory=True,
        log_level=LogLevels(settings.log_level),
    ).serve()


async def _bootstrap(database_url: str) -> None:
    """Migrate, and on an empty database create a development account and show its credentials once."""
    store = await _open(database_url)
    try:
        created = await credentials.create_first_account(store)
        if created is not None:
            sid, token = created
            typer.echo(
                "senderpools: created a development account. The token is shown only now (it is stored hashed):\n"
                f"  TWILIO_ACCOUNT_SID={sid}\n  TWILIO_AUTH_TOKEN={token}"
            )
    finally:
        await store.close()


@app.command()
def worker(
    database_url: DatabaseUrl = _DEFAULTS.database_url,
    batch_size: Annotated[int, typer.Option(envvar=_env("worker_batch_size"))] = _DEFAULTS.worker_batch_size,
    poll_interval: Annotated[float, typer.Option(envvar=_env("worker_poll_interval"))] = _DEFAULTS.worker_poll_interval,
    test_controls: Annotated[bool, TestControlsOption] = False,
) -> None:
    """Apply queued operations, without serving HTTP."""
    from senderpools.http.routes.test_controls import OperationPacer
    from senderpools.worker import OperationWorker

    logging.basicConfig(level=logging.INFO)

    async def run() -> None:
        store = await _open(database_url)
        pacer = OperationPacer(store) if test_controls else None  # respect /_test/Pacing
        ttl = Settings.from_env().idempotency_ttl
        task = asyncio.create_task(
            OperationWorker(store, batch_size, poll_interval, idempotency_ttl=ttl, pacer=pacer).run()
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            pass
        finally:
            await store.close()

    asyncio.run(run())


@accounts_app.command("create")
def accounts_create(
    database_url: DatabaseUrl = _DEFAULTS.database_url,
    sid: Annotated[str | None, typer.Option("--sid", help="Create exactly this account SID (AC + 32 hex).")] = None,
    auth_token: Annotated[str | None, typer.Option("--auth-token", help="Its auth token.")] = None,
) -> None:
    """Create an account and print its credentials as one JSON line."""
    from senderpools import ids

    if (sid is None) != (auth_token is None):
        raise typer.BadParameter("--sid and --auth-token go together")
    if sid is not None and not ids.is_account_sid(sid):
        raise typer.BadParameter("--sid must be AC followed by 32 lowercase hex digits")

    async def run() -> tuple[str, str]:
        store = await _open(database_url)
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
    database_url: DatabaseUrl = _DEFAULTS.database_url,
) -> None:
    """Create an API key for an account and print it as one JSON line."""

    async def run() -> tuple[str, str]:
        store = await _open(database_url)
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
def keys_revoke(sid: str, database_url: DatabaseUrl = _DEFAULTS.database_url) -> None:
    """Revoke an API key."""
    from senderpools import ids

    async def run() -> bool:
        store = await _open(database_url)
        try:
            return await store.revoke_api_key(sid, ids.now_ms())
        finally:
            await store.close()

    if not asyncio.run(run()):
        typer.echo(f"error: no active API key {sid}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps({"sid": sid, "revoked": True}))


def main() -> None:
    app()
