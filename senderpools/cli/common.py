"""What the server-side commands share: settings as options, and opening the database."""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from senderpools.config import Settings
from senderpools.store import DatabaseUrlError, Store, check_database_url, open_store

DEFAULTS = Settings()


def env(field: str) -> str:
    return Settings.env_name(field)


def fail(message: str, code: int = 2) -> NoReturn:
    """End the command with a one-line error on stderr (2: the command was given something unusable)."""
    typer.echo(f"senderpools: error: {message}", err=True)
    raise typer.Exit(code)


def _usable_database_url(url: str) -> str:
    try:
        check_database_url(url)
    except DatabaseUrlError as exc:
        fail(str(exc))
    return url


DatabaseUrl = Annotated[
    str,
    typer.Option(
        "--database-url",
        envvar=env("database_url"),
        help="sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB",
        callback=_usable_database_url,
    ),
]


async def open_database(database_url: str) -> Store:
    store = open_store(database_url)
    await store.migrate()
    return store
