"""Sender Pools and their operations (contract section 7, rows 1-11, and the pool-management extensions)."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET

from senderpools.http.endpoint import Call, Routes
from senderpools.records import OperationFilter, PoolChanges, PoolFilter, SenderFilter
from senderpools.wire import bodies, endpoints, queries, replies
from senderpools.wire.encoding import Rendered
from senderpools.wire.fields import OperationType
from senderpools.wire.resources import SenderPool, SenderPoolOperation, SenderPoolSummary

routes = Routes()


@routes.handles(endpoints.list_sender_pools)
async def list_sender_pools(call: Call[queries.PoolFilters, None]) -> Rendered[replies.SenderPoolPage]:
    query, tag = call.query, None
    if query.tag is not None:
        key, _, value = query.tag.partition(":")  # neither side may hold a colon
        tag = (key, value)
    where = PoolFilter(operation_id=query.operation_id, name_prefix=query.name_prefix, tag=tag)
    rows = await call.services.pools.list_pools(call.account, call.page.request, where, call.extended)
    return call.page.render(replies.SenderPoolPage, rows)


@routes.handles(endpoints.create_sender_pool)
async def create_sender_pool(call: Call[None, bodies.CreateSenderPoolRequest]) -> replies.OperationReference:
    body = call.body
    sender_ids = [ref.sender_id for ref in body.senders]
    selection = None if body.selection is UNSET else body.selection
    operation = await call.services.pools.create(
        call.account, body.name, body.tags, sender_ids, body.deletion_protection, selection, call.actor
    )
    return call.operation_accepted(operation.id, f"/v1/SenderPools/Operations/{operation.id}")


@routes.handles(endpoints.fetch_sender_pool)
async def fetch_sender_pool(call: Call[None, None]) -> Rendered[SenderPool]:
    return await call.services.pools.fetch(call.account, call.path("senderPoolId"), call.extended)


@routes.handles(endpoints.fetch_pool_summary)
async def fetch_pool_summary(call: Call[None, None]) -> Rendered[SenderPoolSummary]:
    return await call.services.pools.summary(call.account, call.path("senderPoolId"))


@routes.handles(endpoints.update_sender_pool)
async def update_sender_pool(call: Call[None, bodies.UpdateSenderPoolRequest]) -> replies.ResourceReference:
    pool_id, body = call.path("senderPoolId"), call.body
    changes = PoolChanges(
        name=None if body.name is UNSET else body.name,
        tags=None if body.tags is UNSET else body.tags,
        deletion_protection=None if body.deletion_protection is UNSET else body.deletion_protection,
        selection=None if body.selection is UNSET else body.selection,
    )
    await call.services.pools.update(call.account, pool_id, changes, call.if_match, call.actor)
    return call.resource_accepted(pool_id, f"/v1/SenderPools/{pool_id}")


@routes.handles(endpoints.delete_sender_pool)
async def delete_sender_pool(call: Call[None, None]) -> replies.ResourceReference:
    pool_id = call.path("senderPoolId")
    await call.services.pools.delete(call.account, pool_id, call.if_match, call.actor)
    return call.resource_accepted(pool_id, f"/v1/SenderPools/{pool_id}")


@routes.handles(endpoints.list_pool_senders)
async def list_pool_senders(call: Call[queries.SenderFilters, None]) -> Rendered[replies.SenderPage]:
    where = SenderFilter.of(call.query.channel, call.query.status)
    pool_id = call.path("senderPoolId")
    rows = await call.services.pools.list_members(call.account, pool_id, call.page.request, where, call.extended)
    return call.page.render(replies.SenderPage, rows)


@routes.handles(endpoints.add_senders)
async def add_senders(call: Call[None, bodies.AddSendersRequest]) -> replies.OperationReference:
    return await _queued(call, OperationType.ADD_SENDERS)


@routes.handles(endpoints.remove_senders)
async def remove_senders(call: Call[None, bodies.RemoveSendersRequest]) -> replies.OperationReference:
    return await _queued(call, OperationType.REMOVE_SENDERS)


async def _queued(call: Call[None, Any], kind: OperationType) -> replies.OperationReference:
    """Senders joining or leaving the pool in the background: the 202 of the operation, at its pool-scoped URL."""
    pool_id = call.path("senderPoolId")
    sender_ids = [ref.sender_id for ref in call.items()]
    operation = await call.services.pools.queue(call.account, pool_id, kind, sender_ids, call.actor)
    return call.operation_accepted(operation.id, f"/v1/SenderPools/{pool_id}/Senders/Operations/{operation.id}")


@routes.handles(endpoints.remove_sender)
async def remove_sender(call: Call[None, None]) -> replies.ResourceReference:
    pool_id, sender_id = call.path("senderPoolId"), call.path("senderId")
    await call.services.pools.remove_sender(call.account, pool_id, sender_id, call.actor)
    return call.resource_accepted(sender_id, f"/v1/Senders/{sender_id}")


@routes.handles(endpoints.list_operations)
async def list_operations(call: Call[queries.OperationFilters, None]) -> Rendered[replies.SenderPoolOperationPage]:
    query = call.query
    where = OperationFilter(status=query.status, pool_id=query.sender_pool_id, type=query.type)
    rows = await call.services.pools.list_operations(call.account, call.page.request, where, call.extended)
    return call.page.render(replies.SenderPoolOperationPage, rows)


@routes.handles(endpoints.fetch_operation)
async def fetch_operation(call: Call[None, None]) -> SenderPoolOperation:
    return await call.services.pools.fetch_operation(call.account, call.path("operationId"))


@routes.handles(endpoints.fetch_pool_operation)
async def fetch_pool_operation(call: Call[None, None]) -> SenderPoolOperation:
    pool_id, operation_id = call.path("senderPoolId"), call.path("operationId")
    return await call.services.pools.fetch_operation(call.account, operation_id, pool_id)


@routes.handles(endpoints.list_operation_items)
async def list_operation_items(call: Call[queries.ItemFilters, None]) -> Rendered[replies.OperationItemPage]:
    operation_id = call.path("operationId")
    rows = await call.services.pools.list_items(call.account, operation_id, call.page.request, call.query.outcome)
    return call.page.render(replies.OperationItemPage, rows)


@routes.handles(endpoints.cancel_operation)
async def cancel_operation(call: Call[None, None]) -> SenderPoolOperation:
    operation_id = call.path("operationId")
    operation = await call.services.pools.cancel(call.account, operation_id, call.actor)
    call.operation_accepted(operation_id, f"/v1/SenderPools/Operations/{operation_id}")  # its headers
    return operation
