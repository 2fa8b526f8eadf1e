"""The storage interface. HTTP and service code see only this; each backend implements it.

Every method is one unit of work: it commits entirely or not at all.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

from senderpools.models import (
    Channel,
    Credential,
    OperationRecord,
    OperationStatus,
    Sender,
    SenderPool,
    SenderPoolOperation,
    SenderStatus,
    Tags,
)


@dataclass(frozen=True, slots=True)
class Window:
    """One keyset page over time-ordered IDs: ``lower <= id < upper``, ``id > after``."""

    limit: int
    after: str | None = None
    lower: str | None = None
    upper: str | None = None


@dataclass(frozen=True, slots=True)
class SenderFilter:
    channels: Sequence[Channel] | None = None
    status: SenderStatus | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class SenderChanges:
    """Fields to change on a sender; ``set_display_name`` distinguishes "set to null" from "leave"."""

    set_display_name: bool = False
    display_name: str | None = None
    status: SenderStatus | None = None
    tags: Tags | None = None


class Store(abc.ABC):
    # -- lifecycle ---------------------------------------------------------------------------------
    @abc.abstractmethod
    async def migrate(self) -> None:
        """Create or upgrade the schema; safe to run from several processes at once."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def server_secret(self) -> bytes:
        """A random key made once per database, shared by every node (page-token MACs)."""

    # -- credentials -------------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_account(self, sid: str, token_hash: str, now_ms: int) -> bool:
        """False if the SID already exists."""

    @abc.abstractmethod
    async def create_api_key(self, sid: str, account_sid: str, secret_hash: str, now_ms: int) -> bool:
        """False if the account does not exist."""

    @abc.abstractmethod
    async def revoke_api_key(self, sid: str, now_ms: int) -> bool: ...

    @abc.abstractmethod
    async def find_credential(self, sid: str) -> Credential | None: ...

    @abc.abstractmethod
    async def count_accounts(self) -> int: ...

    # -- sender pools ------------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_pool(
        self, account: str, pool: SenderPool, operation: SenderPoolOperation, sender_ids: Sequence[str]
    ) -> None:
        """The pool, its Create operation and one queued item per sender, in one transaction."""

    @abc.abstractmethod
    async def get_pool(self, account: str, pool_id: str) -> SenderPool | None: ...

    @abc.abstractmethod
    async def list_pools(self, account: str, window: Window, operation_id: str | None) -> list[SenderPool]: ...

    @abc.abstractmethod
    async def update_pool(
        self, account: str, pool_id: str, name: str | None, tags: Tags | None, now_ms: int
    ) -> bool: ...

    @abc.abstractmethod
    async def delete_pool(self, account: str, pool_id: str, now_ms: int) -> bool:
        """Hide the pool at once and cancel its running operations; memberships are purged later."""

    @abc.abstractmethod
    async def list_pool_senders(
        self, account: str, pool_id: str, window: Window, where: SenderFilter
    ) -> list[Sender] | None:
        """None when the pool does not exist."""

    @abc.abstractmethod
    async def add_senders(
        self, account: str, pool_id: str, operation: SenderPoolOperation, sender_ids: Sequence[str]
    ) -> bool:
        """Queue an Add Senders operation; False (and nothing written) when the pool does not exist."""

    @abc.abstractmethod
    async def remove_sender(self, account: str, pool_id: str, sender_id: str) -> bool: ...

    # -- operations --------------------------------------------------------------------------------
    @abc.abstractmethod
    async def get_operation(self, account: str, operation_id: str) -> OperationRecord | None: ...

    @abc.abstractmethod
    async def list_operations(
        self, account: str, window: Window, status: OperationStatus | None
    ) -> list[SenderPoolOperation]: ...

    @abc.abstractmethod
    async def operations_with_work(self, limit: int) -> list[str]:
        """IDs of operations (any account) that still have queued items, oldest first."""

    @abc.abstractmethod
    async def apply_operation_batch(self, operation_id: str, batch_size: int, now_ms: int) -> int:
        """Apply up to ``batch_size`` queued items, record their outcomes and update the stats, all in
        one transaction: a crash leaves every item either applied and counted or still queued.
        Returns how many items were applied (0 when there was nothing to do)."""

    @abc.abstractmethod
    async def purge_deleted_pools(self, batch_size: int) -> int:
        """Remove up to ``batch_size`` memberships of deleted pools (and the pools once empty)."""

    # -- senders -----------------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_senders(self, account: str, senders: Sequence[Sender]) -> list[int]:
        """Insert all or nothing. Returns the positions whose channel+address already exist in the
        account (nothing is written then); an empty list means every sender was inserted."""

    @abc.abstractmethod
    async def get_sender(self, account: str, sender_id: str) -> Sender | None: ...

    @abc.abstractmethod
    async def list_senders(self, account: str, window: Window, where: SenderFilter) -> list[Sender]: ...

    @abc.abstractmethod
    async def update_sender(
        self, account: str, sender_id: str, changes: SenderChanges, now_ms: int
    ) -> Sender | None: ...

    @abc.abstractmethod
    async def delete_sender(self, account: str, sender_id: str) -> bool:
        """Delete the sender and its memberships."""

    @abc.abstractmethod
    async def eligible_senders(
        self, account: str, pool_id: str | None, addresses: Sequence[str] | None, channels: Sequence[Channel]
    ) -> list[Sender]:
        """ACTIVATED senders on ``channels``, within the pool and/or among the addresses if given."""
