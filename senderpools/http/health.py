"""Liveness: ``GET /healthz`` answers while the process serves, without touching the database."""

from __future__ import annotations

from senderpools.http.app import App, PageRoute
from senderpools.http.asgi import Request, Response

_OK = b'{"status":"ok"}'


async def healthz(request: Request, app: App) -> Response:
    return Response(_OK)


routes = [PageRoute("GET", "/healthz", healthz)]
