"""JSON encoding of wire values, and replies already rendered.

Resources that are read far more often than they change (pools and senders) keep their JSON from
write time; a read sends those bytes without decoding or encoding anything. ``Rendered[T]`` marks
such bytes with the type they encode, so a handler's declared reply type still holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")

encode = msgspec.json.Encoder().encode


Listed = list[tuple[Any, bytes]]
"""Rows of a list as stored: each row's keyset cursor (its ID, or an item's seq) and its JSON."""


class Rendered(Generic[T]):
    """The JSON encoding of a ``T``, ready to send."""

    __slots__ = ("json",)

    def __init__(self, json: bytes) -> None:
        self.json = json

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
