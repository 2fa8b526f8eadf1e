"""Shared fixtures: a real app (real SQLite file, real background worker) driven over HTTP.

``TestClient`` runs the app's lifespan and event loop in a background thread, so the operation
worker keeps applying items between requests exactly as it does under granian.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from senderpools.composition import create_app
from senderpools.config import Settings
from senderpools.service import credentials
from tests import procs
from tests.nodes import assert_no_orphan_memberships
from tests.postgres_cluster import PostgresCluster


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """In-process tests hash new credentials with a small scrypt work factor: hashing is the same
    code path, each hash records its own parameters, and a test checks the production default."""
    default = credentials.SCRYPT_N
    credentials.SCRYPT_N = 2**10
    yield
    credentials.SCRYPT_N = default


class Account:
    """An HTTP client authenticated as one account (or one of its API keys)."""

    def __init__(self, client: TestClient, sid: str, secret: str, account_sid: str | None = None) -> None:
        self.client = client
        self.sid = sid
        self.secret = secret
        self.account_sid = account_sid or sid
        self.auth = httpx.BasicAuth(sid, secret)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("auth", self.auth)
        return self.client.request(method, path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    # -- conveniences used across the suite ---------------------------------------------------------
    def register_senders(self, count: int, channel: str = "SMS", start: int = 0, **fields: Any) -> list[dict[str, Any]]:
        """Register ``count`` senders with distinct addresses; returns the created Sender objects."""
        if channel == "EMAIL":
            addresses = [f"sender{start + i}@example.com" for i in range(count)]
        elif channel == "PUSH":
            addresses = [f"push-token-{start + i}" for i in range(count)]
        else:
            addresses = [f"+1415{start + i:07d}" for i in range(count)]
        body = [{"address": a, "channel": channel, **fields} for a in addresses]
        response = self.post("/v1/Senders", json=body)
        assert response.status_code == 201, response.text
        senders: list[dict[str, Any]] = response.json()["senders"]
        return senders

    def wait_operation(self, operation_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll until the operation leaves PROCESSING; returns the final operation."""
        return procs.wait_operation(self, operation_id, timeout)

    def create_pool(self, wait: bool = True, **body: Any) -> tuple[str, dict[str, Any]]:
        """Create a pool; returns (pool id, operation). Waits for the operation unless told not to."""
        response = self.post("/v1/SenderPools", json=body)
        assert response.status_code == 202, response.text
        operation_id = response.json()["operationId"]
        listed = self.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"]
        assert len(listed) == 1, listed
        operation = self.wait_operation(operation_id) if wait else {"id": operation_id}
        return listed[0]["id"], operation

    def walk(self, path: str, key: str, page_size: int = 50, **filters: Any) -> list[dict[str, Any]]:
        """Every item of a paginated list, following ``next`` tokens."""
        return procs.walk(self, path, key, page_size, **filters)


class Server:
    """A running app plus the means to make accounts in it."""

    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    @property
    def store(self) -> Any:
        return self.client.app.parts.store  # type: ignore[attr-defined]

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run an async function on the app's own event loop (where its store lives)."""
        assert self.client.portal is not None
        return self.client.portal.call(fn, *args)

    def new_account(self) -> Account:
        sid, token, _ = self.call(credentials.create_account, self.store)
        return Account(self.client, sid, token)

    def new_api_key(self, account: Account) -> Account:
        sid, secret = self.call(credentials.create_api_key, self.store, account.account_sid)
        return Account(self.client, sid, secret, account.account_sid)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path}/senderpools.db",
        "worker_poll_interval": 0.05,
        "rate_limit": 0.0,
    }
    values.update(overrides)
    return Settings(**values)


# Every test that uses `server` runs on each backend; narrow with SENDERPOOLS_TEST_BACKENDS=sqlite.
BACKENDS = os.environ.get("SENDERPOOLS_TEST_BACKENDS", "sqlite,postgresql").split(",")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL cluster for the whole run, started on first use."""
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database on the backend under test."""
    if backend != "postgresql":
        yield f"sqlite:///{tmp_path}/senderpools.db"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    yield cluster.empty_database()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url=database_url)


@pytest.fixture
def no_orphan_memberships(database_url: str) -> Iterator[None]:
    """Checks after the test that no membership row outlives its pool (``nodes.assert_no_orphan_memberships``)."""
    yield
    assert_no_orphan_memberships(database_url)


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with TestClient(create_app(settings), base_url="http://testserver", raise_server_exceptions=False) as client:
        yield Server(client, settings)


@pytest.fixture
def account(server: Server) -> Account:
    return server.new_account()


@pytest.fixture
def other_account(server: Server) -> Account:
    return server.new_account()
