"""A pytest plugin for testing your own app against senderpools, the stand-in for Twilio's Comms API.

Installing senderpools registers it (entry point ``pytest11``); ``pytest -p no:senderpools`` turns it
off. Nothing starts until a test asks for one of its fixtures:

- ``senderpools``: the server, with its account reset for this test (no pools, senders, operations,
  faults or pacing left from earlier tests). It has ``base_url``, ``account_sid``, ``auth_token``,
  ``api_key``, ``api_secret``, and the test controls: ``fault(...)``, ``pacing(...)``, ``seed(...)``.
- ``senderpools_client``: a senderpools SDK ``Client`` for the account.
- ``senderpools_env``: points an app that reads ``TWILIO_*`` variables at the server (for this test):
  ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``TWILIO_API_KEY``, ``TWILIO_API_SECRET``, and the
  base URL in each variable ``senderpools_base_url_vars`` names (override that fixture in your conftest.py).
- ``senderpools_server``: the server itself, started once per test run (no reset).

The server is senderpools itself (the same HTTP server, granian, as ``senderpools serve``), started in
this process on a free loopback port, in a background thread with its own event loop, on a temporary
SQLite database, with test controls on and the operation worker running.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:  # the plugin loads with every pytest run: the server is imported only when a test needs it
    from senderpools.client import Client
    from senderpools.composition import ServerApp
    from senderpools.config import Settings
    from senderpools.testing.wire import Fault, Pacing, ResetResult, SeedResult

T = TypeVar("T")

START_TIMEOUT = 30.0


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """senderpools on a loopback port, served by granian's embedded server in a background thread that
    runs its own event loop (the app's store and worker live on that loop)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = 0
        self.app: ServerApp | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Serve on a free port; returns once ``/healthz`` answers (tries another port if one was taken)."""
        for _ in range(3):
            self._start_once()
            if self._wait_healthy():
                return
            self.stop()
        raise RuntimeError(f"senderpools did not start on {self.base_url}: {self._failure!r}")

    def _start_once(self) -> None:
        from granian.constants import Interfaces
        from granian.server.embed import Server

        from senderpools.composition import create_app

        self.port = free_port()
        self._failure = None
        self.app = create_app(self.settings)
        self._server = Server(
            self.app,
            address="127.0.0.1",
            port=self.port,
            interface=Interfaces.ASGI,
            websockets=False,
            log_enabled=False,
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=f"senderpools:{self.port}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._server.serve())
        except BaseException as exc:  # reported by start(); the thread must not die silently
            self._failure = exc
        finally:
            self._loop.close()

    def _wait_healthy(self) -> bool:
        import httpx

        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self._thread is not None and self._thread.is_alive():
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2.0).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.01)
        return False

    def call(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """Run ``await fn(*args)`` on the server's event loop (where its store lives) and return the result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(fn(*args), self._loop).result(timeout=60)

    def create_account(self) -> tuple[str, str]:
        """A new account's SID and auth token."""
        from senderpools.service import credentials

        assert self.app is not None
        sid, token, _ = self.call(credentials.create_account, self.app.parts.store)
        return sid, token

    def create_api_key(self, account_sid: str) -> tuple[str, str]:
        """A new API key (SID, secret) of the account."""
        from senderpools.service import credentials

        assert self.app is not None
        return self.call(credentials.create_api_key, self.app.parts.store, account_sid)

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._server.stop)
            self._thread.join(timeout=30)
        self._thread = None

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Senderpools:
    """The server as one test sees it: where it is, the account's credentials, and its test controls."""

    base_url: str
    account_sid: str
    auth_token: str
    api_key: str
    api_secret: str

    def client(self) -> Client:
        """A senderpools SDK client for the account (close it, or use it in a ``with``)."""
        from senderpools.client import Client

        return Client(self.account_sid, self.auth_token, base_url=self.base_url)

    def _control(self, endpoint: Any, body: Any = None) -> Any:
        """Call a test control (``senderpools.testing.endpoints``) and decode its declared reply."""
        import httpx
        import msgspec

        response = httpx.request(
            endpoint.method,
            self.base_url + endpoint.path,
            auth=(self.account_sid, self.auth_token),
            content=None if body is None else msgspec.json.encode(body),
            headers={"Content-Type": "application/json"},
            timeout=30.0,
        )
        if response.status_code != endpoint.status:
            raise AssertionError(f"{endpoint.method} {endpoint.path} answered {response.status_code}: {response.text}")
        return None if endpoint.returns is None else msgspec.json.decode(response.content, type=endpoint.returns)

    def reset(self) -> ResetResult:
        """Delete the account's pools, senders, operations, idempotency keys, faults and pacing."""
        from senderpools.testing import endpoints

        result: ResetResult = self._control(endpoints.reset)
        return result

    def fault(self, **fields: Any) -> Fault:
        """Arm a fault (``/_test/Faults``): e.g. ``fault(method="POST", path="/v1/SenderPools", status=503,
        retry_after=0, count=2)``; ``latency_ms``, ``probability`` as in docs/test-controls.md."""
        from senderpools.testing import endpoints, wire

        fault: Fault = self._control(endpoints.create_fault, wire.FaultRequest(**fields))
        return fault

    def faults(self) -> list[Fault]:
        """The armed faults, with the requests each has left (used-up ones are gone)."""
        from senderpools.testing import endpoints

        armed: list[Fault] = self._control(endpoints.list_faults).faults
        return armed

    def clear_faults(self) -> None:
        from senderpools.testing import endpoints

        self._control(endpoints.clear_faults)

    def pacing(self, *, hold: bool = False, items_per_second: int | None = None) -> Pacing:
        """Hold the account's operations (``hold=True``: they stay PROCESSING), slow them down, or
        (no arguments) restore normal speed."""
        from senderpools.testing import endpoints, wire

        pacing: Pacing = self._control(
            endpoints.update_pacing, wire.Pacing(hold=hold, items_per_second=items_per_second)
        )
        return pacing

    def seed(self, body: dict[str, Any]) -> SeedResult:
        """Register senders and create pools with them in one call (``/_test/Seed``; same JSON)."""
        from senderpools.testing import endpoints

        seeded: SeedResult = self._control(endpoints.seed, body)
        return seeded


def plugin_settings(database_path: Path) -> Settings:
    """How the plugin's server runs: SQLite in a temporary directory, test controls on, a quick worker."""
    from senderpools.config import Settings

    return Settings(database_url=f"sqlite:///{database_path}", test_controls=True, worker_poll_interval=0.05)


@pytest.fixture(scope="session")
def senderpools_server() -> Iterator[Senderpools]:
    """senderpools, started once per test run (on first use); its state is NOT reset between tests."""
    with (
        tempfile.TemporaryDirectory(prefix="senderpools-") as directory,
        LiveServer(plugin_settings(Path(directory) / "senderpools.db")) as live,
    ):
        sid, token = live.create_account()
        key, secret = live.create_api_key(sid)
        yield Senderpools(live.base_url, sid, token, key, secret)


@pytest.fixture
def senderpools(senderpools_server: Senderpools) -> Senderpools:
    """The server, with its account reset for this test."""
    senderpools_server.reset()
    return senderpools_server


@pytest.fixture
def senderpools_client(senderpools: Senderpools) -> Iterator[Client]:
    """A senderpools SDK client for the (reset) account."""
    with senderpools.client() as client:
        yield client


@pytest.fixture(scope="session")
def senderpools_base_url_vars() -> tuple[str, ...]:
    """The variables ``senderpools_env`` sets to the server's base URL: override to name your app's own."""
    return ("SENDERPOOLS_BASE_URL",)


@pytest.fixture
def senderpools_env(
    senderpools: Senderpools, senderpools_base_url_vars: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> Senderpools:
    """Point ``TWILIO_*`` variables (and the base URL variables) at the server for this test."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", senderpools.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", senderpools.auth_token)
    monkeypatch.setenv("TWILIO_API_KEY", senderpools.api_key)
    monkeypatch.setenv("TWILIO_API_SECRET", senderpools.api_secret)
    for name in senderpools_base_url_vars:
        monkeypatch.setenv(name, senderpools.base_url)
    return senderpools
