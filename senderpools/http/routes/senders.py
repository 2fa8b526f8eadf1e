"""Senders inventory endpoints (contract: "The Senders inventory")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from msgspec import UNSET
from starlette.responses import Response
from starlette.routing import Route

from senderpools.errors import Conflict, FieldError, InvalidRequest
from senderpools.http.context import Call, api
from senderpools.http.responses import json_response
from senderpools.http.wire import (
    RegisterSenderRequest,
    RegisterSendersRequest,
    ResolveSendersRequest,
    SearchSendersRequest,
    UpdateSenderRequest,
)
from senderpools.models import Channel, SenderStatus, address_problem
from senderpools.service.senders import RECIPIENT_CHANNELS, NewSender, Recipient, channels_for
from senderpools.store.base import SenderChanges, SenderFilter


@api
async def list_senders(call: Call) -> Response:
    q = call.query()
    channel, status = q.choice("channel", Channel), q.choice("status", SenderStatus)
    start, end = q.date_range()
    size, token = q.integer("pageSize", 1, 1000, 50), q.text("pageToken")
    q.finish()
    page = call.services.tokens.page(("senders", call.account, channel, status), token, size, start, end)
    where = SenderFilter(channels=None if channel is None else (channel,), status=status)
    return json_response(
        page.body("senders", await call.services.senders.list_senders(call.account, page.request, where))
    )


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def address_errors(entries: Iterable[tuple[str, Any]]) -> list[FieldError]:
    """Per-channel address rules for (JSON path, item) pairs, typed or raw JSON. An item whose channel
    or address is malformed is skipped: the schema reports it."""
    errors = []
    for path, item in entries:
        channel, address = _field(item, "channel"), _field(item, "address")
        if isinstance(address, str) and isinstance(channel, str) and channel in RECIPIENT_CHANNELS:
            problem = address_problem(channels_for(channel)[0], address)
            if problem:
                errors.append(FieldError(f"{path}.address {problem} for channel {channel}.", f"{path}.address"))
    return errors


def _registrations(body: Any) -> list[tuple[str, Any]]:
    """(path, item) of each sender in a registration body: an array or a single object."""
    return [(f"$[{i}]", item) for i, item in enumerate(body)] if isinstance(body, list) else [("$", body)]


def _recipients(body: Any) -> list[tuple[str, Any]]:
    recipients = _field(body, "recipient_addresses") if not isinstance(body, dict) else body.get("recipientAddresses")
    if not isinstance(recipients, list):
        return []
    return [(f"$.recipientAddresses[{i}]", item) for i, item in enumerate(recipients)]


def checked_registrations(items: list[RegisterSenderRequest], paths: list[str]) -> list[NewSender]:
    """Per-channel address rules (400) and channel+address repeated within the request (409)."""
    invalid = address_errors(zip(paths, items, strict=True))
    repeated, seen = [], set()
    for item, path in zip(items, paths, strict=True):
        key = (item.channel, item.address)
        if key in seen:
            repeated.append(FieldError(f"{item.channel} address {item.address} appears more than once.", path))
        seen.add(key)
    if invalid:
        raise InvalidRequest.of(invalid)
    if repeated:
        raise Conflict.of(repeated)
    return [NewSender(i.address, i.channel, i.display_name, i.status, i.tags) for i in items]


@api
async def register_senders(call: Call) -> Response:
    request: list[RegisterSenderRequest] | RegisterSenderRequest = await call.decode(
        RegisterSendersRequest, also=lambda raw: address_errors(_registrations(raw))
    )
    if isinstance(request, list):
        paths = [f"$[{i}]" for i in range(len(request))]
        senders = await call.services.senders.register(call.account, checked_registrations(request, paths), paths)
        return json_response({"senders": senders}, 201)
    (sender,) = await call.services.senders.register(call.account, checked_registrations([request], ["$"]), ["$"])
    return json_response(sender, 201, {"Location": call.url(f"/v1/Senders/{sender.id}")})


@api
async def fetch_sender(call: Call) -> Response:
    return json_response(await call.services.senders.fetch(call.account, call.path("senderId")))


@api
async def update_sender(call: Call) -> Response:
    sender_id = call.path("senderId")
    await call.services.senders.fetch(call.account, sender_id)  # an unknown sender is a 404 whatever the body
    request: UpdateSenderRequest = await call.decode(UpdateSenderRequest)
    if request.display_name is UNSET and request.status is UNSET and request.tags is UNSET:
        raise InvalidRequest("The request must change at least one of displayName, status and tags.")
    changes = SenderChanges(
        set_display_name=request.display_name is not UNSET,
        display_name=None if request.display_name is UNSET else request.display_name,
        status=None if request.status is UNSET else request.status,
        tags=None if request.tags is UNSET else request.tags,
    )
    return json_response(await call.services.senders.update(call.account, sender_id, changes))


@api
async def delete_sender(call: Call) -> Response:
    await call.services.senders.delete(call.account, call.path("senderId"))
    return Response(status_code=204)


@api
async def search_senders(call: Call) -> Response:
    request: SearchSendersRequest = await call.decode(SearchSendersRequest)
    filters = ("search", call.account, request.address, request.channel, request.status)
    page = call.services.tokens.page(filters, request.page_token, request.page_size)
    where = SenderFilter(channels=channels_for(request.channel), status=request.status, address=request.address)
    return json_response(
        page.body("senders", await call.services.senders.list_senders(call.account, page.request, where))
    )


@api
async def resolve_senders(call: Call) -> Response:
    request: ResolveSendersRequest = await call.decode(
        ResolveSendersRequest, also=lambda raw: address_errors(_recipients(raw))
    )
    errors = address_errors(_recipients(request))
    if errors:
        raise InvalidRequest.of(errors)
    addresses = None
    if request.sender_addresses is not None:
        addresses = [a if isinstance(a, str) else a.address for a in request.sender_addresses]
    preferences = request.channels
    resolutions = await call.services.senders.resolve(
        call.account,
        [Recipient(r.address, r.channel) for r in request.recipient_addresses],
        request.sender_pool_id,
        addresses,
        None if preferences is None else preferences.filter_in,
        [] if preferences is None else preferences.priority,
    )
    results = [
        {
            "from": {
                "senderId": r.sender.id,
                "displayName": r.sender.display_name,
                "address": r.sender.address,
                "channel": r.sender.channel,
            },
            "to": {"address": r.recipient.address, "channel": r.recipient.channel},
            "priority": r.priority,
        }
        for r in resolutions
    ]
    return json_response({"results": results})


routes = [
    Route("/v1/Senders", list_senders, methods=["GET"]),
    Route("/v1/Senders", register_senders, methods=["POST"]),
    Route("/v1/Senders/Search", search_senders, methods=["POST"]),
    Route("/v1/Senders/Resolve", resolve_senders, methods=["POST"]),
    Route("/v1/Senders/{senderId}", fetch_sender, methods=["GET"]),
    Route("/v1/Senders/{senderId}", update_sender, methods=["PATCH"]),
    Route("/v1/Senders/{senderId}", delete_sender, methods=["DELETE"]),
]
