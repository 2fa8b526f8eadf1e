"""The storage interface. Services see only this; each backend implements it (``sqlite.py``, ``postgres.py``).

Every method is one unit of work: it commits entirely or not at all. Pools and senders keep their
wire JSON from write time (the ``doc`` column), so reads return bytes ready to send (``Listed``).
"""

from __future__ import annotations

import abc
import functools
import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from senderpools.errors import RETRY_AFTER_UNAVAILABLE, ServiceUnavailable
from senderpools.records import (
    Attempt,
    Candidates,
    Credential,
    DueDelivery,
    EventFilter,
    IdempotencyRecord,
    IfMatch,
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
)
from senderpools.wire.encoding import Listed
from senderpools.wire.fields import Channel, DeliveryStatus, ItemOutcome
from senderpools.wire.resources import Sender, SenderPool, SenderPoolOperation

log = logging.getLogger("senderpools.store")
S = TypeVar("S", bound=type)


def unavailable(message: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        RETRY_AFTER_UNAVAILABLE, f"{message} Nothing was changed: retry after Retry-After seconds."
    )


def retry_later_on(transient: Callable[[BaseException], bool]) -> Callable[[S], S]:
    """Class decorator for a backend: a public method that fails because the database cannot serve it
    right now (``transient``: unreachable, disk full or failing, read-only, locked elsewhere...) raises
    ``ServiceUnavailable`` instead, a 503 with ``Retry-After`` that clients (and the SDK) retry, and the
    cause is logged for the operator. Other failures (bugs) stay errors."""

    def guard(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return await method(*args, **kwargs)
            except ServiceUnavailable:
                raise
            except Exception as exc:
                if not transient(exc):
                    raise
                log.warning(
                    "the database failed in %s (answered 503): %s: %s", method.__name__, type(exc).__name__, exc
                )
                raise unavailable("The database is unavailable.") from exc

        return guarded

    def decorate(cls: S) -> S:
        for name, method in list(vars(cls).items()):
            if not name.startswith("_") and inspect.iscoroutinefunction(method):
                setattr(cls, name, guard(method))
        return cls

    return decorate


class Store(abc.ABC):
    # -- lifecycle ---------------------------------------------------------------------------------
    @abc.abstractmethod
    async def migrate(self) -> None:
        """Create or upgrade the schema; safe to run from several processes at once."""

    @abc.abstractmethod
    async def missing_migrations(self) -> list[str]:
        """The shipped migrations the database has not applied (a read: fails when the database does)."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def server_secret(self) -> bytes:
        """A random key made once per database, shared by every node (page-token MACs)."""

    # -- credentials -------------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_account(self, sid: str, token_hash: str, now_ms: int, first_only: bool = False) -> bool:
        """False if the SID already exists, or (``first_only``) if any account exists: several nodes
        starting together on an empty database create one bootstrap account between them."""

    @abc.abstractmethod
    async def create_api_key(self, sid: str, account_sid: str, secret_hash: str, now_ms: int) -> bool:
        """False if the account does not exist. Records ``apikey.created`` (actor: the account)."""

    @abc.abstractmethod
    async def revoke_api_key(self, sid: str, now_ms: int) -> bool:
        """Records ``apikey.revoked`` (actor: the account)."""

    @abc.abstractmethod
    async def find_credential(self, sid: str) -> Credential | None: ...

    # -- sender pools ------------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_pool(
        self,
        account: str,
        pool: SenderPool,
        operation: SenderPoolOperation,
        sender_ids: Sequence[str],
        actor: str | None = None,
    ) -> None:
        """The pool (with its tags and an empty summary), its Create operation and one queued item per
        sender, in one transaction.

        Every method that changes something takes the ``actor`` (the credential SID that asked; None:
        the account) and appends the change's events in its transaction, with an outbox row for each
        of the account's webhook sinks that takes their type."""

    @abc.abstractmethod
    async def get_pool(self, account: str, pool_id: str, extended: bool = False) -> tuple[bytes, bytes] | None:
        """The pool's JSON (with the extension fields when ``extended``), and its extended JSON (its ETag's basis)."""

    @abc.abstractmethod
    async def pool_exists(self, account: str, pool_id: str) -> bool: ...

    @abc.abstractmethod
    async def list_pools(self, account: str, window: Window, where: PoolFilter, extended: bool = False) -> Listed:
        """A page of pools: by ID, or with ``where.name_prefix`` in name order (cursors from ``rows.name_cursor``)."""

    @abc.abstractmethod
    async def update_pool(
        self,
        account: str,
        pool_id: str,
        changes: PoolChanges,
        now_ms: int,
        if_match: IfMatch | None = None,
        actor: str | None = None,
    ) -> Refused | None:
        """Apply the changes and bump ``updatedAt``; None when done. Refused (nothing written) when the pool
        is not the account's, or ``if_match`` does not hold for it."""

    @abc.abstractmethod
    async def delete_pool(
        self, account: str, pool_id: str, now_ms: int, if_match: IfMatch | None = None, actor: str | None = None
    ) -> Refused | None:
        """Hide the pool at once and cancel its running operations (memberships are purged later); None
        when done. Refused (nothing written) when the pool is not the account's, ``if_match`` does not
        hold, or it has deletion protection."""

    @abc.abstractmethod
    async def pool_summary(self, account: str, pool_id: str) -> bytes | None:
        """The pool's Summary JSON (member counts and PROCESSING operations), kept as members and operations
        change (never counted over the members); None when the account has no such pool."""

    @abc.abstractmethod
    async def list_pool_senders(
        self, account: str, pool_id: str, window: Window, where: SenderFilter, extended: bool = False
    ) -> Listed | None:
        """None when the pool does not exist."""

    @abc.abstractmethod
    async def queue_operation(
        self,
        account: str,
        pool_id: str,
        operation: SenderPoolOperation,
        sender_ids: Sequence[str],
        actor: str | None = None,
    ) -> bool:
        """Queue an Add Senders or Remove Senders operation (its ``type``), one item per sender; False
        (and nothing written) when the pool does not exist."""

    @abc.abstractmethod
    async def remove_sender(
        self, account: str, pool_id: str, sender_id: str, now_ms: int, actor: str | None = None
    ) -> bool:
        """Take the sender out of the pool (and off its counts); False when it was not a member."""

    # -- operations --------------------------------------------------------------------------------
    @abc.abstractmethod
    async def get_operation(self, account: str, operation_id: str) -> SenderPoolOperation | None:
        """The operation with its extension fields (``type``, ``sender_pool_id``)."""

    @abc.abstractmethod
    async def list_operations(
        self, account: str, window: Window, where: OperationFilter, extended: bool = False
    ) -> Listed: ...

    @abc.abstractmethod
    async def operations_with_work(self, limit: int, skip_held: bool = False, after: str | None = None) -> list[str]:
        """IDs of operations (any account) that still have queued items, oldest first, after the ID
        ``after`` if given; with ``skip_held``, not those of accounts whose pacing holds them (test controls)."""

    @abc.abstractmethod
    async def apply_operation_batch(self, operation_id: str, batch_size: int, now_ms: int) -> int:
        """Apply up to ``batch_size`` queued items (senders joining or leaving the pool), record their
        outcomes, update the stats and the pool's member counts, all in one transaction: a crash leaves
        every item either applied and counted or still queued. Returns how many items were applied (0
        when there was nothing to do)."""

    @abc.abstractmethod
    async def purge_deleted_pools(self, batch_size: int) -> int:
        """Remove up to ``batch_size`` memberships of deleted pools (and the pools, with their counts, once empty)."""

    @abc.abstractmethod
    async def list_operation_items(
        self, account: str, operation_id: str, window: Window, outcome: ItemOutcome | None
    ) -> Listed:
        """Items as (seq, JSON) in ``seq`` order (the window's ``after`` is a seq); empty if the operation
        is not the account's."""

    @abc.abstractmethod
    async def cancel_operation(
        self, account: str, operation_id: str, now_ms: int, actor: str | None = None
    ) -> tuple[SenderPoolOperation, bool] | None:
        """Stop a PROCESSING operation as Delete Pool does (after a batch in flight commits): its
        unapplied items fail with outcome CANCELED. Returns the operation as it is afterwards and
        whether this call canceled it; None when the account has no such operation."""

    # -- events and webhook sinks -----------------------------------------------------------------------
    @abc.abstractmethod
    async def list_events(self, account: str, window: Window, where: EventFilter) -> Listed:
        """A page of the account's events as (id, JSON), by ID (time)."""

    @abc.abstractmethod
    async def purge_events(self, expired_before_ms: int, limit: int) -> int:
        """Delete up to ``limit`` events made before ``expired_before_ms`` and their deliveries; returns how many."""

    @abc.abstractmethod
    async def create_sink(self, sink: SinkRecord) -> None: ...

    @abc.abstractmethod
    async def get_sink(self, account: str, sink_id: str) -> SinkRecord | None: ...

    @abc.abstractmethod
    async def list_sinks(self, account: str, window: Window) -> list[SinkRecord]: ...

    @abc.abstractmethod
    async def update_sink(self, account: str, sink_id: str, changes: SinkChanges, now_ms: int) -> SinkRecord | None:
        """The sink as changed; None when the account has no such sink."""

    @abc.abstractmethod
    async def delete_sink(self, account: str, sink_id: str) -> bool:
        """Delete the sink and its deliveries (pending ones are never sent)."""

    @abc.abstractmethod
    async def list_deliveries(
        self, account: str, sink_id: str, window: Window, status: DeliveryStatus | None
    ) -> Listed | None:
        """A page of the sink's deliveries by event ID (``rows.delivery_listed``); None when no such sink."""

    @abc.abstractmethod
    async def redeliver(self, account: str, sink_id: str, event_id: str, now_ms: int) -> bool:
        """Make the delivery PENDING again, due now, with a fresh retry schedule; False when there is none."""

    @abc.abstractmethod
    async def claim_deliveries(
        self, now_ms: int, limit: int, lease_ms: int, busy_sinks: Sequence[str] = ()
    ) -> list[DueDelivery]:
        """Up to ``limit`` PENDING deliveries due at ``now_ms`` (oldest due first, none of ``busy_sinks``),
        each leased: due again ``lease_ms`` later, so that a worker that dies mid-delivery leaves it to
        another (at least once). PostgreSQL claims with ``FOR UPDATE SKIP LOCKED``: nodes never claim the
        same row."""

    @abc.abstractmethod
    async def record_attempts(self, attempts: Sequence[tuple[str, str, Attempt]]) -> None:
        """Store how each attempt (sink ID, event ID, attempt) went and what follows (delivered, due again,
        or dead-lettered), all in one transaction."""

    # -- idempotency keys ---------------------------------------------------------------------------
    @abc.abstractmethod
    async def claim_idempotency_key(
        self, account: str, key: str, request: IdempotencyRecord, expired_before_ms: int, abandoned_before_ms: int
    ) -> IdempotencyRecord | None:
        """Claim ``key`` for ``request`` (an INSERT only one caller can win, across every node). None:
        the caller won and must do the work. Otherwise the live record that holds the key. A record
        created before ``expired_before_ms``, or still incomplete and created before
        ``abandoned_before_ms``, is not live: it is replaced, and the caller wins."""

    @abc.abstractmethod
    async def complete_idempotency_key(
        self, account: str, key: str, claimed_ms: int, status: int, headers: str, body: bytes, now_ms: int
    ) -> None:
        """Store the response of the request that claimed ``key`` at ``claimed_ms`` (if it still holds it)."""

    @abc.abstractmethod
    async def release_idempotency_key(self, account: str, key: str, claimed_ms: int) -> None:
        """Give up an incomplete claim made at ``claimed_ms`` (the work failed), so a retry can do it."""

    @abc.abstractmethod
    async def purge_idempotency_keys(self, expired_before_ms: int, limit: int) -> int:
        """Delete up to ``limit`` keys created before ``expired_before_ms``; returns how many."""

    # -- test controls -------------------------------------------------------------------------------
    @abc.abstractmethod
    async def get_pacing(self, account: str) -> Pacing: ...

    @abc.abstractmethod
    async def set_pacing(self, account: str, pacing: Pacing) -> None: ...

    @abc.abstractmethod
    async def operation_pacing(self, operation_id: str) -> tuple[str, Pacing] | None:
        """The account of an operation and its pacing; None when that account's pacing is the default."""

    @abc.abstractmethod
    async def reset_account(self, account: str) -> dict[str, int]:
        """Delete the account's pools, senders, operations, idempotency keys and pacing in one
        transaction (credentials stay). Returns counts: ``senderPools``, ``senders``, ``operations``."""

    @abc.abstractmethod
    async def seed_account(
        self, account: str, senders: Sequence[Sender], pools: Sequence[SenderPool], members: Sequence[tuple[str, str]]
    ) -> list[int]:
        """Insert senders, pools and (pool_id, sender_id) memberships all or nothing. Returns the
        positions of senders whose channel+address the account already has (nothing is written then)."""

    # -- senders -----------------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_senders(self, account: str, senders: Sequence[Sender], actor: str | None = None) -> list[int]:
        """Insert all or nothing. Returns the positions whose channel+address already exist in the
        account (nothing is written then); an empty list means every sender was inserted."""

    @abc.abstractmethod
    async def get_sender(self, account: str, sender_id: str, extended: bool = False) -> bytes | None:
        """The sender's JSON (with the extension fields when ``extended``)."""

    @abc.abstractmethod
    async def sender_exists(self, account: str, sender_id: str) -> bool: ...

    @abc.abstractmethod
    async def list_senders(
        self, account: str, window: Window, where: SenderFilter, extended: bool = False
    ) -> Listed: ...

    @abc.abstractmethod
    async def update_sender(
        self,
        account: str,
        sender_id: str,
        changes: SenderChanges,
        now_ms: int,
        extended: bool = False,
        actor: str | None = None,
    ) -> bytes | None:
        """The updated sender's JSON (a status change moves it between its pools' counts); None when the
        account has no such sender."""

    @abc.abstractmethod
    async def delete_sender(self, account: str, sender_id: str, now_ms: int, actor: str | None = None) -> bool:
        """Delete the sender, its memberships (taking it off its pools' counts) and its sticky mappings."""

    @abc.abstractmethod
    async def eligible_senders(
        self, account: str, pool_id: str | None, addresses: Sequence[str] | None, channels: Sequence[Channel]
    ) -> list[Sender]:
        """ACTIVATED senders on ``channels``, within the pool and/or among the addresses if given."""

    # -- resolution ----------------------------------------------------------------------------------
    @abc.abstractmethod
    async def resolve_scope(self, account: str, pool_id: str | None) -> ResolveScope | None:
        """The version of the candidates in the pool (or the whole inventory) and the pool's selection
        preferences, in one read; None when the pool does not exist. Every change to a sender of the
        account, or to the pool's members, changes the version in the same transaction."""

    @abc.abstractmethod
    async def resolve_candidates(self, account: str, pool_id: str | None) -> Candidates | None:
        """Every ACTIVATED sender of the pool (or the inventory), ordered by ID, with the version they
        have, read in one snapshot; None when the pool does not exist."""

    @abc.abstractmethod
    async def sticky_senders(self, account: str, scope: str, recipients: Sequence[str]) -> list[StickySender]:
        """The mappings of these recipients in ``scope``, expired or not: one primary-key lookup (a condition
        on their age would let a planner prefer the age index, and scan)."""

    @abc.abstractmethod
    async def stick(
        self, account: str, mappings: Sequence[StickySender], expired_before_ms: int | None
    ) -> list[StickySender]:
        """Store new mappings, each unless one exists for its (scope, recipient, channel) that was created
        at or after ``expired_before_ms`` (an older one is replaced); returns the mappings stored
        afterwards for those keys, whoever wrote them (two nodes choosing at once agree on one)."""

    @abc.abstractmethod
    async def purge_sticky_senders(self, expired_before_ms: int, limit: int) -> int:
        """Delete up to ``limit`` sticky senders made before ``expired_before_ms``; returns how many."""

    @abc.abstractmethod
    async def list_sticky_senders(self, account: str, recipient: str) -> list[StickySender]:
        """Every mapping of the recipient (scopes of deleted pools left out), by scope and channel."""

    @abc.abstractmethod
    async def clear_sticky_senders(self, account: str, recipient: str, scope: str | None) -> int:
        """Delete the recipient's mappings (in one scope, or all); returns how many."""

    # -- rate limiting -----------------------------------------------------------------------------
    @abc.abstractmethod
    async def take_rate_token(self, key: str, rate: float, burst: float, now_ms: int) -> float:
        """Take one token from the shared bucket ``key`` (refilled at ``rate`` per second up to
        ``burst``; a new bucket starts full), atomically across every process on this database.
        Returns 0 when a token was taken, else the seconds until one will be available."""
