"""The ASGI application: one routing step, then either a declared API endpoint or a plain page.

An API request goes through the same steps whatever the endpoint: authenticate (401), take a token
from the account's rate limit (429), let the request hooks see it (test controls' faults, when
mounted), run it at most once per idempotency key (POST/PATCH/DELETE carrying one), then the
endpoint itself (``endpoint.py``). Plain pages (health, docs, console) skip all of that.
Nothing here knows which endpoints exist: the composition root hands them over.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from senderpools.config import Settings
from senderpools.errors import ApiError, MethodNotAllowed, NotFound
from senderpools.http import idempotency
from senderpools.http.asgi import Receive, Request, Response, Scope, Send
from senderpools.http.auth import authenticate
from senderpools.http.edge import Edge, base_url
from senderpools.http.endpoint import Bound, Call, read_json_body
from senderpools.http.render import error_response
from senderpools.http.routing import Router
from senderpools.wire.endpoints import Endpoint

log = logging.getLogger("senderpools")


Page = Callable[[Request, "App"], Awaitable[Response]]
"""A plain route: health, docs, console. No authentication, no rate limit."""


@dataclass(frozen=True, slots=True)
class PageRoute:
    method: str
    path: str
    handler: Page


class _Api:
    """A routed API endpoint."""

    __slots__ = ("bound",)

    def __init__(self, bound: Bound[Any, Any, Any]) -> None:
        self.bound = bound

    async def __call__(self, request: Request, app: App) -> Response:
        edge = app.edge
        try:
            credential = await authenticate(request, edge.services.credentials, edge.auth_failures)
            account = credential.account_sid
            await edge.services.limiter.check(account)
            for hook in edge.hooks:
                await hook.before(account, request)
            call: Call[Any, Any] = Call(request, account, edge, credential.sid)
            key = idempotency.key_of(request) if request.method in idempotency.METHODS else None
            if key is None:
                return await self.bound.run(call)
            body = await read_json_body(request, edge.settings)  # a 413 or 415 before any claim
            return await idempotency.handle(
                request,
                account,
                key,
                body,
                edge.services.idempotency,
                edge.settings.idempotency_wait,
                lambda: self.bound.run(call),
            )
        except ApiError as error:
            return error_response(error, edge.base_url(request))


class _Page:
    __slots__ = ("handler",)

    def __init__(self, handler: Page) -> None:
        self.handler = handler

    async def __call__(self, request: Request, app: App) -> Response:
        return await self.handler(request, app)


Lifespan = Callable[["App"], contextlib.AbstractAsyncContextManager[Edge]]


class App:
    """The ASGI callable. ``lifespan`` opens what the API needs (store, services, worker) on startup
    and closes it on shutdown; ``edge`` is what it yielded."""

    def __init__(
        self, settings: Settings, api: Sequence[Bound[Any, Any, Any]], pages: Sequence[PageRoute], lifespan: Lifespan
    ) -> None:
        self.settings = settings
        self.endpoints: tuple[Endpoint[Any, Any, Any], ...] = tuple(b.endpoint for b in api)
        self._lifespan = lifespan
        self._edge: Edge | None = None
        self.router: Router[_Api | _Page] = Router()
        for bound in api:
            self.router.add(bound.endpoint.method, bound.endpoint.path, _Api(bound))
        for page in pages:
            self.router.add(page.method, page.path, _Page(page.handler))

    @property
    def edge(self) -> Edge:
        if self._edge is None:
            raise RuntimeError("the application has not started (ASGI lifespan)")
        return self._edge

    def base_url(self, request: Request) -> str:
        return base_url(self.settings, request)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._run_lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        match = self.router.match(method, scope["path"])
        request = Request(scope, receive, None if match is None else match.params)
        try:
            if match is None:
                response = error_response(NotFound(), self.base_url(request))
            elif match.target is None:
                response = error_response(MethodNotAllowed(), self.base_url(request))
                response.headers.append(("Allow", ", ".join(match.allowed)))
            else:
                response = await match.target(request, self)
        except Exception:
            log.exception("unhandled error in %s %s", method, scope["path"])
            response = error_response(ApiError(), self.base_url(request))
        await response.send(send, head_only=method == "HEAD")

    async def _run_lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        async with contextlib.AsyncExitStack() as stack:
            try:
                self._edge = await stack.enter_async_context(self._lifespan(self))
            except Exception as exc:
                log.exception("startup failed")
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            assert message["type"] == "lifespan.shutdown"
        self._edge = None
        await send({"type": "lifespan.shutdown.complete"})
