"""The error catalogue: every error the API answers, declared once.

Each class carries its HTTP status, its code, and the prose that documents it (title, meaning,
remedy, response headers). The error envelope, the OpenAPI responses, the ``/docs/errors/{code}``
pages and the SDK's exception classes are all derived from these classes.

Domain code raises them with messages in domain terms. Where a problem concerns one field of the
request, its ``context`` is either a JSON path (known at the HTTP edge: query parameters, schema
errors) or a ``Where`` (known to the service: item 3's address), which the edge turns into a path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Final, Self

MAX_REPORTED_ERRORS: Final = 100
"""An error answer lists at most this many entries, so it stays readable (and small) even when all
10,000 items of a request are wrong: past it, the last entry says how many more problems there were."""


@dataclass(frozen=True, slots=True)
class Where:
    """A place in the request in domain terms: item ``index`` of the request's list of items
    (None: the request itself) and the ``field`` there (None: the whole item)."""

    index: int | None = None
    field: str | None = None

    def path(self, items: str = "$", single: bool = False) -> str:
        """This place as a JSON path, the request's items being the array at ``items`` (or, when
        ``single``, one object standing for a one-item array)."""
        base = "$" if self.index is None else items if single else f"{items}[{self.index}]"
        return base if self.field is None else f"{base}.{self.field}"


@dataclass(frozen=True, slots=True)
class FieldError:
    message: str
    context: str | Where = "null"  # a JSON path such as "$.tags", a Where, or "null" when no field is at fault
    # The message is what is wrong with the place (``must be ...``): the answer leads with the place's path,
    # as schema errors do (``$[3].address must be ...``).
    about_place: bool = False


class ApiError(Exception):
    """An answer in the contract's error format. Subclasses are the catalogue."""

    status: ClassVar[int] = 500
    code: ClassVar[int] = 20500
    name: ClassVar[str] = "InternalError"
    title: ClassVar[str] = "Internal error"
    meaning: ClassVar[str] = "The server failed unexpectedly while handling the request."
    remedy: ClassVar[str] = (
        "Do not retry blindly: GET and DELETE are safe to retry, but a POST may have taken effect. "
        "Check the resource's state first."
    )
    headers: ClassVar[tuple[str, ...]] = ()  # response headers every answer of this kind carries
    default_message: ClassVar[str] = "An internal error occurred."

    def __init__(self, message: str | None = None, context: str | Where = "null") -> None:
        self.errors = [FieldError(message or self.default_message, context)]
        super().__init__(self.errors[0].message)

    @classmethod
    def of(cls, errors: Sequence[FieldError]) -> Self:
        """One error response reporting several problems (a non-empty list), at most
        ``MAX_REPORTED_ERRORS`` entries: a longer list keeps its first problems and ends with an entry
        saying how many more there were."""
        error = cls(errors[0].message, errors[0].context)
        if len(errors) <= MAX_REPORTED_ERRORS:
            error.errors = list(errors)
        else:
            kept = MAX_REPORTED_ERRORS - 1
            more = len(errors) - kept
            error.errors = [
                *errors[:kept],
                FieldError(f"{more} more problems are not listed (only the first {kept} are)."),
            ]
        return error


class InvalidRequest(ApiError):
    status, code, name, title = 400, 20001, "BadRequest", "Invalid request"
    meaning = (
        "The request body, a query parameter or a page token is invalid: malformed JSON, a missing or "
        "ill-formed field, a filter given twice, `endDate` not after `startDate`, a forged page token, or a "
        "page token sent with filters other than the ones it was issued for. Every problem found is reported, "
        "one `errors[]` entry each, with `context` naming the field as a JSON path."
    )
    remedy = (
        "Correct the fields named by `context` and send the request again. Resending it unchanged fails the same way."
    )
    default_message = "The request is invalid."


class Unauthorized(ApiError):
    status, code, name, title = 401, 20003, "Unauthorized", "Authentication failed"
    meaning = (
        "The `Authorization` header is missing, is not HTTP Basic, or carries credentials that are unknown "
        'or revoked. The response carries `WWW-Authenticate: Basic realm="senderpools"`.'
    )
    remedy = "Authenticate with HTTP Basic as `AccountSid:AuthToken` or `ApiKeySid:ApiKeySecret`."
    headers = ("WWW-Authenticate",)
    default_message = "Authentication failed: missing or invalid credentials."


class MethodNotAllowed(ApiError):
    status, code, name, title = 405, 20004, "MethodNotAllowed", "Method not allowed"
    meaning = "The path exists but does not accept this HTTP method."
    remedy = "Use one of the methods the endpoint reference lists for this path."
    headers = ("Allow",)
    default_message = "The method is not allowed for this resource."


class NotFound(ApiError):
    status, code, name, title = 404, 20404, "NotFound", "Not found"
    meaning = (
        "The resource does not exist, was deleted, or belongs to another account (which is indistinguishable "
        "from absence). An ID in the path that does not match its pattern is not found either, and so is a "
        "sender that is not a member of the pool named in the path."
    )
    remedy = "Check the IDs in the path (and `senderPoolId` in a Resolve body) and the credentials' account."
    default_message = "The requested resource was not found."


class Conflict(ApiError):
    status, code, name, title = 409, 20409, "Conflict", "Conflict"
    meaning = (
        "Registering senders would create a second sender with the same channel and address in the account, "
        "either because one exists already or because the request repeats it: nothing is registered, and there "
        "is one `errors[]` entry per offending item. Or the `Idempotency-Key` was already used for a different "
        "request, or the request that first used it is still in progress. Or the operation to cancel is no "
        "longer PROCESSING. Or the pool to delete has deletion protection on (an extension)."
    )
    remedy = (
        "Remove or change the items named by `context`, or fetch the existing senders instead. Use a new "
        "idempotency key for a new request, and retry an in-progress one a little later. An operation that has "
        'finished cannot be canceled. To delete a protected pool, PATCH it with `{"deletionProtection": false}` '
        "first."
    )
    default_message = "The request conflicts with the current state."


class PreconditionFailed(ApiError):
    status, code, name, title = 412, 20412, "PreconditionFailed", "Precondition failed"
    meaning = (
        "The request carried `If-Match` (an extension: conditional writes) and the pool no longer has that "
        "entity tag: it changed since the client read it. Nothing was changed."
    )
    remedy = (
        "Fetch the pool again (its `ETag` header is the current tag), check that the change still makes sense, "
        "and send it with the new tag."
    )
    default_message = "The resource changed since it was read (If-Match does not match its ETag)."


class PayloadTooLarge(ApiError):
    status, code, name, title = 413, 20413, "PayloadTooLarge", "Payload too large"
    meaning = (
        "The request body is larger than the server's limit (16 MiB unless configured otherwise). The "
        "limit may be enforced from `Content-Length` before the body is read."
    )
    remedy = "Split the work into several smaller requests."
    default_message = "The request body is too large."


class RequestTimeout(ApiError):
    status, code, name, title = 408, 20408, "RequestTimeout", "Request timeout"
    meaning = (
        "The request body did not arrive in time: once a request's headers have arrived, the server waits "
        "at most 30 seconds (unless configured otherwise) for its whole body. Nothing was changed."
    )
    remedy = "Send the body without pauses, or split the work into smaller requests."
    default_message = "The request body did not arrive in time."


class UnsupportedMediaType(ApiError):
    status, code, name, title = 415, 20415, "UnsupportedMediaType", "Unsupported media type"
    meaning = (
        "The request has a body whose `Content-Type` is not JSON. `application/json` and `application/*+json` "
        "are accepted, and so is a body sent without a `Content-Type`."
    )
    remedy = "Send the body as JSON with `Content-Type: application/json`."
    default_message = "The request body must be JSON (Content-Type: application/json)."


class RetryLater(ApiError):
    """An error the client should retry after ``retry_after`` seconds (sent as ``Retry-After``)."""

    headers = ("Retry-After",)
    remedy = "Wait the number of seconds in the `Retry-After` header, then retry."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyRequests(RetryLater):
    status, code, name, title = 429, 20429, "TooManyRequests", "Too many requests"
    meaning = "The account exceeded the server's request rate."
    default_message = "Too many requests: retry after the number of seconds in the Retry-After header."


RETRY_AFTER_UNAVAILABLE: Final = 1  # seconds a client is told to wait when the database cannot serve it right now


class ServiceUnavailable(RetryLater):
    status, code, name, title = 503, 20503, "ServiceUnavailable", "Service unavailable"
    meaning = (
        "The server is temporarily unable to handle the request, for example because its database is busy. "
        "Nothing was changed."
    )
    default_message = "The service is temporarily unavailable: retry after Retry-After seconds."


CATALOGUE: tuple[type[ApiError], ...] = (
    InvalidRequest,
    Unauthorized,
    MethodNotAllowed,
    NotFound,
    RequestTimeout,
    Conflict,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    ApiError,
    ServiceUnavailable,
)
BY_STATUS: dict[int, type[ApiError]] = {cls.status: cls for cls in CATALOGUE}
BY_CODE: dict[int, type[ApiError]] = {cls.code: cls for cls in CATALOGUE}
