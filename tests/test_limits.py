"""Rate limiting per account, and hostile input: always a documented 4xx in the envelope, never a 5xx."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from senderpools.composition import create_app
from tests.conftest import Account, Server, make_settings
from tests.test_isolation import Tenant, snapshot
from tests.test_senders import expect_error

SQL = "'; DROP TABLE senders;--"
NEVER_POOL = "comms_senderpool_01hzzzzzzzzzzzzzzzzzzzzzzz"


@contextlib.contextmanager
def running(tmp_path: Path, database_url: str, **overrides: Any) -> Iterator[Server]:
    """A server with custom settings on the database of the backend under test."""
    settings = make_settings(tmp_path, database_url=database_url, **overrides)
    with TestClient(create_app(settings), base_url="http://testserver", raise_server_exceptions=False) as client:
        yield Server(client, settings)


def state(account: Account) -> dict[str, Any]:
    return snapshot(Tenant(account, account))


@pytest.fixture
def populated(account: Account) -> dict[str, Any]:
    """An account with senders on several channels, a pool with members and an add operation."""
    senders = account.register_senders(3) + account.register_senders(2, channel="PUSH", displayName="app")
    pool_id, _ = account.create_pool(name="main", tags={"env": "prod"}, senders=[{"senderId": senders[0]["id"]}])
    response = account.post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": s["id"]} for s in senders[1:]])
    account.wait_operation(response.json()["operationId"])
    return {"pool": pool_id, "senders": senders, "state": state(account)}


def body_endpoints(pool_id: str, sender_id: str) -> list[tuple[str, str]]:
    """Every endpoint that reads a JSON body (the pool and sender exist, so the body is what is judged)."""
    return [
        ("POST", "/v1/SenderPools"),
        ("PATCH", f"/v1/SenderPools/{pool_id}"),
        ("POST", f"/v1/SenderPools/{pool_id}/Senders"),
        ("POST", "/v1/Senders"),
        ("PATCH", f"/v1/Senders/{sender_id}"),
        ("POST", "/v1/Senders/Search"),
        ("POST", "/v1/Senders/Resolve"),
    ]


def send_raw(account: Account, method: str, path: str, body: bytes) -> httpx.Response:
    return account.request(method, path, content=body, headers={"content-type": "application/json"})


# -- rate limiting ----------------------------------------------------------------------------------


# A burst of 5, refilled at one token per 20 s: the 6th quick request is limited however slow the machine is
# (at the usual 5/s a loaded machine refills the bucket between requests and the test would depend on speed).
LIMITED = {"rate_limit": 0.05, "rate_burst": 5}


def test_rate_limit_answers_429_after_the_burst_per_account(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, **LIMITED) as server:
        busy, calm = server.new_account(), server.new_account()
        busy_key = server.new_api_key(busy)
        for _ in range(5):
            assert busy.get("/v1/Senders").status_code == 200
        limited = busy.get("/v1/Senders")
        expect_error(limited, 429, 20429, ["null"])
        retry_after = limited.headers["retry-after"]
        assert retry_after.isdigit() and int(retry_after) >= 1
        expect_error(busy_key.post("/v1/Senders", json={"address": "+14155550100", "channel": "SMS"}), 429, 20429)
        assert calm.get("/v1/Senders").status_code == 200
        assert calm.post("/v1/Senders", json={"address": "+14155550100", "channel": "SMS"}).status_code == 201
        assert busy.get("/v1/Senders").status_code == 429


def test_rate_limit_does_not_hide_bad_credentials(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, **LIMITED) as server:
        account = server.new_account()
        wrong = httpx.BasicAuth(account.sid, "wrong")
        for _ in range(8):
            expect_error(server.client.get("/v1/Senders", auth=wrong), 401, 20003)
        assert account.get("/v1/Senders").status_code == 200


# -- malformed bodies -------------------------------------------------------------------------------

HOSTILE_BODIES = {
    "invalid UTF-8": b'{"name": "\xff\xfe", "address": "\xc3\x28", "channel": "SMS"}',
    "lone surrogate": b'{"name": "\\ud800", "address": "\\udfff", "channel": "SMS"}',
    "deeply nested arrays": b"[" * 100_000,
    "deeply nested, balanced": b"[" * 100_000 + b"]" * 100_000,
    "deeply nested objects": b'{"name":' * 50_000 + b"1" + b"}" * 50_000,
    "null": b"null",
    "number": b"42",
    "huge number": b"1" * 5000,
    "string": b'"hello"',
    "boolean": b"true",
    "array of nulls": b"[null, null]",
    "truncated": b'{"name": "a',
    "trailing garbage": b'{"name": "a"} {"name": "b"}',
    "byte order mark": b'\xef\xbb\xbf{"name": "a"}',
    "not JSON": b"name=a&tags=b",
}


def test_hostile_bodies_are_400_everywhere(account: Account, populated: dict[str, Any]) -> None:
    for kind, body in HOSTILE_BODIES.items():
        for method, path in body_endpoints(populated["pool"], populated["senders"][0]["id"]):
            expect_error(send_raw(account, method, path, body), 400, 20001, case=(kind, method, path))
    assert state(account) == populated["state"]


def test_non_json_content_type_is_415(account: Account, populated: dict[str, Any]) -> None:
    for method, path in body_endpoints(populated["pool"], populated["senders"][0]["id"]):
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
            response = account.request(method, path, content=b"{}", headers={"content-type": content_type})
            expect_error(response, 415, 20415)
    assert state(account) == populated["state"]


def test_body_over_the_cap_is_413(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, max_body_bytes=4096) as server:
        account = server.new_account()
        body = [{"address": f"+1415{i:07d}", "channel": "SMS"} for i in range(200)]
        expect_error(account.post("/v1/Senders", json=body), 413, 20413)
        chunks = iter([b'[{"address": "+14155550100", "channel": "SMS"}', b" " * 8192, b"]"])
        streamed = account.post("/v1/Senders", content=chunks, headers={"content-type": "application/json"})
        expect_error(streamed, 413, 20413)
        assert account.get("/v1/Senders").json()["senders"] == []


# -- hostile strings --------------------------------------------------------------------------------


NUL_AND_HUGE: list[tuple[str, str, Any, str | None]] = [
    ("POST", "/v1/Senders", {"address": "+1415\x00555", "channel": "SMS"}, "$.address"),
    ("POST", "/v1/Senders", {"address": "+14155550100", "channel": "SMS\x00"}, "$.channel"),
    ("POST", "/v1/Senders", {"address": "+14155550100", "channel": "SMS", "tags": {"a\x00": "b"}}, None),
    ("POST", "/v1/Senders", {"address": "+14155550100", "channel": "SMS", "tags": {"a": "b\x00"}}, "$.tags.a"),
    ("POST", "/v1/Senders", {"address": "a\x00@example.com\x00", "channel": "EMAIL"}, "$.address"),
    ("POST", "/v1/Senders", {"address": "x" * 1_000_000, "channel": "PUSH"}, "$.address"),
    ("POST", "/v1/Senders", {"address": "+1", "channel": "SMS", "displayName": "d" * 1_000_000}, None),
    ("POST", "/v1/SenderPools", {"name": "n" * 1_000_000}, "$.name"),
    ("POST", "/v1/SenderPools", {"tags": {"k": "v" * 1_000_000}}, "$.tags.k"),
    ("POST", "/v1/SenderPools", {"senders": [{"senderId": "comms_sender_\x00"}]}, "$.senders[0].senderId"),
    ("POST", "/v1/Senders/Search", {"address": "a" * 1_000_000, "channel": "PUSH"}, "$.address"),
    ("POST", "/v1/Senders/Search", {"address": "+1", "channel": "PHONE", "pageToken": "t" * 1_000_000}, None),
    ("POST", "/v1/Senders/Resolve", {"recipientAddresses": [{"address": "\x00", "channel": "PHONE"}]}, None),
]


def test_nul_bytes_and_huge_strings_in_checked_fields_are_400(account: Account, populated: dict[str, Any]) -> None:
    for method, path, body, context in NUL_AND_HUGE:
        errors = expect_error(account.request(method, path, json=body), 400, 20001, case=(path, body))
        if context is not None:
            assert context in [e["context"] for e in errors], errors
    assert state(account) == populated["state"]


SQL_IN_CHECKED_FIELDS: list[tuple[str, str, Any, str | None]] = [
    ("POST", "/v1/Senders", {"address": SQL, "channel": "SMS"}, "$.address"),
    ("POST", "/v1/Senders", {"address": "+14155550100", "channel": SQL}, "$.channel"),
    ("POST", "/v1/Senders", {"address": "+14155550100", "channel": "SMS", "status": SQL}, "$.status"),
    ("POST", "/v1/Senders", {"address": "+14155550100", "channel": "SMS", "tags": {"k": SQL}}, "$.tags.k"),
    ("POST", "/v1/Senders", {"address": "+14155550100", "channel": "SMS", "tags": {SQL: "v"}}, None),
    ("POST", "/v1/SenderPools", {"tags": {"k": SQL}}, "$.tags.k"),
    ("POST", "/v1/SenderPools", {"senders": [{"senderId": SQL}]}, "$.senders[0].senderId"),
    ("POST", "/v1/Senders/Search", {"address": SQL, "channel": SQL}, "$.channel"),
    ("POST", "/v1/Senders/Search", {"address": SQL, "channel": "PUSH", "status": SQL}, "$.status"),
    ("POST", "/v1/Senders/Search", {"address": SQL, "channel": "PUSH", "pageToken": SQL}, "$.pageToken"),
    ("POST", "/v1/Senders/Resolve", {"recipientAddresses": [{"address": SQL, "channel": "PHONE"}]}, None),
    ("POST", "/v1/Senders/Resolve", {"recipientAddresses": [{"address": "+1", "channel": SQL}]}, None),
    (
        "POST",
        "/v1/Senders/Resolve",
        {"recipientAddresses": [{"address": "+12", "channel": "PHONE"}], "senderPoolId": SQL},
        "$.senderPoolId",
    ),
    (
        "POST",
        "/v1/Senders/Resolve",
        {"recipientAddresses": [{"address": "+12", "channel": "PHONE"}], "channels": {"priority": [SQL]}},
        "$.channels.priority[0]",
    ),
]


def test_sql_in_checked_fields_is_400(account: Account, populated: dict[str, Any]) -> None:
    for method, path, body, context in SQL_IN_CHECKED_FIELDS:
        errors = expect_error(account.request(method, path, json=body), 400, 20001, case=(path, body))
        if context is not None:
            assert context in [e["context"] for e in errors], errors
    assert state(account) == populated["state"]


def test_sql_in_free_text_fields_is_stored_verbatim(account: Account, populated: dict[str, Any]) -> None:
    """Display names, pool names and PUSH addresses are free text: kept exactly, nothing executed."""
    texts = [SQL, "' OR '1'='1", 'Robert"); DROP TABLE pools;--', "\\'\\\"%_*", "x\ny\tz\u2028"]
    body = [{"address": t, "channel": "PUSH", "displayName": t} for t in texts]
    response = account.post("/v1/Senders", json=body)
    assert response.status_code == 201, response.text
    created = response.json()["senders"]
    assert [(s["address"], s["displayName"]) for s in created] == [(t, t) for t in texts]
    for sender, text in zip(created, texts, strict=True):
        assert account.get(f"/v1/Senders/{sender['id']}").json() == sender
        found = account.post("/v1/Senders/Search", json={"address": text, "channel": "PUSH"}).json()["senders"]
        assert found == [sender]
        resolved = account.post(
            "/v1/Senders/Resolve",
            json={"recipientAddresses": [{"address": text, "channel": "PUSH"}], "senderAddresses": [text]},
        )
        assert [r["from"]["senderId"] for r in resolved.json()["results"]] == [sender["id"]]
    pool_id, _ = account.create_pool(name=SQL)
    assert account.get(f"/v1/SenderPools/{pool_id}").json()["name"] == SQL
    assert account.patch(f"/v1/SenderPools/{pool_id}", json={"name": "x" + SQL}).status_code == 202
    assert account.get(f"/v1/SenderPools/{pool_id}").json()["name"] == "x" + SQL
    after = state(account)
    before = populated["state"]
    assert after["senders"] == before["senders"] + created
    assert after["members"][populated["pool"]] == before["members"][populated["pool"]]
    assert after["operations"][: len(before["operations"])] == before["operations"]


def test_nul_in_free_text_fields_is_400(account: Account, populated: dict[str, Any]) -> None:
    """U+0000 is the one character free text may not hold (PostgreSQL cannot store it)."""
    pool_id, sender_id = populated["pool"], populated["senders"][0]["id"]
    requests = [
        ("POST", "/v1/Senders", {"address": "a\x00b", "channel": "PUSH"}, "$.address"),
        ("POST", "/v1/Senders", [{"address": "ok", "channel": "PUSH", "displayName": "\x00"}], "$[0].displayName"),
        ("PATCH", f"/v1/Senders/{sender_id}", {"displayName": "x\x00"}, "$.displayName"),
        ("POST", "/v1/SenderPools", {"name": "\x00" + SQL}, "$.name"),
        ("PATCH", f"/v1/SenderPools/{pool_id}", {"name": "a\x00"}, "$.name"),
        ("POST", "/v1/Senders/Search", {"address": "a\x00", "channel": "PUSH"}, "$.address"),
        (
            "POST",
            "/v1/Senders/Resolve",
            {"recipientAddresses": [{"address": "d", "channel": "PUSH"}], "senderAddresses": ["\x00"]},
            "$.senderAddresses[0]",
        ),
    ]
    for method, path, body, context in requests:
        expect_error(account.request(method, path, json=body), 400, 20001, [context])
    assert state(account) == populated["state"]


LIST_PARAMETERS = {
    "/v1/Senders": ["channel", "status", "startDate", "endDate", "pageSize", "pageToken"],
    "/v1/SenderPools": ["startDate", "endDate", "operationId", "pageSize", "pageToken"],
    "/v1/SenderPools/Operations": ["status", "startDate", "endDate", "pageSize", "pageToken"],
    "/v1/SenderPools/{pool}/Senders": ["channel", "status", "startDate", "endDate", "pageSize", "pageToken"],
}


def test_sql_in_query_parameters_is_400(account: Account, populated: dict[str, Any]) -> None:
    for path, names in LIST_PARAMETERS.items():
        for name in names:
            response = account.get(path.format(pool=populated["pool"]), params={name: SQL})
            expect_error(response, 400, 20001, [f"$.{name}"], case=(path, name))
    assert state(account) == populated["state"]


def test_unknown_query_parameters_are_ignored_even_when_hostile(account: Account, populated: dict[str, Any]) -> None:
    response = account.get("/v1/Senders", params={"where": SQL, "x" * 1000: "\x00" * 1000})
    assert response.status_code == 200, response.text
    assert response.json()["senders"] == populated["state"]["senders"]


ODD_QUERY_VALUES: list[dict[str, str]] = [
    {"pageToken": "A" * 60_000},
    {"channel": "S" * 60_000},
    {"startDate": "2024-01-15T09:30:00Z" * 1000},
    {"pageSize": "9" * 60_000},
    {"pageSize": "\u0661\u0660"},  # Arabic-Indic digits: isdigit(), but not ASCII
    {"status": "\x00"},
]


def test_very_long_or_odd_query_values_are_400(account: Account, populated: dict[str, Any]) -> None:
    for params in ODD_QUERY_VALUES:
        (name,) = params
        expect_error(account.get("/v1/Senders", params=params), 400, 20001, [f"$.{name}"], case=name)
    assert state(account) == populated["state"]


def test_a_parameter_repeated_many_times_is_400(account: Account, populated: dict[str, Any]) -> None:
    expect_error(account.get("/v1/Senders?" + "&".join(["channel=SMS"] * 2000)), 400, 20001, ["$.channel"])


TRAVERSALS = ["..%2F..%2Fetc", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc", "....%2F%2F", "%00", SQL, "%ff"]


PATHS_WITH_IDS = [
    ("GET", "/v1/Senders/{bad}"),
    ("PATCH", "/v1/Senders/{bad}"),
    ("DELETE", "/v1/Senders/{bad}"),
    ("GET", "/v1/SenderPools/{bad}"),
    ("PATCH", "/v1/SenderPools/{bad}"),
    ("DELETE", "/v1/SenderPools/{bad}"),
    ("GET", "/v1/SenderPools/{bad}/Senders"),
    ("POST", "/v1/SenderPools/{bad}/Senders"),
    ("DELETE", "/v1/SenderPools/{pool}/Senders/{bad}"),
    ("DELETE", "/v1/SenderPools/{bad}/Senders/{sender}"),
    ("GET", "/v1/SenderPools/Operations/{bad}"),
    ("GET", "/v1/SenderPools/{pool}/Senders/Operations/{bad}"),
]


def test_hostile_path_ids_are_404(account: Account, populated: dict[str, Any]) -> None:
    pool, sender = populated["pool"], populated["senders"][0]["id"]
    body = json.dumps({"name": "x", "status": "DEACTIVATED"})
    for bad in TRAVERSALS:
        for method, template in PATHS_WITH_IDS:
            path = template.format(bad=bad, pool=pool, sender=sender)
            expect_error(account.request(method, path, content=body), 404, 20404, case=(method, path))
    assert state(account) == populated["state"]


def test_unknown_pool_is_404_before_a_hostile_body(account: Account, populated: dict[str, Any]) -> None:
    for body in (b"[" * 100_000, b"\xff", b"null"):
        expect_error(send_raw(account, "POST", f"/v1/SenderPools/{NEVER_POOL}/Senders", body), 404, 20404)
        expect_error(send_raw(account, "PATCH", f"/v1/SenderPools/{NEVER_POOL}", body), 404, 20404)
    assert state(account) == populated["state"]
