"""Reading query parameters, collecting every problem before answering 400.

Filters are read into their declared struct (``wire.queries``): how each parameter is parsed and
what its error says follow from the field's type, so a new filter needs nothing here.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from msgspec import inspect

from senderpools.clock import parse_rfc3339
from senderpools.errors import FieldError, InvalidRequest
from senderpools.wire.endpoints import PathParam
from senderpools.wire.fields import NO_NUL

E = TypeVar("E", bound=enum.Enum)
S = TypeVar("S")


class QueryReader:
    def __init__(self, params: dict[str, list[str]]) -> None:
        self._params = params
        self.errors: list[FieldError] = []

    def _fail(self, name: str, problem: str) -> None:
        self.errors.append(FieldError(f"{name} {problem}", f"$.{name}"))

    def text(self, name: str) -> str | None:
        values = self._params.get(name, ())
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

    def date(self, name: str) -> datetime | None:
        raw = self.text(name)
        parsed = None if raw is None else parse_rfc3339(raw)
        if raw is not None and parsed is None:
            self._fail(name, "must be an RFC 3339 date-time with an offset, e.g. 2024-01-15T09:30:00Z")
        return None if parsed is None else datetime.fromtimestamp(parsed / 1000, UTC)

    def filters(self, kind: type[S]) -> S:
        """The filters of struct ``kind``, each parameter read by its field's type."""
        readers = _readers(kind)
        for attr, wire, _ in readers:
            if attr in getattr(kind, "REQUIRED", ()) and wire not in self._params:
                self._fail(wire, "is required")
        if not any(wire in self._params for _, wire, _ in readers):
            return kind()  # none given: every field at its default
        return kind(**{attr: read(self, wire) for attr, wire, read in readers})

    def finish(self) -> None:
        if self.errors:
            raise InvalidRequest.of(self.errors)


Reader = Callable[[QueryReader, str], Any]


_READERS: dict[type[Any], tuple[tuple[str, str, Reader], ...]] = {}


def _readers(kind: type[Any]) -> tuple[tuple[str, str, Reader], ...]:
    """(attribute, parameter name, reader) of each field of a query struct (worked out once per struct)."""
    found = _READERS.get(kind)
    if found is None:
        info = inspect.type_info(kind)
        assert isinstance(info, inspect.StructType), kind
        found = tuple((f.name, f.encode_name, _reader(f.type, f.default)) for f in info.fields)
        _READERS[kind] = found
    return found


def _reader(node: inspect.Type, default: Any, expected: str | None = None) -> Reader:
    """How to read one optional parameter of this (msgspec-inspected) type. ``expected`` says in words
    what a valid value is (``Meta(extra={"expected": ...})`` on the type)."""
    if isinstance(node, inspect.Metadata):
        return _reader(node.type, default, (node.extra or {}).get("expected", expected))
    if isinstance(node, inspect.UnionType):
        (kind,) = (t for t in node.types if not isinstance(t, inspect.NoneType))
        return _reader(kind, default, expected)
    if isinstance(node, inspect.IntType) and node.ge is not None and node.le is not None:
        low, high = node.ge, node.le
        return lambda q, name: q.integer(name, low, high, default)
    if isinstance(node, inspect.DateTimeType):
        return QueryReader.date
    if isinstance(node, inspect.EnumType):
        cls = node.cls
        return lambda q, name: q.choice(name, cls)
    if isinstance(node, inspect.StrType) and (node.pattern, node.min_length, node.max_length) != (None, 0, None):
        pattern = None if node.pattern is None else re.compile(node.pattern).search
        shortest, longest = node.min_length or 0, node.max_length

        def accepts(raw: str) -> bool:
            fits = shortest <= len(raw) and (longest is None or len(raw) <= longest)
            return fits and (pattern is None or pattern(raw) is not None)

        words = expected or _expected(node)
        return lambda q, name: q.matching(name, accepts, words)
    if isinstance(node, inspect.StrType):
        return QueryReader.text
    raise TypeError(f"no query reader for {node!r}: add one here")


def _expected(node: inspect.StrType) -> str:
    """What a value of this type is, in words: an ID names its resource."""
    for param in PathParam.known.values():
        info = inspect.type_info(param.type)
        if (info.type if isinstance(info, inspect.Metadata) else info) == node:
            return f"a {param.resource} ID"
    size = f"{node.min_length or 0} to {node.max_length} characters" if node.max_length is not None else "text"
    return size if node.pattern is None or node.pattern == NO_NUL else f"{size} matching {node.pattern}"
