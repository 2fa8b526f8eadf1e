"""Rendering: JSON bodies, the error envelope and the 202 reference bodies."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response

from senderpools.errors import ApiError, ServiceUnavailable, TooManyRequests, Unauthorized

_encode = msgspec.json.Encoder().encode

JSON = "application/json"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(_encode(body), status_code=status, headers=headers, media_type=JSON)


def error_docs_url(base_url: str, code: int) -> str:
    return f"{base_url}/docs/errors/{code}"


def error_response(error: ApiError, base_url: str) -> Response:
    body = {
        "errors": [
            {
                "code": error.code,
                "message": e.message,
                "infoUrl": error_docs_url(base_url, error.code),
                "context": e.context,
            }
            for e in error.errors
        ]
    }
    headers = {}
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Basic realm="senderpools"'
    if isinstance(error, TooManyRequests | ServiceUnavailable):
        headers["Retry-After"] = str(error.retry_after)
    return json_response(body, error.status, headers)


def operation_accepted(operation_id: str, location: str) -> Response:
    """202 for work that an Operation tracks (Create, Add Senders)."""
    return json_response(
        {"operationId": operation_id, "operationLocation": location},
        202,
        {"Location": location, "Operation-Id": operation_id, "Operation-Location": location},
    )


def resource_accepted(resource_id: str, location: str) -> Response:
    """202 for changes applied to a resource (Update, Delete, Remove Sender)."""
    return json_response(
        {"resourceId": resource_id, "resourceLocation": location},
        202,
        {"Location": location, "Resource-Location": location},
    )
