"""Route dispatch with one regular-expression match per request instead of one per route.

Starlette's Router tries each route in turn (two dozen here, so a request for a late route paid for
two dozen failed matches). ``IndexedRouter`` joins the routes' own path patterns into one alternation,
in route order, so one match finds the first route whose path matches; routes sharing a path are one
alternative with a table by method. When that route does not take the method (a 405, or a later route
with another path pattern that also matches) it falls back to Starlette's scan, so the semantics are
Starlette's exactly.
"""

from __future__ import annotations

import re
from typing import Any

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Router
from starlette.types import Receive, Scope, Send

_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


class _PathGroup:
    """Consecutive routes with one path pattern: the route for each method (or for any method)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.by_method: dict[str, BaseRoute] = {}
        self.any_method: BaseRoute | None = None

    def add(self, route: BaseRoute) -> None:
        methods = getattr(route, "methods", None)
        if methods is None:
            self.any_method = self.any_method or route
            return
        for method in methods:
            self.by_method.setdefault(method, route)

    def route_for(self, method: str) -> BaseRoute | None:
        return self.by_method.get(method, self.any_method)


class IndexedRouter(Router):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._indexed_count = -1
        self._combined: re.Pattern[str] | None = None
        self._groups: list[_PathGroup] = []

    def _index(self) -> None:
        """Build the alternation; leave it unset (always scan) if any route has no path pattern."""
        self._indexed_count = len(self.routes)
        self._combined = None
        groups: list[_PathGroup] = []
        for route in self.routes:
            regex = getattr(route, "path_regex", None)
            if regex is None:
                return
            pattern = regex.pattern.removeprefix("^").removesuffix("$")
            if not groups or groups[-1].pattern != pattern or groups[-1].any_method is not None:
                groups.append(_PathGroup(pattern))
            groups[-1].add(route)
        combined = re.compile("|".join(f"({_NAMED_GROUP.sub('(?:', g.pattern)})$" for g in groups))
        if combined.groups == len(groups):  # no capturing group inside any pattern
            self._combined, self._groups = combined, groups

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if len(self.routes) != self._indexed_count:
                self._index()
            if self._combined is not None:
                found = self._combined.match(get_route_path(scope))
                route = None if found is None else self._groups[found.lastindex - 1].route_for(scope["method"])  # type: ignore[operator]
                if route is not None:
                    match, child_scope = route.matches(scope)
                    if match is Match.FULL:
                        scope.setdefault("router", self)
                        scope.update(child_scope)
                        await route.handle(scope, receive, send)
                        return
        await super().app(scope, receive, send)
