"""The ASGI application: routes, lifecycle (store, migrations, in-process worker) and fallbacks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from senderpools.config import Settings
from senderpools.errors import ApiError, MethodNotAllowed, NotFound
from senderpools.http import console, docs
from senderpools.http.auth import FailureLimiter
from senderpools.http.context import Services, base_url
from senderpools.http.pagination import PageTokens
from senderpools.http.ratelimit import make_limiter
from senderpools.http.responses import error_response, json_response
from senderpools.http.routes import sender_pools, senders, test_controls
from senderpools.http.routing import IndexedRouter
from senderpools.service.credentials import CredentialVerifier
from senderpools.service.pools import SenderPoolService
from senderpools.service.senders import SenderService
from senderpools.store import open_store
from senderpools.worker import OperationWorker

log = logging.getLogger("senderpools")

API_ROUTES: list[BaseRoute] = [*sender_pools.routes, *senders.routes]


async def healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


async def _not_found_or_not_allowed(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    error: ApiError = MethodNotAllowed() if status == 405 else NotFound()
    response = error_response(error, base_url(request))
    if status == 405:
        # Starlette names only the first route matching the path; Allow must list every method it has.
        allowed = {
            method
            for route in request.app.routes
            if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE
            for method in route.methods
        }
        response.headers["Allow"] = ", ".join(sorted(allowed))
    return response


async def _internal_error(request: Request, exc: Exception) -> Response:
    return error_response(ApiError(), base_url(request))


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = open_store(settings.database_url, settings.sqlite_synchronous, settings.database_pool_size)
        await store.migrate()
        worker = OperationWorker(
            store,
            settings.worker_batch_size,
            settings.worker_poll_interval,
            idempotency_ttl=settings.idempotency_ttl,
            pacer=test_controls.OperationPacer(store) if settings.test_controls else None,
        )
        app.state.services = Services(
            settings=settings,
            store=store,
            pools=SenderPoolService(store, worker.wake if settings.run_worker else lambda: None),
            senders=SenderService(store),
            verifier=CredentialVerifier(store, settings.auth_cache_ttl),
            limiter=make_limiter(settings.rate_limit_scope, store, settings.rate_limit, settings.rate_burst),
            tokens=PageTokens(await store.server_secret()),
            faults=test_controls.Faults() if settings.test_controls else None,
            auth_failures=FailureLimiter(settings.auth_failure_limit, settings.auth_failure_burst),
        )
        task = asyncio.create_task(worker.run(), name="operation-worker") if settings.run_worker else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await store.close()

    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"]), *docs.routes, *console.routes, *API_ROUTES]
    if settings.test_controls:  # /_test/: only when enabled
        routes += test_controls.routes
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found_or_not_allowed, 405: _not_found_or_not_allowed, Exception: _internal_error},
    )
    app.router = IndexedRouter(routes=routes, lifespan=lifespan, redirect_slashes=False)  # one match per request
    return app


def app_from_env() -> Starlette:
    """Factory for the HTTP server's worker processes: settings come from SENDERPOOLS_* variables."""
    return create_app(Settings.from_env())
