"""``client.sender_pools`` and ``client.senders``, blocking and asyncio.

Each method here only names its arguments and hands the flow built in ``_api`` to its client's driver:
the request building, decoding, paging and polling live there, once.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator, Mapping, Sequence
from typing import Generic, Literal, Protocol, TypeVar, overload

from msgspec import UNSET, UnsetType

from senderpools.client._api import (
    DEFAULT_WAIT_TIMEOUT,
    Date,
    Listing,
    Order,
    ProgressCallback,
    RecipientLike,
    ResolveOptions,
    SenderPoolsApi,
    SenderRef,
    SendersApi,
    Tag,
    selection,
)
from senderpools.client._http import Flow
from senderpools.client.types import CreatedPool, NewSender, OperationReference, Page, ResolveResults, ResourceReference
from senderpools.wire.fields import (
    Channel,
    Health,
    ItemOutcome,
    OperationStatus,
    OperationType,
    SenderStatus,
    SenderType,
    Stickiness,
)
from senderpools.wire.replies import StickyMapping
from senderpools.wire.resources import OperationItem, Sender, SenderPool, SenderPoolOperation, SenderPoolSummary

T = TypeVar("T")


class Runner(Protocol):
    def __call__(self, flow: Flow[T]) -> T: ...


class AsyncRunner(Protocol):
    def __call__(self, flow: Flow[T]) -> Awaitable[T]: ...


# -- pagination --------------------------------------------------------------------------------------
class Pager(Generic[T]):
    """A lazy list: iterating walks every page, fetching each only when the previous one is used up.

    Each ``for`` starts again from the first page (or from the ``page_token`` the list was asked with)."""

    def __init__(self, listing: Listing[T], run: Runner) -> None:
        self._listing = listing
        self._run = run

    def pages(self) -> Iterator[Page[T]]:
        token = self._listing.first_token
        while True:
            page = self._run(self._listing.page(token))
            yield page
            token = Listing.following(page, token)
            if token is None:
                return

    def first_page(self) -> Page[T]:
        return self._run(self._listing.page(self._listing.first_token))

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items


class AsyncPager(Generic[T]):
    """The asyncio ``Pager``: ``async for item in pager`` walks every page lazily."""

    def __init__(self, listing: Listing[T], run: AsyncRunner) -> None:
        self._listing = listing
        self._run = run

    async def pages(self) -> AsyncIterator[Page[T]]:
        token = self._listing.first_token
        while True:
            page = await self._run(self._listing.page(token))
            yield page
            token = Listing.following(page, token)
            if token is None:
                return

    async def first_page(self) -> Page[T]:
        return await self._run(self._listing.page(self._listing.first_token))

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item


# -- operations in flight ----------------------------------------------------------------------------
class PendingOperation:
    """The 202 answer of Create, Add Senders or Remove Senders: an operation that may still be PROCESSING."""

    def __init__(self, reference: OperationReference, api: SenderPoolsApi, run: Runner) -> None:
        self.reference = reference
        self._api = api
        self._run = run

    @property
    def operation_id(self) -> str:
        return self.reference.operation_id

    @property
    def operation_location(self) -> str | None:
        return self.reference.operation_location

    def fetch(self) -> SenderPoolOperation:
        return self._run(self._api.fetch_operation(self.operation_id))

    def wait(
        self, timeout: float = DEFAULT_WAIT_TIMEOUT, on_progress: ProgressCallback | None = None
    ) -> SenderPoolOperation:
        """Poll with backoff until the operation leaves PROCESSING; the finished operation."""
        return self._run(self._api.wait_operation(self.operation_id, timeout, on_progress))

    def items(self, *, outcome: ItemOutcome | str | None = None, page_size: int | None = None) -> Pager[OperationItem]:
        """What happened to each sender (senderpools extension)."""
        return Pager(self._api.list_items(self.operation_id, outcome, page_size, None), self._run)

    def cancel(self) -> SenderPoolOperation:
        """Stop the operation (senderpools extension): its unapplied items fail; a 409 once it has finished."""
        return self._run(self._api.cancel_operation(self.operation_id))

    def __repr__(self) -> str:
        return f"PendingOperation({self.operation_id!r})"


class AsyncPendingOperation:
    """The asyncio ``PendingOperation``."""

    def __init__(self, reference: OperationReference, api: SenderPoolsApi, run: AsyncRunner) -> None:
        self.reference = reference
        self._api = api
        self._run = run

    @property
    def operation_id(self) -> str:
        return self.reference.operation_id

    @property
    def operation_location(self) -> str | None:
        return self.reference.operation_location

    async def fetch(self) -> SenderPoolOperation:
        return await self._run(self._api.fetch_operation(self.operation_id))

    async def wait(
        self, timeout: float = DEFAULT_WAIT_TIMEOUT, on_progress: ProgressCallback | None = None
    ) -> SenderPoolOperation:
        return await self._run(self._api.wait_operation(self.operation_id, timeout, on_progress))

    def items(
        self, *, outcome: ItemOutcome | str | None = None, page_size: int | None = None
    ) -> AsyncPager[OperationItem]:
        return AsyncPager(self._api.list_items(self.operation_id, outcome, page_size, None), self._run)

    async def cancel(self) -> SenderPoolOperation:
        return await self._run(self._api.cancel_operation(self.operation_id))

    def __repr__(self) -> str:
        return f"AsyncPendingOperation({self.operation_id!r})"


# -- sender pools ------------------------------------------------------------------------------------
class SenderPools:
    """``/v1/SenderPools``: pools, their members and their operations.

    Beyond the Comms API (senderpools extensions): ``summary``, ``fetch_with_etag``, ``remove_senders``,
    ``list_operation_items``, ``cancel_operation``, and the ``name_prefix``, ``tag``, ``order``,
    ``deletion_protection`` and ``if_match`` arguments."""

    def __init__(self, api: SenderPoolsApi, run: Runner) -> None:
        self._api = api
        self._run = run

    def list(
        self,
        *,
        start_date: Date | None = None,
        end_date: Date | None = None,
        operation_id: str | None = None,
        name_prefix: str | None = None,
        tag: Tag | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[SenderPool]:
        """Pools, oldest first (``order="newest"``: newest first). ``name_prefix`` (ignoring case) lists in
        name order; ``tag`` is ``"key:value"`` or ``(key, value)``."""
        listing = self._api.list(start_date, end_date, operation_id, page_size, page_token, name_prefix, tag, order)
        return Pager(listing, self._run)

    @overload
    def create(
        self,
        name: str | None = None,
        *,
        tags: Mapping[str, str] | None = None,
        senders: Iterable[SenderRef] | None = None,
        deletion_protection: bool = False,
        channel_priority: Sequence[Channel | str] | None = None,
        sender_type_priority: Sequence[SenderType | str] | None = None,
        wait: Literal[False] = False,
        idempotency_key: str | None = None,
    ) -> PendingOperation: ...

    @overload
    def create(
        self,
        name: str | None = None,
        *,
        tags: Mapping[str, str] | None = None,
        senders: Iterable[SenderRef] | None = None,
        deletion_protection: bool = False,
        channel_priority: Sequence[Channel | str] | None = None,
        sender_type_priority: Sequence[SenderType | str] | None = None,
        wait: Literal[True],
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
    ) -> CreatedPool: ...

    def create(
        self,
        name: str | None = None,
        *,
        tags: Mapping[str, str] | None = None,
        senders: Iterable[SenderRef] | None = None,
        deletion_protection: bool = False,
        channel_priority: Sequence[Channel | str] | None = None,
        sender_type_priority: Sequence[SenderType | str] | None = None,
        wait: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
    ) -> PendingOperation | CreatedPool:
        """Create a pool. With ``wait=True``, poll its operation and return it with the new pool.
        ``channel_priority``/``sender_type_priority``: how Resolve ranks its members (senderpools extension)."""
        api = self._api
        preferences = selection(channel_priority, sender_type_priority)
        if wait:
            flow = api.create_and_wait(
                name, tags, senders, idempotency_key, timeout, on_progress, deletion_protection, preferences
            )
            return self._run(flow)
        reference = self._run(api.create(name, tags, senders, idempotency_key, deletion_protection, preferences))
        return PendingOperation(reference, api, self._run)

    def fetch(self, sender_pool_id: str) -> SenderPool:
        return self._run(self._api.fetch(sender_pool_id))

    def fetch_with_etag(self, sender_pool_id: str) -> tuple[SenderPool, str | None]:
        """The pool and its ``ETag``, to pass as ``if_match=`` to ``update`` or ``delete``."""
        return self._run(self._api.fetch_with_etag(sender_pool_id))

    def summary(self, sender_pool_id: str) -> SenderPoolSummary:
        """Member counts (by channel and status) and running operations of the pool."""
        return self._run(self._api.summary(sender_pool_id))

    def update(
        self,
        sender_pool_id: str,
        *,
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
        deletion_protection: bool | None = None,
        if_match: str | None = None,
        channel_priority: Sequence[Channel | str] | None = None,
        sender_type_priority: Sequence[SenderType | str] | None = None,
        idempotency_key: str | None = None,
    ) -> ResourceReference:
        """Change the name, replace the tags, set deletion protection and/or the selection preferences (202:
        the change is accepted). With ``if_match``, a pool changed since that ETag raises PreconditionFailedError."""
        preferences = selection(channel_priority, sender_type_priority)
        return self._run(
            self._api.update(sender_pool_id, name, tags, idempotency_key, deletion_protection, if_match, preferences)
        )

    def delete(self, sender_pool_id: str, *, if_match: str | None = None) -> ResourceReference | None:
        """Delete the pool (a ConflictError while it has deletion protection)."""
        return self._run(self._api.delete(sender_pool_id, if_match))

    def list_senders(
        self,
        sender_pool_id: str,
        *,
        channel: Channel | str | None = None,
        status: SenderStatus | str | None = None,
        start_date: Date | None = None,
        end_date: Date | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[Sender]:
        listing = self._api.list_senders(
            sender_pool_id, channel, status, start_date, end_date, page_size, page_token, order
        )
        return Pager(listing, self._run)

    @overload
    def add_senders(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        *,
        wait: Literal[False] = False,
        idempotency_key: str | None = None,
    ) -> PendingOperation: ...

    @overload
    def add_senders(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        *,
        wait: Literal[True],
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
    ) -> SenderPoolOperation: ...

    def add_senders(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        *,
        wait: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
    ) -> PendingOperation | SenderPoolOperation:
        """Add senders (IDs or Sender objects). With ``wait=True``, the finished operation."""
        return self._queue(self._api.add_senders(sender_pool_id, senders, idempotency_key), wait, timeout, on_progress)

    @overload
    def remove_senders(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        *,
        wait: Literal[False] = False,
        idempotency_key: str | None = None,
    ) -> PendingOperation: ...

    @overload
    def remove_senders(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        *,
        wait: Literal[True],
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
    ) -> SenderPoolOperation: ...

    def remove_senders(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        *,
        wait: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
    ) -> PendingOperation | SenderPoolOperation:
        """Remove up to 10,000 senders in one operation (senderpools extension); per-sender outcomes are
        in ``PendingOperation.items()``. With ``wait=True``, the finished operation."""
        queued = self._api.remove_senders(sender_pool_id, senders, idempotency_key)
        return self._queue(queued, wait, timeout, on_progress)

    def _queue(
        self, queued: Flow[OperationReference], wait: bool, timeout: float, on_progress: ProgressCallback | None
    ) -> PendingOperation | SenderPoolOperation:
        if wait:
            return self._run(self._api.queue_and_wait(queued, timeout, on_progress))
        return PendingOperation(self._run(queued), self._api, self._run)

    def remove_sender(self, sender_pool_id: str, sender_id: str) -> ResourceReference | None:
        return self._run(self._api.remove_sender(sender_pool_id, sender_id))

    def list_operations(
        self,
        *,
        status: OperationStatus | str | None = None,
        sender_pool_id: str | None = None,
        type: OperationType | str | None = None,
        start_date: Date | None = None,
        end_date: Date | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[SenderPoolOperation]:
        listing = self._api.list_operations(
            status, start_date, end_date, page_size, page_token, sender_pool_id, type, order
        )
        return Pager(listing, self._run)

    def fetch_operation(self, operation_id: str) -> SenderPoolOperation:
        return self._run(self._api.fetch_operation(operation_id))

    def list_operation_items(
        self,
        operation_id: str,
        *,
        outcome: ItemOutcome | str | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[OperationItem]:
        """What happened to each sender of an operation (senderpools extension)."""
        return Pager(self._api.list_items(operation_id, outcome, page_size, page_token, order), self._run)

    def cancel_operation(self, operation_id: str) -> SenderPoolOperation:
        """Stop a PROCESSING operation (senderpools extension)."""
        return self._run(self._api.cancel_operation(operation_id))

    def wait_operation(
        self, operation_id: str, *, timeout: float = DEFAULT_WAIT_TIMEOUT, on_progress: ProgressCallback | None = None
    ) -> SenderPoolOperation:
        """Poll an operation with backoff until it leaves PROCESSING."""
        return self._run(self._api.wait_operation(operation_id, timeout, on_progress))


class AsyncSenderPools:
    """The asyncio ``SenderPools``."""

    def __init__(self, api: SenderPoolsApi, run: AsyncRunner) -> None:
        self._api = api
        self._run = run

    def list(
        self,
        *,
        start_date: Date | None = None,
        end_date: Date | None = None,
        operation_id: str | None = None,
        name_prefix: str | None = None,
        tag: Tag | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> AsyncPager[SenderPool]:
        listing = self._api.list(start_date, end_date, operation_id, page_size, page_token, name_prefix, tag, order)
        return AsyncPager(listing, self._run)

    @overload
    async def create(
        self,
        name: str | None = None,
        *,
        tags: Mapping[str, str] | None = None,
        senders: Iterable[SenderRef] | None = None,
        deletion_protection: bool = False,
        channel_priority: Sequence[Channel | str] | None = None,
        sender_type_priority: Sequence[SenderType | str] | None = None,
        wait: Literal[False] = False,
        idempotency_key: str | None = None,
    ) -> AsyncPendingOperation: ...

    @overload
    async def create(
        self,
        name: str | None = None,
        *,
        tags: Mapping[str, str] | None = None,
        senders: Iterable[SenderRef] | None = None,
        deletion_protection: bool = False,
        channel_priority: Sequence[Channel | str] | None = None,
        sender_type_priority: Sequence[SenderType | str] | None = None,
        wait: Literal[True],
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
    ) -> CreatedPool: ...

    async def create(
        self,
        name: str | None = None,
        *,
        tags: Mapping[str, str] | None = None,
        senders: Iterable[SenderRef] | None = None,
        deletion_protection: bool = False,
        channel_priority: Sequence[Channel | str] | None = None,
        sender_type_priority: Sequence[SenderType | str] | None = None,
        wait: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
    ) -> AsyncPendingOperation | CreatedPool:
        api = self._api
        preferences = selection(channel_priority, sender_type_priority)
        if wait:
            flow = api.create_and_wait(
                name, tags, senders, idempotency_key, timeout, on_progress, deletion_protection, preferences
            )
            return await self._run(flow)
        reference = await self._run(api.create(name, tags, senders, idempotency_key, deletion_protection, preferences))
        return AsyncPendingOperation(reference, api, self._run)

    async def fetch(self, sender_pool_id: str) -> SenderPool:
        return await self._run(self._api.fetch(sender_pool_id))

    async def fetch_with_etag(self, sender_pool_id: str) -> tuple[SenderPool, str | None]:
        return await self._run(self._api.fetch_with_etag(sender_pool_id))

    async def summary(self, sender_pool_id: str) -> SenderPoolSummary:
        return await self._run(self._api.summary(sender_pool_id))

    async def update(
        self,
        sender_pool_id: str,
        *,
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
        deletion_protection: bool | None = None,
        if_match: str | None = None,
        channel_priority: Sequence[Channel | str] | None = None,
        sender_type_priority: Sequence[SenderType | str] | None = None,
        idempotency_key: str | None = None,
    ) -> ResourceReference:
        preferences = selection(channel_priority, sender_type_priority)
        return await self._run(
            self._api.update(sender_pool_id, name, tags, idempotency_key, deletion_protection, if_match, preferences)
        )

    async def delete(self, sender_pool_id: str, *, if_match: str | None = None) -> ResourceReference | None:
        return await self._run(self._api.delete(sender_pool_id, if_match))

    def list_senders(
        self,
        sender_pool_id: str,
        *,
        channel: Channel | str | None = None,
        status: SenderStatus | str | None = None,
        start_date: Date | None = None,
        end_date: Date | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> AsyncPager[Sender]:
        listing = self._api.list_senders(
            sender_pool_id, channel, status, start_date, end_date, page_size, page_token, order
        )
        return AsyncPager(listing, self._run)

    @overload
    async def add_senders(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        *,
        wait: Literal[False] = False,
        idempotency_key: str | None = None,
    ) -> AsyncPendingOperation: ...

    @overload
    async def add_senders(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        *,
        wait: Literal[True],
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
    ) -> SenderPoolOperation: ...

    async def add_senders(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        *,
        wait: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
    ) -> AsyncPendingOperation | SenderPoolOperation:
        queued = self._api.add_senders(sender_pool_id, senders, idempotency_key)
        return await self._queue(queued, wait, timeout, on_progress)

    @overload
    async def remove_senders(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        *,
        wait: Literal[False] = False,
        idempotency_key: str | None = None,
    ) -> AsyncPendingOperation: ...

    @overload
    async def remove_senders(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        *,
        wait: Literal[True],
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
    ) -> SenderPoolOperation: ...

    async def remove_senders(
        self,
        sender_pool_id: str,
        senders: Iterable[SenderRef],
        *,
        wait: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
    ) -> AsyncPendingOperation | SenderPoolOperation:
        queued = self._api.remove_senders(sender_pool_id, senders, idempotency_key)
        return await self._queue(queued, wait, timeout, on_progress)

    async def _queue(
        self, queued: Flow[OperationReference], wait: bool, timeout: float, on_progress: ProgressCallback | None
    ) -> AsyncPendingOperation | SenderPoolOperation:
        if wait:
            return await self._run(self._api.queue_and_wait(queued, timeout, on_progress))
        return AsyncPendingOperation(await self._run(queued), self._api, self._run)

    async def remove_sender(self, sender_pool_id: str, sender_id: str) -> ResourceReference | None:
        return await self._run(self._api.remove_sender(sender_pool_id, sender_id))

    def list_operations(
        self,
        *,
        status: OperationStatus | str | None = None,
        sender_pool_id: str | None = None,
        type: OperationType | str | None = None,
        start_date: Date | None = None,
        end_date: Date | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> AsyncPager[SenderPoolOperation]:
        listing = self._api.list_operations(
            status, start_date, end_date, page_size, page_token, sender_pool_id, type, order
        )
        return AsyncPager(listing, self._run)

    async def fetch_operation(self, operation_id: str) -> SenderPoolOperation:
        return await self._run(self._api.fetch_operation(operation_id))

    def list_operation_items(
        self,
        operation_id: str,
        *,
        outcome: ItemOutcome | str | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> AsyncPager[OperationItem]:
        return AsyncPager(self._api.list_items(operation_id, outcome, page_size, page_token, order), self._run)

    async def cancel_operation(self, operation_id: str) -> SenderPoolOperation:
        return await self._run(self._api.cancel_operation(operation_id))

    async def wait_operation(
        self, operation_id: str, *, timeout: float = DEFAULT_WAIT_TIMEOUT, on_progress: ProgressCallback | None = None
    ) -> SenderPoolOperation:
        return await self._run(self._api.wait_operation(operation_id, timeout, on_progress))


# -- senders -----------------------------------------------------------------------------------------
class Senders:
    """``/v1/Senders``: the inventory (list, fetch, Search, Resolve) and senderpools' management extension."""

    def __init__(self, api: SendersApi, run: Runner) -> None:
        self._api = api
        self._run = run

    def list(
        self,
        *,
        channel: Channel | str | None = None,
        status: SenderStatus | str | None = None,
        start_date: Date | None = None,
        end_date: Date | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[Sender]:
        return Pager(self._api.list(channel, status, start_date, end_date, page_size, page_token, order), self._run)

    def fetch(self, sender_id: str) -> Sender:
        return self._run(self._api.fetch(sender_id))

    def search(
        self,
        address: str,
        channel: Channel | str,
        *,
        status: SenderStatus | str | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Pager[Sender]:
        """Senders with this address on this channel (or PHONE: SMS, RCS and WhatsApp)."""
        return Pager(self._api.search(address, channel, status, page_size, page_token, order), self._run)

    def resolve(
        self,
        recipient_addresses: Sequence[RecipientLike],
        *,
        sender_pool_id: str | None = None,
        sender_addresses: Sequence[str] | None = None,
        filter_in: Sequence[Channel | str] | None = None,
        priority: Sequence[Channel | str] | None = None,
        geo_match: bool = False,
        stickiness: Stickiness | str = Stickiness.NONE,
        skip_unhealthy: bool = False,
        explain: bool = False,
        dry_run: bool = False,
    ) -> ResolveResults:
        """The candidate senders for each recipient (``Recipient`` or ``(address, channel)``).

        senderpools options: ``geo_match`` (area code, time zone, country), ``stickiness`` (``POOL`` or
        ``ACCOUNT``: durable sticky senders), ``skip_unhealthy``, ``explain`` (each result's ``reasons``, and
        the list's ``recipients``: why the other candidates lost) and ``dry_run`` (no new sticky sender)."""
        options = ResolveOptions(geo_match, stickiness, skip_unhealthy, explain, dry_run)
        flow = self._api.resolve(recipient_addresses, sender_pool_id, sender_addresses, filter_in, priority, options)
        return self._run(flow)

    def sticky_senders(self, address: str, *, scope: str | None = None) -> builtins.list[StickyMapping]:
        """The senders Resolve remembers for a recipient (scope ``ACCOUNT`` or a pool ID; senderpools extension)."""
        return self._run(self._api.sticky_senders(address, scope))

    def clear_sticky_senders(self, address: str, *, scope: str | None = None) -> int:
        """Forget a recipient's sticky senders (in one scope, or all); returns how many (senderpools extension)."""
        return self._run(self._api.clear_sticky_senders(address, scope))

    def create(
        self,
        address: str,
        channel: Channel | str,
        *,
        display_name: str | None = None,
        status: SenderStatus | str | None = None,
        tags: Mapping[str, str] | None = None,
        weight: int | None = None,
        health: Health | str | None = None,
        idempotency_key: str | None = None,
    ) -> Sender:
        """Register one sender (senderpools extension)."""
        return self._run(
            self._api.create(address, channel, display_name, status, tags, idempotency_key, weight, health)
        )

    def create_many(self, senders: Sequence[NewSender], *, idempotency_key: str | None = None) -> builtins.list[Sender]:
        """Register up to 10,000 senders at once, all or nothing (senderpools extension)."""
        return self._run(self._api.create_many(senders, idempotency_key))

    def update(
        self,
        sender_id: str,
        *,
        display_name: str | UnsetType | None = UNSET,
        status: SenderStatus | str | None = None,
        tags: Mapping[str, str] | None = None,
        weight: int | None = None,
        health: Health | str | None = None,
        idempotency_key: str | None = None,
    ) -> Sender:
        """Change a sender (senderpools extension); ``display_name=None`` clears the display name."""
        return self._run(self._api.update(sender_id, display_name, status, tags, idempotency_key, weight, health))

    def delete(self, sender_id: str) -> None:
        """Delete a sender; it leaves every pool (senderpools extension)."""
        self._run(self._api.delete(sender_id))


class AsyncSenders:
    """The asyncio ``Senders``."""

    def __init__(self, api: SendersApi, run: AsyncRunner) -> None:
        self._api = api
        self._run = run

    def list(
        self,
        *,
        channel: Channel | str | None = None,
        status: SenderStatus | str | None = None,
        start_date: Date | None = None,
        end_date: Date | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> AsyncPager[Sender]:
        listing = self._api.list(channel, status, start_date, end_date, page_size, page_token, order)
        return AsyncPager(listing, self._run)

    async def fetch(self, sender_id: str) -> Sender:
        return await self._run(self._api.fetch(sender_id))

    def search(
        self,
        address: str,
        channel: Channel | str,
        *,
        status: SenderStatus | str | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> AsyncPager[Sender]:
        return AsyncPager(self._api.search(address, channel, status, page_size, page_token, order), self._run)

    async def resolve(
        self,
        recipient_addresses: Sequence[RecipientLike],
        *,
        sender_pool_id: str | None = None,
        sender_addresses: Sequence[str] | None = None,
        filter_in: Sequence[Channel | str] | None = None,
        priority: Sequence[Channel | str] | None = None,
        geo_match: bool = False,
        stickiness: Stickiness | str = Stickiness.NONE,
        skip_unhealthy: bool = False,
        explain: bool = False,
        dry_run: bool = False,
    ) -> ResolveResults:
        options = ResolveOptions(geo_match, stickiness, skip_unhealthy, explain, dry_run)
        flow = self._api.resolve(recipient_addresses, sender_pool_id, sender_addresses, filter_in, priority, options)
        return await self._run(flow)

    async def sticky_senders(self, address: str, *, scope: str | None = None) -> builtins.list[StickyMapping]:
        return await self._run(self._api.sticky_senders(address, scope))

    async def clear_sticky_senders(self, address: str, *, scope: str | None = None) -> int:
        return await self._run(self._api.clear_sticky_senders(address, scope))

    async def create(
        self,
        address: str,
        channel: Channel | str,
        *,
        display_name: str | None = None,
        status: SenderStatus | str | None = None,
        tags: Mapping[str, str] | None = None,
        weight: int | None = None,
        health: Health | str | None = None,
        idempotency_key: str | None = None,
    ) -> Sender:
        flow = self._api.create(address, channel, display_name, status, tags, idempotency_key, weight, health)
        return await self._run(flow)

    async def create_many(
        self, senders: Sequence[NewSender], *, idempotency_key: str | None = None
    ) -> builtins.list[Sender]:
        return await self._run(self._api.create_many(senders, idempotency_key))

    async def update(
        self,
        sender_id: str,
        *,
        display_name: str | UnsetType | None = UNSET,
        status: SenderStatus | str | None = None,
        tags: Mapping[str, str] | None = None,
        weight: int | None = None,
        health: Health | str | None = None,
        idempotency_key: str | None = None,
    ) -> Sender:
        flow = self._api.update(sender_id, display_name, status, tags, idempotency_key, weight, health)
        return await self._run(flow)

    async def delete(self, sender_id: str) -> None:
        await self._run(self._api.delete(sender_id))
