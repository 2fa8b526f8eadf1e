"""Reading query parameters, collecting every problem before answering 400."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TypeVar

from starlette.datastructures import QueryParams

from senderpools.clock import parse_rfc3339
from senderpools.errors import FieldError, InvalidRequest

E = TypeVar("E", bound=enum.Enum)


class QueryReader:
    def __init__(self, params: QueryParams) -> None:
        self._params = params
        self.errors: list[FieldError] = []

    def _fail(self, name: str, problem: str) -> None:
        self.errors.append(FieldError(f"{name} {problem}", f"$.{name}"))

    def text(self, name: str) -> str | None:
        values = self._params.getlist(name)
        if len(values) > 1:
            self._fail(name, "must be given at most once")
            return None
        return values[0] if values else None

    def integer(self, name: str, low: int, high: int, default: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        # The length check keeps int() away from its 4300-digit limit (a ValueError, hence a 500).
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or not low <= int(raw) <= high:
            self._fail(name, f"must be an integer from {low} to {high}")
            return default
        return int(raw)

    def choice(self, name: str, kind: type[E]) -> E | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return kind(raw)
        except ValueError:
            self._fail(name, f"must be one of: {', '.join(str(m.value) for m in kind)}")
            return None

    def matching(self, name: str, accepts: Callable[[str], bool], expected: str) -> str | None:
        raw = self.text(name)
        if raw is not None and not accepts(raw):
            self._fail(name, f"must be {expected}")
            return None
        return raw

    def date_range(self) -> tuple[int | None, int | None]:
        """``startDate`` (inclusive) and ``endDate`` (exclusive) as epoch milliseconds."""
        bounds: list[int | None] = []
        for name in ("startDate", "endDate"):
            raw = self.text(name)
            parsed = None if raw is None else parse_rfc3339(raw)
            if raw is not None and parsed is None:
                self._fail(name, "must be an RFC 3339 date-time with an offset, e.g. 2024-01-15T09:30:00Z")
            bounds.append(parsed)
        start, end = bounds
        if start is not None and end is not None and end <= start:
            self._fail("endDate", "must be later than startDate")
        return start, end

    def finish(self) -> None:
        if self.errors:
            raise InvalidRequest.of(self.errors)
