"""What the server-side commands share: settings as options, and opening the database."""

from __future__ import annotations

from typing import Annotated

import typer

from senderpools.config import Settings
from senderpools.store import Store, open_store

DEFAULTS = Settings()


def env(field: str) -> str:
    return Settings.env_name(field)


DatabaseUrl = Annotated[
    str,
    typer.Option(
        "--database-url", envvar=env("database_url"), help="sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB"
    ),
]


async def open_database(database_url: str) -> Store:
    store = open_store(database_url)
    await store.migrate()
    return store
