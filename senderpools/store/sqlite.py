"""SQLite backend: stdlib sqlite3, WAL, one connection per process.

Calls run inline on the event loop: each method is a handful of indexed statements (or one
bounded batch) and finishes in well under a millisecond to a few milliseconds, which is cheaper
than a thread hop (see the performance notes). Because a method never awaits mid-transaction,
no two units of work interleave within a process; ``BEGIN IMMEDIATE`` serializes writers across
processes.

Another process may hold the write lock (a second node, a backup, an operator's ``sqlite3`` shell):
readers never wait for it (WAL); a statement blocks the event loop at most ``_INLINE_BUSY_MS`` for a
lock; a unit of work waits for the write lock between ``await``s, so other requests are served
meanwhile, and gives up after ``lock_timeout`` with a 503. The worker's cleanup rounds read before
they write: an idle server never takes the write lock.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from senderpools.records import (
    ACCOUNT_SCOPE,
    Attempt,
    Candidates,
    Credential,
    DueDelivery,
    EventFilter,
    IdempotencyRecord,
    IfMatch,
    NewEvent,
    OperationFilter,
    Pacing,
    PoolChanges,
    PoolFilter,
    Refused,
    ResolveScope,
    SenderChanges,
    SenderFilter,
    SinkChanges,
    SinkRecord,
    StickySender,
    Window,
    operation_event,
)
from senderpools.store import events
from senderpools.store.base import Store, log, retry_later_on, unavailable
from senderpools.store.rows import (
    EVENT_INSERT,
    IN_ORDER,
    OPERATION_COLUMNS,
    POOL_INSERT,
    POOL_TAG_INSERT,
    SENDER_COLUMNS,
    SENDER_INSERT,
    SINK_COLUMNS,
    STICKY_COLUMNS,
    SUMMARY_COLUMNS,
    SUMMARY_INSERT,
    Args,
    Derived,
    SummaryChanges,
    delivery_list,
    delivery_listed,
    doc_column,
    encode_tags,
    epoch_ms,
    event_list,
    event_rows,
    fanout,
    fanout_rows,
    insert,
    item_list,
    item_listed,
    member_list,
    migration_scripts,
    operation_from_row,
    operation_list,
    operation_listed,
    placed,
    pool_derived,
    pool_from_row,
    pool_list,
    pool_refusal,
    pool_row,
    pool_tag_rows,
    pool_update,
    pools_listed,
    rerendered,
    seeded_counts,
    selection_from_column,
    sender_from_row,
    sender_list,
    sender_row,
    sink_from_row,
    sink_row,
    sticky_conflict,
    sticky_from_row,
    summary_row,
    summary_updates,
    types_column,
    unwritten,
)
from senderpools.wire.encoding import Listed, views
from senderpools.wire.fields import (
    Channel,
    DeliveryStatus,
    EventType,
    ItemOutcome,
    OperationStatus,
    OperationType,
    SenderStatus,
)
from senderpools.wire.resources import Sender, SenderPool, SenderPoolOperation

_RENDER_BATCH = 1000


def _transient(exc: BaseException) -> bool:
    """SQLite failures that say the file cannot be used right now, not that the code is wrong: busy or
    locked, out of memory, read-only, I/O error, full, cannot open, lock protocol."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF in _TRANSIENT_CODES


_TRANSIENT_CODES = {5, 6, 7, 8, 10, 13, 14, 15}  # SQLITE_BUSY, LOCKED, NOMEM, READONLY, IOERR, FULL, CANTOPEN, PROTOCOL
_INLINE_BUSY_MS = 5  # the longest a statement blocks the event loop waiting for a lock
_LOCK_POLL = 0.005  # seconds between attempts to take the write lock, other requests running meanwhile
_MIGRATION_BUSY_MS = 30_000  # at startup nothing else runs: wait for another node's migration


@retry_later_on(_transient)
class SQLiteStore(Store):
    """``lock_timeout``: seconds a unit of work waits for another process's write lock, without blocking
    the event loop, before it gives up with a 503 (readers never wait for writers in WAL mode)."""

    def __init__(self, path: str, synchronous: str = "NORMAL", lock_timeout: float = 1.0) -> None:
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"sqlite synchronous must be NORMAL or FULL, not {synchronous!r}")
        self.path = path
        self._lock_timeout = lock_timeout
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=_INLINE_BUSY_MS / 1000)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(f"PRAGMA synchronous = {synchronous}")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute(f"PRAGMA busy_timeout = {_INLINE_BUSY_MS}")
        self._secret: bytes | None = None

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``). While another process holds the write lock it waits
        with ``await`` between attempts, so other requests keep being served; after ``lock_timeout``
        seconds it gives up with ``ServiceUnavailable``. The body never awaits: within this process no
        other unit of work runs until it commits."""
        db, deadline = self._db, time.monotonic() + self._lock_timeout
        while True:
            try:
                db.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise
                if time.monotonic() >= deadline:
                    raise unavailable(
                        f"Another process has held the database's write lock for over {self._lock_timeout:g} s."
                    ) from exc
            await asyncio.sleep(_LOCK_POLL)
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite rolls back by itself after some failures (a disk I/O error)
                db.execute("ROLLBACK")
            raise

    # -- lifecycle ---------------------------------------------------------------------------------
    async def migrate(self) -> None:
        db = self._db
        db.execute(f"PRAGMA busy_timeout = {_MIGRATION_BUSY_MS}")
        try:
            db.execute("BEGIN EXCLUSIVE")  # a second node starting at once waits here, then sees the work done
        finally:
            db.execute(f"PRAGMA busy_timeout = {_INLINE_BUSY_MS}")
        try:
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER)")
            done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
            applied = set()
            for version, script in migration_scripts("sqlite"):
                if version in done:
                    continue
                for statement in script.split(";\n"):
                    if statement.strip():
                        db.execute(statement)
                applied.add(version)
                db.execute(
                    "INSERT INTO schema_migrations VALUES (?, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
                    (version,),
                )
            if "0008" in applied:
                self._place_senders(db)
            self._render_derived(db, rerendered(applied))
            db.execute(
                "INSERT OR IGNORE INTO server_settings (name, value) VALUES ('page_token_key', ?)",
                (os.urandom(32),),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _place_senders(self, db: sqlite3.Connection) -> None:
        """Store the place of every sender registered before senders had one (migration 0008)."""
        last = ""
        while rows := db.execute(
            f"SELECT id, channel, address FROM senders WHERE id > ? ORDER BY id LIMIT {_RENDER_BATCH}", (last,)
        ).fetchall():
            db.executemany(
                "UPDATE senders SET country = ?, area_code = ?, time_zone = ?, sender_type = ? WHERE id = ?",
                [placed(row) for row in rows],
            )
            last = rows[-1][0]

    def _render_derived(self, db: sqlite3.Connection, tables: list[Derived]) -> None:
        """Derive the kept columns (JSON, search keys) of every row of ``tables`` again (after a migration)."""
        for derived in tables:
            sets = ", ".join(f"{column} = ?" for column in derived.derived)
            last = ""
            while rows := db.execute(
                f"SELECT {derived.columns} FROM {derived.table} WHERE {derived.key} > ?"
                f" ORDER BY {derived.key} LIMIT {_RENDER_BATCH}",
                (last,),
            ).fetchall():
                db.executemany(
                    f"UPDATE {derived.table} SET {sets} WHERE {derived.key} = ?",
                    [(*derived.derive(row), row[0]) for row in rows],
                )
                last = rows[-1][0]

    async def missing_migrations(self) -> list[str]:
        done = {row[0] for row in self._db.execute("SELECT version FROM schema_migrations")}
        return [version for version, _ in migration_scripts("sqlite") if version not in done]

    async def close(self) -> None:
        self._db.close()

    async def server_secret(self) -> bytes:
        if self._secret is None:
            row = self._db.execute("SELECT value FROM server_settings WHERE name = 'page_token_key'").fetchone()
            self._secret = bytes(row[0])
        return self._secret

    # -- credentials -------------------------------------------------------------------------------
    async def create_account(self, sid: str, token_hash: str, now_ms: int, first_only: bool = False) -> bool:
        condition = " WHERE NOT EXISTS (SELECT 1 FROM accounts)" if first_only else ""
        async with self._transaction() as db:  # BEGIN IMMEDIATE: the check and the insert are one step
            cursor = db.execute(
                f"INSERT OR IGNORE INTO accounts (sid, token_hash, created_at) SELECT ?, ?, ?{condition}",
                (sid, token_hash, now_ms),
            )
            return cursor.rowcount == 1

    async def create_api_key(self, sid: str, account_sid: str, secret_hash: str, now_ms: int) -> bool:
        async with self._transaction() as db:
            if db.execute("SELECT 1 FROM accounts WHERE sid = ?", (account_sid,)).fetchone() is None:
                return False
            db.execute(
                "INSERT INTO api_keys (sid, account_sid, secret_hash, created_at) VALUES (?, ?, ?, ?)",
                (sid, account_sid, secret_hash, now_ms),
            )
            _record(db, [NewEvent.of(EventType.API_KEY_CREATED, account_sid, None, sid, now_ms)])
            return True

    async def revoke_api_key(self, sid: str, now_ms: int) -> bool:
        async with self._transaction() as db:
            row = db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE sid = ? AND revoked_at IS NULL RETURNING account_sid",
                (now_ms, sid),
            ).fetchone()
            if row is None:
                return False
            _record(db, [NewEvent.of(EventType.API_KEY_REVOKED, row[0], None, sid, now_ms)])
            return True

    async def find_credential(self, sid: str) -> Credential | None:
        if sid.startswith("AC"):
            row = self._db.execute("SELECT sid, sid, token_hash, 0 FROM accounts WHERE sid = ?", (sid,)).fetchone()
        else:
            row = self._db.execute(
                "SELECT sid, account_sid, secret_hash, revoked_at IS NOT NULL FROM api_keys WHERE sid = ?",
                (sid,),
            ).fetchone()
        if row is None:
            return None
        return Credential(sid=row[0], account_sid=row[1], secret_hash=row[2], revoked=bool(row[3]))

    # -- sender pools ------------------------------------------------------------------------------
    def _insert_operation(
        self,
        db: sqlite3.Connection,
        account: str,
        pool_id: str,
        operation: SenderPoolOperation,
        first_queued_seq: int,
        sender_ids: Sequence[str],
        actor: str | None,
    ) -> None:
        stats, created_ms, updated_ms = operation.stats, epoch_ms(operation.created_at), epoch_ms(operation.updated_at)
        db.execute(
            "INSERT INTO operations (id, account_sid, pool_id, kind, status, total, queued, created, failed,"
            " next_seq, created_at, updated_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                operation.id, account, pool_id, str(operation.type), str(operation.status), stats.total, stats.queued,
                stats.created, stats.failed, first_queued_seq, created_ms, updated_ms, actor,
            ),
        )  # fmt: skip
        op_id = operation.id
        db.executemany(
            "INSERT INTO operation_items (operation_id, seq, sender_id, outcome, updated_at) VALUES (?, ?, ?, NULL, ?)",
            [(op_id, seq, sender_id, created_ms) for seq, sender_id in enumerate(sender_ids, first_queued_seq)],
        )

    async def create_pool(
        self,
        account: str,
        pool: SenderPool,
        operation: SenderPoolOperation,
        sender_ids: Sequence[str],
        actor: str | None = None,
    ) -> None:
        created_ms = epoch_ms(pool.created_at)
        async with self._transaction() as db:
            db.execute(insert(POOL_INSERT), pool_row(account, pool, operation.id))
            db.executemany(insert(POOL_TAG_INSERT), pool_tag_rows(account, pool.id, pool.tags))
            processing = int(operation.status is OperationStatus.PROCESSING)
            db.execute(insert(SUMMARY_INSERT), summary_row(account, pool.id, created_ms, processing=processing))
            self._insert_operation(db, account, pool.id, operation, 1, sender_ids, actor)
            # Item 0 is the pool itself, applied in this transaction.
            db.execute(
                "INSERT INTO operation_items (operation_id, seq, sender_id, outcome, updated_at) VALUES (?, 0, NULL, ?, ?)",
                (operation.id, str(ItemOutcome.CREATED), created_ms),
            )
            _record(db, events.pool_created(account, pool, operation, actor))

    async def get_pool(self, account: str, pool_id: str, extended: bool = False) -> tuple[bytes, bytes] | None:
        row = self._db.execute(
            f"SELECT {doc_column(extended)}, xdoc FROM pools WHERE id = ? AND account_sid = ? AND deleted_at IS NULL",
            (pool_id, account),
        ).fetchone()
        return None if row is None else (bytes(row[0]), bytes(row[1]))

    async def pool_exists(self, account: str, pool_id: str) -> bool:
        return self._pool_exists(self._db, account, pool_id)

    async def list_pools(self, account: str, window: Window, where: PoolFilter, extended: bool = False) -> Listed:
        rows: list[Any] = []
        for sql, args in pool_list(False, account, window, where, extended):
            rows += self._db.execute(sql, args).fetchall()
            if len(rows) >= window.limit:
                break
        return pools_listed(rows[: window.limit], where)

    def _changeable_pool(
        self, db: sqlite3.Connection, account: str, pool_id: str, if_match: IfMatch | None
    ) -> tuple[Refused | None, bool]:
        """Whether the account's pool may be changed under ``if_match``, and its deletion protection."""
        row = db.execute(
            "SELECT xdoc, deletion_protection FROM pools WHERE id = ? AND account_sid = ? AND deleted_at IS NULL",
            (pool_id, account),
        ).fetchone()
        return pool_refusal(row, if_match)

    async def update_pool(
        self,
        account: str,
        pool_id: str,
        changes: PoolChanges,
        now_ms: int,
        if_match: IfMatch | None = None,
        actor: str | None = None,
    ) -> Refused | None:
        tags = changes.tags
        async with self._transaction() as db:
            refused, _ = self._changeable_pool(db, account, pool_id, if_match)
            if refused is not None:
                return refused
            sql, args = pool_update(False, pool_id, changes, now_ms)
            row = db.execute(sql, args).fetchone()
            db.execute(
                "UPDATE pools SET doc = ?, xdoc = ?, name_key = ? WHERE id = ?",
                (*pool_derived(pool_from_row(row)), pool_id),
            )
            if tags is not None:
                db.execute("DELETE FROM pool_tags WHERE pool_id = ?", (pool_id,))
                db.executemany(insert(POOL_TAG_INSERT), pool_tag_rows(account, pool_id, tags))
            _record(db, [events.pool_updated(account, pool_id, changes, now_ms, actor)])
            return None

    async def delete_pool(
        self, account: str, pool_id: str, now_ms: int, if_match: IfMatch | None = None, actor: str | None = None
    ) -> Refused | None:
        async with self._transaction() as db:
            refused, protected = self._changeable_pool(db, account, pool_id, if_match)
            if refused is not None:
                return refused
            if protected:
                return Refused.PROTECTED
            db.execute("UPDATE pools SET deleted_at = ? WHERE id = ?", (now_ms, pool_id))
            for table in ("pool_tags", "pool_summaries"):  # searches and summaries know live pools only
                db.execute(f"DELETE FROM {table} WHERE pool_id = ?", (pool_id,))
            running = [
                row[0]
                for row in db.execute(
                    "SELECT id FROM operations WHERE pool_id = ? AND status = 'PROCESSING'", (pool_id,)
                )
            ]
            happened = [NewEvent.of(EventType.POOL_DELETED, account, actor, pool_id, now_ms)]
            for op_id in running:
                self._cancel(db, op_id, now_ms)
                happened.append(self._operation_event(db, op_id, account, actor, now_ms))
            _record(db, happened)
            return None

    async def pool_summary(self, account: str, pool_id: str) -> bytes | None:
        row = self._db.execute(
            "SELECT doc FROM pool_summaries WHERE pool_id = ? AND account_sid = ?", (pool_id, account)
        ).fetchone()
        return None if row is None else bytes(row[0])

    @staticmethod
    def _summarize(db: sqlite3.Connection, changes: SummaryChanges, now_ms: int) -> None:
        """Apply changes to pools' summaries (pools without one, deleted ones, are left alone)."""
        pools = changes.pools()
        for start in range(0, len(pools), 500):
            chunk = pools[start : start + 500]
            rows = db.execute(
                f"SELECT {SUMMARY_COLUMNS} FROM pool_summaries WHERE pool_id IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
            db.executemany(
                "UPDATE pool_summaries SET counts = ?, processing = ?, updated_at = ?, doc = ? WHERE pool_id = ?",
                summary_updates(rows, changes, now_ms),
            )

    def _cancel(self, db: sqlite3.Connection, operation_id: str, now_ms: int) -> None:
        """Stop an operation: its unapplied items fail with outcome CANCELED."""
        db.execute(
            "UPDATE operation_items SET outcome = ?, updated_at = ?"
            " WHERE operation_id = ? AND seq >= (SELECT next_seq FROM operations WHERE id = ?)",
            (str(ItemOutcome.CANCELED), now_ms, operation_id, operation_id),
        )
        db.execute(
            "UPDATE operations SET status = 'CANCELED', failed = failed + queued, queued = 0,"
            " next_seq = total, updated_at = ? WHERE id = ?",
            (now_ms, operation_id),
        )

    @staticmethod
    def _operation_event(
        db: sqlite3.Connection, operation_id: str, account: str, actor: str | None, now_ms: int
    ) -> NewEvent:
        """The event of the operation's current status (as this transaction has it)."""
        row = db.execute(f"SELECT {OPERATION_COLUMNS} FROM operations WHERE id = ?", (operation_id,)).fetchone()
        return operation_event(operation_from_row(row), account, actor, now_ms)

    def _pool_exists(self, db: sqlite3.Connection, account: str, pool_id: str) -> bool:
        return (
            db.execute(
                "SELECT 1 FROM pools WHERE id = ? AND account_sid = ? AND deleted_at IS NULL",
                (pool_id, account),
            ).fetchone()
            is not None
        )

    async def list_pool_senders(
        self, account: str, pool_id: str, window: Window, where: SenderFilter, extended: bool = False
    ) -> Listed | None:
        if not self._pool_exists(self._db, account, pool_id):
            return None
        args = Args()
        return self._db.execute(member_list(args, pool_id, window, where, extended), args).fetchall()

    async def queue_operation(
        self,
        account: str,
        pool_id: str,
        operation: SenderPoolOperation,
        sender_ids: Sequence[str],
        actor: str | None = None,
    ) -> bool:
        async with self._transaction() as db:
            if not self._pool_exists(db, account, pool_id):
                return False
            self._insert_operation(db, account, pool_id, operation, 0, sender_ids, actor)
            _record(db, [operation_event(operation, account, actor, epoch_ms(operation.created_at))])
            self._summarize(db, SummaryChanges(processing=Counter({pool_id: 1})), epoch_ms(operation.created_at))
            return True

    async def remove_sender(
        self, account: str, pool_id: str, sender_id: str, now_ms: int, actor: str | None = None
    ) -> bool:
        async with self._transaction() as db:
            if not self._pool_exists(db, account, pool_id):
                return False
            sender = db.execute("SELECT channel, status FROM senders WHERE id = ?", (sender_id,)).fetchone()
            cursor = db.execute("DELETE FROM pool_members WHERE pool_id = ? AND sender_id = ?", (pool_id, sender_id))
            if cursor.rowcount != 1:
                return False
            self._summarize(db, SummaryChanges().move([pool_id], sender[0], sender[1], -1), now_ms)
            db.execute("DELETE FROM sticky_senders WHERE sender_id = ? AND scope = ?", (sender_id, pool_id))
            _bump(db, pool_id)
            _record(db, [events.member_removed(account, pool_id, sender_id, now_ms, actor)])
            return True

    # -- operations --------------------------------------------------------------------------------
    async def get_operation(self, account: str, operation_id: str) -> SenderPoolOperation | None:
        row = self._db.execute(
            f"SELECT {OPERATION_COLUMNS} FROM operations WHERE id = ? AND account_sid = ?", (operation_id, account)
        ).fetchone()
        return None if row is None else operation_from_row(row)

    async def list_operations(
        self, account: str, window: Window, where: OperationFilter, extended: bool = False
    ) -> Listed:
        args = Args()
        rows = self._db.execute(operation_list(args, account, window, where), args)
        return [operation_listed(row, extended) for row in rows]

    async def operations_with_work(self, limit: int, skip_held: bool = False, after: str | None = None) -> list[str]:
        held = " AND account_sid NOT IN (SELECT account_sid FROM test_pacing WHERE hold)" if skip_held else ""
        rows = self._db.execute(
            f"SELECT id FROM operations WHERE status = 'PROCESSING' AND queued > 0 AND id > ?{held} ORDER BY id LIMIT ?",
            (after or "", limit),
        )
        return [row[0] for row in rows]

    async def apply_operation_batch(self, operation_id: str, batch_size: int, now_ms: int) -> int:
        async with self._transaction() as db:
            op = db.execute(
                "SELECT o.account_sid, o.pool_id, o.next_seq, o.kind, o.queued, p.deleted_at IS NULL AND p.id IS NOT NULL,"
                " o.actor"
                " FROM operations o LEFT JOIN pools p ON p.id = o.pool_id"
                " WHERE o.id = ? AND o.status = 'PROCESSING' AND o.queued > 0",
                (operation_id,),
            ).fetchone()
            if op is None:
                return 0  # finished, canceled, or applied by another process meanwhile
            account, pool_id, next_seq, kind, queued, pool_live, actor = op
            if not pool_live:  # never applies to a deleted pool (Delete Pool cancels its operations)
                log.warning("operation %s of deleted pool %s was still running: canceled", operation_id, pool_id)
                self._cancel(db, operation_id, now_ms)
                _record(db, [self._operation_event(db, operation_id, account, actor, now_ms)])
                return 1
            items = db.execute(
                "SELECT seq, sender_id FROM operation_items WHERE operation_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
                (operation_id, next_seq, batch_size),
            ).fetchall()
            ids = [sender_id for _, sender_id in items]
            marks = ",".join("?" * len(ids))
            senders = {
                row[0]: (row[1], row[2])
                for row in db.execute(
                    f"SELECT id, channel, status FROM senders WHERE account_sid = ? AND id IN ({marks})",
                    [account, *ids],
                )
            }
            members = {
                row[0]
                for row in db.execute(
                    f"SELECT sender_id FROM pool_members WHERE pool_id = ? AND sender_id IN ({marks})",
                    [pool_id, *ids],
                )
            }
            if kind == OperationType.REMOVE_SENDERS:
                outcomes = [(seq, ItemOutcome.for_removal(sid in senders, sid in members)) for seq, sid in items]
                moved = [sid for (_, sid), (_, o) in zip(items, outcomes, strict=True) if o is ItemOutcome.REMOVED]
                db.executemany(
                    "DELETE FROM pool_members WHERE pool_id = ? AND sender_id = ?", [(pool_id, sid) for sid in moved]
                )
                db.executemany(  # a removed member releases its recipients in this pool
                    "DELETE FROM sticky_senders WHERE sender_id = ? AND scope = ?", [(sid, pool_id) for sid in moved]
                )
            else:
                outcomes = [(seq, ItemOutcome.for_addition(sid in senders, sid in members)) for seq, sid in items]
                moved = [sid for (_, sid), (_, o) in zip(items, outcomes, strict=True) if o is ItemOutcome.CREATED]
                db.executemany(
                    "INSERT INTO pool_members (pool_id, sender_id) VALUES (?, ?)", [(pool_id, sid) for sid in moved]
                )
            by, changes = -1 if kind == OperationType.REMOVE_SENDERS else 1, SummaryChanges()
            for sid in moved:
                changes.move([pool_id], *senders[sid], by)
            db.executemany(
                "UPDATE operation_items SET outcome = ?, updated_at = ? WHERE operation_id = ? AND seq = ?",
                [(str(o), now_ms, operation_id, seq) for seq, o in outcomes],
            )
            succeeded = sum(1 for _, o in outcomes if o.succeeded)
            failed = len(outcomes) - succeeded
            db.execute(
                "UPDATE operations SET next_seq = ?, queued = queued - ?, created = created + ?, failed = failed + ?,"
                " status = CASE WHEN queued - ? = 0 THEN 'COMPLETED' ELSE status END, updated_at = ? WHERE id = ?",
                (items[-1][0] + 1, len(items), succeeded, failed, len(items), now_ms, operation_id),
            )
            happened = [
                events.batch_applied(account, actor, pool_id, operation_id, kind, [o for _, o in outcomes], now_ms)
            ]
            if queued == len(items):  # finished: one operation fewer in PROCESSING
                changes.processing[pool_id] -= 1
                happened.append(self._operation_event(db, operation_id, account, actor, now_ms))
            self._summarize(db, changes, now_ms)
            if moved:
                _bump(db, pool_id)
            _record(db, happened)
            return len(items)

    async def purge_deleted_pools(self, batch_size: int) -> int:
        deleted = "SELECT id, account_sid FROM pools WHERE deleted_at IS NOT NULL LIMIT 1"
        if self._db.execute(deleted).fetchone() is None:  # idle: no write lock taken
            return 0
        async with self._transaction() as db:
            row = db.execute(deleted).fetchone()
            if row is None:
                return 0
            removed = db.execute(
                "DELETE FROM pool_members WHERE pool_id = ?1 AND sender_id IN"
                " (SELECT sender_id FROM pool_members WHERE pool_id = ?1 LIMIT ?2)",
                (row[0], batch_size),
            ).rowcount
            if removed < batch_size:  # then the pool's sticky senders, then the pool itself
                removed += db.execute(
                    "DELETE FROM sticky_senders WHERE account_sid = ?1 AND scope = ?2 AND recipient IN"
                    " (SELECT recipient FROM sticky_senders WHERE account_sid = ?1 AND scope = ?2 LIMIT ?3)",
                    (row[1], row[0], batch_size - removed),
                ).rowcount
            if removed < batch_size:
                db.execute("DELETE FROM pools WHERE id = ?", (row[0],))
                db.execute("DELETE FROM resolve_versions WHERE key = ?", (row[0],))
            return max(removed, 1)

    async def list_operation_items(
        self, account: str, operation_id: str, window: Window, outcome: ItemOutcome | None
    ) -> Listed:
        args = Args()
        rows = self._db.execute(item_list(args, account, operation_id, window, outcome), args)
        return [item_listed(row) for row in rows]

    async def cancel_operation(
        self, account: str, operation_id: str, now_ms: int, actor: str | None = None
    ) -> tuple[SenderPoolOperation, bool] | None:
        async with self._transaction() as db:  # writers are serialized: no batch is in flight meanwhile
            row = db.execute(
                "SELECT status, pool_id FROM operations WHERE id = ? AND account_sid = ?", (operation_id, account)
            ).fetchone()
            if row is None:
                return None
            canceled = row[0] == OperationStatus.PROCESSING
            if canceled:
                self._cancel(db, operation_id, now_ms)
                self._summarize(db, SummaryChanges(processing=Counter({row[1]: -1})), now_ms)
            op = db.execute(f"SELECT {OPERATION_COLUMNS} FROM operations WHERE id = ?", (operation_id,)).fetchone()
            operation = operation_from_row(op)
            if canceled:
                _record(db, [operation_event(operation, account, actor, now_ms)])
            return operation, canceled

    # -- senders -----------------------------------------------------------------------------------
    async def create_senders(self, account: str, senders: Sequence[Sender], actor: str | None = None) -> list[int]:
        rows = [sender_row(account, s) for s in senders]
        try:
            async with self._transaction() as db:
                db.executemany(insert(SENDER_INSERT), rows)
                _bump(db, account)
                _record(db, events.senders_registered(account, senders, actor))
            return []
        except sqlite3.IntegrityError:
            return self._taken_positions(account, senders)

    def _taken_positions(self, account: str, senders: Sequence[Sender]) -> list[int]:
        """Positions whose channel+address the account already has, so all can be reported at once."""
        taken: set[tuple[str, str]] = set()
        for start in range(0, len(senders), 400):
            chunk = senders[start : start + 400]
            args: list[Any] = [account]
            for s in chunk:
                args += [str(s.channel), s.address]
            values = ",".join(["(?, ?)"] * len(chunk))
            rows = self._db.execute(
                f"SELECT channel, address FROM senders WHERE account_sid = ? AND (channel, address) IN (VALUES {values})",
                args,
            )
            taken.update((row[0], row[1]) for row in rows)
        return [i for i, s in enumerate(senders) if (str(s.channel), s.address) in taken]

    async def get_sender(self, account: str, sender_id: str, extended: bool = False) -> bytes | None:
        row = self._db.execute(
            f"SELECT {doc_column(extended)} FROM senders WHERE id = ? AND account_sid = ?", (sender_id, account)
        ).fetchone()
        return None if row is None else bytes(row[0])

    async def sender_exists(self, account: str, sender_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM senders WHERE id = ? AND account_sid = ?", (sender_id, account))
        return row.fetchone() is not None

    async def list_senders(self, account: str, window: Window, where: SenderFilter, extended: bool = False) -> Listed:
        args = Args()
        return self._db.execute(sender_list(args, account, window, where, extended), args).fetchall()

    async def update_sender(
        self,
        account: str,
        sender_id: str,
        changes: SenderChanges,
        now_ms: int,
        extended: bool = False,
        actor: str | None = None,
    ) -> bytes | None:
        sets, args = ["updated_at = ?"], [now_ms]
        if changes.set_display_name:
            sets.append("display_name = ?")
            args.append(changes.display_name)  # type: ignore[arg-type]
        if changes.status is not None:
            sets.append("status = ?")
            args.append(str(changes.status))  # type: ignore[arg-type]
        if changes.tags is not None:
            sets.append("tags = ?")
            args.append(encode_tags(changes.tags))  # type: ignore[arg-type]
        if changes.weight is not None:
            sets.append("weight = ?")
            args.append(changes.weight)
        if changes.health is not None:
            sets.append("health = ?")
            args.append(str(changes.health))  # type: ignore[arg-type]
        async with self._transaction() as db:
            before = db.execute(
                "SELECT status FROM senders WHERE id = ? AND account_sid = ?", (sender_id, account)
            ).fetchone()
            if before is None:
                return None
            row = db.execute(
                f"UPDATE senders AS s SET {', '.join(sets)} WHERE s.id = ?"
                f" RETURNING {SENDER_COLUMNS.replace('s.', '')}",  # SQLite: RETURNING takes no table alias
                [*args, sender_id],
            ).fetchone()
            sender = sender_from_row(row)
            docs = views(sender)
            db.execute("UPDATE senders SET doc = ?, xdoc = ? WHERE id = ?", (*docs, sender_id))
            if sender.status != before[0]:  # it moves between its pools' counts
                pools = self._pools_of(db, sender_id)
                moved = SummaryChanges().move(pools, sender.channel, before[0], -1)
                self._summarize(db, moved.move(pools, sender.channel, sender.status, 1), now_ms)
            if changes.status is SenderStatus.DEACTIVATED:  # a deactivated sender releases its recipients
                db.execute("DELETE FROM sticky_senders WHERE sender_id = ?", (sender_id,))
            _bump(db, account)
            _record(db, [events.sender_updated(account, sender_id, changes, now_ms, actor)])
        return docs[extended]

    @staticmethod
    def _pools_of(db: sqlite3.Connection, sender_id: str) -> list[str]:
        """The pools the sender is a member of (deleted ones being purged included: they have no summary)."""
        return [row[0] for row in db.execute("SELECT pool_id FROM pool_members WHERE sender_id = ?", (sender_id,))]

    async def delete_sender(self, account: str, sender_id: str, now_ms: int, actor: str | None = None) -> bool:
        async with self._transaction() as db:  # memberships and sticky senders go with it (ON DELETE CASCADE)
            row = db.execute(
                "SELECT channel, status FROM senders WHERE id = ? AND account_sid = ?", (sender_id, account)
            ).fetchone()
            if row is None:
                return False
            pools = self._pools_of(db, sender_id)
            db.execute("DELETE FROM senders WHERE id = ?", (sender_id,))
            self._summarize(db, SummaryChanges().move(pools, row[0], row[1], -1), now_ms)
            _bump(db, account)
            _record(db, [NewEvent.of(EventType.SENDER_DELETED, account, actor, sender_id, now_ms)])
            return True

    async def eligible_senders(
        self, account: str, pool_id: str | None, addresses: Sequence[str] | None, channels: Sequence[Channel]
    ) -> list[Sender]:
        args = Args()
        if pool_id is None:
            sql = f"SELECT {SENDER_COLUMNS} FROM senders s WHERE s.account_sid = ?"
            args.append(account)
        else:
            sql = (
                f"SELECT {SENDER_COLUMNS} FROM pool_members m JOIN senders s ON s.id = m.sender_id"
                " WHERE m.pool_id = ? AND s.account_sid = ?"
            )
            args += [pool_id, account]
        sql += args.sender_filter(SenderFilter(channels=channels, status=SenderStatus.ACTIVATED))
        if addresses is not None:
            sql += f" AND s.address IN ({','.join('?' * len(addresses))})"
            args.extend(addresses)
        return [sender_from_row(row) for row in self._db.execute(sql + " ORDER BY s.id", args)]

    # -- resolution ----------------------------------------------------------------------------------
    def _resolve_scope(self, db: sqlite3.Connection, account: str, pool_id: str | None) -> ResolveScope | None:
        selection = None
        if pool_id is not None:
            row = db.execute(
                "SELECT selection FROM pools WHERE id = ? AND account_sid = ? AND deleted_at IS NULL",
                (pool_id, account),
            ).fetchone()
            if row is None:
                return None
            selection = selection_from_column(row[0])
        versions = dict(
            db.execute("SELECT key, version FROM resolve_versions WHERE key IN (?, ?)", (account, pool_id or account))
        )
        return ResolveScope((versions.get(account, 0), versions.get(pool_id, 0)), selection)

    async def resolve_scope(self, account: str, pool_id: str | None) -> ResolveScope | None:
        return self._resolve_scope(self._db, account, pool_id)

    async def resolve_candidates(self, account: str, pool_id: str | None) -> Candidates | None:
        db = self._db
        db.execute("BEGIN")  # one read snapshot: the candidates are those of the version read
        try:
            scope = self._resolve_scope(db, account, pool_id)
            if scope is None:
                return None
            senders = await self.eligible_senders(account, pool_id, None, list(Channel))
            return Candidates(scope.version, senders)
        finally:
            db.execute("COMMIT")

    async def sticky_senders(self, account: str, scope: str, recipients: Sequence[str]) -> list[StickySender]:
        return self._sticky(self._db, account, scope, recipients)

    def _sticky(
        self, db: sqlite3.Connection, account: str, scope: str, recipients: Sequence[str]
    ) -> list[StickySender]:
        args = Args(account, scope)
        sql = (
            f"SELECT {STICKY_COLUMNS} FROM sticky_senders"
            f" WHERE account_sid = ? AND scope = ? AND recipient IN ({', '.join(args.add(r) for r in recipients)})"
        )
        return [sticky_from_row(row) for row in db.execute(sql, args)]

    async def stick(
        self, account: str, mappings: Sequence[StickySender], expired_before_ms: int | None
    ) -> list[StickySender]:
        if not mappings:
            return []
        on_conflict = sticky_conflict("sticky_senders", expired_before_ms)
        rows = [(account, m.scope, m.recipient, str(m.channel), m.sender_id, m.created_ms) for m in mappings]
        async with self._transaction() as db:
            stored = {
                (row[0], row[1], row[2])
                for row in db.execute(
                    "INSERT INTO sticky_senders (account_sid, scope, recipient, channel, sender_id, created_at)"
                    f" VALUES {', '.join(['(?, ?, ?, ?, ?, ?)'] * len(rows))}"
                    f" ON CONFLICT (account_sid, recipient, scope, channel) DO {on_conflict}"
                    " RETURNING scope, recipient, channel",
                    [value for row in rows for value in row],
                ).fetchall()
            }
            kept, others = unwritten(mappings, stored)
            for scope, recipients in others.items():
                kept += self._sticky(db, account, scope, recipients)
            return kept

    async def purge_sticky_senders(self, expired_before_ms: int, limit: int) -> int:
        async with self._transaction() as db:
            return db.execute(
                "DELETE FROM sticky_senders WHERE (account_sid, scope, recipient, channel) IN"
                " (SELECT account_sid, scope, recipient, channel FROM sticky_senders WHERE created_at < ? LIMIT ?)",
                (expired_before_ms, limit),
            ).rowcount

    async def list_sticky_senders(self, account: str, recipient: str) -> list[StickySender]:
        rows = self._db.execute(
            "SELECT k.scope, k.recipient, k.channel, k.sender_id, k.created_at FROM sticky_senders k"
            " LEFT JOIN pools p ON p.id = k.scope WHERE k.account_sid = ? AND k.recipient = ?"
            " AND (k.scope = ? OR p.deleted_at IS NULL) ORDER BY k.scope, k.channel",
            (account, recipient, ACCOUNT_SCOPE),
        )
        return [sticky_from_row(row) for row in rows]

    async def clear_sticky_senders(self, account: str, recipient: str, scope: str | None) -> int:
        args = [account, recipient]
        sql = "DELETE FROM sticky_senders WHERE account_sid = ? AND recipient = ?"
        if scope is not None:
            sql += " AND scope = ?"
            args.append(scope)
        async with self._transaction() as db:
            return db.execute(sql, args).rowcount

    # -- rate limiting -----------------------------------------------------------------------------
    async def take_rate_token(self, key: str, rate: float, burst: float, now_ms: int) -> float:
        # The upsert refills and takes in one statement; a denied take changes nothing (the WHERE
        # of DO UPDATE), returns no row, and the wait is read in the same write transaction.
        refilled = "min(?3, tokens + max(0, ?4 - updated_at) * ?2 / 1000.0)"
        params = (key, rate, burst, now_ms)
        async with self._transaction() as db:
            taken = db.execute(
                "INSERT INTO rate_buckets (key, tokens, updated_at) SELECT ?1, ?3 - 1, ?4 WHERE ?3 >= 1"
                f" ON CONFLICT (key) DO UPDATE SET tokens = {refilled} - 1, updated_at = max(updated_at, ?4)"
                f" WHERE {refilled} >= 1 RETURNING 1",
                params,
            ).fetchone()
            if taken is not None:
                return 0.0
            row = db.execute(f"SELECT (1 - {refilled}) / ?2 FROM rate_buckets WHERE key = ?1", params).fetchone()
        return float(row[0]) if row is not None else 1.0 / rate  # no bucket: a burst below one token

    # -- events and webhook sinks -----------------------------------------------------------------------
    async def list_events(self, account: str, window: Window, where: EventFilter) -> Listed:
        args = Args()
        return [(row[0], bytes(row[1])) for row in self._db.execute(event_list(args, account, window, where), args)]

    async def purge_events(self, expired_before_ms: int, limit: int) -> int:
        expired = "SELECT id FROM events WHERE created_at < ? ORDER BY created_at LIMIT ?"
        if self._db.execute(expired, (expired_before_ms, 1)).fetchone() is None:  # idle: no write lock taken
            return 0
        async with self._transaction() as db:
            gone = [row[0] for row in db.execute(expired, (expired_before_ms, limit))]
            marks = ",".join("?" * len(gone))
            db.execute(f"DELETE FROM event_deliveries WHERE event_id IN ({marks})", gone)
            return db.execute(f"DELETE FROM events WHERE id IN ({marks})", gone).rowcount

    async def create_sink(self, sink: SinkRecord) -> None:
        async with self._transaction() as db:
            db.execute(f"INSERT INTO event_sinks ({SINK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", sink_row(sink))

    async def get_sink(self, account: str, sink_id: str) -> SinkRecord | None:
        row = self._db.execute(
            f"SELECT {SINK_COLUMNS} FROM event_sinks WHERE id = ? AND account_sid = ?", (sink_id, account)
        ).fetchone()
        return None if row is None else sink_from_row(row)

    async def list_sinks(self, account: str, window: Window) -> list[SinkRecord]:
        args = Args()
        sql = f"SELECT {SINK_COLUMNS} FROM event_sinks WHERE account_sid = {args.add(account)}"
        sql += args.window("id", window) + args.order(["id"], window)
        return [sink_from_row(row) for row in self._db.execute(sql, args)]

    async def update_sink(self, account: str, sink_id: str, changes: SinkChanges, now_ms: int) -> SinkRecord | None:
        async with self._transaction() as db:
            row = db.execute(
                "UPDATE event_sinks SET url = coalesce(?, url), types = coalesce(?, types),"
                " description = CASE WHEN ? THEN ? ELSE description END, updated_at = ?"
                f" WHERE id = ? AND account_sid = ? RETURNING {SINK_COLUMNS}",
                (
                    changes.url,
                    None if changes.types is None else types_column(changes.types),
                    changes.set_description,
                    changes.description,
                    now_ms,
                    sink_id,
                    account,
                ),
            ).fetchone()
            return None if row is None else sink_from_row(row)

    async def delete_sink(self, account: str, sink_id: str) -> bool:
        async with self._transaction() as db:  # its deliveries go with it (ON DELETE CASCADE)
            return (
                db.execute("DELETE FROM event_sinks WHERE id = ? AND account_sid = ?", (sink_id, account)).rowcount == 1
            )

    async def list_deliveries(
        self, account: str, sink_id: str, window: Window, status: DeliveryStatus | None
    ) -> Listed | None:
        if await self.get_sink(account, sink_id) is None:
            return None
        args = Args()
        return [delivery_listed(row) for row in self._db.execute(delivery_list(args, sink_id, window, status), args)]

    async def redeliver(self, account: str, sink_id: str, event_id: str, now_ms: int) -> bool:
        async with self._transaction() as db:
            return (
                db.execute(
                    "UPDATE event_deliveries SET status = 'PENDING', attempts = 0, next_attempt_at = ?"
                    " WHERE sink_id = ? AND event_id = ?"
                    " AND sink_id IN (SELECT id FROM event_sinks WHERE account_sid = ?)",
                    (now_ms, sink_id, event_id, account),
                ).rowcount
                == 1
            )

    async def claim_deliveries(
        self, now_ms: int, limit: int, lease_ms: int, busy_sinks: Sequence[str] = ()
    ) -> list[DueDelivery]:
        args: list[Any] = [now_ms]
        busy = ""
        if busy_sinks:
            busy = f" AND d.sink_id NOT IN ({','.join('?' * len(busy_sinks))})"
            args += busy_sinks
        due = (
            "SELECT d.sink_id, d.event_id, d.attempts, s.url, s.secret, e.doc FROM event_deliveries d"
            " JOIN event_sinks s ON s.id = d.sink_id JOIN events e ON e.id = d.event_id"
            f" WHERE d.status = 'PENDING' AND d.next_attempt_at <= ?{busy}{IN_ORDER}"
            " ORDER BY d.next_attempt_at, d.event_id LIMIT ?"
        )
        if self._db.execute(due, [*args, 1]).fetchone() is None:  # idle: no write lock taken
            return []
        async with self._transaction() as db:  # one claimant at a time (BEGIN IMMEDIATE)
            rows = db.execute(due, [*args, limit]).fetchall()
            db.executemany(
                "UPDATE event_deliveries SET next_attempt_at = ? WHERE sink_id = ? AND event_id = ?",
                [(now_ms + lease_ms, row[0], row[1]) for row in rows],
            )
        return [DueDelivery(row[0], row[1], row[2], row[3], row[4], bytes(row[5])) for row in rows]

    async def record_attempts(self, attempts: Sequence[tuple[str, str, Attempt]]) -> None:
        async with self._transaction() as db:
            db.executemany(
                "UPDATE event_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?,"
                " last_attempt_at = ?, last_status_code = ?, last_latency_ms = ?, last_error = ?"
                " WHERE sink_id = ? AND event_id = ? AND status = 'PENDING'",
                [
                    (str(a.status), a.next_ms, a.at_ms, a.status_code, a.latency_ms, a.error, sink_id, event_id)
                    for sink_id, event_id, a in attempts
                ],
            )

    # -- idempotency keys ---------------------------------------------------------------------------
    async def claim_idempotency_key(
        self, account: str, key: str, request: IdempotencyRecord, expired_before_ms: int, abandoned_before_ms: int
    ) -> IdempotencyRecord | None:
        async with self._transaction() as db:  # BEGIN IMMEDIATE: one claimant at a time, across processes
            row = db.execute(
                "SELECT method, path, body_sha256, created_at, status, headers, body FROM idempotency_keys"
                " WHERE account_sid = ? AND key = ?",
                (account, key),
            ).fetchone()
            live = row is not None and row[3] >= expired_before_ms
            if live and (row[4] is not None or row[3] >= abandoned_before_ms):  # complete, or not yet abandoned
                body = None if row[6] is None else bytes(row[6])
                return IdempotencyRecord(row[0], row[1], row[2], row[3], row[4], row[5], body)
            db.execute(
                "INSERT OR REPLACE INTO idempotency_keys (account_sid, key, method, path, body_sha256, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (account, key, request.method, request.path, request.body_sha256, request.created_ms),
            )
            return None

    async def complete_idempotency_key(
        self, account: str, key: str, claimed_ms: int, status: int, headers: str, body: bytes, now_ms: int
    ) -> None:
        async with self._transaction() as db:
            db.execute(
                "UPDATE idempotency_keys SET status = ?, headers = ?, body = ?, completed_at = ?"
                " WHERE account_sid = ? AND key = ? AND created_at = ? AND status IS NULL",
                (status, headers, body, now_ms, account, key, claimed_ms),
            )

    async def release_idempotency_key(self, account: str, key: str, claimed_ms: int) -> None:
        async with self._transaction() as db:
            db.execute(
                "DELETE FROM idempotency_keys WHERE account_sid = ? AND key = ? AND created_at = ? AND status IS NULL",
                (account, key, claimed_ms),
            )

    async def purge_idempotency_keys(self, expired_before_ms: int, limit: int) -> int:
        expired = "SELECT 1 FROM idempotency_keys WHERE created_at < ? LIMIT 1"
        if self._db.execute(expired, (expired_before_ms,)).fetchone() is None:  # idle: no write lock taken
            return 0
        async with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM idempotency_keys WHERE rowid IN"
                " (SELECT rowid FROM idempotency_keys WHERE created_at < ? LIMIT ?)",
                (expired_before_ms, limit),
            )
            return cursor.rowcount

    # -- test controls -------------------------------------------------------------------------------
    async def get_pacing(self, account: str) -> Pacing:
        row = self._db.execute(
            "SELECT hold, items_per_second FROM test_pacing WHERE account_sid = ?", (account,)
        ).fetchone()
        return Pacing() if row is None else Pacing(hold=bool(row[0]), items_per_second=row[1])

    async def set_pacing(self, account: str, pacing: Pacing) -> None:
        async with self._transaction() as db:
            if pacing == Pacing():
                db.execute("DELETE FROM test_pacing WHERE account_sid = ?", (account,))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO test_pacing (account_sid, hold, items_per_second) VALUES (?, ?, ?)",
                    (account, int(pacing.hold), pacing.items_per_second),
                )

    async def operation_pacing(self, operation_id: str) -> tuple[str, Pacing] | None:
        row = self._db.execute(
            "SELECT o.account_sid, p.hold, p.items_per_second FROM operations o"
            " JOIN test_pacing p ON p.account_sid = o.account_sid WHERE o.id = ?",
            (operation_id,),
        ).fetchone()
        return None if row is None else (row[0], Pacing(hold=bool(row[1]), items_per_second=row[2]))

    async def reset_account(self, account: str) -> dict[str, int]:
        async with self._transaction() as db:
            pools = db.execute(
                "SELECT count(*) FROM pools WHERE account_sid = ? AND deleted_at IS NULL", (account,)
            ).fetchone()[0]
            db.execute(
                "DELETE FROM operation_items WHERE operation_id IN (SELECT id FROM operations WHERE account_sid = ?)",
                (account,),
            )
            operations = db.execute("DELETE FROM operations WHERE account_sid = ?", (account,)).rowcount
            for table in ("pool_members", "pool_tags", "pool_summaries"):
                db.execute(
                    f"DELETE FROM {table} WHERE pool_id IN (SELECT id FROM pools WHERE account_sid = ?)", (account,)
                )
            db.execute("DELETE FROM pools WHERE account_sid = ?", (account,))
            senders = db.execute("DELETE FROM senders WHERE account_sid = ?", (account,)).rowcount
            _bump(db, account)
            db.execute("DELETE FROM idempotency_keys WHERE account_sid = ?", (account,))
            db.execute("DELETE FROM test_pacing WHERE account_sid = ?", (account,))
            db.execute(
                "DELETE FROM event_deliveries WHERE event_id IN (SELECT id FROM events WHERE account_sid = ?)",
                (account,),
            )
            db.execute("DELETE FROM events WHERE account_sid = ?", (account,))
        return {"senderPools": int(pools), "senders": senders, "operations": operations}

    async def seed_account(
        self, account: str, senders: Sequence[Sender], pools: Sequence[SenderPool], members: Sequence[tuple[str, str]]
    ) -> list[int]:
        try:
            async with self._transaction() as db:
                db.executemany(insert(SENDER_INSERT), [sender_row(account, s) for s in senders])
                db.executemany(insert(POOL_INSERT), [pool_row(account, p) for p in pools])
                db.executemany(
                    insert(POOL_TAG_INSERT), [r for p in pools for r in pool_tag_rows(account, p.id, p.tags)]
                )
                counts = seeded_counts(senders, members)
                db.executemany(
                    insert(SUMMARY_INSERT),
                    [summary_row(account, p.id, epoch_ms(p.updated_at), counts.get(p.id, "")) for p in pools],
                )
                db.executemany("INSERT INTO pool_members (pool_id, sender_id) VALUES (?, ?)", members)
                _bump(db, account)
            return []
        except sqlite3.IntegrityError:
            taken = self._taken_positions(account, senders)
            if not taken:
                raise
            return taken


def _bump(db: sqlite3.Connection, key: str) -> None:
    """A change to what Resolve chooses from (an account's senders, or a pool's members): its version moves."""
    db.execute(
        "INSERT INTO resolve_versions (key, version) VALUES (?, 1)"
        " ON CONFLICT (key) DO UPDATE SET version = resolve_versions.version + 1",
        (key,),
    )


def _record(db: sqlite3.Connection, happened: Sequence[NewEvent]) -> None:
    """Append the events of this transaction, and an outbox row for each sink that takes them."""
    if not happened:
        return
    db.executemany(insert(EVENT_INSERT), event_rows(happened))
    accounts = {e.account for e in happened}
    if any(db.execute("SELECT 1 FROM event_sinks WHERE account_sid = ? LIMIT 1", (a,)).fetchone() for a in accounts):
        db.executemany(fanout(numbered=False), fanout_rows(happened))
