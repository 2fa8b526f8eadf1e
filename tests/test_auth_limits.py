"""Auth hardening: failed authentication is throttled per client, and verification is constant-time by construction."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from senderpools import ids
from senderpools.config import Settings
from senderpools.service import credentials
from tests.conftest import Account, Server
from tests.procs import ServerProcess, bootstrap_credentials, clean_env, start_server

BURST, RATE = 8, 0.5  # small, so a test exhausts it quickly and it does not refill meanwhile


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str, str]]:
    """A real server on loopback with a small failed-auth budget; clients come from distinct 127.0.0.x addresses."""
    tmp = tmp_path_factory.mktemp("authlimits")
    env = clean_env(SENDERPOOLS_AUTH_FAILURE_LIMIT=str(RATE), SENDERPOOLS_AUTH_FAILURE_BURST=str(BURST))
    server = start_server(tmp / "logs", tmp / "senderpools.db", env=env)
    try:
        bootstrap = bootstrap_credentials(server.stdout)
        assert bootstrap is not None, server.describe()
        yield server, *bootstrap
    finally:
        server.stop()


def _from(server: ServerProcess, address: str, auth: tuple[str, str] | None) -> httpx.Client:
    """A client whose connections come from ``address`` (any 127.0.0.0/8 address is loopback)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.base_url, auth=auth, transport=transport, timeout=30.0)


def _fail_until_throttled(client: httpx.Client, limit: int) -> list[int]:
    statuses = []
    for _ in range(limit):
        statuses.append(client.get("/v1/SenderPools").status_code)
        if statuses[-1] == 429:
            break
    return statuses


def test_repeated_failed_auth_is_throttled_with_429_and_retry_after(served: tuple[ServerProcess, str, str]) -> None:
    server, sid, _ = served
    with _from(server, "127.0.0.2", (sid, "wrong-token")) as guesser:
        statuses = _fail_until_throttled(guesser, BURST + 5)
        assert statuses == [401] * BURST + [429]
        throttled = guesser.get("/v1/Senders")
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert [e["code"] for e in throttled.json()["errors"]] == [20429]


def test_throttled_client_is_refused_even_with_correct_credentials(served: tuple[ServerProcess, str, str]) -> None:
    """Once over budget the client is answered before its credentials are looked at (no scrypt for it)."""
    server, sid, token = served
    with _from(server, "127.0.0.3", (sid, "wrong-token")) as guesser:
        assert _fail_until_throttled(guesser, BURST + 5)[-1] == 429
    with _from(server, "127.0.0.3", (sid, token)) as same_client:
        assert same_client.get("/v1/SenderPools").status_code == 429


def test_other_clients_keep_working_while_one_is_throttled(served: tuple[ServerProcess, str, str]) -> None:
    server, sid, token = served
    with _from(server, "127.0.0.4", ("AC" + "0" * 32, "guess")) as guesser:
        assert _fail_until_throttled(guesser, BURST + 5)[-1] == 429
    with _from(server, "127.0.0.5", (sid, token)) as honest:
        assert honest.get("/v1/SenderPools").status_code == 200
    with _from(server, "127.0.0.6", (sid, "typo")) as other:
        assert other.get("/v1/SenderPools").status_code == 401  # its own budget, untouched


def test_correct_credentials_are_never_charged(served: tuple[ServerProcess, str, str]) -> None:
    server, sid, token = served
    with _from(server, "127.0.0.7", (sid, token)) as client:
        statuses = {client.get("/v1/SenderPools").status_code for _ in range(BURST * 4)}
    assert statuses == {200}


def test_missing_and_malformed_credentials_count_as_failures(served: tuple[ServerProcess, str, str]) -> None:
    server, _, _ = served
    with _from(server, "127.0.0.8", None) as anonymous:
        headers = [{}, {"Authorization": "Basic !!"}, {"Authorization": "Bearer x"}]
        statuses = [anonymous.get("/v1/Senders", headers=headers[i % 3]).status_code for i in range(BURST + 1)]
    assert statuses == [401] * BURST + [429]


class HashCalls:
    """Counts scrypt verifications and digest comparisons made while checking credentials."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.verifications: list[str] = []
        self.comparisons = 0
        real_verify, real_compare = credentials.verify_secret, hmac.compare_digest

        def verify(secret: str, stored: str) -> bool:
            self.verifications.append(stored)
            return real_verify(secret, stored)

        def compare(a: Any, b: Any) -> bool:
            self.comparisons += 1
            return real_compare(a, b)

        monkeypatch.setattr(credentials, "verify_secret", verify)
        monkeypatch.setattr(credentials.hmac, "compare_digest", compare)

    def reset(self) -> None:
        self.verifications.clear()
        self.comparisons = 0


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> HashCalls:
    return HashCalls(monkeypatch)


def _status(server: Server, sid: str, secret: str) -> int:
    return Account(server.client, sid, secret).get("/v1/SenderPools").status_code


def test_unknown_sid_costs_one_scrypt_like_a_wrong_secret(
    server: Server, account: Account, hash_calls: HashCalls
) -> None:
    assert _status(server, account.sid, "wrong-" + account.secret) == 401
    wrong_secret = list(hash_calls.verifications)
    hash_calls.reset()
    assert _status(server, ids.new_account_sid(), account.secret) == 401
    unknown_sid = list(hash_calls.verifications)
    assert len(wrong_secret) == len(unknown_sid) == 1
    assert unknown_sid == [credentials._DUMMY_HASH]  # a real scrypt hash with the production work factor
    assert credentials._DUMMY_HASH.split("$")[:2] == ["scrypt", str(2**14)]


def test_digests_are_compared_with_hmac_compare_digest(server: Server, account: Account, hash_calls: HashCalls) -> None:
    assert _status(server, account.sid, "wrong-" + account.secret) == 401
    assert hash_calls.comparisons == 1
    hash_calls.reset()
    assert _status(server, ids.new_api_key_sid(), "anything") == 401  # unknown SID: compared against the dummy
    assert hash_calls.comparisons == 1


def test_verified_credentials_skip_scrypt_until_revalidated(
    server: Server, account: Account, hash_calls: HashCalls
) -> None:
    assert _status(server, account.sid, account.secret) == 200
    assert len(hash_calls.verifications) == 1
    for _ in range(5):
        assert _status(server, account.sid, account.secret) == 200
    assert len(hash_calls.verifications) == 1  # cached under a keyed digest, not the plaintext


def test_failed_auth_throttling_is_on_by_default() -> None:
    defaults = Settings()
    assert (defaults.auth_failure_limit, defaults.auth_failure_burst) == (10.0, 50.0)
