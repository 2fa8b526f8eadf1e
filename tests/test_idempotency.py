"""Idempotent retries over HTTP: Idempotency-Key / I-Twilio-Idempotency-Token on POST, PATCH and DELETE."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from senderpools import ids
from senderpools.errors import ServiceUnavailable
from senderpools.http.idempotency import body_digest
from senderpools.records import IdempotencyRecord
from senderpools.worker import OperationWorker
from tests.conftest import Account, Server
from tests.test_openapi import Contract
from tests.test_sender_pools import UNKNOWN_POOL, assert_error, many_unknown_senders, refs, running_server

KEY = "Idempotency-Key"
TWILIO_KEY = "I-Twilio-Idempotency-Token"
REPLAYED = "Idempotent-Replayed"


def create(account: Account, body: Any, key: str | None = None, header: str = KEY) -> httpx.Response:
    return account.post("/v1/SenderPools", json=body, headers={header: key} if key else {})


def pool_count(account: Account) -> int:
    return len(account.walk("/v1/SenderPools", "senderPools", 1000))


def operation_count(account: Account) -> int:
    return len(account.walk("/v1/SenderPools/Operations", "operations", 1000))


def assert_replay_of(replay: httpx.Response, original: httpx.Response) -> None:
    assert REPLAYED not in original.headers
    assert replay.headers[REPLAYED] == "true"
    assert replay.status_code == original.status_code
    assert replay.content == original.content
    for name in ("content-type", "location", "operation-id", "operation-location", "resource-location"):
        assert replay.headers.get(name) == original.headers.get(name), name


@pytest.fixture
def quick(tmp_path: Path, database_url: str) -> Iterator[Server]:
    """A server that waits only briefly for a request in progress (its lease stays the default 60 s)."""
    with running_server(tmp_path, database_url, idempotency_wait=0.1) as server:
        yield server


def claim_elsewhere(server: Server, account: Account, key: str, body: bytes, age_ms: int = 0) -> None:
    """What a node that claimed ``key`` for POST /v1/SenderPools ``age_ms`` ago, and has not answered, left."""
    claim = IdempotencyRecord("POST", "/v1/SenderPools", body_digest(body), ids.now_ms() - age_ms)
    assert server.call(server.store.claim_idempotency_key, account.account_sid, key, claim, 0, 0) is None


# -- replays -------------------------------------------------------------------------------------
def test_a_retried_create_returns_the_same_operation_without_doing_it_again(account: Account) -> None:
    body = {"name": "retry", "senders": refs(account.register_senders(2))}
    first = create(account, body, "create-1")
    assert first.status_code == 202, first.text
    again = create(account, body, "create-1")
    assert_replay_of(again, first)
    assert again.json()["operationId"] == first.json()["operationId"]
    assert pool_count(account) == 1 and operation_count(account) == 1


def test_the_twilio_header_is_a_synonym(account: Account) -> None:
    first = create(account, {"name": "t"}, "twilio-1", TWILIO_KEY)
    assert_replay_of(create(account, {"name": "t"}, "twilio-1", TWILIO_KEY), first)
    assert_replay_of(create(account, {"name": "t"}, "twilio-1", KEY), first)
    both = account.post("/v1/SenderPools", json={"name": "t"}, headers={KEY: "twilio-1", TWILIO_KEY: "twilio-1"})
    assert_replay_of(both, first)
    assert pool_count(account) == 1


def test_json_bodies_are_compared_after_normalization(account: Account) -> None:
    first = account.post(
        "/v1/SenderPools", content=b'{"name": "n", "tags": {"a": "1", "b": "2"}}', headers={KEY: "norm"}
    )
    assert first.status_code == 202
    again = account.post("/v1/SenderPools", content=b'{"tags":{"b":"2","a":"1"},"name":"n"}', headers={KEY: "norm"})
    assert_replay_of(again, first)


def test_update_delete_and_remove_replay_their_responses(account: Account) -> None:
    senders = account.register_senders(2)
    pool_id, _ = account.create_pool(senders=refs(senders))
    pool = f"/v1/SenderPools/{pool_id}"
    patched = account.patch(pool, json={"name": "x"}, headers={KEY: "patch"})
    assert_replay_of(account.patch(pool, json={"name": "x"}, headers={KEY: "patch"}), patched)
    removed = account.delete(f"{pool}/Senders/{senders[0]['id']}", headers={KEY: "remove"})
    assert removed.status_code == 202
    assert_replay_of(account.delete(f"{pool}/Senders/{senders[0]['id']}", headers={KEY: "remove"}), removed)
    deleted = account.delete(pool, headers={KEY: "delete"})
    assert deleted.status_code == 202
    assert_replay_of(account.delete(pool, headers={KEY: "delete"}), deleted)  # without the key: a 404 now
    assert_error(account.delete(pool), 404)


def test_a_204_without_body_is_replayed(account: Account) -> None:
    (sender,) = account.register_senders(1)
    first = account.delete(f"/v1/Senders/{sender['id']}", headers={KEY: "gone"})
    assert first.status_code == 204 and first.content == b""
    assert_replay_of(account.delete(f"/v1/Senders/{sender['id']}", headers={KEY: "gone"}), first)


def test_register_senders_is_not_repeated(account: Account) -> None:
    body = {"address": "+14155550100", "channel": "SMS"}
    first = account.post("/v1/Senders", json=body, headers={KEY: "register"})
    assert first.status_code == 201
    assert_replay_of(account.post("/v1/Senders", json=body, headers={KEY: "register"}), first)
    assert len(account.walk("/v1/Senders", "senders")) == 1


def test_client_errors_are_stored_and_replayed(account: Account) -> None:
    invalid = create(account, {"name": 7}, "bad")
    assert_error(invalid, 400, "$.name")
    assert_replay_of(create(account, {"name": 7}, "bad"), invalid)
    missing = account.patch(f"/v1/SenderPools/{UNKNOWN_POOL}", json={"name": "x"}, headers={KEY: "missing"})
    assert_error(missing, 404)
    assert_replay_of(
        account.patch(f"/v1/SenderPools/{UNKNOWN_POOL}", json={"name": "x"}, headers={KEY: "missing"}), missing
    )


def test_requests_without_a_key_are_not_deduplicated(account: Account) -> None:
    first, second = create(account, {"name": "same"}), create(account, {"name": "same"})
    assert first.json()["operationId"] != second.json()["operationId"]
    assert REPLAYED not in second.headers
    assert pool_count(account) == 2


def test_get_ignores_the_key(account: Account) -> None:
    account.create_pool()
    response = account.get("/v1/SenderPools", headers={KEY: "read"})
    assert response.status_code == 200 and REPLAYED not in response.headers
    assert account.get("/v1/SenderPools", headers={KEY: "read"}).headers.get(REPLAYED) is None


# -- conflicts -----------------------------------------------------------------------------------
def test_the_same_key_for_a_different_body_is_409(account: Account) -> None:
    assert create(account, {"name": "one"}, "reused").status_code == 202
    (error,) = assert_error(create(account, {"name": "two"}, "reused"), 409)
    assert "'reused'" in error["message"] and "different request" in error["message"]
    assert pool_count(account) == 1


def test_the_same_key_on_another_path_or_method_is_409(account: Account) -> None:
    pool_id, _ = account.create_pool()
    assert create(account, {}, "elsewhere").status_code == 202
    assert_error(account.patch(f"/v1/SenderPools/{pool_id}", json={}, headers={KEY: "elsewhere"}), 409)
    assert_error(account.delete(f"/v1/SenderPools/{pool_id}", headers={KEY: "elsewhere"}), 409)
    assert account.get(f"/v1/SenderPools/{pool_id}").status_code == 200


def test_keys_are_per_account(account: Account, other_account: Account) -> None:
    mine = create(account, {"name": "a"}, "shared-key")
    theirs = create(other_account, {"name": "b"}, "shared-key")
    assert mine.status_code == theirs.status_code == 202
    assert REPLAYED not in theirs.headers
    assert mine.json()["operationId"] != theirs.json()["operationId"]


def test_an_api_key_and_the_auth_token_share_the_accounts_keys(server: Server, account: Account) -> None:
    first = create(account, {"name": "k"}, "by-account")
    assert_replay_of(create(server.new_api_key(account), {"name": "k"}, "by-account"), first)


@pytest.mark.parametrize(
    "headers",
    [{KEY: "x" * 256}, {KEY: b"caf\xc3\xa9"}, {KEY: "one", TWILIO_KEY: "two"}],
)
def test_malformed_or_disagreeing_keys_are_400(account: Account, headers: dict[str, Any]) -> None:
    assert_error(account.post("/v1/SenderPools", json={}, headers=headers), 400)
    assert pool_count(account) == 0


def test_a_255_character_key_is_accepted(account: Account) -> None:
    first = create(account, {}, "k" * 255)
    assert_replay_of(create(account, {}, "k" * 255), first)


# -- failures, in progress, and the crash window --------------------------------------------------
def test_a_server_error_releases_the_key_so_a_retry_does_the_work(
    server: Server, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools = server.client.app.parts.services.pools  # type: ignore[attr-defined]

    async def unavailable(*args: Any) -> Any:
        raise ServiceUnavailable(retry_after=1)

    monkeypatch.setattr(pools, "create", unavailable)
    failed = create(account, {"name": "later"}, "after-failure")
    assert failed.status_code == 503 and failed.json()["errors"][0]["code"] == 20503
    monkeypatch.undo()
    retried = create(account, {"name": "later"}, "after-failure")
    assert retried.status_code == 202 and REPLAYED not in retried.headers
    assert_replay_of(create(account, {"name": "later"}, "after-failure"), retried)
    assert pool_count(account) == 1


def test_a_request_waits_for_its_twin_in_progress_then_replays_it(
    server: Server, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools = server.client.app.parts.services.pools  # type: ignore[attr-defined]
    real_create, started, finish = pools.create, threading.Event(), threading.Event()

    async def slow_create(*args: Any) -> Any:
        started.set()
        while not finish.is_set():
            await asyncio.sleep(0.01)
        return await real_create(*args)

    monkeypatch.setattr(pools, "create", slow_create)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(create, account, {"name": "slow"}, "twins")
        assert started.wait(10)
        second = pool.submit(create, account, {"name": "slow"}, "twins")
        time.sleep(0.2)  # the twin is now polling for the first one's response
        finish.set()
        original, replay = first.result(), second.result()
    assert_replay_of(replay, original)
    assert pool_count(account) == 1


def test_a_request_whose_twin_stays_in_progress_gets_409(quick: Server) -> None:
    account = quick.new_account()
    claim_elsewhere(quick, account, "stuck", b'{"name": "stuck"}')  # still working, or crashed after the work
    (error,) = assert_error(create(account, {"name": "stuck"}, "stuck"), 409)
    assert "in progress" in error["message"]
    assert pool_count(account) == 0


def test_after_the_lease_a_retry_takes_over_an_abandoned_key_and_does_the_work(quick: Server) -> None:
    account = quick.new_account()
    claim_elsewhere(quick, account, "crashed", b"{}", age_ms=61_000)  # older than the 60 s lease: abandoned
    taken_over = create(account, {}, "crashed")
    assert taken_over.status_code == 202 and REPLAYED not in taken_over.headers
    assert_replay_of(create(account, {}, "crashed"), taken_over)


# -- expiry ----------------------------------------------------------------------------------------
def test_expired_keys_are_ignored_and_purged_by_the_worker(tmp_path: Path, database_url: str) -> None:
    with running_server(tmp_path, database_url, idempotency_ttl=0.05) as server:
        account = server.new_account()
        first = create(account, {"name": "old"}, "expiring")
        time.sleep(0.1)
        fresh = create(account, {"name": "new"}, "expiring")  # a different body: no 409 once expired
        assert fresh.status_code == 202 and REPLAYED not in fresh.headers
        assert fresh.json()["operationId"] != first.json()["operationId"]
        time.sleep(0.1)
        worker = OperationWorker(server.store, idempotency_ttl=0.05)
        server.call(worker.run_once)
        assert server.call(server.store.purge_idempotency_keys, ids.now_ms(), 1000) == 0  # none left to purge


# -- concurrency -----------------------------------------------------------------------------------
def test_concurrent_requests_with_one_key_on_two_nodes_do_the_work_once(tmp_path: Path, database_url: str) -> None:
    with (
        running_server(tmp_path / "a", database_url) as node_a,
        running_server(tmp_path / "b", database_url) as node_b,
    ):
        account = node_a.new_account()
        twin = Account(node_b.client, account.sid, account.secret)
        body = {"name": "race", "senders": many_unknown_senders(2000)}
        barrier = threading.Barrier(8)

        def send(client: Account) -> httpx.Response:
            barrier.wait()
            return create(client, body, "race")

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(send, [account, twin] * 4))
        originals = [r for r in responses if r.status_code == 202 and REPLAYED not in r.headers]
        assert len(originals) == 1, [(r.status_code, r.headers.get(REPLAYED)) for r in responses]
        for response in responses:
            if response.status_code == 202:
                assert response.json() == originals[0].json()
            else:
                assert "in progress" in assert_error(response, 409)[0]["message"]
        assert pool_count(account) == pool_count(twin) == 1
        assert operation_count(account) == 1


# -- the document ---------------------------------------------------------------------------------
def test_replays_and_conflicts_answer_as_documented(server: Server, account: Account) -> None:
    contract = Contract(server)
    operation = contract.document["paths"]["/v1/SenderPools"]["post"]
    assert {"Idempotency-Key", "I-Twilio-Idempotency-Token"} <= {p["name"] for p in operation["parameters"]}
    assert "Idempotent-Replayed" in operation["responses"]["202"]["headers"]
    contract.check(create(account, {"name": "doc"}, "doc"), "/v1/SenderPools")
    contract.check(create(account, {"name": "doc"}, "doc"), "/v1/SenderPools")
    contract.check(create(account, {"name": "other"}, "doc"), "/v1/SenderPools")
    pool_id = account.get("/v1/SenderPools").json()["senderPools"][0]["id"]
    template = "/v1/SenderPools/{senderPoolId}"
    contract.check(account.delete(f"/v1/SenderPools/{pool_id}", headers={KEY: "x" * 300}), template)
    assert {status for *_, status in contract.seen} == {202, 409, 400}
