"""The OpenAPI document and the human-readable docs (filled in by the OpenAPI work)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
