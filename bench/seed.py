"""Bulk data for the benchmark, written straight into the database, row for row as the server writes it.

The server's own code makes one *template* first (a pool created through ``SenderPoolService`` and, if
it has senders, applied by the real ``OperationWorker``). Every row that mentions the template's pool
or operation ID, in whatever table, is then copied N times with fresh time-ordered IDs (from
``senderpools.ids``) and every timestamp shifted to match each copy's ID time; the columns the server
derives from others (a pool's JSON, its name key: ``store.rows.DERIVED``) are derived again for each
copy with the server's own code. Whatever columns or tables the schema grows, a copy stays exactly what
the server would have written. The same copying, timed, is the *storage floor*: raw ``executemany`` of
a Create's rows.
"""

from __future__ import annotations

import abc
import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from senderpools import ids
from senderpools.service.pools import SenderPoolService
from senderpools.service.senders import NewSender, SenderService
from senderpools.store import Store
from senderpools.store.rows import DERIVED, Derived
from senderpools.wire.fields import Channel, OperationStatus
from senderpools.worker import OperationWorker

Row = tuple[Any, ...]


class Database(abc.ABC):
    """Just enough of a database to find and copy rows: one adapter per backend."""

    @abc.abstractmethod
    async def tables(self) -> list[tuple[str, list[str], list[str]]]:
        """(table, columns, text columns) for every table, in creation order."""

    @abc.abstractmethod
    async def rows_mentioning(
        self, table: str, columns: list[str], text_columns: list[str], values: list[str]
    ) -> list[Row]:
        """Rows in which any text column equals one of ``values``."""

    @abc.abstractmethod
    async def insert(self, batches: Sequence[tuple[str, list[str], list[Row]]]) -> float:
        """Insert every batch (table, columns, rows) in one transaction; returns the seconds it took."""

    async def close(self) -> None:
        return None


class SQLiteDatabase(Database):
    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, timeout=60.0)
        # The same connection settings as the server's store (senderpools/store/sqlite.py).
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")

    @classmethod
    async def connect(cls, path: str) -> SQLiteDatabase:
        return cls(path)

    async def tables(self) -> list[tuple[str, list[str], list[str]]]:
        names = [
            row[0]
            for row in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            )
        ]
        found = []
        for name in names:
            info = self.db.execute(f'PRAGMA table_info("{name}")').fetchall()
            columns = [row[1] for row in info]
            text = [row[1] for row in info if "TEXT" in str(row[2]).upper()]
            found.append((name, columns, text))
        return found

    async def rows_mentioning(
        self, table: str, columns: list[str], text_columns: list[str], values: list[str]
    ) -> list[Row]:
        marks = ",".join("?" * len(values))
        where = " OR ".join(f'"{c}" IN ({marks})' for c in text_columns)
        names = ", ".join(f'"{c}"' for c in columns)
        return self.db.execute(f'SELECT {names} FROM "{table}" WHERE {where}', values * len(text_columns)).fetchall()

    async def insert(self, batches: Sequence[tuple[str, list[str], list[Row]]]) -> float:
        started = time.perf_counter()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for table, columns, rows in batches:
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" * len(columns))
                self.db.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return time.perf_counter() - started

    async def close(self) -> None:
        self.db.close()


class PostgresDatabase(Database):
    def __init__(self, connection: Any) -> None:
        self.db = connection  # an asyncpg connection

    @classmethod
    async def connect(cls, dsn: str) -> PostgresDatabase:
        import asyncpg

        return cls(await asyncpg.connect(dsn))

    async def tables(self) -> list[tuple[str, list[str], list[str]]]:
        rows = await self.db.fetch(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
            " ORDER BY (SELECT oid FROM pg_class WHERE relname = c.table_name), c.ordinal_position"
        )
        found: dict[str, tuple[list[str], list[str]]] = {}
        for table, column, data_type in rows:
            columns, text = found.setdefault(table, ([], []))
            columns.append(column)
            if data_type == "text":
                text.append(column)
        return [(table, columns, text) for table, (columns, text) in found.items()]

    async def rows_mentioning(
        self, table: str, columns: list[str], text_columns: list[str], values: list[str]
    ) -> list[Row]:
        where = " OR ".join(f'"{c}" = ANY($1::text[])' for c in text_columns)
        names = ", ".join(f'"{c}"' for c in columns)
        return [tuple(r) for r in await self.db.fetch(f'SELECT {names} FROM "{table}" WHERE {where}', values)]

    async def insert(self, batches: Sequence[tuple[str, list[str], list[Row]]]) -> float:
        started = time.perf_counter()
        async with self.db.transaction():
            for table, columns, rows in batches:
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
                await self.db.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        return time.perf_counter() - started

    async def close(self) -> None:
        await self.db.close()


_ULID = "0" * 26  # a time-ordered ID ends with its ULID (26 Crockford digits) after the resource's prefix


def id_time_ms(value: str) -> int:
    """The millisecond timestamp inside a time-ordered ID (the first 10 Crockford digits of its ULID)."""
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    ulid = value[-len(_ULID) :]
    stamp = 0
    for char in ulid[:10]:
        stamp = stamp * 32 + alphabet.index(char)
    return stamp


@dataclass
class Template:
    """Every row that mentions one pool's ID or its operations' IDs, ready to be copied."""

    ids: dict[str, str]  # template ID -> its prefix
    first_ms: int  # timestamps within [first_ms, last_ms] belong to the template and move with a copy
    last_ms: int
    tables: list[tuple[str, list[str], list[Row]]]

    @classmethod
    async def capture(cls, database: Database, pool_id: str, operation_ids: list[str], last_ms: int) -> Template:
        found_ids = {pool_id: ids.POOL_PREFIX, **dict.fromkeys(operation_ids, ids.OPERATION_PREFIX)}
        tables = []
        for table, columns, text_columns in await database.tables():
            if text_columns:
                rows = await database.rows_mentioning(table, columns, text_columns, list(found_ids))
                if rows:
                    tables.append((table, columns, rows))
        for table, columns, rows in tables:  # the events about them: each copy gets events of its own
            if table == "events":
                found_ids.update(dict.fromkeys((str(row[columns.index("id")]) for row in rows), ids.EVENT_PREFIX))
        first_ms = min(id_time_ms(value) for value in found_ids)
        return cls(found_ids, first_ms, last_ms, tables)

    def copies(
        self, count: int, end_ms: int, step_ms: int
    ) -> Iterator[tuple[str, list[tuple[str, list[str], list[Row]]]]]:
        """``count`` copies, oldest first, the newest starting ``step_ms`` before ``end_ms``: (pool ID, batches)."""
        generator = ids.UlidGenerator()  # its own: copies are made in time order, older than anything yet
        pool_id = next(i for i, prefix in self.ids.items() if prefix == ids.POOL_PREFIX)
        first, last = self.first_ms, self.last_ms
        for n in range(count, 0, -1):
            shift = end_ms - n * step_ms - first
            mapping = {old: prefix + generator.new(id_time_ms(old) + shift) for old, prefix in self.ids.items()}

            def convert(value: Any, shift: int = shift, mapping: dict[str, str] = mapping) -> Any:
                if type(value) is int and first <= value <= last:
                    return value + shift
                if type(value) is str:
                    return mapping.get(value, value)
                return value

            batches = []
            for table, columns, rows in self.tables:
                copied = [tuple(map(convert, row)) for row in rows]
                if table == "events":  # an event's JSON names its own ID and what it is about
                    copied = [_renamed(columns, row, mapping) for row in copied]
                spec = _DERIVED.get(table)
                batches.append(
                    (table, columns, copied if spec is None else [_derive(spec, columns, r) for r in copied])
                )
            yield mapping[pool_id], batches


_DERIVED = {spec.table: spec for spec in DERIVED}


def _renamed(columns: list[str], row: Row, mapping: dict[str, str]) -> Row:
    """An event row whose JSON names the copy's IDs (its ``time`` stays the template's: nothing reads it)."""
    at = columns.index("doc")
    doc = row[at]
    for old, new in mapping.items():
        doc = doc.replace(old.encode(), new.encode()) if isinstance(doc, bytes | bytearray) else doc.replace(old, new)
    return (*row[:at], doc, *row[at + 1 :])


def _derive(spec: Derived, columns: list[str], row: Row) -> Row:
    """``row`` with the columns the server derives (its JSON, search keys) derived again from the others."""
    values = dict(zip(columns, row, strict=True))
    derived = dict(zip(spec.derived, spec.derive(tuple(values[c] for c in spec.columns.split(", "))), strict=True))
    return tuple(derived.get(c, v) for c, v in zip(columns, row, strict=True))


async def wait_for_worker(store: Store, account: str | None = None, operation_id: str | None = None) -> None:
    """Apply queued operation items with the real worker until none is left to claim; given an operation,
    also until it has left PROCESSING (a running server's own worker may hold some of its items)."""
    worker = OperationWorker(store)
    while True:
        while await worker.run_once():
            pass
        if account is None or operation_id is None:
            return
        done = await store.get_operation(account, operation_id)
        if done is None or done.status is not OperationStatus.PROCESSING:
            return
        await asyncio.sleep(0.05)


async def template_pool(
    store: Store,
    database: Database,
    account: str,
    name: str,
    sender_ids: Sequence[str],
    tags: dict[str, str] | None = None,
) -> Template:
    """A pool made by the server's own code (service + worker), captured as a template."""
    operation = await SenderPoolService(store).create(account, name, tags or {"bench": "seed"}, sender_ids)
    await wait_for_worker(store)
    done = await store.get_operation(account, operation.id)
    assert done is not None and done.stats.queued == 0 and isinstance(done.sender_pool_id, str), done
    return await Template.capture(database, done.sender_pool_id, [operation.id], ids.now_ms())


async def register_senders(store: Store, account: str, count: int, first: int = 0) -> list[str]:
    """``count`` SMS senders registered through the service (as POST /v1/Senders does), 10,000 at a time."""
    found: list[str] = []
    for start in range(first, first + count, 10_000):
        new = [
            NewSender(address=f"+1555{i:07d}", channel=Channel.SMS)
            for i in range(start, min(start + 10_000, first + count))
        ]
        found += [s.id for s in await SenderService(store).register(account, new)]
    return found


async def big_pool(
    store: Store, account: str, members: int, progress: Callable[[int], None] = lambda n: None
) -> tuple[str, list[str]]:
    """One pool of ``members`` senders, made as clients would: senders registered, then Add Senders
    operations of 10,000 applied by the real worker (so its counts, items and operations are the
    server's own). Returns the pool ID and its senders."""
    service = SenderPoolService(store)
    sender_ids = await register_senders(store, account, members, first=5_000_000)
    created = await service.create(account, "big", {"bench": "big"}, [])
    assert isinstance(created.sender_pool_id, str)
    for start in range(0, members, 10_000):
        await service.add_senders(account, created.sender_pool_id, sender_ids[start : start + 10_000])
        await wait_for_worker(store)
        progress(start + 10_000)
    return created.sender_pool_id, sender_ids


async def copy_pools(
    database: Database,
    template: Template,
    count: int,
    step_ms: int,
    rows_per_commit: int = 200_000,
    progress: Callable[[int], None] = lambda n: None,
) -> list[str]:
    """``count`` copies of ``template``, older than it, committed in large transactions."""
    per_copy = max(1, sum(len(rows) for _, _, rows in template.tables))
    per_commit = max(1, rows_per_commit // per_copy)
    pool_ids: list[str] = []
    pending: dict[tuple[str, tuple[str, ...]], list[Row]] = {}
    for done, (pool_id, batches) in enumerate(template.copies(count, template.first_ms, step_ms), 1):
        pool_ids.append(pool_id)
        for table, columns, rows in batches:
            pending.setdefault((table, tuple(columns)), []).extend(rows)
        if done % per_commit == 0 or done == count:
            await database.insert([(table, list(columns), rows) for (table, columns), rows in pending.items()])
            pending.clear()
            progress(done)
    return pool_ids
