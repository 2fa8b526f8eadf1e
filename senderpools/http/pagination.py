"""Page tokens: an opaque, URL-safe keyset cursor, bound to the account and filters and signed.

Layout (before base64url): version byte, 8-byte scope digest, the cursor of the previous page's
last row (its ID, or an operation item's seq; empty for the first page), 16-byte HMAC. Tokens never expire and cannot be forged or replayed
under other filters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from senderpools.errors import InvalidRequest
from senderpools.service.paging import PageRequest

_VERSION = b"\x01"
_SCOPE_BYTES = 8
_MAC_BYTES = 16


@dataclass(frozen=True, slots=True)
class Page:
    request: PageRequest
    scope: bytes
    tokens: PageTokens

    def body(self, key: str, rows: Sequence[Any], cursor: Callable[[Any], str] = attrgetter("id")) -> dict[str, Any]:
        """The contract's page object from up to ``size + 1`` rows (the extra one means "more");
        ``cursor`` is the keyset position of a row (its ID unless told otherwise)."""
        size = self.request.size
        items = rows[:size]
        next_token = self.tokens.encode(self.scope, cursor(items[-1])) if len(rows) > size else None
        return {
            key: items,
            "pagination": {"next": next_token, "self": self.tokens.encode(self.scope, self.request.after)},
        }


class PageTokens:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        return hmac.digest(self._key, payload, "sha256")[:_MAC_BYTES]

    def encode(self, scope: bytes, after: str | None) -> str:
        payload = _VERSION + scope + (after or "").encode("ascii")
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
        return payload[1 + _SCOPE_BYTES :].decode("ascii") or None

    def page(
        self,
        filters: Sequence[object],
        token: str | None,
        size: int,
        start_ms: int | None = None,
        end_ms: int | None = None,
        context: str = "$.pageToken",
    ) -> Page:
        """``filters`` names the list and everything that narrows it (account, path IDs, query filters)."""
        scope = hashlib.sha256(repr((*filters, start_ms, end_ms)).encode()).digest()[:_SCOPE_BYTES]
        after = None if token is None else self.decode(scope, token, context)
        return Page(PageRequest(size=size, after=after, start_ms=start_ms, end_ms=end_ms), scope, self)
