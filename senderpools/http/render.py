"""Rendering replies and errors as responses: the declared status, JSON bodies, the error envelope."""

from __future__ import annotations

from typing import Any

from senderpools.errors import ApiError, RetryLater, Unauthorized, Where
from senderpools.http.asgi import Response
from senderpools.wire.encoding import Rendered, encode, stock
from senderpools.wire.replies import ErrorDetail, ErrorEnvelope


def reply(status: int, result: Any, headers: list[tuple[str, str]], extended: bool = False) -> Response:
    """A handler's result with its endpoint's status: JSON already rendered, a struct (without its
    extension fields unless the client asked for them), or no body."""
    if isinstance(result, Rendered):
        return Response(result.json, status, headers)
    if result is None:
        return Response(b"", status, headers, media_type=None)
    return Response(encode(result if extended else stock(result)), status, headers)


def error_docs_url(base_url: str, code: int) -> str:
    return f"{base_url}/docs/errors/{code}"


def error_response(error: ApiError, base_url: str, items: str = "$", single: bool = False) -> Response:
    """The contract's error envelope for ``error``; contexts given as positions become JSON paths
    into a body whose items are at ``items`` (one object standing for them when ``single``)."""
    info_url = error_docs_url(base_url, error.code)
    details = []
    for e in error.errors:
        context = e.context.path(items, single) if isinstance(e.context, Where) else e.context
        message = f"{context} {e.message}" if e.about_place else e.message
        details.append(ErrorDetail(code=error.code, message=message, info_url=info_url, context=context))
    envelope = ErrorEnvelope(errors=details)
    headers = []
    if isinstance(error, Unauthorized):
        headers.append(("WWW-Authenticate", 'Basic realm="senderpools"'))
    if isinstance(error, RetryLater):
        headers.append(("Retry-After", str(error.retry_after)))
    return Response(encode(envelope), error.status, headers)
