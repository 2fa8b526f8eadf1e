"""JSON encoding of wire values, and replies already rendered.

Resources that are read far more often than they change (pools and senders) keep their JSON from
write time; a read sends those bytes without decoding or encoding anything. ``Rendered[T]`` marks
such bytes with the type they encode, so a handler's declared reply type still holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")

encode = msgspec.json.Encoder().encode


EXTENSIONS_HEADER = "Senderpools-Extensions"
"""The request header that opts in to extension fields (``true``); without it answers are the stock ones."""


def views(value: Any) -> tuple[bytes, bytes]:
    """``value``'s JSON as a stock client sees it, and with senderpools' extension fields."""
    extended = encode(value)
    return (encode(stock(value)) if has_extensions(type(value)) else extended), extended


def stock(value: T) -> T:
    """``value`` as a stock client sees it: every extension field (the names in a struct type's
    ``EXTENSIONS``, at any depth) UNSET, so that encoding leaves it out."""
    if isinstance(value, list):
        return [stock(item) for item in value]  # type: ignore[return-value]
    if isinstance(value, msgspec.Struct) and has_extensions(type(value)):
        changes: dict[str, Any] = dict.fromkeys(getattr(value, "EXTENSIONS", ()), msgspec.UNSET)
        for name in value.__struct_fields__:
            member = getattr(value, name)
            if name not in changes and isinstance(member, list | msgspec.Struct):
                changes[name] = stock(member)
        return msgspec.structs.replace(value, **changes)
    return value


_EXTENSIBLE: dict[type[Any], bool] = {}


def has_extensions(kind: type[Any]) -> bool:
    """Whether a struct type has extension fields, itself or in the structs it holds."""
    found = _EXTENSIBLE.get(kind)
    if found is None:
        _EXTENSIBLE[kind] = False  # a type that holds itself is decided by its other members
        found = bool(getattr(kind, "EXTENSIONS", ())) or any(
            has_extensions(t) for t in _structs_within(msgspec.inspect.type_info(kind))
        )
        _EXTENSIBLE[kind] = found
    return found


def _structs_within(node: msgspec.inspect.Type) -> list[type[Any]]:
    if isinstance(node, msgspec.inspect.StructType):
        return [s for f in node.fields for s in _field_structs(f.type)]
    return []


def _field_structs(node: msgspec.inspect.Type) -> list[type[Any]]:
    if isinstance(node, msgspec.inspect.StructType):
        return [node.cls]
    if isinstance(node, msgspec.inspect.Metadata):
        return _field_structs(node.type)
    if isinstance(node, msgspec.inspect.UnionType):
        return [s for t in node.types for s in _field_structs(t)]
    if isinstance(node, msgspec.inspect.ListType | msgspec.inspect.VarTupleType):
        return _field_structs(node.item_type)
    return []


def entity_tag(state: bytes, view: str = "") -> str:
    """A strong ``ETag``: a digest of ``state`` (JSON), marked with the ``view`` of it that is sent."""
    return '"' + hashlib.blake2b(state, digest_size=12).hexdigest() + view + '"'


def view_tag(extended_json: bytes, extended: bool) -> str:
    """The ``ETag`` of one view (stock, extended) of a resource kept as both: a digest of its extended JSON,
    which holds every field, so that any change to the resource changes the tag of both views (a stock
    view's tag moves too when only an extension field changed), and the two views' tags differ."""
    return entity_tag(extended_json, "x" if extended else "s")


Listed = list[tuple[Any, bytes]]
"""Rows of a list as stored: each row's keyset cursor (its ID, or an item's seq) and its JSON."""


class Rendered(Generic[T]):
    """The JSON encoding of a ``T``, ready to send."""

    __slots__ = ("etag", "json")

    def __init__(self, json: bytes, etag: str | None = None) -> None:
        self.json = json
        self.etag = etag  # its entity tag when not a digest of ``json`` itself (``view_tag``)

    @classmethod
    def of(cls, value: T) -> Rendered[T]:
        return cls(encode(value))


def envelope_key(page_type: type[Any]) -> str:
    """The name under which a page envelope lists its items (its first field, e.g. ``senderPools``)."""
    return str(page_type.__struct_encode_fields__[0])


def render_page(page_type: type[T], items: Sequence[bytes], pagination: Any) -> Rendered[T]:
    """A page envelope of ``page_type`` from its items' JSON and its ``Pagination``."""
    key = envelope_key(page_type).encode()
    return Rendered(b'{"' + key + b'":[' + b",".join(items) + b'],"pagination":' + encode(pagination) + b"}")
