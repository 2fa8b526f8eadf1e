"""What the API pipeline works with once the application has started."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from senderpools.config import Settings
from senderpools.http.asgi import Request
from senderpools.http.auth import FailureLimiter
from senderpools.http.pagination import PageTokens
from senderpools.service import Services


def base_url(settings: Settings, request: Request) -> str:
    """The base of every URL the server answers with: the configured public URL, else the request's."""
    return settings.public_url.rstrip("/") if settings.public_url else request.origin


class RequestHook(Protocol):
    """Sees every authenticated API request before it is handled; may answer it with an ApiError."""

    async def before(self, account: str, request: Request) -> None: ...


@dataclass(slots=True)
class Edge:
    settings: Settings
    services: Services
    tokens: PageTokens
    auth_failures: FailureLimiter
    hooks: Sequence[RequestHook] = ()

    def base_url(self, request: Request) -> str:
        return base_url(self.settings, request)
