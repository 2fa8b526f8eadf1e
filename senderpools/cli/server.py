"""``senderpools serve`` and ``senderpools worker``: for operators running the server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

import typer

from senderpools.cli import supervision
from senderpools.cli.common import DEFAULTS, DatabaseUrl, env, fail, open_database
from senderpools.cli.options import flag
from senderpools.config import Settings
from senderpools.service import credentials


def serve(
    host: Annotated[str, typer.Option(envvar=env("host"))] = DEFAULTS.host,
    port: Annotated[int, typer.Option(envvar=env("port"))] = DEFAULTS.port,
    database_url: DatabaseUrl = DEFAULTS.database_url,
    public_url: Annotated[
        str | None, typer.Option(envvar=env("public_url"), help="Base of Location URLs (default: from the request).")
    ] = None,
    workers: Annotated[int, typer.Option(envvar=env("workers"), help="HTTP worker processes.")] = DEFAULTS.workers,
    run_worker: Annotated[
        bool, flag("--worker/--no-worker", envvar=env("run_worker"), help="Apply operations in this process.")
    ] = True,
    rate_limit: Annotated[
        float,
        typer.Option(
            envvar=env("rate_limit"), help="Requests/s per account (and process, see --rate-limit-scope); 0 = off."
        ),
    ] = DEFAULTS.rate_limit,
    rate_burst: Annotated[float, typer.Option(envvar=env("rate_burst"))] = DEFAULTS.rate_burst,
    rate_limit_scope: Annotated[
        Literal["process", "database"],
        typer.Option(
            envvar=env("rate_limit_scope"),
            help="process: buckets per process; database: one set shared by every node on the database.",
        ),
    ] = DEFAULTS.rate_limit_scope,
    max_body_bytes: Annotated[int, typer.Option(envvar=env("max_body_bytes"))] = DEFAULTS.max_body_bytes,
    max_connections: Annotated[
        int, typer.Option(envvar=env("max_connections"), help="Open connections per HTTP worker process.")
    ] = DEFAULTS.max_connections,
    header_timeout: Annotated[
        float,
        typer.Option(
            envvar=env("header_timeout"),
            help="Seconds to send a request's head, from connecting or from the previous response (keep-alive).",
        ),
    ] = DEFAULTS.header_timeout,
    body_timeout: Annotated[
        float, typer.Option(envvar=env("body_timeout"), help="Seconds for a request's whole body to arrive (408).")
    ] = DEFAULTS.body_timeout,
    sqlite_synchronous: Annotated[
        str, typer.Option(envvar=env("sqlite_synchronous"), help="NORMAL or FULL.")
    ] = DEFAULTS.sqlite_synchronous,
    sqlite_lock_timeout: Annotated[
        float,
        typer.Option(
            envvar=env("sqlite_lock_timeout"),
            help="Seconds a write waits for another process's SQLite write lock, then 503.",
        ),
    ] = DEFAULTS.sqlite_lock_timeout,
    log_level: Annotated[str, typer.Option(envvar=env("log_level"))] = DEFAULTS.log_level,
    test_controls: Annotated[
        bool, flag("--test-controls", envvar=env("test_controls"), help="Mount the test controls (/_test/).")
    ] = False,
    access_log: Annotated[
        bool, flag("--access-log", envvar=env("access_log"), help="Log one line per request (method, path, status).")
    ] = False,
) -> None:
    """Serve the HTTP API (and, by default, the operation worker)."""
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
        max_connections=max_connections,
        header_timeout=header_timeout,
        body_timeout=body_timeout,
        sqlite_synchronous=sqlite_synchronous,
        sqlite_lock_timeout=sqlite_lock_timeout,
        log_level=log_level,
        test_controls=test_controls or None,
        access_log=access_log or None,
    )
    try:
        guard = supervision.claim_port(settings.host, settings.port)  # held until the server exits
    except supervision.PortTaken as exc:
        fail(f"{exc} (is another server running there?)", code=1)
    with guard:
        new = asyncio.run(_bootstrap(settings.database_url))
        base = f"http://{_url_host(settings.host)}:{settings.port}"
        typer.echo(
            f"senderpools: serving {base} (console {base}/console, API docs {base}/docs),"
            f" database {_where(settings.database_url)} ({'new' if new else 'existing'})"
        )
        os.environ.update(settings.to_env())  # the HTTP worker processes read their settings from here
        granian_server(settings).serve()


WORKER_APP = "senderpools.cli.supervision:worker_app"  # granian's factory in each HTTP worker process


def granian_server(settings: Settings, target: str = WORKER_APP, factory: bool = True) -> Any:
    """The HTTP server: ``settings.workers`` processes, each running ``target`` (the benchmark's floors
    serve their bare apps with these same options, so they measure the same server).

    HTTP/1.1 only: in its automatic mode granian first waits, without any time limit, for the bytes
    that would announce HTTP/2, so a connection that never sends a byte was held forever (and 1,024 of
    them locked everyone out). In HTTP/1 mode ``header_timeout`` runs from the moment a connection is
    accepted, and again from each response: a silent, slow or idle connection is closed once it is
    over. Cleartext HTTP/2 (prior knowledge) is not offered; clients speak HTTP/1.1 to http:// URLs.
    A worker that dies is replaced (a second death within 5.5 s stops the server instead).
    """
    from granian import Granian  # imported here: the other commands do not need the server
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    files = supervision.raise_open_file_limit()
    connections = settings.max_connections
    if connections > files - supervision.FILES_RESERVED:
        connections = max(1, files - supervision.FILES_RESERVED)
        typer.echo(
            f"senderpools: warning: the open-file limit ({files}) allows {connections} connections per worker,"
            f" not {settings.max_connections}: raise it (ulimit -n) or lower --max-connections",
            err=True,
        )
    return Granian(
        target,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        factory=factory,
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(header_read_timeout=max(1, round(settings.header_timeout * 1000))),
        backpressure=connections,
        respawn_failed_workers=True,
        workers_kill_timeout=_WORKERS_KILL_TIMEOUT,
        log_level=LogLevels(settings.log_level),
        log_access=settings.access_log,
        log_access_format='%(addr)s "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).1fms',
    )


_WORKERS_KILL_TIMEOUT = 10  # seconds a stopping worker gets to finish its requests before it is killed


async def _bootstrap(database_url: str) -> bool:
    """Migrate, and on an empty database create a development account and show its credentials once
    (as lines to paste into a shell). Whether the database was new (had no account yet)."""
    store = await open_database(database_url)
    try:
        created = await credentials.create_first_account(store)
        if created is not None:
            sid, token = created
            typer.echo(
                "senderpools: created a development account. The token is shown only now (it is stored hashed):\n"
                f"  export TWILIO_ACCOUNT_SID={sid}\n  export TWILIO_AUTH_TOKEN={token}"
            )
        return created is not None
    finally:
        await store.close()


def _url_host(host: str) -> str:
    """The host as a URL names it: IPv6 in brackets; a wildcard address as the loopback one that reaches it."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104 (naming it, not binding)
    return f"[{host}]" if ":" in host else host


def _where(database_url: str) -> str:
    """Where the database is, for people: a SQLite file's path, or a PostgreSQL URL without its password."""
    if database_url.startswith("sqlite:///"):
        return database_url.removeprefix("sqlite:///")
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def worker(
    database_url: DatabaseUrl = DEFAULTS.database_url,
    batch_size: Annotated[int, typer.Option(envvar=env("worker_batch_size"))] = DEFAULTS.worker_batch_size,
    poll_interval: Annotated[float, typer.Option(envvar=env("worker_poll_interval"))] = DEFAULTS.worker_poll_interval,
    test_controls: Annotated[
        bool,
        flag(
            "--test-controls",
            envvar=env("test_controls"),
            help="Respect the pacing that test controls set (/_test/Pacing) on a server with --test-controls.",
        ),
    ] = False,
) -> None:
    """Apply queued operations, without serving HTTP."""
    from senderpools.composition import run_worker

    logging.basicConfig(level=logging.INFO)
    settings = Settings.from_env(
        database_url=database_url,
        worker_batch_size=batch_size,
        worker_poll_interval=poll_interval,
        test_controls=test_controls or None,
    )

    async def run() -> None:
        task = asyncio.create_task(run_worker(settings))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())
