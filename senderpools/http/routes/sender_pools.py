"""Sender Pools endpoints (contract section 7, rows 1-11)."""

from __future__ import annotations

from msgspec import UNSET
from starlette.responses import Response
from starlette.routing import Route

from senderpools import ids
from senderpools.errors import FieldError, InvalidRequest
from senderpools.http.context import Call, api
from senderpools.http.responses import json_response, operation_accepted, resource_accepted
from senderpools.http.wire import AddSendersRequest, CreateSenderPoolRequest, SenderRef, UpdateSenderPoolRequest
from senderpools.models import Channel, ItemOutcome, OperationStatus, SenderStatus
from senderpools.store.base import SenderFilter


def _sender_ids(refs: list[SenderRef], path: str) -> list[str]:
    """The IDs in request order; a repeated ID is a 400 at each repeat."""
    seen: set[str] = set()
    errors = []
    for i, ref in enumerate(refs):
        if ref.sender_id in seen:
            errors.append(FieldError(f"Sender {ref.sender_id} appears more than once.", f"{path}[{i}].senderId"))
        seen.add(ref.sender_id)
    if errors:
        raise InvalidRequest.of(errors)
    return [ref.sender_id for ref in refs]


@api
async def list_sender_pools(call: Call) -> Response:
    q = call.query()
    start, end = q.date_range()
    operation_id = q.matching("operationId", ids.is_operation_id, "a SenderPool Operation ID")
    size, token = q.integer("pageSize", 1, 1000, 50), q.text("pageToken")
    q.finish()
    page = call.services.tokens.page(("pools", call.account, operation_id), token, size, start, end)
    pools = await call.services.pools.list_pools(call.account, page.request, operation_id)
    return json_response(page.body("senderPools", pools))


@api
async def create_sender_pool(call: Call) -> Response:
    request: CreateSenderPoolRequest = await call.decode(CreateSenderPoolRequest, when_empty=CreateSenderPoolRequest())
    sender_ids = _sender_ids(request.senders, "$.senders")
    operation = await call.services.pools.create(call.account, request.name, request.tags, sender_ids)
    return operation_accepted(operation.id, call.url(f"/v1/SenderPools/Operations/{operation.id}"))


@api
async def fetch_sender_pool(call: Call) -> Response:
    return json_response(await call.services.pools.fetch(call.account, call.path("senderPoolId")))


@api
async def update_sender_pool(call: Call) -> Response:
    pool_id = call.path("senderPoolId")
    await call.services.pools.fetch(call.account, pool_id)  # an unknown pool is a 404 whatever the body
    request: UpdateSenderPoolRequest = await call.decode(UpdateSenderPoolRequest)
    if request.name is UNSET and request.tags is UNSET:
        raise InvalidRequest("The request must change at least one of name and tags.")
    await call.services.pools.update(
        call.account,
        pool_id,
        None if request.name is UNSET else request.name,
        None if request.tags is UNSET else request.tags,
    )
    return resource_accepted(pool_id, call.url(f"/v1/SenderPools/{pool_id}"))


@api
async def delete_sender_pool(call: Call) -> Response:
    pool_id = call.path("senderPoolId")
    await call.services.pools.delete(call.account, pool_id)
    return resource_accepted(pool_id, call.url(f"/v1/SenderPools/{pool_id}"))


@api
async def list_pool_senders(call: Call) -> Response:
    pool_id = call.path("senderPoolId")
    q = call.query()
    channel, status = q.choice("channel", Channel), q.choice("status", SenderStatus)
    start, end = q.date_range()
    size, token = q.integer("pageSize", 1, 1000, 50), q.text("pageToken")
    q.finish()
    page = call.services.tokens.page(("pool-senders", call.account, pool_id, channel, status), token, size, start, end)
    where = SenderFilter(channels=None if channel is None else (channel,), status=status)
    senders = await call.services.pools.list_members(call.account, pool_id, page.request, where)
    return json_response(page.body("senders", senders))


@api
async def add_senders(call: Call) -> Response:
    pool_id = call.path("senderPoolId")
    await call.services.pools.fetch(call.account, pool_id)  # an unknown pool is a 404 whatever the body
    request: list[SenderRef] | SenderRef = await call.decode(AddSendersRequest)
    sender_ids = _sender_ids(request, "$") if isinstance(request, list) else [request.sender_id]
    operation = await call.services.pools.add_senders(call.account, pool_id, sender_ids)
    return operation_accepted(operation.id, call.url(f"/v1/SenderPools/{pool_id}/Senders/Operations/{operation.id}"))


@api
async def remove_sender(call: Call) -> Response:
    pool_id, sender_id = call.path("senderPoolId"), call.path("senderId")
    await call.services.pools.remove_sender(call.account, pool_id, sender_id)
    return resource_accepted(sender_id, call.url(f"/v1/Senders/{sender_id}"))


@api
async def list_operations(call: Call) -> Response:
    q = call.query()
    status = q.choice("status", OperationStatus)
    start, end = q.date_range()
    size, token = q.integer("pageSize", 1, 1000, 50), q.text("pageToken")
    q.finish()
    page = call.services.tokens.page(("operations", call.account, status), token, size, start, end)
    operations = await call.services.pools.list_operations(call.account, page.request, status)
    return json_response(page.body("operations", operations))


@api
async def fetch_operation(call: Call) -> Response:
    record = await call.services.pools.fetch_operation(call.account, call.path("operationId"))
    return json_response(record.operation)


@api
async def list_operation_items(call: Call) -> Response:
    operation_id = call.path("operationId")
    q = call.query()
    outcome = q.choice("outcome", ItemOutcome)
    size, token = q.integer("pageSize", 1, 1000, 50), q.text("pageToken")
    q.finish()
    page = call.services.tokens.page(("operation-items", call.account, operation_id, outcome), token, size)
    rows = await call.services.pools.list_items(call.account, operation_id, page.request, outcome)
    body = page.body("items", rows, cursor=lambda row: str(row[0]))
    body["items"] = [item for _, item in body["items"]]
    return json_response(body)


@api
async def cancel_operation(call: Call) -> Response:
    operation_id = call.path("operationId")
    operation = await call.services.pools.cancel(call.account, operation_id)
    location = call.url(f"/v1/SenderPools/Operations/{operation_id}")
    return json_response(
        operation, 202, {"Location": location, "Operation-Id": operation_id, "Operation-Location": location}
    )


@api
async def fetch_pool_operation(call: Call) -> Response:
    pool_id = call.path("senderPoolId")
    record = await call.services.pools.fetch_operation(call.account, call.path("operationId"), pool_id)
    return json_response(record.operation)


routes = [
    Route("/v1/SenderPools", list_sender_pools, methods=["GET"]),
    Route("/v1/SenderPools", create_sender_pool, methods=["POST"]),
    Route("/v1/SenderPools/Operations", list_operations, methods=["GET"]),
    Route("/v1/SenderPools/Operations/{operationId}", fetch_operation, methods=["GET"]),
    Route("/v1/SenderPools/Operations/{operationId}/Items", list_operation_items, methods=["GET"]),
    Route("/v1/SenderPools/Operations/{operationId}/Cancel", cancel_operation, methods=["POST"]),
    Route("/v1/SenderPools/{senderPoolId}", fetch_sender_pool, methods=["GET"]),
    Route("/v1/SenderPools/{senderPoolId}", update_sender_pool, methods=["PATCH"]),
    Route("/v1/SenderPools/{senderPoolId}", delete_sender_pool, methods=["DELETE"]),
    Route("/v1/SenderPools/{senderPoolId}/Senders", list_pool_senders, methods=["GET"]),
    Route("/v1/SenderPools/{senderPoolId}/Senders", add_senders, methods=["POST"]),
    Route("/v1/SenderPools/{senderPoolId}/Senders/Operations/{operationId}", fetch_pool_operation, methods=["GET"]),
    Route("/v1/SenderPools/{senderPoolId}/Senders/{senderId}", remove_sender, methods=["DELETE"]),
]
