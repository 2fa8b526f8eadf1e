"""The transport core shared by ``Client`` and ``AsyncClient``: configuration, requests, retries, errors.

Every API call is written once, as a generator (a *flow*) that yields actions (``Send`` this request,
``Sleep`` this long) and receives their outcomes. ``run`` drives a flow with ``httpx.Client`` and
``time.sleep``; ``arun`` with ``httpx.AsyncClient`` and ``asyncio.sleep``. Request building, retries,
paging and operation polling therefore exist in one copy, whatever the I/O style.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import os
import random
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias, TypeVar, cast

import httpx
import msgspec

from senderpools.client.errors import (
    ApiConnectionError,
    ApiError,
    ConfigurationError,
    ErrorDetail,
    ErrorEnvelope,
    UnexpectedResponseError,
    error_class,
)
from senderpools.wire.encoding import EXTENSIONS_HEADER

T = TypeVar("T")

DEFAULT_BASE_URL = "https://comms.twilio.com"
USER_AGENT = "senderpools-python/0.1"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


# -- configuration -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Config:
    username: str  # the account SID or the API key SID
    password: str
    base_url: str  # scheme://host[:port][/prefix], no trailing slash, no version segment


def resolve_config(
    account_sid: str | None,
    auth_token: str | None,
    api_key: str | None,
    api_secret: str | None,
    base_url: str | None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Arguments first, then ``TWILIO_API_KEY``/``TWILIO_API_SECRET``, then ``TWILIO_ACCOUNT_SID``/``TWILIO_AUTH_TOKEN``.

    The base URL comes from ``base_url``, else ``SENDERPOOLS_BASE_URL``, else the Comms API itself."""
    env = os.environ if environ is None else environ
    sid, token = account_sid or env.get("TWILIO_ACCOUNT_SID"), auth_token or env.get("TWILIO_AUTH_TOKEN")
    key, secret = api_key or env.get("TWILIO_API_KEY"), api_secret or env.get("TWILIO_API_SECRET")
    if api_key or api_secret:
        if not (key and secret):
            raise ConfigurationError("an API key needs both api_key and api_secret")
        username, password = key, secret
    elif (account_sid or auth_token) and sid and token:
        username, password = sid, token
    elif key and secret:
        username, password = key, secret
    elif sid and token:
        username, password = sid, token
    else:
        raise ConfigurationError(
            "no credentials: pass account_sid and auth_token (or api_key and api_secret), or set "
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)"
        )
    url = (base_url or env.get("SENDERPOOLS_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"base URL must start with http:// or https://, not {url!r}")
    url = url.removesuffix("/v1")  # paths carry the version; accept a base that already has it
    return Config(username, password, url)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of answers in ``statuses`` (and of lost connections) for calls that are safe to repeat.

    A call is safe to repeat when its method is idempotent (GET, DELETE...), when it only reads (Search,
    Resolve), or when it carries an idempotency key. ``Retry-After`` is honoured; without it the wait
    grows exponentially from ``backoff`` (with jitter) up to ``max_backoff``. At most ``max_attempts``
    attempts in all, and never more than ``max_wait`` seconds of waiting in total for one call.
    """

    max_attempts: int = 3
    max_wait: float = 60.0
    backoff: float = 0.5
    max_backoff: float = 8.0
    statuses: frozenset[int] = frozenset({429, 503})

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait before attempt ``attempt + 1``."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not cryptography


NO_RETRY = RetryPolicy(max_attempts=1)


# -- requests ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ApiRequest:
    method: str
    path: str  # starts with /v1
    params: Mapping[str, str] | None = None
    body: bytes | None = None
    idempotency_key: str | None = None
    read_only: bool = False  # a read sent with POST (Search, Resolve): repeating it changes nothing
    headers: Mapping[str, str] | None = None  # more request headers (If-Match)

    @property
    def retryable(self) -> bool:
        return self.method in IDEMPOTENT_METHODS or self.read_only or self.idempotency_key is not None


def json_body(value: Any) -> bytes:
    return msgspec.json.encode(value)


def format_date(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``; a naive datetime is taken to be UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- flows -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Send:
    request: httpx.Request


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


Action: TypeAlias = Send | Sleep
Flow: TypeAlias = Generator[Action, object, T]
"""Yields actions; receives an ``httpx.Response`` or ``httpx.TransportError`` after a Send, None after a Sleep."""


def run(flow: Flow[T], http: httpx.Client) -> T:
    """Drive a flow with blocking I/O."""
    try:
        action = next(flow)
        while True:
            outcome: object = None
            if isinstance(action, Sleep):
                time.sleep(action.seconds)
            else:
                try:
                    outcome = http.send(action.request)
                except httpx.TransportError as exc:
                    outcome = exc
            action = flow.send(outcome)
    except StopIteration as stop:
        return cast(T, stop.value)
    finally:
        flow.close()


async def arun(flow: Flow[T], http: httpx.AsyncClient) -> T:
    """Drive a flow with asyncio."""
    try:
        action = next(flow)
        while True:
            outcome: object = None
            if isinstance(action, Sleep):
                await asyncio.sleep(action.seconds)
            else:
                try:
                    outcome = await http.send(action.request)
                except httpx.TransportError as exc:
                    outcome = exc
            action = flow.send(outcome)
    except StopIteration as stop:
        return cast(T, stop.value)
    finally:
        flow.close()


def sleep(seconds: float) -> Flow[None]:
    yield Sleep(seconds)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def api_error(response: httpx.Response) -> ApiError:
    """The typed exception for an error answer, with every entry of its envelope."""
    try:
        errors = msgspec.json.decode(response.content, type=ErrorEnvelope).errors
    except (msgspec.DecodeError, msgspec.ValidationError):
        text = response.text.strip()[:500]
        errors = [ErrorDetail(message=text or response.reason_phrase or f"HTTP {response.status_code}")]
    cls = error_class(response.status_code)
    return cls(
        response.status_code,
        errors,
        method=response.request.method,
        url=str(response.request.url),
        retry_after=retry_after_seconds(response),
        headers=dict(response.headers),
    )


class Core:
    """Builds requests and runs them with the retry policy; the one place that knows HTTP.

    With ``extensions`` every request opts in to senderpools' extension fields (``Senderpools-Extensions:
    true``): a pool's ``deletion_protection``, an operation's ``type`` and ``sender_pool_id``. Other servers
    ignore the header."""

    def __init__(self, config: Config, retry: RetryPolicy, extensions: bool = True) -> None:
        self.config = config
        self.retry = retry
        self.extensions = extensions  # ask a senderpools server for its extension fields
        token = base64.b64encode(f"{config.username}:{config.password}".encode()).decode("ascii")
        self._authorization = f"Basic {token}"
        self._extensions = extensions

    def url(self, path: str) -> str:
        return self.config.base_url + path

    def build(self, request: ApiRequest) -> httpx.Request:
        headers = {"Authorization": self._authorization, "Accept": "application/json", "User-Agent": USER_AGENT}
        if self._extensions:
            headers[EXTENSIONS_HEADER] = "true"
        headers.update(request.headers or {})
        if request.body is not None:
            headers["Content-Type"] = "application/json"
        if self.extensions:
            headers[EXTENSIONS_HEADER] = "true"
        if request.idempotency_key is not None:
            headers["I-Twilio-Idempotency-Token"] = request.idempotency_key
            headers["Idempotency-Key"] = request.idempotency_key
        return httpx.Request(
            request.method, self.url(request.path), params=request.params, content=request.body, headers=headers
        )

    def send(self, request: ApiRequest) -> Flow[httpx.Response]:
        """The successful response, after the retries the policy allows; raises ApiError/ApiConnectionError."""
        built = self.build(request)
        policy, attempt, waited = self.retry, 1, 0.0
        while True:
            outcome = yield Send(built)
            if isinstance(outcome, httpx.Response):
                if outcome.is_success:
                    return outcome
                error: Exception = api_error(outcome)
                retry_after = retry_after_seconds(outcome)
                retry = outcome.status_code in policy.statuses
            elif isinstance(outcome, httpx.TransportError):
                error = ApiConnectionError(f"{request.method} {built.url}: {type(outcome).__name__}: {outcome}")
                error.__cause__ = outcome
                retry_after, retry = None, True
            else:  # pragma: no cover - a driver bug
                raise TypeError(f"unexpected outcome {outcome!r}")
            delay = policy.delay(attempt, retry_after)
            if not (
                retry and request.retryable and attempt < policy.max_attempts and waited + delay <= policy.max_wait
            ):
                raise error
            yield from sleep(delay)
            attempt, waited = attempt + 1, waited + delay

    def call(self, request: ApiRequest, type_: type[T]) -> Flow[T]:
        """Send, then decode the body as ``type_``."""
        response = yield from self.send(request)
        return decode(response, type_)

    def call_optional(self, request: ApiRequest, type_: type[T]) -> Flow[T | None]:
        """Send; decode the body as ``type_`` when there is one (None for 204 or an empty body)."""
        response = yield from self.send(request)
        if response.status_code == 204 or not response.content.strip():
            return None
        return decode(response, type_)


def decode(response: httpx.Response, type_: type[T]) -> T:
    try:
        return msgspec.json.decode(response.content, type=type_)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise UnexpectedResponseError(
            f"{response.request.method} {response.request.url} answered {response.status_code} with a body that is "
            f"not a {getattr(type_, '__name__', type_)}: {exc}"
        ) from exc
