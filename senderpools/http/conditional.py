"""Conditional requests (an extension): entity tags on reads, ``If-None-Match`` (304), ``If-Match`` (412).

An endpoint declared with ``etag`` answers with an ``ETag``: the one its reply carries (a pool's,
``wire.encoding.view_tag``: a digest of all its fields, marked with the view sent, so the stock and
the extended view have different tags and any change moves both), else a digest of the bytes sent;
and it answers 304 with no body when ``If-None-Match`` names that tag (weak comparison, or ``*``).
An endpoint declared with ``if_match`` hands the ``If-Match`` tags to its service as an ``IfMatch``
precondition: the store checks it against the stored pool in the transaction that makes the change,
and a pool that no longer has any of the tags is a 412 (``errors.PreconditionFailed``). A weak tag
never satisfies ``If-Match`` (strong comparison).
"""

from __future__ import annotations

from senderpools.http.asgi import Request, Response
from senderpools.records import IfMatch
from senderpools.wire.encoding import entity_tag

ETAG = "ETag"


def _tags(values: list[str]) -> list[str]:
    """The entity tags listed in these header values, as sent (``W/`` kept), unquoted ones quoted."""
    found = []
    for value in values:
        for part in value.split(","):
            tag = part.strip()
            if not tag:
                continue
            weak = tag.startswith("W/")
            opaque = tag[2:] if weak else tag
            if opaque != "*" and not (len(opaque) >= 2 and opaque[0] == opaque[-1] == '"'):
                opaque = f'"{opaque}"'  # lenient: a tag sent without its quotes
            found.append(("W/" if weak else "") + opaque)
    return found


def if_match(request: Request) -> IfMatch | None:
    """The request's ``If-Match`` precondition, or None without one."""
    values = request.header_values(b"if-match")
    if not values:
        return None
    return IfMatch(frozenset(tag for tag in _tags(values) if not tag.startswith("W/")))


def tagged(request: Request, response: Response, tag: str | None = None) -> Response:
    """A successful read with its ``ETag`` (``tag``, else a digest of the body); 304 without a body
    when ``If-None-Match`` names it."""
    tag = tag or entity_tag(response.body)
    wanted = request.header_values(b"if-none-match")
    if wanted and (tag in (tags := {t.removeprefix("W/") for t in _tags(wanted)}) or "*" in tags):
        return Response(b"", 304, [*response.headers, (ETAG, tag)], media_type=None)
    response.headers.append((ETAG, tag))
    return response
