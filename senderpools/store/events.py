"""The events each change records, built the same way by both backends inside the change's transaction.

Types and data objects are the contract of ``docs/events.md``: small, facts only (counts, IDs, the
names of the fields that changed), never a secret.
"""

from __future__ import annotations

from collections.abc import Sequence

from senderpools.records import NewEvent, PoolChanges, SenderChanges, operation_event
from senderpools.wire.fields import EventType, ItemOutcome, OperationType
from senderpools.wire.resources import Sender, SenderPool, SenderPoolOperation

_POOL_FIELDS = ("name", "tags", "deletion_protection", "selection")
_POOL_WIRE = {"name": "name", "tags": "tags", "deletion_protection": "deletionProtection", "selection": "selection"}
_SENDER_WIRE = {"status": "status", "tags": "tags", "weight": "weight", "health": "health"}


def pool_created(account: str, pool: SenderPool, operation: SenderPoolOperation, actor: str | None) -> list[NewEvent]:
    """The pool, and its Create operation (processing, or completed at once when it has no senders)."""
    now = int(pool.created_at.timestamp() * 1000)
    return [
        NewEvent.of(EventType.POOL_CREATED, account, actor, pool.id, now, name=pool.name, operationId=operation.id),
        operation_event(operation, account, actor, now),
    ]


def pool_updated(account: str, pool_id: str, changes: PoolChanges, now_ms: int, actor: str | None) -> NewEvent:
    changed = [_POOL_WIRE[f] for f in _POOL_FIELDS if getattr(changes, f) is not None]
    return NewEvent.of(EventType.POOL_UPDATED, account, actor, pool_id, now_ms, changed=changed)


def member_removed(account: str, pool_id: str, sender_id: str, now_ms: int, actor: str | None) -> NewEvent:
    """One member removed by ``DELETE /v1/SenderPools/{id}/Senders/{senderId}`` (no operation)."""
    return NewEvent.of(
        EventType.MEMBERS_REMOVED,
        account,
        actor,
        pool_id,
        now_ms,
        operationId=None,
        senderIds=[sender_id],
        changed=1,
        unchanged=0,
        notFound=0,
    )


def batch_applied(
    account: str,
    actor: str | None,
    pool_id: str,
    operation_id: str,
    kind: str,
    outcomes: Sequence[ItemOutcome],
    now_ms: int,
) -> NewEvent:
    """One event per applied batch of an Add or Remove Senders (or Create) operation, with counts:
    ``changed`` (joined or left), ``unchanged`` (already a member, not a member) and ``notFound``."""
    removing = kind == OperationType.REMOVE_SENDERS
    changed_outcome = ItemOutcome.REMOVED if removing else ItemOutcome.CREATED
    changed = sum(1 for o in outcomes if o is changed_outcome)
    not_found = sum(1 for o in outcomes if o is ItemOutcome.SENDER_NOT_FOUND)
    return NewEvent.of(
        EventType.MEMBERS_REMOVED if removing else EventType.MEMBERS_ADDED,
        account,
        actor,
        pool_id,
        now_ms,
        operationId=operation_id,
        changed=changed,
        unchanged=len(outcomes) - changed - not_found,
        notFound=not_found,
    )


def senders_registered(account: str, senders: Sequence[Sender], actor: str | None) -> list[NewEvent]:
    """One per sender, so that ``resourceId`` finds a sender's whole history."""
    return [
        NewEvent.of(
            EventType.SENDER_REGISTERED,
            account,
            actor,
            s.id,
            int(s.created_at.timestamp() * 1000),
            channel=str(s.channel),
            address=s.address,
        )
        for s in senders
    ]


def sender_updated(account: str, sender_id: str, changes: SenderChanges, now_ms: int, actor: str | None) -> NewEvent:
    changed = (["displayName"] if changes.set_display_name else []) + [
        wire for field, wire in _SENDER_WIRE.items() if getattr(changes, field) is not None
    ]
    return NewEvent.of(EventType.SENDER_UPDATED, account, actor, sender_id, now_ms, changed=changed)
