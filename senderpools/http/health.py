"""Health for process managers and load balancers, without authentication.

- ``GET /healthz`` (liveness): answers while the process serves, without touching the database; a
  failure means the process should be restarted.
- ``GET /readyz`` (readiness): 200 when the database answers and has every migration applied, else
  503 with ``Retry-After``; the body names each check and what failed. A failure means: send this
  node no traffic for now (restarting it would not help).
"""

from __future__ import annotations

import msgspec

from senderpools.errors import RETRY_AFTER_UNAVAILABLE
from senderpools.http.app import App, PageRoute
from senderpools.http.asgi import Request, Response

_OK = b'{"status":"ok"}'


async def healthz(request: Request, app: App) -> Response:
    return Response(_OK)


async def readyz(request: Request, app: App) -> Response:
    checks = await app.edge.services.readiness.checks()
    ready = all(result == "ok" for result in checks.values())
    body = msgspec.json.encode({"status": "ready" if ready else "unavailable", "checks": checks})
    return Response(body, 200) if ready else Response(body, 503, [("Retry-After", str(RETRY_AFTER_UNAVAILABLE))])


routes = [PageRoute("GET", "/healthz", healthz), PageRoute("GET", "/readyz", readyz)]
