"""Accounts, API keys, and checking a presented credential.

Secrets are stored only as salted scrypt hashes. scrypt is deliberately slow (~tens of ms), so a
verified credential is remembered for a short time under a keyed digest of the presented pair:
the hot path costs one dictionary lookup, and the plaintext is never kept.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import time
from collections import OrderedDict

from senderpools import ids
from senderpools.store import Store

_N, _R, _P, _DKLEN = 2**14, 8, 1, 32


def hash_secret(secret: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            secret.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=_DKLEN
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


# Verified against when the SID is unknown, so a miss costs the same as a wrong secret.
_DUMMY_HASH = hash_secret(os.urandom(16).hex())


async def create_account(store: Store, sid: str | None = None, auth_token: str | None = None) -> tuple[str, str, bool]:
    """Create an account (random SID and token unless given). Returns (sid, token, created)."""
    sid = sid or ids.new_account_sid()
    auth_token = auth_token or ids.new_secret()
    existing = await store.find_credential(sid)
    if existing is not None:
        if not verify_secret(auth_token, existing.secret_hash):
            raise ValueError(f"account {sid} exists with a different auth token")
        return sid, auth_token, False
    created = await store.create_account(sid, hash_secret(auth_token), ids.now_ms())
    return sid, auth_token, created


async def create_api_key(store: Store, account_sid: str) -> tuple[str, str]:
    sid, secret = ids.new_api_key_sid(), ids.new_secret()
    if not await store.create_api_key(sid, account_sid, hash_secret(secret), ids.now_ms()):
        raise LookupError(f"no account {account_sid}")
    return sid, secret


class CredentialVerifier:
    """Maps a presented (sid, secret) pair to its account SID, or None."""

    def __init__(self, store: Store, cache_ttl: float = 60.0, cache_size: int = 10_000) -> None:
        self._store = store
        self._ttl = cache_ttl
        self._size = cache_size
        self._key = os.urandom(32)
        self._cache: OrderedDict[bytes, tuple[str, float]] = OrderedDict()
        self._inflight: dict[bytes, asyncio.Future[str | None]] = {}

    async def verify(self, sid: str, secret: str) -> str | None:
        key = hmac.digest(self._key, f"{sid}:{secret}".encode(), "sha256")
        hit = self._cache.get(key)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
        pending = self._inflight.get(key)
        if pending is not None:  # the same credential is being checked right now: share the result
            return await asyncio.shield(pending)
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            account = await self._check(sid, secret)
            future.set_result(account)
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            del self._inflight[key]
        if account is not None:
            self._cache[key] = (account, time.monotonic() + self._ttl)
            self._cache.move_to_end(key)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return account

    def forget_all(self) -> None:
        """Drop every cached verification (after a credential is revoked in this process)."""
        self._cache.clear()

    async def _check(self, sid: str, secret: str) -> str | None:
        credential = await self._store.find_credential(sid)
        stored = _DUMMY_HASH if credential is None else credential.secret_hash
        ok = await asyncio.to_thread(verify_secret, secret, stored)
        if not ok or credential is None or credential.revoked:
            return None
        return credential.account_sid
