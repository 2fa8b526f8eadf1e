"""Paging: page tokens, and pages answered from the rows a list read.

A page token is an opaque, URL-safe keyset cursor, bound to the list and its filters and signed.
Layout (before base64url): version byte, 8-byte scope digest, the cursor of the previous page's last
row in UTF-8 (its ID, an operation item's seq, or in name order its name key and ID; empty for the
first page), 16-byte HMAC. Tokens never expire and cannot be forged or replayed under other filters
or another order.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from senderpools.errors import InvalidRequest
from senderpools.service.paging import PageRequest
from senderpools.wire.encoding import Listed, Rendered, render_page
from senderpools.wire.replies import Pagination

P = TypeVar("P")

_VERSION = b"\x01"
_SCOPE_BYTES = 8
_MAC_BYTES = 16


def epoch_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class Page:
    """The page a list call asks for, and how to answer it."""

    request: PageRequest
    scope: bytes
    tokens: PageTokens

    def render(self, page_type: type[P], rows: Listed) -> Rendered[P]:
        """The page envelope from up to ``size + 1`` rows (the extra one means "more")."""
        size = self.request.size
        items = rows[:size]
        next_token = self.tokens.encode(self.scope, str(items[-1][0])) if len(rows) > size else None
        pagination = Pagination(next=next_token, self_=self.tokens.encode(self.scope, self.request.after))
        return render_page(page_type, [doc for _, doc in items], pagination)


class PageTokens:
    CACHED = 4096  # scope digests and first-page tokens remembered: the same lists are asked for again and again

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._scopes: dict[tuple[object, ...], bytes] = {}
        self._first_pages: dict[bytes, str] = {}

    def _mac(self, payload: bytes) -> bytes:
        return hmac.digest(self._key, payload, "sha256")[:_MAC_BYTES]

    def encode(self, scope: bytes, after: str | None) -> str:
        if after is None:
            token = self._first_pages.get(scope)
            if token is None:
                token = self._first_pages[scope] = self._encode(scope, None)
                _bound(self._first_pages, self.CACHED)
            return token
        return self._encode(scope, after)

    def _encode(self, scope: bytes, after: str | None) -> str:
        payload = _VERSION + scope + (after or "").encode()
        return base64.urlsafe_b64encode(payload + self._mac(payload)).rstrip(b"=").decode("ascii")

    def decode(self, scope: bytes, token: str, context: str) -> str | None:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raw = b""
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(raw) <= 1 + _SCOPE_BYTES + _MAC_BYTES - 1 or not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidRequest("pageToken is not a valid page token.", context)
        if payload[:1] != _VERSION or payload[1 : 1 + _SCOPE_BYTES] != scope:
            raise InvalidRequest(
                "pageToken was issued for a different list or different filters: send the filters of the first request.",
                context,
            )
        return payload[1 + _SCOPE_BYTES :].decode() or None  # the MAC holds: bytes this server encoded

    def page(
        self,
        filters: Sequence[object],
        token: str | None,
        size: int,
        start_ms: int | None = None,
        end_ms: int | None = None,
        context: str = "$.pageToken",
        newest_first: bool = False,
    ) -> Page:
        """``filters`` names the list and everything that narrows or orders it (account, path IDs, query
        filters, a newest-first order)."""
        key = (*filters, start_ms, end_ms)
        scope = self._scopes.get(key)
        if scope is None:
            scope = self._scopes[key] = hashlib.sha256(repr(key).encode()).digest()[:_SCOPE_BYTES]
            _bound(self._scopes, self.CACHED)
        after = None if token is None else self.decode(scope, token, context)
        request = PageRequest(size=size, after=after, start_ms=start_ms, end_ms=end_ms, newest_first=newest_first)
        return Page(request, scope, self)


def filter_values(filters: Any, leave_out: tuple[str, ...] = ()) -> tuple[Any, ...]:
    """What a page token is bound to, from a filters struct: the contract's filters in declaration order,
    then each extension filter (named in the struct's ``EXTENSIONS``) that is set, with its name. An
    extension filter left out thus binds a token exactly as before it existed: old tokens stay valid."""
    if filters is None:
        return ()
    extensions = getattr(filters, "EXTENSIONS", ())
    names = [n for n in filters.__struct_fields__ if n not in leave_out]
    values = tuple(getattr(filters, n) for n in names if n not in extensions)
    return values + tuple(
        (n, getattr(filters, n)) for n in names if n in extensions and getattr(filters, n) is not None
    )


def _bound(cache: dict[Any, Any], size: int) -> None:
    """Forget the oldest entry once ``cache`` outgrows ``size`` (dicts keep insertion order)."""
    if len(cache) > size:
        del cache[next(iter(cache))]
