"""Errors the domain raises. The HTTP layer renders each as the contract's error envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True, slots=True)
class FieldError:
    message: str
    context: str = "null"  # a JSON path such as "$.tags", or "null" when no field is at fault


class ApiError(Exception):
    status = 500
    code = 20500
    default_message = "An internal error occurred."

    def __init__(self, message: str | None = None, context: str = "null") -> None:
        self.errors = [FieldError(message or self.default_message, context)]
        super().__init__(self.errors[0].message)

    @classmethod
    def of(cls, errors: list[FieldError]) -> Self:
        """One error response reporting several problems (a non-empty list)."""
        error = cls(errors[0].message, errors[0].context)
        error.errors = list(errors)
        return error


class InvalidRequest(ApiError):
    status, code, default_message = 400, 20001, "The request is invalid."


class Unauthorized(ApiError):
    status, code, default_message = 401, 20003, "Authentication failed: missing or invalid credentials."


class NotFound(ApiError):
    status, code, default_message = 404, 20404, "The requested resource was not found."


class MethodNotAllowed(ApiError):
    status, code, default_message = 405, 20004, "The method is not allowed for this resource."


class Conflict(ApiError):
    status, code, default_message = 409, 20409, "The request conflicts with the current state."


class PayloadTooLarge(ApiError):
    status, code, default_message = 413, 20413, "The request body is too large."


class UnsupportedMediaType(ApiError):
    status, code, default_message = (
        415,
        20415,
        "The request body must be JSON (Content-Type: application/json).",
    )


class TooManyRequests(ApiError):
    status, code = 429, 20429
    default_message = "Too many requests: retry after the number of seconds in the Retry-After header."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class ServiceUnavailable(ApiError):
    status, code = 503, 20503
    default_message = "The service is temporarily unavailable: retry after Retry-After seconds."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


ERROR_CLASSES: tuple[type[ApiError], ...] = (
    InvalidRequest,
    Unauthorized,
    MethodNotAllowed,
    NotFound,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    ServiceUnavailable,
    ApiError,
)
