"""Idempotency keys: claiming one before the work, storing the response after, releasing on failure.

The HTTP edge (``http/idempotency.py``) decides when to call these; this module holds the rules of
time: a key lives ``ttl`` seconds, and a claim whose response was never stored (its process died)
is abandoned after ``lease`` seconds.
"""

from __future__ import annotations

from senderpools import ids
from senderpools.records import IdempotencyRecord
from senderpools.store import Store


class IdempotencyKeys:
    def __init__(self, store: Store, ttl: float, lease: float) -> None:
        self._store = store
        self._ttl_ms = int(ttl * 1000)
        self._lease_ms = int(lease * 1000)

    async def claim(
        self, account: str, key: str, method: str, path: str, digest: str
    ) -> tuple[int, IdempotencyRecord | None]:
        """Claim ``key`` for this request: (the claim's time, None) when won, else (…, the live record
        holding the key)."""
        now = ids.now_ms()
        held = await self._store.claim_idempotency_key(
            account, key, IdempotencyRecord(method, path, digest, now), now - self._ttl_ms, now - self._lease_ms
        )
        return now, held

    async def complete(self, account: str, key: str, claimed_ms: int, status: int, headers: str, body: bytes) -> None:
        await self._store.complete_idempotency_key(account, key, claimed_ms, status, headers, body, ids.now_ms())

    async def release(self, account: str, key: str, claimed_ms: int) -> None:
        await self._store.release_idempotency_key(account, key, claimed_ms)
