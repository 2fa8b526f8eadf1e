"""Domain rules, in domain terms. The HTTP edge calls these services; they call the store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from senderpools.service.credentials import CredentialVerifier
from senderpools.service.events import EventService
from senderpools.service.idempotency import IdempotencyKeys
from senderpools.service.pools import SenderPoolService
from senderpools.service.ratelimit import Limiter
from senderpools.service.readiness import Readiness
from senderpools.service.senders import SenderService
from senderpools.wire.endpoints import EVENT_SINK_ID, SENDER_ID, SENDER_POOL_ID, PathParam


@dataclass(slots=True)
class Services:
    """The services of a running server, built once by the composition root."""

    pools: SenderPoolService
    senders: SenderService
    credentials: CredentialVerifier
    limiter: Limiter
    idempotency: IdempotencyKeys
    readiness: Readiness
    events: EventService

    def requirement(self, param: PathParam) -> Callable[[str, str], Awaitable[None]] | None:
        """How to check that the account has what a path parameter names (404 if not): the first of
        a request's rules (``rules.py``). None for IDs that are never checked ahead of the body."""
        return {
            SENDER_POOL_ID: self.pools.require,
            SENDER_ID: self.senders.require,
            EVENT_SINK_ID: self.events.require,
        }.get(param)
