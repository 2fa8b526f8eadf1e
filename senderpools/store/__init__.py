"""Storage: one abstract interface (``base.Store``), one module of SQL per backend."""

from __future__ import annotations

from senderpools.store.base import Store


def open_store(database_url: str, sqlite_synchronous: str = "NORMAL", pool_size: int = 10) -> Store:
    """The store for a database URL: ``sqlite:///relative/path``, ``sqlite:////absolute/path`` or
    ``postgresql://user:password@host:port/database``."""
    if database_url.startswith("sqlite://"):
        from senderpools.store.sqlite import SQLiteStore

        path = database_url.removeprefix("sqlite://").removeprefix("/") or ":memory:"
        return SQLiteStore(path, synchronous=sqlite_synchronous)
    if database_url.startswith(("postgresql://", "postgres://")):
        from senderpools.store.postgres import PostgresStore

        return PostgresStore(database_url, max_connections=pool_size)
    scheme = database_url.split(":", 1)[0]
    raise ValueError(f"unsupported database URL scheme {scheme!r}: use sqlite:///PATH or postgresql://...")


__all__ = ["Store", "open_store"]
