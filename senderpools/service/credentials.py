"""Accounts, API keys, and checking a presented credential.

Secrets are stored only as salted scrypt hashes. scrypt is deliberately slow (~tens of ms), so a
verified credential is remembered for a while under a keyed digest of what was presented (the
``Authorization`` header's value): the hot path costs one digest and one dictionary lookup, and the
plaintext is never kept. Once a second at most, a cached
credential's row is read again (an indexed read, no scrypt), so a revoked key or a replaced token
stops working within a second on every node.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import time
from collections import OrderedDict
from collections.abc import Callable

from senderpools import ids
from senderpools.records import Credential
from senderpools.store import Store

SCRYPT_N = 2**14  # work factor for new hashes; each hash records its own, so it can change later
_R, _P, _DKLEN = 8, 1, 32
REVOCATION_CHECK_INTERVAL = 1.0  # seconds


def hash_secret(secret: str, n: int | None = None) -> str:
    n = n or SCRYPT_N
    salt = os.urandom(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=n, r=_R, p=_P, dklen=_DKLEN)
    b64 = base64.b64encode
    return f"scrypt${n}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


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


async def create_first_account(store: Store) -> tuple[str, str] | None:
    """A development account with random credentials, only if the database has no account yet."""
    sid, auth_token = ids.new_account_sid(), ids.new_secret()
    if await store.create_account(sid, hash_secret(auth_token), ids.now_ms(), first_only=True):
        return sid, auth_token
    return None


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
        # digest of the presented pair -> (credential as verified, when verified, when last re-read)
        self._cache: OrderedDict[bytes, tuple[Credential, float, float]] = OrderedDict()
        self._inflight: dict[bytes, asyncio.Future[Credential | None]] = {}

    async def verify(self, presented: str, parse: Callable[[str], tuple[str, str] | None]) -> Credential | None:
        """The credential presented (an ``Authorization`` header's value), or None: its ``account_sid`` is
        the account the request acts for, its ``sid`` (the account's, or an API key's) the actor.
        ``parse`` splits them into (sid, secret); it runs only when they are not remembered."""
        # Keyed BLAKE2b is a MAC in one call (a third of HMAC-SHA256's cost through OpenSSL).
        key = hashlib.blake2b(presented.encode(), key=self._key, digest_size=32).digest()
        credential = await self._from_cache(key)
        if credential is None:
            pair = parse(presented)
            if pair is None:
                return None
            credential = await self._verify_once(key, *pair)
        return credential

    async def _from_cache(self, key: bytes) -> Credential | None:
        hit = self._cache.get(key)
        if hit is None:
            return None
        credential, verified_at, checked_at = hit
        now = time.monotonic()
        if now - verified_at >= self._ttl:
            self._cache.pop(key, None)
            return None
        if now - checked_at >= REVOCATION_CHECK_INTERVAL:
            if await self._store.find_credential(credential.sid) != credential:  # revoked, replaced or deleted
                self._cache.pop(key, None)
                return None
            self._cache[key] = (credential, verified_at, now)
        return credential

    async def _verify_once(self, key: bytes, sid: str, secret: str) -> Credential | None:
        """Run scrypt once per presented pair, even when many requests bring it at the same moment."""
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Credential | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            credential = await self._check(sid, secret)
        except BaseException as exc:
            future.set_exception(exc) if isinstance(exc, Exception) else future.cancel()
            raise
        finally:
            del self._inflight[key]
        future.set_result(credential)
        if credential is not None:
            now = time.monotonic()
            self._cache[key] = (credential, now, now)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return credential

    def forget_all(self) -> None:
        """Drop every cached verification (after a credential is revoked in this process)."""
        self._cache.clear()

    async def _check(self, sid: str, secret: str) -> Credential | None:
        credential = await self._store.find_credential(sid)
        stored = _DUMMY_HASH if credential is None else credential.secret_hash
        ok = await asyncio.to_thread(verify_secret, secret, stored)
        if not ok or credential is None or credential.revoked:
            return None
        return credential
