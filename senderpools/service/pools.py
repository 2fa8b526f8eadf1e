"""Sender pools and their operations."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from senderpools import ids
from senderpools.clock import to_datetime
from senderpools.errors import Conflict, InvalidRequest, NotFound, PreconditionFailed
from senderpools.records import IfMatch, OperationFilter, PoolChanges, PoolFilter, Refused, SenderFilter
from senderpools.service.paging import PageRequest
from senderpools.service.rules import unique_sender_ids
from senderpools.store import Store
from senderpools.wire.encoding import Listed, Rendered, view_tag
from senderpools.wire.fields import ItemOutcome, OperationStatus, OperationType, Tags
from senderpools.wire.resources import (
    OperationStats,
    SenderPool,
    SenderPoolOperation,
    SenderPoolSummary,
    SenderSelection,
)


def _new_operation(now: int, pool_id: str, kind: OperationType, total: int, applied: int) -> SenderPoolOperation:
    queued = total - applied
    return SenderPoolOperation(
        id=ids.new_id(ids.OPERATION_PREFIX, now),
        status=OperationStatus.PROCESSING if queued else OperationStatus.COMPLETED,
        stats=OperationStats(total=total, queued=queued, created=applied, failed=0),
        created_at=to_datetime(now),
        updated_at=to_datetime(now),
        type=kind,
        sender_pool_id=pool_id,
    )


def _pool_not_found(pool_id: str) -> NotFound:
    return NotFound(f"SenderPool {pool_id} was not found.")


def _refusal(refused: Refused, pool_id: str) -> Exception:
    """The answer to a change of a pool that the store refused."""
    if refused is Refused.CHANGED:
        return PreconditionFailed(
            f"SenderPool {pool_id} changed since it was read: If-Match does not match its ETag. Fetch it again."
        )
    if refused is Refused.PROTECTED:
        return Conflict(
            f"SenderPool {pool_id} has deletion protection on. To delete it, first lift the protection: "
            f'PATCH /v1/SenderPools/{pool_id} with {{"deletionProtection": false}}.'
        )
    return _pool_not_found(pool_id)


class SenderPoolService:
    def __init__(self, store: Store, on_work: Callable[[], None] = lambda: None) -> None:
        self._store = store
        self._on_work = on_work  # wakes the in-process worker; other processes poll

    async def create(
        self,
        account: str,
        name: str,
        tags: Tags,
        sender_ids: Sequence[str],
        deletion_protection: bool = False,
        selection: SenderSelection | None = None,
        actor: str | None = None,
    ) -> SenderPoolOperation:
        """The pool exists when this returns; its senders join in the background."""
        unique_sender_ids(sender_ids)
        now = ids.now_ms()
        pool = SenderPool(
            id=ids.new_id(ids.POOL_PREFIX, now),
            name=name,
            tags=tags,
            created_at=to_datetime(now),
            updated_at=to_datetime(now),
            deletion_protection=deletion_protection,
            selection=selection or SenderSelection(),
        )
        operation = _new_operation(now, pool.id, OperationType.CREATE, total=1 + len(sender_ids), applied=1)
        await self._store.create_pool(account, pool, operation, sender_ids, actor)
        if sender_ids:
            self._on_work()
        return operation

    async def require(self, account: str, pool_id: str) -> None:
        """404 unless the account has this pool."""
        if not await self._store.pool_exists(account, pool_id):
            raise _pool_not_found(pool_id)

    async def fetch(self, account: str, pool_id: str, extended: bool = False) -> Rendered[SenderPool]:
        found = await self._store.get_pool(account, pool_id, extended)
        if found is None:
            raise _pool_not_found(pool_id)
        doc, extended_doc = found
        return Rendered(doc, view_tag(extended_doc, extended))

    async def summary(self, account: str, pool_id: str) -> Rendered[SenderPoolSummary]:
        doc = await self._store.pool_summary(account, pool_id)
        if doc is None:
            raise _pool_not_found(pool_id)
        return Rendered(doc)

    async def list_pools(self, account: str, page: PageRequest, where: PoolFilter, extended: bool = False) -> Listed:
        return await self._store.list_pools(account, page.window(ids.POOL_PREFIX), where, extended)

    async def update(
        self,
        account: str,
        pool_id: str,
        changes: PoolChanges,
        if_match: IfMatch | None = None,
        actor: str | None = None,
    ) -> None:
        """Change the name, replace the tags and/or turn deletion protection on or off; at least one."""
        if not changes:
            raise InvalidRequest("The request must change at least one of name and tags.")
        refused = await self._store.update_pool(account, pool_id, changes, ids.now_ms(), if_match, actor)
        if refused is not None:
            raise _refusal(refused, pool_id)

    async def delete(
        self, account: str, pool_id: str, if_match: IfMatch | None = None, actor: str | None = None
    ) -> None:
        refused = await self._store.delete_pool(account, pool_id, ids.now_ms(), if_match, actor)
        if refused is not None:
            raise _refusal(refused, pool_id)
        self._on_work()  # memberships are purged in the background

    async def list_members(
        self, account: str, pool_id: str, page: PageRequest, where: SenderFilter, extended: bool = False
    ) -> Listed:
        window = page.window(ids.SENDER_PREFIX)
        senders = await self._store.list_pool_senders(account, pool_id, window, where, extended)
        if senders is None:
            raise _pool_not_found(pool_id)
        return senders

    async def add_senders(
        self, account: str, pool_id: str, sender_ids: Sequence[str], actor: str | None = None
    ) -> SenderPoolOperation:
        return await self.queue(account, pool_id, OperationType.ADD_SENDERS, sender_ids, actor)

    async def queue(
        self, account: str, pool_id: str, kind: OperationType, sender_ids: Sequence[str], actor: str | None = None
    ) -> SenderPoolOperation:
        """An Add Senders or Remove Senders operation, one queued item per (unique) sender."""
        unique_sender_ids(sender_ids)
        operation = _new_operation(ids.now_ms(), pool_id, kind, total=len(sender_ids), applied=0)
        if not await self._store.queue_operation(account, pool_id, operation, sender_ids, actor):
            raise _pool_not_found(pool_id)
        self._on_work()
        return operation

    async def remove_sender(self, account: str, pool_id: str, sender_id: str, actor: str | None = None) -> None:
        if not await self._store.remove_sender(account, pool_id, sender_id, ids.now_ms(), actor):
            raise NotFound(f"SenderPool {pool_id} was not found or has no member {sender_id}.")

    # -- operations --------------------------------------------------------------------------------
    async def fetch_operation(self, account: str, operation_id: str, pool_id: str | None = None) -> SenderPoolOperation:
        """``pool_id`` narrows the lookup to operations about that pool (the pool-scoped URL)."""
        operation = await self._store.get_operation(account, operation_id)
        if operation is None or (pool_id is not None and operation.sender_pool_id != pool_id):
            raise NotFound(f"SenderPool Operation {operation_id} was not found.")
        return operation

    async def list_operations(
        self, account: str, page: PageRequest, where: OperationFilter, extended: bool = False
    ) -> Listed:
        return await self._store.list_operations(account, page.window(ids.OPERATION_PREFIX), where, extended)

    async def list_items(
        self, account: str, operation_id: str, page: PageRequest, outcome: ItemOutcome | None
    ) -> Listed:
        """Items in request order; ``page.after`` is the seq of the previous page's last item."""
        await self.fetch_operation(account, operation_id)
        return await self._store.list_operation_items(account, operation_id, page.sequence_window(), outcome)

    async def cancel(self, account: str, operation_id: str, actor: str | None = None) -> SenderPoolOperation:
        """Stop a PROCESSING operation: unapplied items fail (CANCELED); applied ones stay applied."""
        result = await self._store.cancel_operation(account, operation_id, ids.now_ms(), actor)
        if result is None:
            raise NotFound(f"SenderPool Operation {operation_id} was not found.")
        operation, canceled = result
        if not canceled:
            raise Conflict(
                f"SenderPool Operation {operation_id} is {operation.status}: only a PROCESSING operation can be canceled."
            )
        return operation
