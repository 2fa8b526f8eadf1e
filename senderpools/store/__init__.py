"""Storage: one abstract interface (``base.Store``), one module of SQL per backend."""

from __future__ import annotations

import os

from senderpools.store.base import Store

URL_FORMS = "sqlite:///relative/path, sqlite:////absolute/path or postgresql://user:password@host:port/database"


class DatabaseUrlError(ValueError):
    """A database URL that names no usable database (said in one line, for operators)."""


def sqlite_path(database_url: str) -> str:
    """The file a ``sqlite://`` URL names (``:memory:`` for ``sqlite://``). The file is created on first
    use, but only in a directory that exists: a typo must not silently start a fresh, empty database."""
    rest = database_url.removeprefix("sqlite://")
    if not rest:
        return ":memory:"
    if not rest.startswith("/"):
        raise DatabaseUrlError(
            f"{database_url!r} names a host, not a file: write sqlite:///{rest} (relative) or sqlite:////... (absolute)"
        )
    path = rest.removeprefix("/") or ":memory:"
    if path != ":memory:":
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise DatabaseUrlError(f"the directory of the database {path!r} does not exist: {folder}")
    return path


def check_database_url(database_url: str) -> str:
    """The backend a database URL names (``sqlite`` or ``postgresql``); ``DatabaseUrlError`` when it
    names no usable database (see ``URL_FORMS``)."""
    if database_url.startswith("sqlite://"):
        sqlite_path(database_url)
        return "sqlite"
    if database_url.startswith(("postgresql://", "postgres://")):
        return "postgresql"
    scheme, colon, _ = database_url.partition(":")
    known = colon and scheme not in ("sqlite", "postgresql", "postgres")
    named = (
        f"the database URL scheme {scheme!r} is not supported" if known else f"{database_url!r} is not a database URL"
    )
    raise DatabaseUrlError(f"{named}: use {URL_FORMS}")


def open_store(
    database_url: str, sqlite_synchronous: str = "NORMAL", pool_size: int = 10, sqlite_lock_timeout: float = 1.0
) -> Store:
    """The store for a database URL (see ``check_database_url``)."""
    if check_database_url(database_url) == "sqlite":
        from senderpools.store.sqlite import SQLiteStore

        return SQLiteStore(sqlite_path(database_url), sqlite_synchronous, sqlite_lock_timeout)
    from senderpools.store.postgres import PostgresStore

    return PostgresStore(database_url, max_connections=pool_size)


__all__ = ["URL_FORMS", "DatabaseUrlError", "Store", "check_database_url", "open_store", "sqlite_path"]
