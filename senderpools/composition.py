"""The composition root: the one place that builds the parts and wires them together.

``create_app`` gives the ASGI application (HTTP edge on services on a store, with the operation
worker running inside unless turned off); ``run_worker`` the worker alone. The test controls wing is
mounted here, and only here, when the settings ask for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from senderpools.config import Settings
from senderpools.deliveries import DeliveryLoop, RetrySchedule
from senderpools.http import console, docs, health
from senderpools.http.app import App
from senderpools.http.auth import FailureLimiter
from senderpools.http.edge import Edge, RequestHook
from senderpools.http.endpoint import Bound
from senderpools.http.handlers import events, pools, senders
from senderpools.http.pagination import PageTokens
from senderpools.service import Services
from senderpools.service.credentials import CredentialVerifier
from senderpools.service.events import EventService
from senderpools.service.idempotency import IdempotencyKeys
from senderpools.service.pools import SenderPoolService
from senderpools.service.ratelimit import make_limiter
from senderpools.service.readiness import Readiness
from senderpools.service.senders import SenderService
from senderpools.service.webhooks import Sender
from senderpools.store import Store, open_store
from senderpools.testing import TestControls
from senderpools.testing import handlers as test_handlers
from senderpools.testing.faults import Faults
from senderpools.testing.pacing import OperationPacer
from senderpools.testing.service import TestControlService
from senderpools.wire.endpoints import ENDPOINTS
from senderpools.worker import OperationWorker


@dataclass(slots=True)
class Parts:
    """What one process runs: its store, services, worker and (when enabled) test controls."""

    settings: Settings
    store: Store
    services: Services
    worker: OperationWorker
    deliveries: DeliveryLoop
    controls: TestControls | None

    async def run_background(self) -> None:
        """The operation worker and the webhook delivery loop, until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self.worker.run(), name="operation-worker")
            group.create_task(self.deliveries.run(), name="webhook-deliveries")


def build(settings: Settings) -> Parts:
    store = open_store(
        settings.database_url, settings.sqlite_synchronous, settings.database_pool_size, settings.sqlite_lock_timeout
    )
    controls = TestControls(Faults(), TestControlService(store)) if settings.test_controls else None
    worker = OperationWorker(
        store,
        settings.worker_batch_size,
        settings.worker_poll_interval,
        idempotency_ttl=settings.idempotency_ttl,
        pacer=None if controls is None else OperationPacer(controls.service),
        sticky_ttl=settings.sticky_ttl,
        event_retention=settings.event_retention_days * 86_400,
    )
    sender = Sender(settings.webhook_timeout, settings.webhook_allow_private)  # one connection pool per process
    schedule = RetrySchedule(settings.webhook_retry_base, settings.webhook_retry_max, settings.webhook_retry_window)
    deliveries = DeliveryLoop(
        store,
        sender,
        schedule,
        settings.webhook_timeout,
        settings.webhook_concurrency,
        settings.webhook_poll_interval,
    )
    services = Services(
        pools=SenderPoolService(store, worker.wake if settings.run_worker else lambda: None),
        senders=SenderService(store, settings.sticky_ttl, settings.resolve_cache_senders),
        credentials=CredentialVerifier(store, settings.auth_cache_ttl),
        limiter=make_limiter(settings.rate_limit_scope, store, settings.rate_limit, settings.rate_burst),
        idempotency=IdempotencyKeys(store, settings.idempotency_ttl, settings.idempotency_lease),
        readiness=Readiness(store),
        events=EventService(store, sender),
    )
    return Parts(settings, store, services, worker, deliveries, controls)


def api_routes(controls: TestControls | None) -> list[Bound[Any, Any, Any]]:
    """Every bound endpoint, in declaration order (the order of the OpenAPI document)."""
    bound = {b.endpoint: b for b in (*pools.routes.bound, *senders.routes.bound, *events.routes.bound)}
    missing = [e.operation_id for e in ENDPOINTS if e not in bound]
    if missing:
        raise RuntimeError(f"declared endpoints without a handler: {', '.join(missing)}")
    routes = [bound[e] for e in ENDPOINTS]
    if controls is not None:
        routes += test_handlers.routes(controls).bound
    return routes


class ServerApp(App):
    """The application with the parts it runs on (operators and tests reach the store through them)."""

    def __init__(self, parts: Parts, lifespan: Any) -> None:
        pages = [*health.routes, *docs.routes, *console.routes]
        super().__init__(parts.settings, api_routes(parts.controls), pages, lifespan)
        self.parts = parts


def create_app(settings: Settings | None = None) -> ServerApp:
    settings = settings or Settings.from_env()
    parts = build(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: App) -> AsyncIterator[Edge]:
        store = parts.store
        try:
            await store.migrate()
            hooks: list[RequestHook] = [] if parts.controls is None else [parts.controls.faults]
            edge = Edge(
                settings,
                parts.services,
                PageTokens(await store.server_secret()),
                FailureLimiter(settings.auth_failure_limit, settings.auth_failure_burst),
                hooks,
            )
            task = asyncio.create_task(parts.run_background(), name="background") if settings.run_worker else None
            try:
                yield edge
            finally:
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
        finally:
            await store.close()

    return ServerApp(parts, lifespan)


def app_from_env() -> ServerApp:
    """Factory for the HTTP server's worker processes: settings come from SENDERPOOLS_* variables."""
    return create_app(Settings.from_env())


async def run_worker(settings: Settings) -> None:
    """Apply queued operations and deliver webhooks until cancelled, without serving HTTP."""
    parts = build(settings)
    try:
        await parts.store.migrate()
        await parts.run_background()
    finally:
        await parts.store.close()
