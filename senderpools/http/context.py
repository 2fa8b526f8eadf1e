"""What every API handler receives, and the wrapper that turns a handler into an endpoint.

The wrapper does the cross-cutting work in one place: authentication (401), the rate limit (429),
injected faults (test controls), idempotent retries (``idempotency.py``), and rendering of any
ApiError as the contract's envelope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from senderpools.config import Settings
from senderpools.errors import ApiError, FieldError, PayloadTooLarge, UnsupportedMediaType
from senderpools.http import idempotency, validation
from senderpools.http.auth import FailureLimiter, authenticate
from senderpools.http.pagination import PageTokens
from senderpools.http.query import QueryReader
from senderpools.http.ratelimit import Limiter
from senderpools.http.responses import error_response
from senderpools.service.credentials import CredentialVerifier
from senderpools.service.pools import SenderPoolService
from senderpools.service.senders import SenderService
from senderpools.store import Store

if TYPE_CHECKING:
    from senderpools.http.routes.test_controls import Faults


@dataclass(slots=True)
class Services:
    """Everything a running app holds; built once at startup."""

    settings: Settings
    store: Store
    pools: SenderPoolService
    senders: SenderService
    verifier: CredentialVerifier
    limiter: Limiter
    tokens: PageTokens
    faults: Faults | None = None  # test controls, when enabled
    auth_failures: FailureLimiter | None = None  # throttles clients that keep failing authentication


def base_url(request: Request) -> str:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is not None and services.settings.public_url:
        return services.settings.public_url.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


@dataclass(slots=True)
class Call:
    request: Request
    account: str
    services: Services
    raw_body: bytes | None = None  # the body once read (the idempotency wrapper reads it before the handler)

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])

    def query(self) -> QueryReader:
        return QueryReader(self.request.query_params)

    def url(self, path: str) -> str:
        return base_url(self.request) + path

    async def body(self) -> bytes:
        """The raw body: JSON content type (or none), within the size cap."""
        if self.raw_body is not None:
            return self.raw_body
        request, limit = self.request, self.services.settings.max_body_bytes
        content_type = request.headers.get("content-type")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"The request body is larger than the {limit}-byte limit.")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"The request body is larger than the {limit}-byte limit.")
            chunks.append(chunk)
        body = b"".join(chunks)
        if body and content_type is not None and not _is_json(content_type):
            raise UnsupportedMediaType()
        self.raw_body = body
        return body

    async def decode(
        self, type_: Any, when_empty: Any = None, also: Callable[[Any], list[FieldError]] | None = None
    ) -> Any:
        """The body decoded and validated as ``type_``; ``when_empty`` (if given) stands for no body;
        ``also`` adds endpoint rules to the error report (see ``validation.decode``)."""
        body = await self.body()
        if when_empty is not None and not body.strip():
            return when_empty
        return validation.decode(body, type_, also)


Handler = Callable[[Call], Awaitable[Response]]


def api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        try:
            account = await authenticate(request, services.verifier, services.auth_failures)
            await services.limiter.check(account)
            call = Call(request, account, services)
            if services.faults is not None:  # test controls: injected failures and latency
                await services.faults.inject(call)
            return await idempotency.handle(call, handler)  # runs the handler at most once per Idempotency-Key
        except ApiError as error:
            return error_response(error, base_url(request))

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint
