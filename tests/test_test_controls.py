"""Test controls over HTTP (/_test/): faults, operation pacing, reset and seed; off unless enabled."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from senderpools.client import Client, RetryPolicy, ServiceUnavailableError
from tests.conftest import Account, Server
from tests.test_openapi import Contract, embedded_schemas, operations, pointer, validator
from tests.test_sender_pools import BASE, assert_error, members, refs, running_server

DOCS = Path(__file__).resolve().parent.parent / "docs" / "test-controls.md"
FAULT_FIELDS = ["id", "method", "path", "status", "retryAfter", "latencyMs", "remaining", "probability", "createdAt"]
TEST_ROUTES = {
    ("POST", "/_test/Faults"),
    ("GET", "/_test/Faults"),
    ("DELETE", "/_test/Faults"),
    ("DELETE", "/_test/Faults/{faultId}"),
    ("GET", "/_test/Pacing"),
    ("PUT", "/_test/Pacing"),
    ("POST", "/_test/Reset"),
    ("POST", "/_test/Seed"),
}


@pytest.fixture
def controlled(tmp_path: Path, database_url: str) -> Iterator[Server]:
    with running_server(tmp_path, database_url, test_controls=True) as server:
        yield server


@pytest.fixture
def user(controlled: Server) -> Account:
    return controlled.new_account()


def arm(account: Account, **fault: Any) -> dict[str, Any]:
    response = account.post("/_test/Faults", json=fault)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert list(body) == FAULT_FIELDS
    assert response.headers["Location"] == f"{BASE}/_test/Faults/{body['id']}"
    return body


def faults(account: Account) -> list[dict[str, Any]]:
    response = account.get("/_test/Faults")
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["faults"]
    return listed


def pace(account: Account, **pacing: Any) -> dict[str, Any]:
    response = account.request("PUT", "/_test/Pacing", json=pacing)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def pool_count(account: Account) -> int:
    return len(account.walk("/v1/SenderPools", "senderPools", 1000))


def seed_example() -> dict[str, Any]:
    """The example seed file of docs/test-controls.md."""
    block = re.search(r"cat > seed.json <<'EOF'\n(.*?)\nEOF\n", DOCS.read_text(), re.S)
    assert block is not None
    example: dict[str, Any] = json.loads(block.group(1))
    return example


# -- availability and the document -------------------------------------------------------------------
def test_test_controls_are_off_by_default(server: Server, account: Account) -> None:
    for method, path in [("GET", "/_test/Faults"), ("POST", "/_test/Reset"), ("PUT", "/_test/Pacing")]:
        assert_error(account.request(method, path, json={}), 404)
    assert not [p for p in server.client.get("/openapi.json").json()["paths"] if p.startswith("/_test")]


def test_test_controls_need_the_accounts_credentials(controlled: Server, user: Account) -> None:
    assert_error(controlled.client.post("/_test/Reset"), 401)
    assert_error(user.post("/_test/Reset", auth=httpx.BasicAuth(user.sid, "wrong")), 401)
    key = controlled.new_api_key(user)
    assert key.get("/_test/Pacing").status_code == 200


def test_the_served_document_covers_every_test_control(controlled: Server) -> None:
    document = controlled.client.get("/openapi.json").json()
    documented = {(method.upper(), path) for path, method, _ in operations(document) if path.startswith("/_test")}
    assert documented == TEST_ROUTES
    assert "TestControls" in {tag["name"] for tag in document["tags"]}
    for _, schema in embedded_schemas(document):
        Draft202012Validator.check_schema(schema)
    for path, method, operation in operations(document):
        example = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example")
        if example is not None:
            where = pointer("paths", path, method, "requestBody", "content", "application/json", "schema")
            assert not list(validator(document, where).iter_errors(example)), (method, path)
    page = controlled.client.get("/docs").text
    assert "/_test/Faults/{faultId}" in page and "TestControls_seed" in page


def test_test_controls_answer_as_documented(controlled: Server, user: Account) -> None:
    contract = Contract(controlled)
    fault = contract.check(user.post("/_test/Faults", json={"path": "/nowhere", "status": 500}), "/_test/Faults")
    contract.check(user.post("/_test/Faults", json={}), "/_test/Faults")
    contract.check(user.get("/_test/Faults"), "/_test/Faults")
    contract.check(user.delete(f"/_test/Faults/{fault.json()['id']}"), "/_test/Faults/{faultId}")
    contract.check(user.delete("/_test/Faults/fault_01h9krwprkeee8fzqspvwy6nq8"), "/_test/Faults/{faultId}")
    contract.check(user.delete("/_test/Faults"), "/_test/Faults")
    contract.check(user.request("PUT", "/_test/Pacing", json={"itemsPerSecond": 5}), "/_test/Pacing")
    contract.check(user.request("PUT", "/_test/Pacing", json={"itemsPerSecond": 0}), "/_test/Pacing")
    contract.check(user.get("/_test/Pacing"), "/_test/Pacing")
    contract.check(user.post("/_test/Seed", json=seed_example()), "/_test/Seed")
    contract.check(user.post("/_test/Seed", json=seed_example()), "/_test/Seed")
    contract.check(user.post("/_test/Reset"), "/_test/Reset")
    assert contract.operations_seen() == TEST_ROUTES
    assert {status for *_, status in contract.seen} == {200, 201, 204, 400, 404, 409}


# -- faults --------------------------------------------------------------------------------------------
def test_a_counted_fault_fails_the_next_matching_requests_then_disappears(user: Account) -> None:
    fault = arm(user, method="POST", path="/v1/SenderPools", status=503, retryAfter=2, count=2)
    assert (fault["remaining"], fault["probability"], fault["latencyMs"]) == (2, None, 0)
    assert faults(user) == [fault]
    assert user.get("/v1/SenderPools").status_code == 200  # another method: untouched
    for _ in range(2):
        response = user.post("/v1/SenderPools", json={})
        assert response.status_code == 503 and response.headers["Retry-After"] == "2"
        (error,) = response.json()["errors"]
        assert error["code"] == 20503 and fault["id"] in error["message"]
    assert faults(user) == []
    assert user.post("/v1/SenderPools", json={}).status_code == 202
    assert pool_count(user) == 1  # the faulted requests changed nothing


@pytest.mark.parametrize(("status", "code", "retry_after"), [(429, 20429, "7"), (500, 20500, None)])
def test_faults_inject_429_and_500(user: Account, status: int, code: int, retry_after: str | None) -> None:
    arm(user, path="/v1/Senders", status=status, retryAfter=7)
    response = user.get("/v1/Senders")
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] == code
    assert response.headers.get("Retry-After") == retry_after
    assert user.get("/v1/Senders").status_code == 200


def test_a_probability_fault_stays_until_deleted(user: Account) -> None:
    always = arm(user, method="GET", path="/v1/*", status=503, probability=1)
    never = arm(user, method="GET", path="/v1/*", status=500, probability=0)
    assert (always["remaining"], always["probability"]) == (None, 1.0)
    for path in ("/v1/SenderPools", "/v1/Senders", "/v1/SenderPools/Operations"):
        assert user.get(path).status_code == 503
    assert user.delete(f"/_test/Faults/{always['id']}").status_code == 204
    assert_error(user.delete(f"/_test/Faults/{always['id']}"), 404)
    assert user.get("/v1/SenderPools").status_code == 200
    assert faults(user) == [never]


def test_faults_match_method_and_path_glob(user: Account) -> None:
    pool_id, _ = user.create_pool()
    arm(user, method="DELETE", path="/v1/SenderPools/*", status=500, count=3)
    assert user.get(f"/v1/SenderPools/{pool_id}").status_code == 200
    assert user.patch(f"/v1/SenderPools/{pool_id}", json={"name": "x"}).status_code == 202
    assert user.delete(f"/v1/SenderPools/{pool_id}").status_code == 500
    assert user.delete(f"/v1/SenderPools/{pool_id}/Senders/comms_sender_{'0' * 26}").status_code == 500
    assert user.get(f"/v1/SenderPools/{pool_id}").status_code == 200
    assert faults(user)[0]["remaining"] == 1


def test_a_latency_fault_delays_then_processes_the_request(user: Account) -> None:
    arm(user, method="POST", path="/v1/SenderPools", latencyMs=50, count=1)
    slowed = arm(user, method="POST", path="/v1/SenderPools", latencyMs=50, status=503, count=1)
    assert user.post("/v1/SenderPools", json={}).status_code == 202
    assert faults(user) == [slowed]
    assert user.post("/v1/SenderPools", json={}).status_code == 503
    assert pool_count(user) == 1


def test_faults_affect_only_their_account(controlled: Server, user: Account) -> None:
    other = controlled.new_account()
    arm(user, status=503, probability=1)
    assert user.get("/v1/Senders").status_code == 503
    assert other.get("/v1/Senders").status_code == 200
    assert faults(other) == []


def test_test_control_requests_are_never_faulted(user: Account) -> None:
    arm(user, path="*", status=500, probability=1)
    assert faults(user)[0]["path"] == "*"
    assert user.delete("/_test/Faults").status_code == 204
    assert user.get("/v1/Senders").status_code == 200


def test_a_faulted_request_does_not_claim_its_idempotency_key(user: Account) -> None:
    arm(user, method="POST", path="/v1/SenderPools", status=503, retryAfter=0)
    headers = {"Idempotency-Key": "through-a-fault"}
    assert user.post("/v1/SenderPools", json={"name": "k"}, headers=headers).status_code == 503
    done = user.post("/v1/SenderPools", json={"name": "k"}, headers=headers)
    assert done.status_code == 202 and "Idempotent-Replayed" not in done.headers
    assert user.post("/v1/SenderPools", json={"name": "k"}, headers=headers).headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    ("body", "contexts"),
    [
        ({}, ["$.status"]),
        ({"status": 404}, ["$.status"]),
        ({"status": 500, "count": 1, "probability": 0.5}, ["$.probability"]),
        ({"method": "FETCH", "latencyMs": -1, "probability": 2}, ["$.method", "$.latencyMs", "$.probability"]),
        ({"status": 503, "path": "v1/relative"}, ["$.path"]),
    ],
)
def test_invalid_faults_are_400(user: Account, body: dict[str, Any], contexts: list[str]) -> None:
    assert_error(user.post("/_test/Faults", json=body), 400, *contexts)
    assert faults(user) == []


# -- a client's retry logic, tested with faults -------------------------------------------------------
def test_a_retrying_client_creates_exactly_one_pool_through_injected_failures(
    controlled: Server, user: Account
) -> None:
    arm(user, method="POST", path="/v1/SenderPools", status=503, retryAfter=0)
    arm(user, method="POST", path="/v1/SenderPools", status=429, retryAfter=0)
    seen: list[int] = []
    controlled.client.event_hooks = {"request": [], "response": [lambda r: seen.append(r.status_code)]}
    policy = RetryPolicy(max_attempts=3)
    with Client(user.sid, user.secret, base_url=BASE, http_client=controlled.client, retry=policy) as client:
        pending = client.sender_pools.create("retried", idempotency_key="pool-1")
    assert seen == [503, 429, 202]
    assert pool_count(user) == 1
    listed = user.get("/v1/SenderPools", params={"operationId": pending.operation_id}).json()["senderPools"]
    assert [p["name"] for p in listed] == ["retried"]


def test_a_client_without_an_idempotency_key_does_not_retry_a_create(controlled: Server, user: Account) -> None:
    arm(user, method="POST", path="/v1/SenderPools", status=503, retryAfter=0)
    with (
        Client(user.sid, user.secret, base_url=BASE, http_client=controlled.client) as client,
        pytest.raises(ServiceUnavailableError) as failure,
    ):
        client.sender_pools.create("not retried")
    assert failure.value.retry_after == 0
    assert pool_count(user) == 0


# -- pacing --------------------------------------------------------------------------------------------
def test_pacing_defaults_to_normal_speed(user: Account) -> None:
    assert user.get("/_test/Pacing").json() == {"hold": False, "itemsPerSecond": None}


def test_hold_keeps_operations_processing_until_released(controlled: Server, user: Account) -> None:
    senders = user.register_senders(3)
    assert pace(user, hold=True) == {"hold": True, "itemsPerSecond": None}
    pool_id, held = user.create_pool(wait=False, senders=refs(senders))
    other = controlled.new_account()  # not held: the worker keeps working meanwhile
    _, done = other.create_pool(senders=refs(other.register_senders(2)))
    assert done["status"] == "COMPLETED"
    still = user.get(f"/v1/SenderPools/Operations/{held['id']}").json()
    assert still["status"] == "PROCESSING" and still["stats"]["queued"] == 3
    assert members(user, pool_id) == []
    assert pace(user, hold=False) == {"hold": False, "itemsPerSecond": None}
    released = user.wait_operation(held["id"])
    assert released["status"] == "COMPLETED" and released["stats"]["created"] == 4
    assert members(user, pool_id) == [s["id"] for s in senders]


def test_a_held_operation_can_be_canceled(user: Account) -> None:
    pace(user, hold=True)
    pool_id, held = user.create_pool(wait=False, senders=refs(user.register_senders(2)))
    canceled = user.post(f"/v1/SenderPools/Operations/{held['id']}/Cancel")
    assert canceled.status_code == 202 and canceled.json()["status"] == "CANCELED"
    pace(user)
    items = user.get(f"/v1/SenderPools/Operations/{held['id']}/Items").json()["items"]
    assert [i["outcome"] for i in items] == ["CREATED", "CANCELED", "CANCELED"]
    assert members(user, pool_id) == []


def test_items_per_second_shows_progress_step_by_step(user: Account) -> None:
    senders = user.register_senders(6)
    pace(user, itemsPerSecond=4)
    pool_id, operation = user.create_pool(wait=False, senders=refs(senders))
    progress = []
    while True:
        current = user.get(f"/v1/SenderPools/Operations/{operation['id']}").json()
        progress.append(current["stats"]["created"])
        if current["status"] != "PROCESSING":
            break
        time.sleep(0.02)
    assert progress == sorted(progress) and progress[-1] == 7
    assert any(1 < created < 7 for created in progress), progress  # seen part-way, not all at once
    assert len(members(user, pool_id)) == 6


def test_one_accounts_pacing_does_not_slow_other_accounts(controlled: Server, user: Account) -> None:
    # The worker applies a batch to the 32 oldest operations with work each round: an account paced to
    # 1 item/s with more of them (48, two items each: they take over a minute) must not hide another
    # account's newer operation.
    senders = refs(user.register_senders(2))
    pace(user, itemsPerSecond=1)
    paced_pool, _ = user.create_pool()
    paced = [user.post(f"/v1/SenderPools/{paced_pool}/Senders", json=senders).json()["operationId"] for _ in range(48)]
    other = controlled.new_account()
    started = time.monotonic()
    _, done = other.create_pool(senders=refs(other.register_senders(1)))
    took = time.monotonic() - started
    assert done["status"] == "COMPLETED" and done["stats"]["created"] == 2, done
    assert took < 5, took
    still = [user.get(f"/v1/SenderPools/Operations/{op}").json()["status"] for op in paced]
    assert still.count("PROCESSING") >= 40, still  # the paced account is still paced


def test_pacing_is_shared_by_every_node(tmp_path: Path, database_url: str, controlled: Server, user: Account) -> None:
    pace(user, hold=True, itemsPerSecond=3)
    with running_server(tmp_path / "node-b", database_url, test_controls=True) as node_b:
        twin = Account(node_b.client, user.sid, user.secret)
        assert twin.get("/_test/Pacing").json() == {"hold": True, "itemsPerSecond": 3}


def test_invalid_pacing_is_400(user: Account) -> None:
    assert_error(
        user.request("PUT", "/_test/Pacing", json={"hold": "yes", "itemsPerSecond": 0}),
        400,
        "$.hold",
        "$.itemsPerSecond",
    )
    assert_error(user.request("PUT", "/_test/Pacing", json=[]), 400, "$")
    assert user.get("/_test/Pacing").json() == {"hold": False, "itemsPerSecond": None}


# -- reset and seed ------------------------------------------------------------------------------------
def test_reset_deletes_the_accounts_data_and_nothing_else(controlled: Server, user: Account) -> None:
    other = controlled.new_account()
    other_pool, _ = other.create_pool(senders=refs(other.register_senders(1)))
    senders = user.register_senders(3)
    pool_id, _ = user.create_pool(senders=refs(senders[:2]))
    user.create_pool(name="second")
    assert user.post("/v1/SenderPools", json={"name": "k"}, headers={"Idempotency-Key": "before"}).status_code == 202
    pace(user, hold=True)
    arm(user, path="/nowhere", status=500)
    response = user.post("/_test/Reset")
    assert response.status_code == 200
    assert response.json() == {"senderPools": 3, "senders": 3, "operations": 3}
    assert user.get("/v1/SenderPools").json()["senderPools"] == []
    assert user.get("/v1/Senders").json()["senders"] == []
    assert user.get("/v1/SenderPools/Operations").json()["operations"] == []
    assert_error(user.get(f"/v1/SenderPools/{pool_id}"), 404)
    assert user.get("/_test/Pacing").json() == {"hold": False, "itemsPerSecond": None}
    assert faults(user) == []
    reused = user.post("/v1/SenderPools", json={"name": "other body"}, headers={"Idempotency-Key": "before"})
    assert reused.status_code == 202 and "Idempotent-Replayed" not in reused.headers  # the key was forgotten
    assert members(other, other_pool) != [] and len(other.walk("/v1/Senders", "senders")) == 1
    assert user.post("/_test/Reset").json() == {"senderPools": 1, "senders": 0, "operations": 1}


def test_seed_loads_senders_and_pools_with_their_members_at_once(user: Account) -> None:
    seed = seed_example()
    response = user.post("/_test/Seed", json=seed)
    assert response.status_code == 201, response.text
    body = response.json()
    assert list(body) == ["senders", "senderPools"]
    assert [(s["address"], s["channel"]) for s in body["senders"]] == [
        (s["address"], s["channel"]) for s in seed["senders"]
    ]
    assert body["senders"][0]["displayName"] == "Support" and body["senders"][3]["status"] == "DEACTIVATED"
    assert body["senders"] == user.walk("/v1/Senders", "senders")
    support, empty = body["senderPools"]
    assert (support["name"], support["tags"], empty["name"], empty["tags"]) == (
        "Support",
        {"team": "support"},
        "Empty",
        {},
    )
    assert body["senderPools"] == user.walk("/v1/SenderPools", "senderPools")
    assert members(user, support["id"]) == [body["senders"][0]["id"], body["senders"][2]["id"]]
    assert members(user, empty["id"]) == []
    assert user.get("/v1/SenderPools/Operations").json()["operations"] == []


def test_seed_is_all_or_nothing_on_a_taken_address(user: Account) -> None:
    user.post("/v1/Senders", json={"address": "+14155550101", "channel": "WHATSAPP"})
    (error,) = assert_error(user.post("/_test/Seed", json=seed_example()), 409, "$.senders[1]")
    assert "+14155550101" in error["message"]
    assert len(user.walk("/v1/Senders", "senders")) == 1 and pool_count(user) == 0


def test_seed_rejects_members_that_are_not_seed_senders(user: Account) -> None:
    body = {
        "senders": [{"address": "a@example.com", "channel": "EMAIL"}, {"address": "+1", "channel": "SMS"}],
        "senderPools": [
            {"senders": [{"channel": "EMAIL", "address": "a@example.com"}, {"channel": "SMS", "address": "+1415"}]},
            {"senders": [{"channel": "EMAIL", "address": "a@example.com"}] * 2},
        ],
    }
    assert_error(user.post("/_test/Seed", json=body), 400, "$.senders[1].address")
    body["senders"] = body["senders"][:1]
    assert_error(user.post("/_test/Seed", json=body), 400, "$.senderPools[0].senders[1]", "$.senderPools[1].senders[1]")
    repeated = {"senders": [{"address": "a@example.com", "channel": "EMAIL"}] * 2}
    assert_error(user.post("/_test/Seed", json=repeated), 409, "$.senders[1]")
    assert user.get("/v1/Senders").json()["senders"] == []
