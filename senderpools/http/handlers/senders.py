"""The Senders inventory (contract: "The Senders inventory")."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET

from senderpools.errors import FieldError, Where
from senderpools.http.endpoint import Call, Routes
from senderpools.records import SenderChanges, SenderFilter
from senderpools.service.rules import address_problems
from senderpools.service.selection import Options
from senderpools.service.senders import NewSender, Recipient
from senderpools.wire import bodies, endpoints, queries, replies
from senderpools.wire.encoding import Rendered
from senderpools.wire.fields import channels_for
from senderpools.wire.resources import Sender

routes = Routes()


def _raw_addresses(items: Any, at: str) -> list[FieldError]:
    """The address rules over raw JSON ``items`` (a list, or one object standing for one) at path ``at``,
    so that a body the schema rejects also hears about its addresses in the same response. (An array
    over its item limit is not read at all: ``items`` is then None.)"""
    single = not isinstance(items, list)
    listed = [items] if single else items
    found = address_problems(
        (i, item.get("channel"), item.get("address")) for i, item in enumerate(listed) if isinstance(item, dict)
    )
    return [
        FieldError(e.message, e.context.path(at, single) if isinstance(e.context, Where) else e.context, e.about_place)
        for e in found
    ]


def _raw_registrations(raw: Any) -> list[FieldError]:
    return _raw_addresses(raw, "$")


def _raw_recipients(raw: Any) -> list[FieldError]:
    recipients = raw.get("recipientAddresses") if isinstance(raw, dict) else None
    return _raw_addresses(recipients, "$.recipientAddresses") if isinstance(recipients, list) else []


@routes.handles(endpoints.list_senders)
async def list_senders(call: Call[queries.SenderFilters, None]) -> Rendered[replies.SenderPage]:
    where = SenderFilter.of(call.query.channel, call.query.status)
    rows = await call.services.senders.list_senders(call.account, call.page.request, where, call.extended)
    return call.page.render(replies.SenderPage, rows)


@routes.handles(endpoints.register_senders, raw_rule=_raw_registrations)
async def register_senders(
    call: Call[None, bodies.RegisterSendersRequest],
) -> Sender | replies.RegisteredSenders:
    new = [NewSender.of(i) for i in call.items()]
    senders = await call.services.senders.register(call.account, new, call.actor)
    if not call.single:
        return replies.RegisteredSenders(senders=senders)
    call.located(f"/v1/Senders/{senders[0].id}")
    return senders[0]


@routes.handles(endpoints.fetch_sender)
async def fetch_sender(call: Call[None, None]) -> Rendered[Sender]:
    return await call.services.senders.fetch(call.account, call.path("senderId"), call.extended)


@routes.handles(endpoints.update_sender)
async def update_sender(call: Call[None, bodies.UpdateSenderRequest]) -> Rendered[Sender]:
    body = call.body
    changes = SenderChanges(
        set_display_name=body.display_name is not UNSET,
        display_name=None if body.display_name is UNSET else body.display_name,
        status=None if body.status is UNSET else body.status,
        tags=None if body.tags is UNSET else body.tags,
        weight=None if body.weight is UNSET else body.weight,
        health=None if body.health is UNSET else body.health,
    )
    return await call.services.senders.update(call.account, call.path("senderId"), changes, call.extended, call.actor)


@routes.handles(endpoints.delete_sender)
async def delete_sender(call: Call[None, None]) -> None:
    await call.services.senders.delete(call.account, call.path("senderId"), call.actor)


@routes.handles(endpoints.search_senders)
async def search_senders(call: Call[None, bodies.SearchSendersRequest]) -> Rendered[replies.SenderPage]:
    body = call.body
    where = SenderFilter(channels=channels_for(body.channel), status=body.status, address=body.address)
    rows = await call.services.senders.list_senders(call.account, call.page.request, where, call.extended)
    return call.page.render(replies.SenderPage, rows)


@routes.handles(endpoints.resolve_senders, raw_rule=_raw_recipients)
async def resolve_senders(call: Call[None, bodies.ResolveSendersRequest]) -> replies.ResolveSendersResult:
    body, preferences = call.body, call.body.channels
    addresses = None
    if body.sender_addresses is not None:
        addresses = [a if isinstance(a, str) else a.address for a in body.sender_addresses]
    resolved = await call.services.senders.resolve(
        call.account,
        [Recipient(r.address, r.channel) for r in body.recipient_addresses],
        body.sender_pool_id,
        addresses,
        None if preferences is None else preferences.filter_in,
        [] if preferences is None else preferences.priority,
        Options(body.geo_match, body.stickiness, body.skip_unhealthy, body.explain, body.dry_run),
    )
    return replies.ResolveSendersResult(
        results=[
            replies.Resolution(
                from_=replies.ResolvedSender(
                    sender_id=r.sender.id,
                    display_name=r.sender.display_name,
                    address=r.sender.address,
                    channel=r.sender.channel,
                ),
                to=bodies.RecipientAddress(address=r.recipient.address, channel=r.recipient.channel),
                priority=r.priority,
                reasons=UNSET if r.reasons is None else r.reasons,
            )
            for r in resolved.results
        ],
        recipients=UNSET if resolved.explanations is None else resolved.explanations,
    )


def _recipient_address(call: Call[queries.StickyFilters, None]) -> str:
    assert call.query.address is not None  # required: the edge answered 400 without it
    return call.query.address


@routes.handles(endpoints.list_sticky_senders)
async def list_sticky_senders(call: Call[queries.StickyFilters, None]) -> replies.StickyMappings:
    mappings = await call.services.senders.sticky_mappings(call.account, _recipient_address(call))
    scope = call.query.scope
    return replies.StickyMappings(mappings=[m for m in mappings if scope is None or m.scope == scope])


@routes.handles(endpoints.clear_sticky_senders)
async def clear_sticky_senders(call: Call[queries.StickyFilters, None]) -> replies.StickyMappingsCleared:
    deleted = await call.services.senders.clear_sticky(call.account, _recipient_address(call), call.query.scope)
    return replies.StickyMappingsCleared(deleted=deleted)
