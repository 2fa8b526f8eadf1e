"""PostgreSQL backend: asyncpg with a connection pool, for several nodes sharing one database.

asyncpg prepares each distinct statement once per connection and reuses it. The pool's
reset-on-release query is turned off: every unit of work here is a complete transaction (or a
single statement), so a released connection carries no session state worth resetting, and the
reset costs a round trip per request (~30% of throughput in the performance notes).

Concurrency: the worker claims an operation with ``FOR UPDATE SKIP LOCKED``, so each operation is
applied by one worker at a time and each of its items exactly once; memberships are inserted with
``ON CONFLICT DO NOTHING`` so two operations adding the same sender at once cannot both create it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from typing import Any

import asyncpg

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
from senderpools.store.base import Store, log, retry_later_on
from senderpools.store.rows import (
    EVENT_INSERT,
    EVENT_INSERT_COLUMNS,
    IN_ORDER,
    OPERATION_COLUMNS,
    POOL_INSERT,
    POOL_INSERT_COLUMNS,
    POOL_TAG_INSERT_COLUMNS,
    SENDER_COLUMNS,
    SENDER_INSERT_COLUMNS,
    SINK_COLUMNS,
    STICKY_COLUMNS,
    SUMMARY_COLUMNS,
    SUMMARY_INSERT,
    SUMMARY_INSERT_COLUMNS,
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

_MIGRATION_LOCK = 0x5E4D_E290  # pg_advisory_xact_lock key: one node migrates, the others wait


class _Connection(asyncpg.Connection):  # type: ignore[misc]
    def get_reset_query(self) -> str:
        return ""


def _transient(exc: BaseException) -> bool:
    """PostgreSQL failures that say the database cannot serve right now, not that the code is wrong: the
    server unreachable or restarting, out of connections, disk or memory, a read-only standby, a
    transaction chosen as a deadlock or serialization victim."""
    return isinstance(exc, _TRANSIENT)


_TRANSIENT = (
    OSError,  # refused, reset, unreachable (ConnectionError and TimeoutError included)
    asyncpg.PostgresConnectionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.OperatorInterventionError,
    asyncpg.TransactionRollbackError,
    asyncpg.ReadOnlySQLTransactionError,
)


# A delivery no longer PENDING. Written so, not as "= 'PENDING'": that would let PostgreSQL, when the
# outbox's statistics predate a burst, find a row by a PENDING-only partial index scanned by sink (6 ms
# per row of 5,000 pending, bench workload 13) instead of by its primary key.
_SETTLED = ", ".join(f"'{s}'" for s in DeliveryStatus if s is not DeliveryStatus.PENDING)


@retry_later_on(_transient)
class PostgresStore(Store):
    def __init__(self, dsn: str, min_connections: int = 1, max_connections: int = 10) -> None:
        self._dsn = dsn
        self._min = min_connections
        self._max = max_connections
        self._pool: asyncpg.Pool | None = None
        self._secret: bytes | None = None

    async def _connections(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self._dsn, min_size=self._min, max_size=self._max, connection_class=_Connection
            )
        return self._pool

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        pool = await self._connections()
        return list(await pool.fetch(sql, *args))

    async def _fetchrow(self, sql: str, *args: Any) -> Any:
        rows = await self._fetch(sql, *args)
        return rows[0] if rows else None

    # -- lifecycle ---------------------------------------------------------------------------------
    async def migrate(self) -> None:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
            await db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT)"
            )
            done = {row[0] for row in await db.fetch("SELECT version FROM schema_migrations")}
            applied = set()
            for version, script in migration_scripts("postgresql"):
                if version not in done:
                    await db.execute(script)
                    applied.add(version)
                    await db.execute(
                        "INSERT INTO schema_migrations VALUES ($1, (extract(epoch from now()) * 1000)::bigint)",
                        version,
                    )
            if "0008" in applied:
                await self._place_senders(db)
            await self._render_derived(db, rerendered(applied))
            await db.execute(
                "INSERT INTO server_settings (name, value) VALUES ('page_token_key', $1) ON CONFLICT DO NOTHING",
                os.urandom(32),
            )

    async def _place_senders(self, db: asyncpg.Connection) -> None:
        """Store the place of every sender registered before senders had one (migration 0008)."""
        last = ""
        while rows := await db.fetch(
            "SELECT id, channel, address FROM senders WHERE id > $1 ORDER BY id LIMIT 1000", last
        ):
            await db.executemany(
                "UPDATE senders SET country = $1, area_code = $2, time_zone = $3, sender_type = $4 WHERE id = $5",
                [placed(row) for row in rows],
            )
            last = rows[-1][0]

    async def _render_derived(self, db: asyncpg.Connection, tables: list[Derived]) -> None:
        """Derive the kept columns (JSON, search keys) of every row of ``tables`` again (after a migration)."""
        for derived in tables:
            sets = ", ".join(f"{column} = ${i}" for i, column in enumerate(derived.derived, 1))
            last = ""
            while rows := await db.fetch(
                f"SELECT {derived.columns} FROM {derived.table} WHERE {derived.key} > $1 ORDER BY {derived.key} LIMIT 1000",
                last,
            ):
                await db.executemany(
                    f"UPDATE {derived.table} SET {sets} WHERE {derived.key} = ${len(derived.derived) + 1}",
                    [(*derived.derive(row), row[0]) for row in rows],
                )
                last = rows[-1][0]

    async def missing_migrations(self) -> list[str]:
        done = {row[0] for row in await self._fetch("SELECT version FROM schema_migrations")}
        return [version for version, _ in migration_scripts("postgresql") if version not in done]

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def server_secret(self) -> bytes:
        if self._secret is None:
            row = await self._fetchrow("SELECT value FROM server_settings WHERE name = 'page_token_key'")
            self._secret = bytes(row[0])
        return self._secret

    # -- credentials -------------------------------------------------------------------------------
    async def create_account(self, sid: str, token_hash: str, now_ms: int, first_only: bool = False) -> bool:
        condition = " WHERE NOT EXISTS (SELECT 1 FROM accounts)" if first_only else ""
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            if first_only:  # serialize concurrent first starts, as migrations are
                await db.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
            row = await db.fetchrow(
                f"INSERT INTO accounts (sid, token_hash, created_at) SELECT $1, $2, $3{condition}"
                " ON CONFLICT DO NOTHING RETURNING 1",
                sid,
                token_hash,
                now_ms,
            )
            return row is not None

    async def create_api_key(self, sid: str, account_sid: str, secret_hash: str, now_ms: int) -> bool:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            row = await db.fetchrow(
                "INSERT INTO api_keys (sid, account_sid, secret_hash, created_at)"
                " SELECT $1, sid, $3, $4 FROM accounts WHERE sid = $2 RETURNING 1",
                sid,
                account_sid,
                secret_hash,
                now_ms,
            )
            if row is None:
                return False
            await _record(db, [NewEvent.of(EventType.API_KEY_CREATED, account_sid, None, sid, now_ms)])
            return True

    async def revoke_api_key(self, sid: str, now_ms: int) -> bool:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            row = await db.fetchrow(
                "UPDATE api_keys SET revoked_at = $1 WHERE sid = $2 AND revoked_at IS NULL RETURNING account_sid",
                now_ms,
                sid,
            )
            if row is None:
                return False
            await _record(db, [NewEvent.of(EventType.API_KEY_REVOKED, row[0], None, sid, now_ms)])
            return True

    async def find_credential(self, sid: str) -> Credential | None:
        if sid.startswith("AC"):
            row = await self._fetchrow("SELECT sid, sid, token_hash, false FROM accounts WHERE sid = $1", sid)
        else:
            row = await self._fetchrow(
                "SELECT sid, account_sid, secret_hash, revoked_at IS NOT NULL FROM api_keys WHERE sid = $1", sid
            )
        if row is None:
            return None
        return Credential(sid=row[0], account_sid=row[1], secret_hash=row[2], revoked=bool(row[3]))

    # -- sender pools ------------------------------------------------------------------------------
    async def _insert_operation(
        self,
        db: asyncpg.Connection,
        account: str,
        pool_id: str,
        operation: SenderPoolOperation,
        first_queued_seq: int,
        sender_ids: Sequence[str],
        actor: str | None,
    ) -> None:
        stats, created_ms = operation.stats, epoch_ms(operation.created_at)
        await db.execute(
            "INSERT INTO operations (id, account_sid, pool_id, kind, status, total, queued, created, failed,"
            " next_seq, created_at, updated_at, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)",
            operation.id, account, pool_id, str(operation.type), str(operation.status), stats.total, stats.queued,
            stats.created, stats.failed, first_queued_seq, created_ms, actor,
        )  # fmt: skip
        if sender_ids:
            await db.copy_records_to_table(
                "operation_items",
                columns=["operation_id", "seq", "sender_id", "updated_at"],
                records=[(operation.id, seq, sid, created_ms) for seq, sid in enumerate(sender_ids, first_queued_seq)],
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
        pool_conn = await self._connections()
        async with pool_conn.acquire() as db, db.transaction():
            await db.execute(insert(POOL_INSERT, numbered=True), *pool_row(account, pool, operation.id))
            if pool.tags:
                await db.copy_records_to_table(
                    "pool_tags", columns=POOL_TAG_INSERT_COLUMNS, records=pool_tag_rows(account, pool.id, pool.tags)
                )
            processing = int(operation.status is OperationStatus.PROCESSING)
            await db.execute(
                insert(SUMMARY_INSERT, numbered=True), *summary_row(account, pool.id, created_ms, processing=processing)
            )
            await self._insert_operation(db, account, pool.id, operation, 1, sender_ids, actor)
            # Item 0 is the pool itself, applied in this transaction.
            await db.execute(
                "INSERT INTO operation_items (operation_id, seq, sender_id, outcome, updated_at)"
                " VALUES ($1, 0, NULL, $2, $3)",
                operation.id,
                str(ItemOutcome.CREATED),
                created_ms,
            )
            await _record(db, events.pool_created(account, pool, operation, actor))

    async def get_pool(self, account: str, pool_id: str, extended: bool = False) -> tuple[bytes, bytes] | None:
        row = await self._fetchrow(
            f"SELECT {doc_column(extended)}, xdoc FROM pools WHERE id = $1 AND account_sid = $2 AND deleted_at IS NULL",
            pool_id,
            account,
        )
        return None if row is None else (bytes(row[0]), bytes(row[1]))

    async def pool_exists(self, account: str, pool_id: str) -> bool:
        row = await self._fetchrow(
            "SELECT 1 FROM pools WHERE id = $1 AND account_sid = $2 AND deleted_at IS NULL", pool_id, account
        )
        return row is not None

    async def list_pools(self, account: str, window: Window, where: PoolFilter, extended: bool = False) -> Listed:
        rows: list[Any] = []
        for sql, args in pool_list(True, account, window, where, extended):
            rows += await self._fetch(sql, *args)
            if len(rows) >= window.limit:
                break
        return pools_listed(rows[: window.limit], where)

    @staticmethod
    async def _changeable_pool(
        db: Any, account: str, pool_id: str, if_match: IfMatch | None
    ) -> tuple[Refused | None, bool]:
        """Whether the account's pool (now locked) may be changed under ``if_match``, and its deletion protection."""
        row = await db.fetchrow(
            "SELECT xdoc, deletion_protection FROM pools"
            " WHERE id = $1 AND account_sid = $2 AND deleted_at IS NULL FOR UPDATE",
            pool_id,
            account,
        )
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
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            refused, _ = await self._changeable_pool(db, account, pool_id, if_match)
            if refused is not None:
                return refused
            sql, args = pool_update(True, pool_id, changes, now_ms)
            row = await db.fetchrow(sql, *args)
            await db.execute(
                "UPDATE pools SET doc = $1, xdoc = $2, name_key = $3 WHERE id = $4",
                *pool_derived(pool_from_row(row)),
                pool_id,
            )
            if tags is not None:
                await db.execute("DELETE FROM pool_tags WHERE pool_id = $1", pool_id)
                if tags:
                    await db.copy_records_to_table(
                        "pool_tags", columns=POOL_TAG_INSERT_COLUMNS, records=pool_tag_rows(account, pool_id, tags)
                    )
            await _record(db, [events.pool_updated(account, pool_id, changes, now_ms, actor)])
            return None

    async def delete_pool(
        self, account: str, pool_id: str, now_ms: int, if_match: IfMatch | None = None, actor: str | None = None
    ) -> Refused | None:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            refused, protected = await self._changeable_pool(db, account, pool_id, if_match)
            if refused is not None:
                return refused
            if protected:
                return Refused.PROTECTED
            await db.execute("UPDATE pools SET deleted_at = $1 WHERE id = $2", now_ms, pool_id)
            # Waits for a batch in flight on these operations, then sees where it stopped. Before the summary
            # is touched: a batch locks its operation, then the summary, so this takes them in that order too.
            running = await db.fetch(
                "SELECT id, next_seq FROM operations WHERE pool_id = $1 AND status = 'PROCESSING' FOR UPDATE",
                pool_id,
            )
            for table in ("pool_tags", "pool_summaries"):  # searches and summaries know live pools only
                await db.execute(f"DELETE FROM {table} WHERE pool_id = $1", pool_id)
            happened = [NewEvent.of(EventType.POOL_DELETED, account, actor, pool_id, now_ms)]
            for op_id, next_seq in running:
                await self._cancel(db, op_id, next_seq, now_ms)
                happened.append(await self._operation_event(db, op_id, account, actor, now_ms))
            await _record(db, happened)
            return None

    async def pool_summary(self, account: str, pool_id: str) -> bytes | None:
        row = await self._fetchrow(
            "SELECT doc FROM pool_summaries WHERE pool_id = $1 AND account_sid = $2", pool_id, account
        )
        return None if row is None else bytes(row[0])

    @staticmethod
    async def _summarize(db: Any, changes: SummaryChanges, now_ms: int) -> None:
        """Apply changes to pools' summaries (pools without one, deleted ones, are left alone). The rows are
        locked in ID order first: every writer of a pool's figures holds its row, so concurrent writers
        take turns per pool and never deadlock."""
        pools = changes.pools()
        if not pools:
            return
        rows = await db.fetch(
            f"SELECT {SUMMARY_COLUMNS} FROM pool_summaries WHERE pool_id = ANY($1::text[]) ORDER BY pool_id FOR UPDATE",
            pools,
        )
        updates = summary_updates(rows, changes, now_ms)
        if updates:
            await db.execute(
                "UPDATE pool_summaries AS s SET counts = u.counts, processing = u.processing, updated_at = u.updated_at,"
                " doc = u.doc FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[], $5::text[])"
                " AS u(counts, processing, updated_at, doc, pool_id) WHERE s.pool_id = u.pool_id",
                *(list(column) for column in zip(*updates, strict=True)),
            )

    async def _cancel(self, db: Any, operation_id: str, next_seq: int, now_ms: int) -> None:
        """Stop an operation locked FOR UPDATE: its unapplied items fail with outcome CANCELED."""
        await db.execute(
            "UPDATE operation_items SET outcome = $1, updated_at = $2 WHERE operation_id = $3 AND seq >= $4",
            str(ItemOutcome.CANCELED),
            now_ms,
            operation_id,
            next_seq,
        )
        await db.execute(
            "UPDATE operations SET status = 'CANCELED', failed = failed + queued, queued = 0,"
            " next_seq = total, updated_at = $1 WHERE id = $2",
            now_ms,
            operation_id,
        )

    @staticmethod
    async def _operation_event(db: Any, operation_id: str, account: str, actor: str | None, now_ms: int) -> NewEvent:
        """The event of the operation's current status (as this transaction has it)."""
        row = await db.fetchrow(f"SELECT {OPERATION_COLUMNS} FROM operations WHERE id = $1", operation_id)
        return operation_event(operation_from_row(row), account, actor, now_ms)

    async def _pool_exists(self, db: Any, account: str, pool_id: str) -> bool:
        row = await db.fetchrow(
            "SELECT 1 FROM pools WHERE id = $1 AND account_sid = $2 AND deleted_at IS NULL", pool_id, account
        )
        return row is not None

    async def list_pool_senders(
        self, account: str, pool_id: str, window: Window, where: SenderFilter, extended: bool = False
    ) -> Listed | None:
        pool = await self._connections()
        args = Args(numbered=True)
        sql = member_list(args, pool_id, window, where, extended)
        async with pool.acquire() as db:
            if not await self._pool_exists(db, account, pool_id):
                return None
            return [(row[0], row[1]) for row in await db.fetch(sql, *args)]

    async def queue_operation(
        self,
        account: str,
        pool_id: str,
        operation: SenderPoolOperation,
        sender_ids: Sequence[str],
        actor: str | None = None,
    ) -> bool:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            # FOR SHARE conflicts with Delete Pool's UPDATE: a Delete that came first has committed by the
            # time this row is read, and then the pool is gone (404); one that comes later waits for this
            # commit and cancels the new operation. Either way the two form a serial history.
            live = await db.fetchrow(
                "SELECT 1 FROM pools WHERE id = $1 AND account_sid = $2 AND deleted_at IS NULL FOR SHARE",
                pool_id,
                account,
            )
            if live is None:
                return False
            await self._insert_operation(db, account, pool_id, operation, 0, sender_ids, actor)
            opened = SummaryChanges(processing=Counter({pool_id: 1}))
            await self._summarize(db, opened, epoch_ms(operation.created_at))
            await _record(db, [operation_event(operation, account, actor, epoch_ms(operation.created_at))])
            return True

    async def remove_sender(
        self, account: str, pool_id: str, sender_id: str, now_ms: int, actor: str | None = None
    ) -> bool:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            # The sender's status is read under a share lock, so no status change moves its counts meanwhile.
            sender = await db.fetchrow("SELECT channel, status FROM senders WHERE id = $1 FOR SHARE", sender_id)
            removed = await db.fetchrow(
                "DELETE FROM pool_members m USING pools p WHERE m.pool_id = $1 AND m.sender_id = $2"
                " AND p.id = m.pool_id AND p.account_sid = $3 AND p.deleted_at IS NULL RETURNING 1",
                pool_id,
                sender_id,
                account,
            )
            if removed is None:
                return False
            await self._summarize(db, SummaryChanges().move([pool_id], sender[0], sender[1], -1), now_ms)
            await db.execute("DELETE FROM sticky_senders WHERE sender_id = $1 AND scope = $2", sender_id, pool_id)
            await _bump(db, pool_id)
            await _record(db, [events.member_removed(account, pool_id, sender_id, now_ms, actor)])
            return True

    # -- operations --------------------------------------------------------------------------------
    async def get_operation(self, account: str, operation_id: str) -> SenderPoolOperation | None:
        row = await self._fetchrow(
            f"SELECT {OPERATION_COLUMNS} FROM operations WHERE id = $1 AND account_sid = $2", operation_id, account
        )
        return None if row is None else operation_from_row(row)

    async def list_operations(
        self, account: str, window: Window, where: OperationFilter, extended: bool = False
    ) -> Listed:
        args = Args(numbered=True)
        rows = await self._fetch(operation_list(args, account, window, where), *args)
        return [operation_listed(row, extended) for row in rows]

    async def operations_with_work(self, limit: int, skip_held: bool = False, after: str | None = None) -> list[str]:
        held = " AND account_sid NOT IN (SELECT account_sid FROM test_pacing WHERE hold)" if skip_held else ""
        rows = await self._fetch(
            f"SELECT id FROM operations WHERE status = 'PROCESSING' AND queued > 0 AND id > $2{held}"
            " ORDER BY id LIMIT $1",
            limit,
            after or "",
        )
        return [row[0] for row in rows]

    async def apply_operation_batch(self, operation_id: str, batch_size: int, now_ms: int) -> int:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            op = await db.fetchrow(
                "SELECT o.account_sid, o.pool_id, o.next_seq, o.kind, o.queued, p.deleted_at IS NULL AND p.id IS NOT NULL,"
                " o.actor FROM operations o LEFT JOIN pools p ON p.id = o.pool_id"
                " WHERE o.id = $1 AND o.status = 'PROCESSING' AND o.queued > 0 FOR UPDATE OF o SKIP LOCKED",
                operation_id,
            )
            if op is None:
                return 0  # finished, canceled, or being applied by another worker right now
            account, pool_id, next_seq, kind, queued, pool_live, actor = op
            if not pool_live:  # never applies to a deleted pool (Delete Pool cancels its operations)
                log.warning("operation %s of deleted pool %s was still running: canceled", operation_id, pool_id)
                await self._cancel(db, operation_id, next_seq, now_ms)
                await _record(db, [await self._operation_event(db, operation_id, account, actor, now_ms)])
                return 1
            items = await db.fetch(
                "SELECT seq, sender_id FROM operation_items WHERE operation_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
                operation_id,
                next_seq,
                batch_size,
            )
            ids = [row[1] for row in items]
            # Share locks: a sender's status (hence which count it is in) cannot change until this commits.
            senders = {
                row[0]: (row[1], row[2])
                for row in await db.fetch(
                    "SELECT id, channel, status FROM senders WHERE account_sid = $1 AND id = ANY($2::text[])"
                    " ORDER BY id FOR SHARE",
                    account,
                    ids,
                )
            }
            candidates = [sid for sid in ids if sid in senders]
            removing = kind == OperationType.REMOVE_SENDERS
            if removing:
                statement = (
                    "DELETE FROM pool_members WHERE pool_id = $1 AND sender_id = ANY($2::text[]) RETURNING sender_id"
                )
            else:
                statement = (
                    "INSERT INTO pool_members (pool_id, sender_id) SELECT $1, unnest($2::text[])"
                    " ON CONFLICT DO NOTHING RETURNING sender_id"
                )
            moved = {row[0] for row in await db.fetch(statement, pool_id, candidates)}
            if removing:
                await db.execute(  # a removed member releases its recipients in this pool
                    "DELETE FROM sticky_senders WHERE sender_id = ANY($1::text[]) AND scope = $2", list(moved), pool_id
                )
                outcomes = [ItemOutcome.for_removal(sid in senders, sid in moved) for sid in ids]
            else:
                outcomes = [ItemOutcome.for_addition(sid in senders, sid not in moved) for sid in ids]
            await db.execute(
                "UPDATE operation_items AS i SET outcome = u.outcome, updated_at = $2"
                " FROM unnest($3::bigint[], $4::text[]) AS u(seq, outcome)"
                " WHERE i.operation_id = $1 AND i.seq = u.seq",
                operation_id,
                now_ms,
                [row[0] for row in items],
                [str(o) for o in outcomes],
            )
            succeeded = sum(1 for o in outcomes if o.succeeded)
            await db.execute(
                "UPDATE operations SET next_seq = $1, queued = queued - $2, created = created + $3,"
                " failed = failed + $4, status = CASE WHEN queued - $2 = 0 THEN 'COMPLETED' ELSE status END,"
                " updated_at = $5 WHERE id = $6",
                items[-1][0] + 1,
                len(items),
                succeeded,
                len(items) - succeeded,
                now_ms,
                operation_id,
            )
            changes = SummaryChanges()
            for sid in moved:
                changes.move([pool_id], *senders[sid], -1 if removing else 1)
            happened = [events.batch_applied(account, actor, pool_id, operation_id, kind, outcomes, now_ms)]
            if queued == len(items):  # finished: one operation fewer in PROCESSING
                changes.processing[pool_id] -= 1
                happened.append(await self._operation_event(db, operation_id, account, actor, now_ms))
            await self._summarize(db, changes, now_ms)
            if moved:  # after the summary: every writer locks summaries, then versions (no deadlock)
                await _bump(db, pool_id)
            await _record(db, happened)
            return len(items)

    async def purge_deleted_pools(self, batch_size: int) -> int:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            row = await db.fetchrow(
                "SELECT id, account_sid FROM pools WHERE deleted_at IS NOT NULL LIMIT 1 FOR UPDATE SKIP LOCKED"
            )
            if row is None:
                return 0
            removed = len(
                await db.fetch(
                    "DELETE FROM pool_members WHERE pool_id = $1 AND sender_id IN"
                    " (SELECT sender_id FROM pool_members WHERE pool_id = $1 LIMIT $2) RETURNING 1",
                    row[0],
                    batch_size,
                )
            )
            if removed < batch_size:  # then the pool's sticky senders, then the pool itself
                removed += len(
                    await db.fetch(
                        "DELETE FROM sticky_senders WHERE (account_sid, scope, recipient, channel) IN"
                        " (SELECT account_sid, scope, recipient, channel FROM sticky_senders"
                        " WHERE account_sid = $1 AND scope = $2 LIMIT $3) RETURNING 1",
                        row[1],
                        row[0],
                        batch_size - removed,
                    )
                )
            if removed < batch_size:
                await db.execute("DELETE FROM pools WHERE id = $1", row[0])
                await db.execute("DELETE FROM resolve_versions WHERE key = $1", row[0])
            return max(removed, 1)

    async def list_operation_items(
        self, account: str, operation_id: str, window: Window, outcome: ItemOutcome | None
    ) -> Listed:
        args = Args(numbered=True)
        rows = await self._fetch(item_list(args, account, operation_id, window, outcome), *args)
        return [item_listed(row) for row in rows]

    async def cancel_operation(
        self, account: str, operation_id: str, now_ms: int, actor: str | None = None
    ) -> tuple[SenderPoolOperation, bool] | None:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            # Waits for a batch in flight on this operation, then sees where it stopped.
            row = await db.fetchrow(
                "SELECT status, next_seq, pool_id FROM operations WHERE id = $1 AND account_sid = $2 FOR UPDATE",
                operation_id,
                account,
            )
            if row is None:
                return None
            canceled = row[0] == OperationStatus.PROCESSING
            if canceled:
                await self._cancel(db, operation_id, row[1], now_ms)
                await self._summarize(db, SummaryChanges(processing=Counter({row[2]: -1})), now_ms)
            op = await db.fetchrow(f"SELECT {OPERATION_COLUMNS} FROM operations WHERE id = $1", operation_id)
            operation = operation_from_row(op)
            if canceled:
                await _record(db, [operation_event(operation, account, actor, now_ms)])
            return operation, canceled

    # -- senders -----------------------------------------------------------------------------------
    async def create_senders(self, account: str, senders: Sequence[Sender], actor: str | None = None) -> list[int]:
        records = [sender_row(account, s) for s in senders]
        pool = await self._connections()
        try:
            async with pool.acquire() as db, db.transaction():
                await db.copy_records_to_table("senders", columns=SENDER_INSERT_COLUMNS, records=records)
                await _bump(db, account)
                await _record(db, events.senders_registered(account, senders, actor))
            return []
        except asyncpg.UniqueViolationError:
            return await self._taken_positions(account, senders)

    async def _taken_positions(self, account: str, senders: Sequence[Sender]) -> list[int]:
        """Positions whose channel+address the account already has, so all can be reported at once."""
        rows = await self._fetch(
            "SELECT channel, address FROM senders WHERE account_sid = $1"
            " AND (channel, address) IN (SELECT * FROM unnest($2::text[], $3::text[]))",
            account,
            [str(s.channel) for s in senders],
            [s.address for s in senders],
        )
        taken = {(row[0], row[1]) for row in rows}
        return [i for i, s in enumerate(senders) if (str(s.channel), s.address) in taken]

    async def get_sender(self, account: str, sender_id: str, extended: bool = False) -> bytes | None:
        row = await self._fetchrow(
            f"SELECT {doc_column(extended)} FROM senders WHERE id = $1 AND account_sid = $2", sender_id, account
        )
        return None if row is None else bytes(row[0])

    async def sender_exists(self, account: str, sender_id: str) -> bool:
        row = await self._fetchrow("SELECT 1 FROM senders WHERE id = $1 AND account_sid = $2", sender_id, account)
        return row is not None

    async def list_senders(self, account: str, window: Window, where: SenderFilter, extended: bool = False) -> Listed:
        args = Args(numbered=True)
        sql = sender_list(args, account, window, where, extended)
        return [(row[0], row[1]) for row in await self._fetch(sql, *args)]

    async def update_sender(
        self,
        account: str,
        sender_id: str,
        changes: SenderChanges,
        now_ms: int,
        extended: bool = False,
        actor: str | None = None,
    ) -> bytes | None:
        args = Args(now_ms, numbered=True)
        sets = ["updated_at = $1"]
        if changes.set_display_name:
            sets.append(f"display_name = {args.add(changes.display_name)}")
        if changes.status is not None:
            sets.append(f"status = {args.add(str(changes.status))}")
        if changes.tags is not None:
            sets.append(f"tags = {args.add(encode_tags(changes.tags))}")
        if changes.weight is not None:
            sets.append(f"weight = {args.add(changes.weight)}")
        if changes.health is not None:
            sets.append(f"health = {args.add(str(changes.health))}")
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            # Locked first: a batch joining the sender to a pool (share lock) commits before, or waits.
            before = await db.fetchrow(
                "SELECT status FROM senders WHERE id = $1 AND account_sid = $2 FOR UPDATE", sender_id, account
            )
            if before is None:
                return None
            row = await db.fetchrow(
                f"UPDATE senders AS s SET {', '.join(sets)} WHERE s.id = {args.add(sender_id)} RETURNING {SENDER_COLUMNS}",
                *args,
            )
            sender = sender_from_row(row)
            docs = views(sender)
            await db.execute("UPDATE senders SET doc = $1, xdoc = $2 WHERE id = $3", *docs, sender_id)
            if sender.status != before[0]:  # it moves between its pools' counts (deleted pools have none)
                pools = [
                    r[0] for r in await db.fetch("SELECT pool_id FROM pool_members WHERE sender_id = $1", sender_id)
                ]
                moved = SummaryChanges().move(pools, sender.channel, before[0], -1)
                await self._summarize(db, moved.move(pools, sender.channel, sender.status, 1), now_ms)
            if changes.status is SenderStatus.DEACTIVATED:  # a deactivated sender releases its recipients
                await db.execute("DELETE FROM sticky_senders WHERE sender_id = $1", sender_id)
            await _bump(db, account)
            await _record(db, [events.sender_updated(account, sender_id, changes, now_ms, actor)])
        return docs[extended]

    async def delete_sender(self, account: str, sender_id: str, now_ms: int, actor: str | None = None) -> bool:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            # Locked first: a batch joining the sender to a pool (share lock) commits before, or waits and
            # then finds it gone.
            row = await db.fetchrow(
                "SELECT channel, status FROM senders WHERE id = $1 AND account_sid = $2 FOR UPDATE", sender_id, account
            )
            if row is None:
                return False
            left = await db.fetch("DELETE FROM pool_members WHERE sender_id = $1 RETURNING pool_id", sender_id)
            await db.execute("DELETE FROM senders WHERE id = $1", sender_id)
            await self._summarize(db, SummaryChanges().move([r[0] for r in left], row[0], row[1], -1), now_ms)
            await _bump(db, account)  # its sticky senders went with it (ON DELETE CASCADE)
            await _record(db, [NewEvent.of(EventType.SENDER_DELETED, account, actor, sender_id, now_ms)])
            return True

    async def eligible_senders(
        self, account: str, pool_id: str | None, addresses: Sequence[str] | None, channels: Sequence[Channel]
    ) -> list[Sender]:
        args = Args(account, numbered=True)
        if pool_id is None:
            sql = f"SELECT {SENDER_COLUMNS} FROM senders s WHERE s.account_sid = $1"
        else:
            sql = (
                f"SELECT {SENDER_COLUMNS} FROM pool_members m JOIN senders s ON s.id = m.sender_id"
                f" WHERE s.account_sid = $1 AND m.pool_id = {args.add(pool_id)}"
            )
        sql += args.sender_filter(SenderFilter(channels=channels, status=SenderStatus.ACTIVATED))
        if addresses is not None:
            sql += f" AND s.address = ANY({args.add(list(addresses))}::text[])"
        return [sender_from_row(row) for row in await self._fetch(sql + " ORDER BY s.id", *args)]

    # -- resolution ----------------------------------------------------------------------------------
    async def _resolve_scope(self, db: Any, account: str, pool_id: str | None) -> ResolveScope | None:
        live = "FROM pools WHERE id = $2 AND account_sid = $1 AND deleted_at IS NULL"
        row = await db.fetchrow(
            f"SELECT EXISTS (SELECT 1 {live}), (SELECT selection {live}),"
            " (SELECT version FROM resolve_versions WHERE key = $1),"
            " (SELECT version FROM resolve_versions WHERE key = $2)",
            account,
            pool_id,
        )
        if pool_id is None:
            return ResolveScope((row[2] or 0, 0))
        if not row[0]:
            return None
        return ResolveScope((row[2] or 0, row[3] or 0), selection_from_column(row[1]))

    async def resolve_scope(self, account: str, pool_id: str | None) -> ResolveScope | None:
        pool = await self._connections()
        async with pool.acquire() as db:
            return await self._resolve_scope(db, account, pool_id)

    async def resolve_candidates(self, account: str, pool_id: str | None) -> Candidates | None:
        pool = await self._connections()
        # One snapshot: the candidates are those of the version read.
        async with pool.acquire() as db, db.transaction(isolation="repeatable_read", readonly=True):
            scope = await self._resolve_scope(db, account, pool_id)
            if scope is None:
                return None
            args = Args(account, numbered=True)
            if pool_id is None:
                sql = f"SELECT {SENDER_COLUMNS} FROM senders s WHERE s.account_sid = $1"
            else:
                sql = (
                    f"SELECT {SENDER_COLUMNS} FROM pool_members m JOIN senders s ON s.id = m.sender_id"
                    f" WHERE s.account_sid = $1 AND m.pool_id = {args.add(pool_id)}"
                )
            sql += f" AND s.status = {args.add(str(SenderStatus.ACTIVATED))} ORDER BY s.id"
            return Candidates(scope.version, [sender_from_row(row) for row in await db.fetch(sql, *args)])

    async def sticky_senders(self, account: str, scope: str, recipients: Sequence[str]) -> list[StickySender]:
        pool = await self._connections()
        async with pool.acquire() as db:
            return await self._sticky(db, account, scope, recipients)

    async def _sticky(self, db: Any, account: str, scope: str, recipients: Sequence[str]) -> list[StickySender]:
        rows = await db.fetch(
            f"SELECT {STICKY_COLUMNS} FROM sticky_senders"
            " WHERE account_sid = $1 AND scope = $2 AND recipient = ANY($3::text[])",
            account,
            scope,
            list(recipients),
        )
        return [sticky_from_row(row) for row in rows]

    async def stick(
        self, account: str, mappings: Sequence[StickySender], expired_before_ms: int | None
    ) -> list[StickySender]:
        if not mappings:
            return []
        on_conflict = sticky_conflict("k", expired_before_ms)
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            rows = await db.fetch(
                "INSERT INTO sticky_senders AS k (account_sid, scope, recipient, channel, sender_id, created_at)"
                " SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])"
                f" ON CONFLICT (account_sid, recipient, scope, channel) DO {on_conflict}"
                " RETURNING scope, recipient, channel",
                account,
                [m.scope for m in mappings],
                [m.recipient for m in mappings],
                [str(m.channel) for m in mappings],
                [m.sender_id for m in mappings],
                [m.created_ms for m in mappings],
            )
            kept, others = unwritten(mappings, {(row[0], row[1], row[2]) for row in rows})
            for scope, recipients in others.items():
                kept += await self._sticky(db, account, scope, recipients)
            return kept

    async def purge_sticky_senders(self, expired_before_ms: int, limit: int) -> int:
        rows = await self._fetch(
            "DELETE FROM sticky_senders WHERE (account_sid, scope, recipient, channel) IN"
            " (SELECT account_sid, scope, recipient, channel FROM sticky_senders WHERE created_at < $1 LIMIT $2)"
            " RETURNING 1",
            expired_before_ms,
            limit,
        )
        return len(rows)

    async def list_sticky_senders(self, account: str, recipient: str) -> list[StickySender]:
        rows = await self._fetch(
            "SELECT k.scope, k.recipient, k.channel, k.sender_id, k.created_at FROM sticky_senders k"
            " LEFT JOIN pools p ON p.id = k.scope WHERE k.account_sid = $1 AND k.recipient = $2"
            " AND (k.scope = $3 OR p.deleted_at IS NULL) ORDER BY k.scope, k.channel",
            account,
            recipient,
            ACCOUNT_SCOPE,
        )
        return [sticky_from_row(row) for row in rows]

    async def clear_sticky_senders(self, account: str, recipient: str, scope: str | None) -> int:
        args = Args(account, recipient, numbered=True)
        sql = "DELETE FROM sticky_senders WHERE account_sid = $1 AND recipient = $2"
        if scope is not None:
            sql += f" AND scope = {args.add(scope)}"
        return len(await self._fetch(sql + " RETURNING 1", *args))

    # -- rate limiting -----------------------------------------------------------------------------
    async def take_rate_token(self, key: str, rate: float, burst: float, now_ms: int) -> float:
        # One statement: the upsert refills and takes under the row lock (concurrent takes on one key
        # queue on it); a denied take updates nothing (the WHERE of DO UPDATE) and returns no row, and
        # then the second branch reads the wait from the statement's snapshot (advisory: Retry-After).
        refilled = "least($3::float8, b.tokens + greatest(0, $4::bigint - b.updated_at) * $2::float8 / 1000.0)"
        row = await self._fetchrow(
            "WITH taken AS ("
            " INSERT INTO rate_buckets AS b (key, tokens, updated_at)"
            " SELECT $1, $3::float8 - 1, $4::bigint WHERE $3::float8 >= 1"
            f" ON CONFLICT (key) DO UPDATE SET tokens = {refilled} - 1, updated_at = greatest(b.updated_at, $4::bigint)"
            f" WHERE {refilled} >= 1 RETURNING 1)"
            " SELECT 0.0::float8 FROM taken"
            f" UNION ALL SELECT greatest((1 - {refilled}) / $2::float8, 0.001) FROM rate_buckets b"
            " WHERE b.key = $1 AND NOT EXISTS (SELECT 1 FROM taken)",
            key,
            rate,
            burst,
            now_ms,
        )
        return float(row[0]) if row is not None else 1.0 / rate  # bucket made concurrently, or burst < 1

    # -- events and webhook sinks -----------------------------------------------------------------------
    async def list_events(self, account: str, window: Window, where: EventFilter) -> Listed:
        args = Args(numbered=True)
        return [(row[0], bytes(row[1])) for row in await self._fetch(event_list(args, account, window, where), *args)]

    async def purge_events(self, expired_before_ms: int, limit: int) -> int:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            gone = [
                row[0]
                for row in await db.fetch(
                    "SELECT id FROM events WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED",
                    expired_before_ms,
                    limit,
                )
            ]
            if not gone:
                return 0
            await db.execute("DELETE FROM event_deliveries WHERE event_id = ANY($1::text[])", gone)
            await db.execute("DELETE FROM events WHERE id = ANY($1::text[])", gone)
            return len(gone)

    async def create_sink(self, sink: SinkRecord) -> None:
        pool = await self._connections()
        await pool.execute(
            f"INSERT INTO event_sinks ({SINK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", *sink_row(sink)
        )

    async def get_sink(self, account: str, sink_id: str) -> SinkRecord | None:
        row = await self._fetchrow(
            f"SELECT {SINK_COLUMNS} FROM event_sinks WHERE id = $1 AND account_sid = $2", sink_id, account
        )
        return None if row is None else sink_from_row(row)

    async def list_sinks(self, account: str, window: Window) -> list[SinkRecord]:
        args = Args(numbered=True)
        sql = f"SELECT {SINK_COLUMNS} FROM event_sinks WHERE account_sid = {args.add(account)}"
        sql += args.window("id", window) + args.order(["id"], window)
        return [sink_from_row(row) for row in await self._fetch(sql, *args)]

    async def update_sink(self, account: str, sink_id: str, changes: SinkChanges, now_ms: int) -> SinkRecord | None:
        row = await self._fetchrow(
            "UPDATE event_sinks SET url = coalesce($1, url), types = coalesce($2, types),"
            " description = CASE WHEN $3 THEN $4 ELSE description END, updated_at = $5"
            f" WHERE id = $6 AND account_sid = $7 RETURNING {SINK_COLUMNS}",
            changes.url,
            None if changes.types is None else types_column(changes.types),
            changes.set_description,
            changes.description,
            now_ms,
            sink_id,
            account,
        )
        return None if row is None else sink_from_row(row)

    async def delete_sink(self, account: str, sink_id: str) -> bool:
        row = await self._fetchrow(  # its deliveries go with it (ON DELETE CASCADE)
            "DELETE FROM event_sinks WHERE id = $1 AND account_sid = $2 RETURNING 1", sink_id, account
        )
        return row is not None

    async def list_deliveries(
        self, account: str, sink_id: str, window: Window, status: DeliveryStatus | None
    ) -> Listed | None:
        if await self.get_sink(account, sink_id) is None:
            return None
        args = Args(numbered=True)
        return [delivery_listed(row) for row in await self._fetch(delivery_list(args, sink_id, window, status), *args)]

    async def redeliver(self, account: str, sink_id: str, event_id: str, now_ms: int) -> bool:
        row = await self._fetchrow(
            "UPDATE event_deliveries SET status = 'PENDING', attempts = 0, next_attempt_at = $1"
            " WHERE sink_id = $2 AND event_id = $3"
            " AND sink_id IN (SELECT id FROM event_sinks WHERE account_sid = $4) RETURNING 1",
            now_ms,
            sink_id,
            event_id,
            account,
        )
        return row is not None

    async def claim_deliveries(
        self, now_ms: int, limit: int, lease_ms: int, busy_sinks: Sequence[str] = ()
    ) -> list[DueDelivery]:
        # SKIP LOCKED: nodes claiming at once take different rows; the lease (a later due time) keeps
        # a claimed row from being claimed again while its attempt is in flight. No sequential scans: the
        # outbox's statistics are usually older than its latest burst (autovacuum analyzes a minute or so
        # later), and a plan for "a few rows" then scans every pending row once per pending row (2 s per
        # claim of 3,000 pending in bench workload 13) where the indexes need a probe each.
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            await db.execute("SET LOCAL enable_seqscan = off")
            rows = await db.fetch(
                "WITH due AS (SELECT sink_id, event_id FROM event_deliveries d"
                " WHERE status = 'PENDING' AND next_attempt_at <= $1 AND NOT (sink_id = ANY($4::text[]))"
                f"{IN_ORDER} ORDER BY next_attempt_at, event_id LIMIT $2 FOR UPDATE SKIP LOCKED)"
                " UPDATE event_deliveries d SET next_attempt_at = $1 + $3 FROM due"
                " WHERE d.sink_id = due.sink_id AND d.event_id = due.event_id"
                " RETURNING d.sink_id, d.event_id, d.attempts",
                now_ms,
                limit,
                lease_ms,
                list(busy_sinks),
            )
        if not rows:
            return []
        details = await self._fetch(
            "SELECT s.id, s.url, s.secret, e.id, e.doc FROM unnest($1::text[], $2::text[]) AS c(sink_id, event_id)"
            " JOIN event_sinks s ON s.id = c.sink_id JOIN events e ON e.id = c.event_id",
            [row[0] for row in rows],
            [row[1] for row in rows],
        )
        found = {(d[0], d[3]): d for d in details}
        claimed = []
        for sink_id, event_id, attempts in rows:
            d = found.get((sink_id, event_id))
            if d is not None:  # a sink deleted (or an event purged) meanwhile has nothing left to send
                claimed.append(DueDelivery(sink_id, event_id, attempts, d[1], d[2], bytes(d[4])))
        return claimed

    async def record_attempts(self, attempts: Sequence[tuple[str, str, Attempt]]) -> None:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            await db.executemany(
                "UPDATE event_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2,"
                " last_attempt_at = $3, last_status_code = $4, last_latency_ms = $5, last_error = $6"
                f" WHERE sink_id = $7 AND event_id = $8 AND status NOT IN ({_SETTLED})",
                [
                    (str(a.status), a.next_ms, a.at_ms, a.status_code, a.latency_ms, a.error, sink_id, event_id)
                    for sink_id, event_id, a in attempts
                ],
            )

    # -- idempotency keys ---------------------------------------------------------------------------
    async def claim_idempotency_key(
        self, account: str, key: str, request: IdempotencyRecord, expired_before_ms: int, abandoned_before_ms: int
    ) -> IdempotencyRecord | None:
        # The unique (account_sid, key) decides: of concurrent inserts on any node one wins, the others
        # wait for it to commit and take the ON CONFLICT path, which replaces only a dead record.
        while True:
            won = await self._fetchrow(
                "INSERT INTO idempotency_keys AS k (account_sid, key, method, path, body_sha256, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_sid, key) DO UPDATE SET"
                " method = EXCLUDED.method, path = EXCLUDED.path, body_sha256 = EXCLUDED.body_sha256, status = NULL,"
                " headers = NULL, body = NULL, created_at = EXCLUDED.created_at, completed_at = NULL"
                " WHERE k.created_at < $7 OR (k.status IS NULL AND k.created_at < $8) RETURNING 1",
                account,
                key,
                request.method,
                request.path,
                request.body_sha256,
                request.created_ms,
                expired_before_ms,
                abandoned_before_ms,
            )
            if won is not None:
                return None
            row = await self._fetchrow(
                "SELECT method, path, body_sha256, created_at, status, headers, body FROM idempotency_keys"
                " WHERE account_sid = $1 AND key = $2",
                account,
                key,
            )
            if row is not None:  # else released meanwhile: claim again
                return IdempotencyRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6])

    async def complete_idempotency_key(
        self, account: str, key: str, claimed_ms: int, status: int, headers: str, body: bytes, now_ms: int
    ) -> None:
        await self._fetch(
            "UPDATE idempotency_keys SET status = $1, headers = $2, body = $3, completed_at = $4"
            " WHERE account_sid = $5 AND key = $6 AND created_at = $7 AND status IS NULL",
            status,
            headers,
            body,
            now_ms,
            account,
            key,
            claimed_ms,
        )

    async def release_idempotency_key(self, account: str, key: str, claimed_ms: int) -> None:
        await self._fetch(
            "DELETE FROM idempotency_keys WHERE account_sid = $1 AND key = $2 AND created_at = $3 AND status IS NULL",
            account,
            key,
            claimed_ms,
        )

    async def purge_idempotency_keys(self, expired_before_ms: int, limit: int) -> int:
        rows = await self._fetch(
            "DELETE FROM idempotency_keys WHERE (account_sid, key) IN"
            " (SELECT account_sid, key FROM idempotency_keys WHERE created_at < $1 LIMIT $2) RETURNING 1",
            expired_before_ms,
            limit,
        )
        return len(rows)

    # -- test controls -------------------------------------------------------------------------------
    async def get_pacing(self, account: str) -> Pacing:
        row = await self._fetchrow("SELECT hold, items_per_second FROM test_pacing WHERE account_sid = $1", account)
        return Pacing() if row is None else Pacing(hold=row[0], items_per_second=row[1])

    async def set_pacing(self, account: str, pacing: Pacing) -> None:
        if pacing == Pacing():
            await self._fetch("DELETE FROM test_pacing WHERE account_sid = $1", account)
            return
        await self._fetch(
            "INSERT INTO test_pacing (account_sid, hold, items_per_second) VALUES ($1, $2, $3)"
            " ON CONFLICT (account_sid) DO UPDATE SET hold = EXCLUDED.hold, items_per_second = EXCLUDED.items_per_second",
            account,
            pacing.hold,
            pacing.items_per_second,
        )

    async def operation_pacing(self, operation_id: str) -> tuple[str, Pacing] | None:
        row = await self._fetchrow(
            "SELECT o.account_sid, p.hold, p.items_per_second FROM operations o"
            " JOIN test_pacing p ON p.account_sid = o.account_sid WHERE o.id = $1",
            operation_id,
        )
        return None if row is None else (row[0], Pacing(hold=row[1], items_per_second=row[2]))

    async def reset_account(self, account: str) -> dict[str, int]:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            # Operations first: waits for a batch in flight, whose memberships are then seen and deleted.
            await db.execute("SELECT 1 FROM operations WHERE account_sid = $1 FOR UPDATE", account)
            await db.execute(
                "DELETE FROM operation_items WHERE operation_id IN (SELECT id FROM operations WHERE account_sid = $1)",
                account,
            )
            operations = len(await db.fetch("DELETE FROM operations WHERE account_sid = $1 RETURNING 1", account))
            for table in ("pool_members", "pool_tags", "pool_summaries"):
                await db.execute(
                    f"DELETE FROM {table} WHERE pool_id IN (SELECT id FROM pools WHERE account_sid = $1)", account
                )
            pools = await db.fetchval(
                "WITH gone AS (DELETE FROM pools WHERE account_sid = $1 RETURNING deleted_at)"
                " SELECT count(*) FROM gone WHERE deleted_at IS NULL",
                account,
            )
            senders = len(await db.fetch("DELETE FROM senders WHERE account_sid = $1 RETURNING 1", account))
            await _bump(db, account)
            await db.execute("DELETE FROM idempotency_keys WHERE account_sid = $1", account)
            await db.execute("DELETE FROM test_pacing WHERE account_sid = $1", account)
            await db.execute(
                "DELETE FROM event_deliveries WHERE event_id IN (SELECT id FROM events WHERE account_sid = $1)", account
            )
            await db.execute("DELETE FROM events WHERE account_sid = $1", account)
        return {"senderPools": int(pools), "senders": senders, "operations": operations}

    async def seed_account(
        self, account: str, senders: Sequence[Sender], pools: Sequence[SenderPool], members: Sequence[tuple[str, str]]
    ) -> list[int]:
        connections = await self._connections()
        try:
            async with connections.acquire() as db, db.transaction():
                await db.copy_records_to_table(
                    "senders", columns=SENDER_INSERT_COLUMNS, records=[sender_row(account, s) for s in senders]
                )
                await db.copy_records_to_table(
                    "pools", columns=POOL_INSERT_COLUMNS, records=[pool_row(account, p) for p in pools]
                )
                await db.copy_records_to_table(
                    "pool_tags",
                    columns=POOL_TAG_INSERT_COLUMNS,
                    records=[r for p in pools for r in pool_tag_rows(account, p.id, p.tags)],
                )
                counts = seeded_counts(senders, members)
                await db.copy_records_to_table(
                    "pool_summaries",
                    columns=SUMMARY_INSERT_COLUMNS,
                    records=[summary_row(account, p.id, epoch_ms(p.updated_at), counts.get(p.id, "")) for p in pools],
                )
                await db.copy_records_to_table("pool_members", columns=["pool_id", "sender_id"], records=members)
                await _bump(db, account)
            return []
        except asyncpg.UniqueViolationError:
            return await self._taken_positions(account, senders)


async def _bump(db: Any, key: str) -> None:
    """A change to what Resolve chooses from (an account's senders, or a pool's members): its version
    moves. Taken last in a transaction, so the row lock never waits while holding another one."""
    await db.execute(
        "INSERT INTO resolve_versions AS v (key, version) VALUES ($1, 1)"
        " ON CONFLICT (key) DO UPDATE SET version = v.version + 1",
        key,
    )


async def _record(db: Any, happened: Sequence[NewEvent]) -> None:
    """Append the events of this transaction, and an outbox row for each sink that takes them."""
    if not happened:
        return
    if len(happened) > 8:  # COPY costs a round trip more than a statement, and saves one per row
        await db.copy_records_to_table("events", columns=EVENT_INSERT_COLUMNS, records=event_rows(happened))
    else:
        await db.executemany(insert(EVENT_INSERT, numbered=True), event_rows(happened))
    accounts = list({e.account for e in happened})
    if await db.fetchval("SELECT EXISTS (SELECT 1 FROM event_sinks WHERE account_sid = ANY($1::text[]))", accounts):
        await db.executemany(fanout(numbered=True), fanout_rows(happened))
