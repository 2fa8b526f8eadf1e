"""``Client`` (blocking) and ``AsyncClient`` (asyncio): configuration plus the driver of the shared flows."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

import httpx

from senderpools.client._api import SenderPoolsApi, SendersApi
from senderpools.client._http import Core, Flow, RetryPolicy, arun, resolve_config, run
from senderpools.client.events import AsyncEvents, AsyncEventSinks, Events, EventsApi, EventSinks
from senderpools.client.resources import AsyncSenderPools, AsyncSenders, SenderPools, Senders

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0


class Client:
    """A blocking client for the Sender Pools API (Twilio's Comms API or a senderpools server).

    Credentials: ``account_sid`` + ``auth_token`` or ``api_key`` + ``api_secret``, else the environment
    (``TWILIO_API_KEY``/``TWILIO_API_SECRET``, then ``TWILIO_ACCOUNT_SID``/``TWILIO_AUTH_TOKEN``). The base URL
    is ``base_url``, else ``SENDERPOOLS_BASE_URL``, else ``https://comms.twilio.com``. Pass ``http_client``
    to use your own ``httpx.Client`` (it is then yours to close); ``retry`` sets the retry policy.
    ``extensions=False`` stops asking a senderpools server for its extension fields (the answers are then
    exactly the Comms API's): a pool's ``deletion_protection`` and ``selection``, an operation's ``type`` and
    ``sender_pool_id``, a sender's ``weight``, ``health`` and place.
    """

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        base_url: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        http_client: httpx.Client | None = None,
        extensions: bool = True,
    ) -> None:
        self._core = Core(
            resolve_config(account_sid, auth_token, api_key, api_secret, base_url), retry or RetryPolicy(), extensions
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(timeout=timeout)
        self.sender_pools = SenderPools(SenderPoolsApi(self._core), self._run)
        self.senders = Senders(SendersApi(self._core), self._run)
        self.events = Events(EventsApi(self._core), self._run)  # senderpools extension
        self.event_sinks = EventSinks(EventsApi(self._core), self._run)  # senderpools extension

    @property
    def base_url(self) -> str:
        return self._core.config.base_url

    def _run(self, flow: Flow[T]) -> T:
        return run(flow, self._http)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncClient:
    """The asyncio client: the same methods as ``Client``, awaited (lists are ``async for``)."""

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        base_url: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        http_client: httpx.AsyncClient | None = None,
        extensions: bool = True,
    ) -> None:
        self._core = Core(
            resolve_config(account_sid, auth_token, api_key, api_secret, base_url), retry or RetryPolicy(), extensions
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.AsyncClient(timeout=timeout)
        self.sender_pools = AsyncSenderPools(SenderPoolsApi(self._core), self._run)
        self.senders = AsyncSenders(SendersApi(self._core), self._run)
        self.events = AsyncEvents(EventsApi(self._core), self._run)
        self.event_sinks = AsyncEventSinks(EventsApi(self._core), self._run)

    @property
    def base_url(self) -> str:
        return self._core.config.base_url

    async def _run(self, flow: Flow[T]) -> T:
        return await arun(flow, self._http)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
