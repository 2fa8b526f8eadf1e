"""Python SDK for the Sender Pools API: ``Client`` (blocking) and ``AsyncClient`` (asyncio), on httpx.

Works against Twilio's Comms API and against a senderpools server; the sender management calls
(``senders.create/create_many/update/delete``) are senderpools extensions.

    from senderpools.client import Client

    with Client(base_url="http://127.0.0.1:8080") as client:  # credentials from TWILIO_* variables
        created = client.sender_pools.create("campaign", senders=ids, wait=True)
        for sender in client.sender_pools.list_senders(created.pool.id):
            print(sender.address)
"""

from senderpools.client._client import AsyncClient, Client
from senderpools.client._http import NO_RETRY, RetryPolicy
from senderpools.client.errors import (
    ApiConnectionError,
    ApiError,
    ConfigurationError,
    ConflictError,
    ErrorDetail,
    InvalidRequestError,
    MethodNotAllowedError,
    NotFoundError,
    OperationTimeoutError,
    PayloadTooLargeError,
    PreconditionFailedError,
    RequestTimeoutError,
    SenderPoolsError,
    ServerError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
    UnexpectedResponseError,
    UnsupportedMediaTypeError,
)
from senderpools.client.resources import AsyncPager, AsyncPendingOperation, Pager, PendingOperation
from senderpools.client.types import (
    CreatedPool,
    NewSender,
    OperationReference,
    Page,
    Recipient,
    Resolution,
    ResolvedSender,
    ResolveResults,
    ResourceReference,
)
from senderpools.wire.fields import (
    Channel,
    DeliveryStatus,
    EventType,
    Health,
    ItemOutcome,
    ListOrder,
    OperationStatus,
    OperationType,
    SenderStatus,
    SenderType,
    Stickiness,
)
from senderpools.wire.replies import CreatedEventSink, Loss, Reason, RecipientExplanation, SinkTestResult, StickyMapping
from senderpools.wire.resources import (
    Event,
    EventDelivery,
    EventSink,
    OperationItem,
    OperationStats,
    Sender,
    SenderPool,
    SenderPoolOperation,
    SenderPoolSummary,
    SenderSelection,
)
from senderpools.wire.webhooks import WebhookVerificationError, verify

verify_webhook = verify
"""``verify_webhook(headers, body, secret)``: a webhook delivery's CloudEvent (a dict) once its Standard
Webhooks signature and timestamp check out; else ``WebhookVerificationError``."""

__all__ = [
    "NO_RETRY",
    "ApiConnectionError",
    "ApiError",
    "AsyncClient",
    "AsyncPager",
    "AsyncPendingOperation",
    "Channel",
    "Client",
    "ConfigurationError",
    "ConflictError",
    "CreatedEventSink",
    "CreatedPool",
    "DeliveryStatus",
    "ErrorDetail",
    "Event",
    "EventDelivery",
    "EventSink",
    "EventType",
    "Health",
    "InvalidRequestError",
    "ItemOutcome",
    "ListOrder",
    "Loss",
    "MethodNotAllowedError",
    "NewSender",
    "NotFoundError",
    "OperationItem",
    "OperationReference",
    "OperationStats",
    "OperationStatus",
    "OperationTimeoutError",
    "OperationType",
    "Page",
    "Pager",
    "PayloadTooLargeError",
    "PendingOperation",
    "PreconditionFailedError",
    "Reason",
    "Recipient",
    "RecipientExplanation",
    "RequestTimeoutError",
    "Resolution",
    "ResolveResults",
    "ResolvedSender",
    "ResourceReference",
    "RetryPolicy",
    "Sender",
    "SenderPool",
    "SenderPoolOperation",
    "SenderPoolSummary",
    "SenderPoolsError",
    "SenderSelection",
    "SenderStatus",
    "SenderType",
    "ServerError",
    "ServiceUnavailableError",
    "SinkTestResult",
    "Stickiness",
    "StickyMapping",
    "TooManyRequestsError",
    "UnauthorizedError",
    "UnexpectedResponseError",
    "UnsupportedMediaTypeError",
    "WebhookVerificationError",
    "verify_webhook",
]
