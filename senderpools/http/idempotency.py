"""Idempotent retries: ``Idempotency-Key`` (or Twilio's ``I-Twilio-Idempotency-Token``) on POST, PATCH, DELETE.

One wrapper, called by the edge (``app.py``) for a POST, PATCH or DELETE with a key, so no handler knows about it:

1. The key is **claimed before the work is done**: an INSERT into ``idempotency_keys`` under a unique
   (account, key). Exactly one request wins it, within a process and, on PostgreSQL, across nodes.
2. The winner runs the handler. A response below 500 (success, or a 4xx such as a 404 or a 400) is
   stored with the key and is the answer to every later request with that key. A 5xx, an unexpected
   exception or a cancelled request **releases** the key: nothing was stored, so a retry does the work.
3. A later request with the same key and the same request (method, path with query, and body: JSON
   compared after normalization, so key order and whitespace do not matter) gets the stored status,
   headers and body again plus ``Idempotent-Replayed: true``. For a Create that is the same
   operationId; nothing is done again.
4. The same key with a different request: 409 (20409) naming the key. The same request while the
   first is still in progress: it waits (polling, at most ``idempotency_wait`` seconds) for the first
   to finish and replays its response, or takes the key over if the first released it; if the first
   is still running then, 409 "in progress". Two requests with one key never both do the work.
5. Keys expire ``idempotency_ttl`` seconds (default 24 h) after they were first used: an expired key
   is ignored (reusing it starts afresh) and the worker purges it.

**The crash window.** The response is stored after the work has committed, in a second step. If the
process dies between the two (or the database fails in between), the key stays claimed but has no
response. Such a claim is considered abandoned ``idempotency_lease`` seconds (default 60, far longer
than any request takes) after it was made: until then a retry waits and gets 409 "in progress";
after that a retry takes the key over and **does the work again**. That can duplicate the work of a
request whose process crashed in that instant (a second pool, a second operation); it never loses
the work of a request that crashed before committing. Clients that cannot accept the duplicate can
check for it (e.g. list operations) before retrying after a 409 "in progress".
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable

import msgspec

from senderpools.errors import Conflict, InvalidRequest
from senderpools.http.asgi import Request, Response
from senderpools.records import IdempotencyRecord
from senderpools.service.idempotency import IdempotencyKeys

log = logging.getLogger("senderpools.idempotency")

KEY_HEADERS = ("Idempotency-Key", "I-Twilio-Idempotency-Token")
REPLAYED_HEADER = "Idempotent-Replayed"
METHODS = frozenset({"POST", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255
_POLL_SECONDS = 0.02

_headers_decoder = msgspec.json.Decoder(list[tuple[str, str]])


def key_of(request: Request) -> str | None:
    """The request's idempotency key, or None; the two headers are synonyms and must agree."""
    values = [value for name in KEY_HEADERS for value in request.headers.get(name.lower(), ())]
    if not values:
        return None
    if len(set(values)) > 1:
        raise InvalidRequest(f"Send one idempotency key: {' and '.join(KEY_HEADERS)} are synonyms and must agree.")
    key = values[0]
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise InvalidRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.")
    return key


def body_digest(body: bytes) -> str:
    """SHA-256 of the body, JSON normalized (sorted keys, no whitespace) when it parses."""
    with contextlib.suppress(msgspec.DecodeError, RecursionError, UnicodeDecodeError):  # else: the bytes as sent
        body = msgspec.json.encode(msgspec.json.decode(body), order="sorted")
    return hashlib.sha256(body).hexdigest()


def request_path(request: Request) -> str:
    query = request.query_string
    return request.path + (f"?{query}" if query else "")


async def handle(
    request: Request,
    account: str,
    key: str,
    body: bytes,
    keys: IdempotencyKeys,
    wait: float,
    run: Callable[[], Awaitable[Response]],
) -> Response:
    """Run ``run`` at most once per idempotency key (see the module docstring). ``body`` is the
    request's body, read (and checked for size and media type) before anything is claimed."""
    method, path, digest = request.method, request_path(request), body_digest(body)
    deadline = time.monotonic() + wait
    while True:
        claimed_ms, held = await keys.claim(account, key, method, path, digest)
        if held is None:
            return await _first(account, key, claimed_ms, keys, run)
        if (held.method, held.path, held.body_sha256) != (method, path, digest):
            raise Conflict(
                f"Idempotency-Key {key!r} was already used for a different request ({held.method} {held.path}"
                " with another body, or another path): use a new key for a new request."
            )
        if held.status is not None:
            return _replay(held)
        if time.monotonic() >= deadline:
            raise Conflict(
                f"A request with Idempotency-Key {key!r} is still in progress: retry it later to get its response."
            )
        await asyncio.sleep(_POLL_SECONDS)


async def _first(
    account: str, key: str, claimed_ms: int, keys: IdempotencyKeys, run: Callable[[], Awaitable[Response]]
) -> Response:
    try:
        response = await run()
    except BaseException:
        await _release(account, key, claimed_ms, keys)
        raise
    if response.status >= 500:
        await _release(account, key, claimed_ms, keys)
        return response
    headers = [(k.lower(), v) for k, v in response.headers]
    if response.media_type is not None and response.body:
        headers.append(("content-type", response.media_type))
    try:
        await keys.complete(
            account, key, claimed_ms, response.status, msgspec.json.encode(headers).decode(), response.body
        )
    except Exception:  # the work is done: answer it; the key stays claimed until its lease ends
        log.exception("could not store the response for an idempotency key")
    return response


async def _release(account: str, key: str, claimed_ms: int, keys: IdempotencyKeys) -> None:
    try:
        await keys.release(account, key, claimed_ms)
    except Exception:  # the claim then lapses after idempotency_lease
        log.exception("could not release an idempotency key")


def _replay(held: IdempotencyRecord) -> Response:
    assert held.status is not None and held.headers is not None
    stored = _headers_decoder.decode(held.headers)
    headers = [(k, v) for k, v in stored if k != "content-type"]
    media_type = next((v for k, v in stored if k == "content-type"), None)
    headers.append((REPLAYED_HEADER, "true"))
    return Response(held.body or b"", held.status, headers, media_type=media_type)
