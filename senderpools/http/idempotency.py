"""Idempotent retries: ``Idempotency-Key`` (or Twilio's ``I-Twilio-Idempotency-Token``) on POST, PATCH, DELETE.

One wrapper, called by ``context.api`` for every endpoint, so no handler knows about it:

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
from typing import TYPE_CHECKING

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from senderpools import ids
from senderpools.errors import ApiError, Conflict, InvalidRequest
from senderpools.http.responses import error_response
from senderpools.store.base import IdempotencyRecord

if TYPE_CHECKING:
    from senderpools.http.context import Call, Handler

log = logging.getLogger("senderpools.idempotency")

KEY_HEADERS = ("Idempotency-Key", "I-Twilio-Idempotency-Token")
REPLAYED_HEADER = "Idempotent-Replayed"
METHODS = frozenset({"POST", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255
_POLL_SECONDS = 0.02

_headers_decoder = msgspec.json.Decoder(list[tuple[str, str]])


def key_of(request: Request) -> str | None:
    """The request's idempotency key, or None; the two headers are synonyms and must agree."""
    values = [value for name in KEY_HEADERS for value in request.headers.getlist(name)]
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
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def handle(call: Call, handler: Handler) -> Response:
    """Run ``handler`` at most once per idempotency key (see the module docstring)."""
    request = call.request
    key = key_of(request) if request.method in METHODS else None
    if key is None:
        return await handler(call)
    settings, store = call.services.settings, call.services.store
    method, path = request.method, request_path(request)
    digest = body_digest(await call.body())  # a 413 or 415 is raised here, before anything is claimed
    deadline = time.monotonic() + settings.idempotency_wait
    while True:
        now = ids.now_ms()
        claim = IdempotencyRecord(method, path, digest, now)
        held = await store.claim_idempotency_key(
            call.account,
            key,
            claim,
            now - int(settings.idempotency_ttl * 1000),
            now - int(settings.idempotency_lease * 1000),
        )
        if held is None:
            return await _first(call, handler, key, now)
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


async def _first(call: Call, handler: Handler, key: str, claimed_ms: int) -> Response:
    store = call.services.store
    try:
        response = await handler(call)
    except ApiError as error:
        if error.status >= 500:
            await _release(call, key, claimed_ms)
            raise
        response = error_response(error, call.url(""))
    except BaseException:
        await _release(call, key, claimed_ms)
        raise
    body = getattr(response, "body", None)
    if response.status_code >= 500 or not isinstance(body, bytes):
        await _release(call, key, claimed_ms)
        return response
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
    try:
        await store.complete_idempotency_key(
            call.account,
            key,
            claimed_ms,
            response.status_code,
            msgspec.json.encode(headers).decode(),
            body,
            ids.now_ms(),
        )
    except Exception:  # the work is done: answer it; the key stays claimed until its lease ends
        log.exception("could not store the response for an idempotency key")
    return response


async def _release(call: Call, key: str, claimed_ms: int) -> None:
    try:
        await call.services.store.release_idempotency_key(call.account, key, claimed_ms)
    except Exception:  # the claim then lapses after idempotency_lease
        log.exception("could not release an idempotency key")


def _replay(held: IdempotencyRecord) -> Response:
    assert held.status is not None and held.headers is not None
    headers = dict(_headers_decoder.decode(held.headers))
    headers[REPLAYED_HEADER] = "true"
    return Response(held.body or b"", status_code=held.status, headers=headers)
