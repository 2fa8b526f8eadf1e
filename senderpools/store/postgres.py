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
from collections.abc import Sequence
from typing import Any

import asyncpg

from senderpools.records import (
    ACCOUNT_SCOPE,
    Candidates,
    Credential,
    IdempotencyRecord,
    OperationKind,
    OperationRecord,
    Pacing,
    ResolveScope,
    SenderChanges,
    SenderFilter,
    StickySender,
    Window,
)
from senderpools.store.base import Store, log, retry_later_on
from senderpools.store.rows import (
    ITEM_COLUMNS,
    OPERATION_COLUMNS,
    POOL_COLUMNS,
    POOL_INSERT,
    POOL_INSERT_COLUMNS,
    RENDERED_TABLES,
    SENDER_COLUMNS,
    SENDER_INSERT_COLUMNS,
    STICKY_COLUMNS,
    Args,
    doc_column,
    encode_tags,
    epoch_ms,
    insert,
    item_listed,
    item_outcome_filter,
    migration_scripts,
    operation_from_row,
    operation_listed,
    placed,
    pool_from_row,
    pool_row,
    selection_column,
    selection_from_column,
    sender_from_row,
    sender_row,
    sticky_conflict,
    sticky_from_row,
    unwritten,
)
from senderpools.wire.encoding import Listed, views
from senderpools.wire.fields import Channel, ItemOutcome, OperationStatus, SenderStatus, Tags
from senderpools.wire.resources import Sender, SenderPool, SenderPoolOperation, SenderSelection

_MIGRATION_LOCK = 0x5E4D_E290  # pg_advisory_xact_lock key: one node migrates, the others wait
_RERENDERED_BY = {"0005", "0008"}  # migrations after which every pool and sender is rendered again


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
            if applied & _RERENDERED_BY:
                await self._render_docs(db)
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

    async def _render_docs(self, db: asyncpg.Connection) -> None:
        """Store the JSON of every pool and sender as the latest schema renders it (migrations 0005, 0008)."""
        for table, columns, from_row in RENDERED_TABLES:
            last = ""
            while rows := await db.fetch(f"SELECT {columns} FROM {table} WHERE id > $1 ORDER BY id LIMIT 1000", last):
                await db.executemany(
                    f"UPDATE {table} SET doc = $1, xdoc = $2 WHERE id = $3",
                    [(*views(from_row(row)), row[0]) for row in rows],
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
        row = await self._fetchrow(
            "INSERT INTO api_keys (sid, account_sid, secret_hash, created_at)"
            " SELECT $1, sid, $3, $4 FROM accounts WHERE sid = $2 RETURNING 1",
            sid,
            account_sid,
            secret_hash,
            now_ms,
        )
        return row is not None

    async def revoke_api_key(self, sid: str, now_ms: int) -> bool:
        row = await self._fetchrow(
            "UPDATE api_keys SET revoked_at = $1 WHERE sid = $2 AND revoked_at IS NULL RETURNING 1", now_ms, sid
        )
        return row is not None

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
        kind: OperationKind,
        operation: SenderPoolOperation,
        first_queued_seq: int,
        sender_ids: Sequence[str],
    ) -> None:
        stats, created_ms = operation.stats, epoch_ms(operation.created_at)
        await db.execute(
            "INSERT INTO operations (id, account_sid, pool_id, kind, status, total, queued, created, failed,"
            " next_seq, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
            operation.id, account, pool_id, str(kind), str(operation.status), stats.total, stats.queued,
            stats.created, stats.failed, first_queued_seq, created_ms,
        )  # fmt: skip
        if sender_ids:
            await db.copy_records_to_table(
                "operation_items",
                columns=["operation_id", "seq", "sender_id", "updated_at"],
                records=[(operation.id, seq, sid, created_ms) for seq, sid in enumerate(sender_ids, first_queued_seq)],
            )

    async def create_pool(
        self, account: str, pool: SenderPool, operation: SenderPoolOperation, sender_ids: Sequence[str]
    ) -> None:
        created_ms = epoch_ms(pool.created_at)
        pool_conn = await self._connections()
        async with pool_conn.acquire() as db, db.transaction():
            await db.execute(
                insert(POOL_INSERT, numbered=True),
                *pool_row(account, pool, operation.id),
            )
            await self._insert_operation(db, account, pool.id, OperationKind.CREATE_POOL, operation, 1, sender_ids)
            # Item 0 is the pool itself, applied in this transaction.
            await db.execute(
                "INSERT INTO operation_items (operation_id, seq, sender_id, outcome, updated_at)"
                " VALUES ($1, 0, NULL, $2, $3)",
                operation.id,
                str(ItemOutcome.CREATED),
                created_ms,
            )

    async def get_pool(self, account: str, pool_id: str, extended: bool = False) -> bytes | None:
        row = await self._fetchrow(
            f"SELECT {doc_column(extended)} FROM pools WHERE id = $1 AND account_sid = $2 AND deleted_at IS NULL",
            pool_id,
            account,
        )
        return None if row is None else bytes(row[0])

    async def pool_exists(self, account: str, pool_id: str) -> bool:
        row = await self._fetchrow(
            "SELECT 1 FROM pools WHERE id = $1 AND account_sid = $2 AND deleted_at IS NULL", pool_id, account
        )
        return row is not None

    async def list_pools(
        self, account: str, window: Window, operation_id: str | None, extended: bool = False
    ) -> Listed:
        args = Args(account, numbered=True)
        sql = f"SELECT id, {doc_column(extended)} FROM pools WHERE account_sid = $1 AND deleted_at IS NULL"
        if operation_id is not None:
            sql += f" AND operation_id = {args.add(operation_id)}"
        sql += args.window("id", window) + f" ORDER BY id LIMIT {args.add(window.limit)}"
        return [(row[0], row[1]) for row in await self._fetch(sql, *args)]

    async def update_pool(
        self,
        account: str,
        pool_id: str,
        name: str | None,
        tags: Tags | None,
        now_ms: int,
        selection: SenderSelection | None = None,
    ) -> bool:
        args = Args(name, None if tags is None else encode_tags(tags), now_ms, numbered=True)
        sets = "name = coalesce($1, name), tags = coalesce($2, tags), updated_at = $3"
        if selection is not None:
            sets += f", selection = {args.add(selection_column(selection))}"
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            row = await db.fetchrow(
                f"UPDATE pools SET {sets} WHERE id = {args.add(pool_id)} AND account_sid = {args.add(account)}"
                f" AND deleted_at IS NULL RETURNING {POOL_COLUMNS}",
                *args,
            )
            if row is None:
                return False
            await db.execute("UPDATE pools SET doc = $1, xdoc = $2 WHERE id = $3", *views(pool_from_row(row)), pool_id)
            return True

    async def delete_pool(self, account: str, pool_id: str, now_ms: int) -> bool:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            deleted = await db.fetchrow(
                "UPDATE pools SET deleted_at = $1 WHERE id = $2 AND account_sid = $3 AND deleted_at IS NULL"
                " RETURNING 1",
                now_ms,
                pool_id,
                account,
            )
            if deleted is None:
                return False
            # Waits for a batch in flight on these operations, then sees where it stopped.
            running = await db.fetch(
                "SELECT id, next_seq FROM operations WHERE pool_id = $1 AND status = 'PROCESSING' FOR UPDATE",
                pool_id,
            )
            for op_id, next_seq in running:
                await self._cancel(db, op_id, next_seq, now_ms)
            return True

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

    async def _pool_exists(self, db: Any, account: str, pool_id: str) -> bool:
        row = await db.fetchrow(
            "SELECT 1 FROM pools WHERE id = $1 AND account_sid = $2 AND deleted_at IS NULL", pool_id, account
        )
        return row is not None

    async def list_pool_senders(
        self, account: str, pool_id: str, window: Window, where: SenderFilter, extended: bool = False
    ) -> Listed | None:
        pool = await self._connections()
        args = Args(pool_id, numbered=True)
        sql = (
            f"SELECT m.sender_id, s.{doc_column(extended)} FROM pool_members m JOIN senders s ON s.id = m.sender_id"
            " WHERE m.pool_id = $1"
            + args.window("m.sender_id", window)
            + args.sender_filter(where)
            + f" ORDER BY m.sender_id LIMIT {args.add(window.limit)}"
        )
        async with pool.acquire() as db:
            if not await self._pool_exists(db, account, pool_id):
                return None
            return [(row[0], row[1]) for row in await db.fetch(sql, *args)]

    async def add_senders(
        self, account: str, pool_id: str, operation: SenderPoolOperation, sender_ids: Sequence[str]
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
            await self._insert_operation(db, account, pool_id, OperationKind.ADD_SENDERS, operation, 0, sender_ids)
            return True

    async def remove_sender(self, account: str, pool_id: str, sender_id: str) -> bool:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            row = await db.fetchrow(
                "DELETE FROM pool_members m USING pools p WHERE m.pool_id = $1 AND m.sender_id = $2"
                " AND p.id = m.pool_id AND p.account_sid = $3 AND p.deleted_at IS NULL RETURNING 1",
                pool_id,
                sender_id,
                account,
            )
            if row is None:
                return False
            await db.execute("DELETE FROM sticky_senders WHERE sender_id = $1 AND scope = $2", sender_id, pool_id)
            await _bump(db, pool_id)
            return True

    # -- operations --------------------------------------------------------------------------------
    async def get_operation(self, account: str, operation_id: str) -> OperationRecord | None:
        row = await self._fetchrow(
            f"SELECT {OPERATION_COLUMNS}, kind, pool_id FROM operations WHERE id = $1 AND account_sid = $2",
            operation_id,
            account,
        )
        if row is None:
            return None
        return OperationRecord(operation=operation_from_row(row), kind=OperationKind(row[8]), pool_id=row[9])

    async def list_operations(self, account: str, window: Window, status: OperationStatus | None) -> Listed:
        args = Args(account, numbered=True)
        sql = f"SELECT {OPERATION_COLUMNS} FROM operations WHERE account_sid = $1"
        if status is not None:
            sql += f" AND status = {args.add(str(status))}"
        sql += args.window("id", window) + f" ORDER BY id LIMIT {args.add(window.limit)}"
        return [operation_listed(row) for row in await self._fetch(sql, *args)]

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
                "SELECT o.account_sid, o.pool_id, o.next_seq, p.deleted_at IS NULL AND p.id IS NOT NULL"
                " FROM operations o LEFT JOIN pools p ON p.id = o.pool_id"
                " WHERE o.id = $1 AND o.status = 'PROCESSING' AND o.queued > 0 FOR UPDATE OF o SKIP LOCKED",
                operation_id,
            )
            if op is None:
                return 0  # finished, canceled, or being applied by another worker right now
            account, pool_id, next_seq, pool_live = op
            if not pool_live:  # never applies to a deleted pool (Delete Pool cancels its operations)
                log.warning("operation %s of deleted pool %s was still running: canceled", operation_id, pool_id)
                await self._cancel(db, operation_id, next_seq, now_ms)
                return 1
            items = await db.fetch(
                "SELECT seq, sender_id FROM operation_items WHERE operation_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
                operation_id,
                next_seq,
                batch_size,
            )
            ids = [row[1] for row in items]
            existing = {
                row[0]
                for row in await db.fetch(
                    "SELECT id FROM senders WHERE account_sid = $1 AND id = ANY($2::text[])", account, ids
                )
            }
            candidates = [sid for sid in ids if sid in existing]
            inserted = {
                row[0]
                for row in await db.fetch(
                    "INSERT INTO pool_members (pool_id, sender_id) SELECT $1, unnest($2::text[])"
                    " ON CONFLICT DO NOTHING RETURNING sender_id",
                    pool_id,
                    candidates,
                )
            }
            if inserted:
                await _bump(db, pool_id)
            outcomes = [ItemOutcome.for_sender(sid in existing, sid not in inserted) for sid in ids]
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
        self, account: str, operation_id: str, after_seq: int | None, limit: int, outcome: ItemOutcome | None
    ) -> Listed:
        args = Args(operation_id, account, numbered=True)
        sql = (
            f"SELECT {ITEM_COLUMNS} FROM operation_items i JOIN operations o ON o.id = i.operation_id"
            " WHERE i.operation_id = $1 AND o.account_sid = $2" + item_outcome_filter(args, outcome)
        )
        if after_seq is not None:
            sql += f" AND i.seq > {args.add(after_seq)}"
        sql += f" ORDER BY i.seq LIMIT {args.add(limit)}"
        return [item_listed(row) for row in await self._fetch(sql, *args)]

    async def cancel_operation(
        self, account: str, operation_id: str, now_ms: int
    ) -> tuple[SenderPoolOperation, bool] | None:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():
            # Waits for a batch in flight on this operation, then sees where it stopped.
            row = await db.fetchrow(
                "SELECT status, next_seq FROM operations WHERE id = $1 AND account_sid = $2 FOR UPDATE",
                operation_id,
                account,
            )
            if row is None:
                return None
            canceled = row[0] == OperationStatus.PROCESSING
            if canceled:
                await self._cancel(db, operation_id, row[1], now_ms)
            op = await db.fetchrow(f"SELECT {OPERATION_COLUMNS} FROM operations WHERE id = $1", operation_id)
            return operation_from_row(op), canceled

    # -- senders -----------------------------------------------------------------------------------
    async def create_senders(self, account: str, senders: Sequence[Sender]) -> list[int]:
        records = [sender_row(account, s) for s in senders]
        pool = await self._connections()
        try:
            async with pool.acquire() as db, db.transaction():
                await db.copy_records_to_table("senders", columns=SENDER_INSERT_COLUMNS, records=records)
                await _bump(db, account)
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
        args = Args(account, numbered=True)
        sql = f"SELECT s.id, s.{doc_column(extended)} FROM senders s WHERE s.account_sid = $1" + args.sender_filter(
            where
        )
        sql += args.window("s.id", window) + f" ORDER BY s.id LIMIT {args.add(window.limit)}"
        return [(row[0], row[1]) for row in await self._fetch(sql, *args)]

    async def update_sender(
        self, account: str, sender_id: str, changes: SenderChanges, now_ms: int, extended: bool = False
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
            row = await db.fetchrow(
                f"UPDATE senders AS s SET {', '.join(sets)} WHERE s.id = {args.add(sender_id)}"
                f" AND s.account_sid = {args.add(account)} RETURNING {SENDER_COLUMNS}",
                *args,
            )
            if row is None:
                return None
            docs = views(sender_from_row(row))
            await db.execute("UPDATE senders SET doc = $1, xdoc = $2 WHERE id = $3", *docs, sender_id)
            if changes.status is SenderStatus.DEACTIVATED:  # a deactivated sender releases its recipients
                await db.execute("DELETE FROM sticky_senders WHERE sender_id = $1", sender_id)
            await _bump(db, account)
        return docs[extended]

    async def delete_sender(self, account: str, sender_id: str) -> bool:
        pool = await self._connections()
        async with pool.acquire() as db, db.transaction():  # memberships and sticky senders go too (CASCADE)
            row = await db.fetchrow(
                "DELETE FROM senders WHERE id = $1 AND account_sid = $2 RETURNING 1", sender_id, account
            )
            if row is None:
                return False
            await _bump(db, account)
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
            await db.execute(
                "DELETE FROM pool_members WHERE pool_id IN (SELECT id FROM pools WHERE account_sid = $1)", account
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
