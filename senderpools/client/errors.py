"""Exceptions of the SDK. Every error answer of the API becomes an ``ApiError`` subclass carrying its envelope.

The statuses come from the server's error catalogue (``senderpools.errors``), one class per error there.
"""

from __future__ import annotations

import msgspec

from senderpools import errors as catalogue
from senderpools.wire.resources import SenderPoolOperation


class SenderPoolsError(Exception):
    """Base of every exception the SDK raises."""


class ConfigurationError(SenderPoolsError, ValueError):
    """The client cannot be built: missing credentials or a bad base URL."""


class ApiConnectionError(SenderPoolsError):
    """The request never got an answer (connection refused, reset, timed out...)."""


class UnexpectedResponseError(SenderPoolsError):
    """A success answer whose body is not what the contract describes."""


class OperationTimeoutError(SenderPoolsError, TimeoutError):
    """An operation was still PROCESSING when ``wait`` gave up; ``operation`` is the last state seen."""

    def __init__(self, operation: SenderPoolOperation, timeout: float) -> None:
        super().__init__(f"operation {operation.id} still {operation.status} after {timeout:g}s ({operation.stats})")
        self.operation = operation
        self.timeout = timeout


class ErrorDetail(msgspec.Struct, rename="camel", kw_only=True):
    """One entry of the error envelope ``{"errors": [...]}``.

    Tolerant copy of ``wire.replies.ErrorDetail``: an error answered by a proxy or an older Twilio
    release may lack fields, and the SDK must still raise the right exception for it."""

    code: int | None = None
    message: str = ""
    info_url: str | None = None
    context: str = "null"  # a JSON path such as "$.tags", or "null" when no field is at fault


class ErrorEnvelope(msgspec.Struct):
    errors: list[ErrorDetail]


class ApiError(SenderPoolsError):
    """The API answered with an error status. ``errors`` holds every entry of the envelope.

    ``code``, ``message``, ``context`` and ``info_url`` are those of the first entry; ``retry_after`` is
    the ``Retry-After`` header in seconds when the answer had one.
    """

    status_code: int = 0

    def __init__(
        self,
        status_code: int,
        errors: list[ErrorDetail],
        *,
        method: str = "",
        url: str = "",
        retry_after: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.errors = errors or [ErrorDetail(message=f"HTTP {status_code} without an error envelope")]
        self.method = method
        self.url = url
        self.retry_after = retry_after
        self.headers = headers or {}
        super().__init__(str(self))

    @property
    def code(self) -> int | None:
        return self.errors[0].code

    @property
    def message(self) -> str:
        return self.errors[0].message

    @property
    def context(self) -> str:
        return self.errors[0].context

    @property
    def info_url(self) -> str | None:
        return self.errors[0].info_url

    SHOWN = 3  # entries in the message; every one stays in ``errors``

    def __str__(self) -> str:
        parts = []
        for error in self.errors[: self.SHOWN]:
            where = "" if error.context in ("null", "") else f" (at {error.context})"
            parts.append(f"{error.code}: {error.message}{where}")
        more = len(self.errors) - self.SHOWN
        return (
            f"HTTP {self.status_code} on {self.method} {self.url}: "
            + "; ".join(parts)
            + (f"; …and {more} more (see .errors)" if more > 0 else "")
        )


class InvalidRequestError(ApiError):
    status_code = catalogue.InvalidRequest.status


class UnauthorizedError(ApiError):
    status_code = catalogue.Unauthorized.status


class NotFoundError(ApiError):
    status_code = catalogue.NotFound.status


class MethodNotAllowedError(ApiError):
    status_code = catalogue.MethodNotAllowed.status


class RequestTimeoutError(ApiError):
    status_code = catalogue.RequestTimeout.status


class ConflictError(ApiError):
    status_code = catalogue.Conflict.status


class PreconditionFailedError(ApiError):
    """``if_match=`` named a tag the pool no longer has: it changed since it was read (senderpools extension)."""

    status_code = catalogue.PreconditionFailed.status


class PayloadTooLargeError(ApiError):
    status_code = catalogue.PayloadTooLarge.status


class UnsupportedMediaTypeError(ApiError):
    status_code = catalogue.UnsupportedMediaType.status


class TooManyRequestsError(ApiError):
    status_code = catalogue.TooManyRequests.status


class ServerError(ApiError):
    """Any 5xx answer."""

    status_code = catalogue.ApiError.status


class ServiceUnavailableError(ServerError):
    status_code = catalogue.ServiceUnavailable.status


_BY_STATUS: dict[int, type[ApiError]] = {
    cls.status_code: cls for cls in (*ApiError.__subclasses__(), *ServerError.__subclasses__())
}


def error_class(status_code: int) -> type[ApiError]:
    """The exception type for an error status."""
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    return ServerError if status_code >= 500 else ApiError
