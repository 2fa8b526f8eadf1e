"""Response envelopes: pages, the 202 references, registration and resolution results, errors."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta

from senderpools.errors import CATALOGUE
from senderpools.wire.bodies import RecipientAddress
from senderpools.wire.fields import Channel, OperationId, SenderId
from senderpools.wire.resources import OperationItem, Sender, SenderPool, SenderPoolOperation

Url = Annotated[str, Meta(description="An absolute URL.", extra_json_schema={"format": "uri"})]


class Pagination(msgspec.Struct, kw_only=True):
    """Page tokens: pass one back as `pageToken`, together with the same filters."""

    next: str | None
    self_: str = msgspec.field(name="self")


class SenderPoolPage(msgspec.Struct, rename="camel", kw_only=True):
    """One page of SenderPools, oldest first."""

    sender_pools: list[SenderPool]
    pagination: Pagination


class SenderPage(msgspec.Struct, rename="camel", kw_only=True):
    """One page of Senders, oldest first."""

    senders: list[Sender]
    pagination: Pagination


class SenderPoolOperationPage(msgspec.Struct, rename="camel", kw_only=True):
    """One page of SenderPool Operations, oldest first."""

    operations: list[SenderPoolOperation]
    pagination: Pagination


class OperationItemPage(msgspec.Struct, kw_only=True):
    """One page of an operation's work items, in request order."""

    items: list[OperationItem]
    pagination: Pagination


class OperationReference(msgspec.Struct, rename="camel", kw_only=True):
    """The Operation that tracks work accepted for background processing."""

    operation_id: OperationId
    operation_location: Url

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "operationId": "comms_operation_01h9krwprkeee8fzqspvwy6nq8",
        "operationLocation": "https://senderpools.example.com/v1/SenderPools/Operations/comms_operation_01h9krwprkeee8fzqspvwy6nq8",
    }


class ResourceReference(msgspec.Struct, rename="camel", kw_only=True):
    """The resource a change was applied to."""

    resource_id: str
    resource_location: Url

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "resourceId": "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8",
        "resourceLocation": "https://senderpools.example.com/v1/SenderPools/comms_senderpool_01h9krwprkeee8fzqspvwy6nq8",
    }


class RegisteredSenders(msgspec.Struct, kw_only=True):
    """The Senders registered by an array request, in request order."""

    senders: list[Sender]


class ResolvedSender(msgspec.Struct, rename="camel", kw_only=True):
    sender_id: SenderId
    display_name: str | None
    address: str
    channel: Channel


class Resolution(msgspec.Struct, kw_only=True):
    """One candidate sender for one recipient; `priority` 1 is the first choice."""

    from_: ResolvedSender = msgspec.field(name="from")
    to: RecipientAddress
    priority: Annotated[int, Meta(ge=1)]


class ResolveSendersResult(msgspec.Struct, kw_only=True):
    """Per recipient, one ACTIVATED sender per usable channel, best channel first."""

    results: list[Resolution]


class ErrorDetail(msgspec.Struct, rename="camel", kw_only=True):
    code: Annotated[
        int,
        Meta(
            description="A stable error code; see the error documentation pages.",
            extra_json_schema={"enum": sorted({cls.code for cls in CATALOGUE})},
        ),
    ]
    message: str
    info_url: Url
    context: Annotated[
        str, Meta(description='A JSON path to the offending field (e.g. `$.senders[3].senderId`), or "null".')
    ]


class ErrorEnvelope(msgspec.Struct, kw_only=True):
    """Every error response: one entry per problem found in the request."""

    errors: Annotated[list[ErrorDetail], Meta(min_length=1)]

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "errors": [
            {
                "code": 20001,
                "message": "$.tags must have at most 10 entries",
                "infoUrl": "https://senderpools.example.com/docs/errors/20001",
                "context": "$.tags",
            }
        ]
    }
