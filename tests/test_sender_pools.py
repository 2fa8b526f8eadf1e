"""Sender Pools endpoints over HTTP: create, fetch, list, update, delete, members, add and remove senders."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from senderpools.composition import create_app
from tests.conftest import Account, Server, make_settings

BASE = "http://testserver"
POOL_ID = re.compile(r"comms_senderpool_[0-7][0-9a-hjkmnp-tv-z]{25}")
SENDER_ID = re.compile(r"comms_sender_[0-7][0-9a-hjkmnp-tv-z]{25}")
OPERATION_ID = re.compile(r"comms_operation_[0-7][0-9a-hjkmnp-tv-z]{25}")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
UNKNOWN_POOL = "comms_senderpool_" + "0" * 26
UNKNOWN_SENDER = "comms_sender_" + "0" * 26
UNKNOWN_OPERATION = "comms_operation_" + "0" * 26
JSON_TYPE = {"content-type": "application/json"}
ERROR_CODES = {400: 20001, 401: 20003, 404: 20404, 405: 20004, 409: 20409, 412: 20412, 413: 20413, 415: 20415}


# -- shared assertions (also used by test_operations.py and test_pagination.py) ------------------------
def refs(senders: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The ``[{"senderId": ...}]`` references to the given Sender objects."""
    return [{"senderId": s["id"]} for s in senders]


def assert_error(response: httpx.Response, status: int, *contexts: str) -> list[dict[str, Any]]:
    """The contract's error envelope with one entry per expected ``context`` (any order)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["errors"]
    errors: list[dict[str, Any]] = body["errors"]
    for error in errors:
        assert set(error) == {"code", "message", "infoUrl", "context"}
        assert error["code"] == ERROR_CODES[status]
        assert isinstance(error["message"], str) and error["message"]
        assert error["infoUrl"] == f"{BASE}/docs/errors/{ERROR_CODES[status]}"
    assert sorted(e["context"] for e in errors) == sorted(contexts or ("null",))
    return errors


def assert_timestamps(resource: dict[str, Any]) -> None:
    assert TIMESTAMP.fullmatch(resource["createdAt"]), resource
    assert TIMESTAMP.fullmatch(resource["updatedAt"]), resource
    assert resource["updatedAt"] >= resource["createdAt"]


def assert_pool(pool: dict[str, Any]) -> None:
    assert list(pool) == ["id", "name", "tags", "createdAt", "updatedAt"]
    assert POOL_ID.fullmatch(pool["id"])
    assert isinstance(pool["name"], str)
    assert isinstance(pool["tags"], dict) and all(isinstance(v, str) for v in pool["tags"].values())
    assert_timestamps(pool)


def assert_sender(sender: dict[str, Any]) -> None:
    assert set(sender) == {"id", "displayName", "address", "channel", "status", "tags", "createdAt", "updatedAt"}
    assert SENDER_ID.fullmatch(sender["id"])
    assert sender["displayName"] is None or isinstance(sender["displayName"], str)
    assert sender["channel"] in {"SMS", "RCS", "EMAIL", "WHATSAPP", "PUSH"}
    assert sender["status"] in {"ACTIVATED", "DEACTIVATED"}
    assert isinstance(sender["tags"], dict)
    assert_timestamps(sender)


def assert_operation(operation: dict[str, Any]) -> dict[str, int]:
    """Shape and the stats invariant; returns the stats."""
    assert list(operation) == ["id", "status", "stats", "createdAt", "updatedAt"]
    assert OPERATION_ID.fullmatch(operation["id"])
    assert operation["status"] in {"PROCESSING", "COMPLETED", "CANCELED"}
    stats: dict[str, int] = operation["stats"]
    assert list(stats) == ["total", "queued", "created", "failed"]
    assert all(type(v) is int and v >= 0 for v in stats.values())
    assert stats["total"] == stats["queued"] + stats["created"] + stats["failed"]
    assert (operation["status"] == "PROCESSING") == (stats["queued"] > 0)
    assert_timestamps(operation)
    return stats


def assert_operation_accepted(response: httpx.Response, path_prefix: str) -> str:
    """A 202 OperationReference whose location is ``path_prefix`` + the operation ID; returns the ID."""
    assert response.status_code == 202, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["operationId", "operationLocation"]
    operation_id: str = body["operationId"]
    assert OPERATION_ID.fullmatch(operation_id)
    location = f"{BASE}{path_prefix}{operation_id}"
    assert body["operationLocation"] == location
    assert response.headers["Location"] == location
    assert response.headers["Operation-Id"] == operation_id
    assert response.headers["Operation-Location"] == location
    return operation_id


def assert_resource_accepted(response: httpx.Response, resource_id: str, path: str) -> None:
    assert response.status_code == 202, response.text
    assert response.headers["content-type"] == "application/json"
    location = BASE + path
    assert response.json() == {"resourceId": resource_id, "resourceLocation": location}
    assert response.headers["Location"] == location
    assert response.headers["Resource-Location"] == location


@contextmanager
def running_server(tmp_path: Path, database_url: str, **overrides: Any) -> Iterator[Server]:
    """A server with custom settings on the backend under test (pass the ``database_url`` fixture)."""
    settings = make_settings(tmp_path, database_url=database_url, **overrides)
    with TestClient(create_app(settings), base_url=BASE, raise_server_exceptions=False) as client:
        yield Server(client, settings)


def many_unknown_senders(count: int) -> list[dict[str, str]]:
    """``count`` distinct, well-formed sender IDs that no account has."""
    return [{"senderId": f"comms_sender_{i:026d}"} for i in range(count)]


def members(account: Account, pool_id: str, **filters: Any) -> list[str]:
    return [s["id"] for s in account.walk(f"/v1/SenderPools/{pool_id}/Senders", "senders", **filters)]


# -- create (row 2) ------------------------------------------------------------------------------
def test_create_answers_202_operation_reference_with_location_headers(account: Account) -> None:
    response = account.post("/v1/SenderPools", json={"name": "Marketing", "tags": {"team": "growth"}})
    operation_id = assert_operation_accepted(response, "/v1/SenderPools/Operations/")
    operation = account.wait_operation(operation_id)
    assert operation["id"] == operation_id
    assert operation["status"] == "COMPLETED"
    assert assert_operation(operation) == {"total": 1, "queued": 0, "created": 1, "failed": 0}


def test_created_pool_exists_and_is_listable_as_soon_as_202_is_sent(account: Account) -> None:
    senders = account.register_senders(3)
    response = account.post("/v1/SenderPools", json={"name": "p", "tags": {"a": "b"}, "senders": refs(senders)})
    operation_id = assert_operation_accepted(response, "/v1/SenderPools/Operations/")
    listed = account.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"]
    assert len(listed) == 1
    fetched = account.get(f"/v1/SenderPools/{listed[0]['id']}")
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "application/json"
    pool = fetched.json()
    assert_pool(pool)
    assert pool == listed[0]
    assert (pool["name"], pool["tags"]) == ("p", {"a": "b"})
    assert pool["createdAt"] == pool["updatedAt"]


def test_create_operation_counts_pool_and_each_sender(account: Account) -> None:
    senders = account.register_senders(3)
    pool_id, operation = account.create_pool(senders=refs(senders))
    assert operation["status"] == "COMPLETED"
    assert assert_operation(operation) == {"total": 4, "queued": 0, "created": 4, "failed": 0}
    assert members(account, pool_id) == [s["id"] for s in senders]


def test_create_counts_unknown_and_other_account_senders_as_failed(account: Account, other_account: Account) -> None:
    mine = account.register_senders(2)
    theirs = other_account.register_senders(1)
    body = {"senders": [*refs(mine), {"senderId": UNKNOWN_SENDER}, *refs(theirs)]}
    pool_id, operation = account.create_pool(**body)
    assert operation["status"] == "COMPLETED"
    assert assert_operation(operation) == {"total": 5, "queued": 0, "created": 3, "failed": 2}
    assert members(account, pool_id) == [s["id"] for s in mine]


def test_create_accepts_deactivated_senders(account: Account) -> None:
    senders = account.register_senders(2, status="DEACTIVATED")
    pool_id, operation = account.create_pool(senders=refs(senders))
    assert operation["stats"]["created"] == 3
    listed = account.walk(f"/v1/SenderPools/{pool_id}/Senders", "senders")
    assert [(s["id"], s["status"]) for s in listed] == [(s["id"], "DEACTIVATED") for s in senders]


def test_create_with_empty_body_makes_an_unnamed_untagged_pool(account: Account) -> None:
    response = account.post("/v1/SenderPools", content=b"", headers=JSON_TYPE)
    operation_id = assert_operation_accepted(response, "/v1/SenderPools/Operations/")
    (pool,) = account.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"]
    assert (pool["name"], pool["tags"]) == ("", {})


def test_create_with_empty_object_defaults_name_and_tags(account: Account) -> None:
    pool_id, _ = account.create_pool()
    pool = account.get(f"/v1/SenderPools/{pool_id}").json()
    assert_pool(pool)
    assert (pool["name"], pool["tags"]) == ("", {})


def test_create_without_content_type_reads_the_body_as_json(account: Account) -> None:
    response = account.post("/v1/SenderPools", content=b'{"name": "no header"}')
    assert "content-type" not in response.request.headers
    operation_id = assert_operation_accepted(response, "/v1/SenderPools/Operations/")
    (pool,) = account.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"]
    assert pool["name"] == "no header"


def test_create_accepts_a_json_content_type_with_charset(account: Account) -> None:
    response = account.post(
        "/v1/SenderPools", content=b'{"name": "x"}', headers={"content-type": "application/json; charset=utf-8"}
    )
    assert_operation_accepted(response, "/v1/SenderPools/Operations/")


def test_create_ignores_unknown_fields(account: Account) -> None:
    pool_id, _ = account.create_pool(name="known", color="blue", extra={"nested": [1, 2]})
    assert account.get(f"/v1/SenderPools/{pool_id}").json()["name"] == "known"


def test_create_accepts_a_256_character_name_and_rejects_257(account: Account) -> None:
    pool_id, _ = account.create_pool(name="n" * 256)
    assert account.get(f"/v1/SenderPools/{pool_id}").json()["name"] == "n" * 256
    assert_error(account.post("/v1/SenderPools", json={"name": "n" * 257}), 400, "$.name")


MALFORMED_JSON = [
    b'{"name": ',
    b'{"name": "x"} trailing',
    b"{name: 1}",
    b'{"name": NaN}',
    b'{"name": "\xff"}',
    b"[" * 100_000,
]


def test_create_rejects_malformed_json(account: Account) -> None:
    for body in MALFORMED_JSON:
        response = account.post("/v1/SenderPools", content=body, headers=JSON_TYPE)
        assert_error(response, 400, "null")
    assert account.get("/v1/SenderPools").json()["senderPools"] == []


def test_json_media_types_are_accepted(account: Account) -> None:
    pool_id, _ = account.create_pool(name="x")
    for content_type in ("application/merge-patch+json", "APPLICATION/JSON"):
        response = account.patch(
            f"/v1/SenderPools/{pool_id}", content=b'{"name": "y"}', headers={"content-type": content_type}
        )
        assert_resource_accepted(response, pool_id, f"/v1/SenderPools/{pool_id}")


def test_create_rejects_a_body_that_is_not_an_object(account: Account) -> None:
    for body in (b"[]", b'"pool"', b"5", b"null", b"true"):
        response = account.post("/v1/SenderPools", content=body, headers=JSON_TYPE)
        assert_error(response, 400, "$")


def test_create_rejects_wrong_json_types_for_every_field(account: Account) -> None:
    response = account.post("/v1/SenderPools", json={"name": 5, "tags": ["a"], "senders": {"senderId": "x"}})
    assert_error(response, 400, "$.name", "$.tags", "$.senders")


def test_create_reports_every_field_error_at_once(account: Account) -> None:
    senders = account.register_senders(2)
    body = {
        "name": "x" * 300,
        "tags": {"ok": "fine", "bad key": "v"},
        "senders": [*refs(senders), {}, {"senderId": "comms_sender_nope"}, "text", {"senderId": 7}],
    }
    assert_error(
        account.post("/v1/SenderPools", json=body),
        400,
        "$.name",
        '$.tags["bad key"]',
        "$.senders[2].senderId",
        "$.senders[3].senderId",
        "$.senders[4]",
        "$.senders[5].senderId",
    )
    assert account.get("/v1/SenderPools").json()["senderPools"] == []


TAG_RULE_BREAKS = [
    ({f"k{i}": "v" for i in range(11)}, "$.tags"),
    ({"": "v"}, '$.tags[""]'),
    ({"k" * 129: "v"}, "$.tags." + "k" * 129),
    ({"k": ""}, "$.tags.k"),
    ({"k": "v" * 257}, "$.tags.k"),
    ({"k/slash": "v"}, '$.tags["k/slash"]'),
    ({"k": "white space"}, "$.tags.k"),
    ({"k": "é"}, "$.tags.k"),
    ({"k": 1}, "$.tags.k"),
    ({"k": None}, "$.tags.k"),
]


def test_create_and_patch_reject_tags_breaking_the_rules(account: Account) -> None:
    pool_id, _ = account.create_pool(tags={"keep": "me"})
    for tags, context in TAG_RULE_BREAKS:
        assert_error(account.post("/v1/SenderPools", json={"tags": tags}), 400, context)
        assert_error(account.patch(f"/v1/SenderPools/{pool_id}", json={"tags": tags}), 400, context)
    assert [p["tags"] for p in account.walk("/v1/SenderPools", "senderPools")] == [{"keep": "me"}]


def test_create_accepts_tags_at_every_limit(account: Account) -> None:
    tags = {f"k{i}": "v" for i in range(8)}
    tags["k" * 128] = "v" * 256
    tags["A-z0._~9"] = "Val-_.~1"
    pool_id, _ = account.create_pool(tags=tags)
    assert account.get(f"/v1/SenderPools/{pool_id}").json()["tags"] == tags


def test_create_rejects_duplicate_sender_ids_at_each_repeat(account: Account) -> None:
    a, b = account.register_senders(2)
    body = {"senders": refs([a, b, a, a, b])}
    assert_error(
        account.post("/v1/SenderPools", json=body),
        400,
        "$.senders[2].senderId",
        "$.senders[3].senderId",
        "$.senders[4].senderId",
    )


def test_create_accepts_10000_senders_and_rejects_10001(account: Account) -> None:
    assert_error(account.post("/v1/SenderPools", json={"senders": many_unknown_senders(10_001)}), 400, "$.senders")
    _, operation = account.create_pool(senders=many_unknown_senders(10_000))
    assert operation["status"] == "COMPLETED"
    assert assert_operation(operation) == {"total": 10_001, "queued": 0, "created": 1, "failed": 10_000}


def test_create_rejects_a_non_json_content_type(account: Account) -> None:
    response = account.post("/v1/SenderPools", content=b'{"name": "x"}', headers={"content-type": "text/plain"})
    assert_error(response, 415, "null")
    form = account.post("/v1/SenderPools", data={"name": "x"})
    assert_error(form, 415, "null")
    for content_type in ("text/json", "application/jsonx", "multipart/form-data; boundary=x"):
        assert_error(account.post("/v1/SenderPools", content=b"{}", headers={"content-type": content_type}), 415)
    assert account.get("/v1/SenderPools").json()["senderPools"] == []


# -- body cap (413) ------------------------------------------------------------------------------
def test_bodies_over_the_cap_are_413_on_every_body_carrying_endpoint(tmp_path: Path, database_url: str) -> None:
    with running_server(tmp_path, database_url, max_body_bytes=64) as server:
        account = server.new_account()
        (sender,) = account.register_senders(1)
        pool_id, _ = account.create_pool(name="small")
        big_name = {"name": "x" * 100}
        assert_error(account.post("/v1/SenderPools", json=big_name), 413, "null")
        assert_error(account.patch(f"/v1/SenderPools/{pool_id}", json=big_name), 413, "null")
        too_many = [{"senderId": sender["id"]}, {"senderId": UNKNOWN_SENDER}]
        assert_error(account.post(f"/v1/SenderPools/{pool_id}/Senders", json=too_many), 413, "null")
        # Under the cap still works.
        ok = account.patch(f"/v1/SenderPools/{pool_id}", json={"name": "fits"})
        assert_resource_accepted(ok, pool_id, f"/v1/SenderPools/{pool_id}")
        assert [p["name"] for p in account.walk("/v1/SenderPools", "senderPools")] == ["fits"]


def test_a_streamed_body_over_the_cap_is_413(tmp_path: Path, database_url: str) -> None:
    with running_server(tmp_path, database_url, max_body_bytes=64) as server:
        account = server.new_account()

        def chunks() -> Iterator[bytes]:
            yield b'{"name": "'
            yield b"x" * 100
            yield b'"}'

        response = account.post("/v1/SenderPools", content=chunks(), headers=JSON_TYPE)
        assert "content-length" not in response.request.headers
        assert_error(response, 413, "null")


# -- fetch and list (rows 1 and 3) -----------------------------------------------------------------
def test_fetch_unknown_or_malformed_pool_is_404(account: Account) -> None:
    for pool_id in (UNKNOWN_POOL, "nope", "comms_senderpool_", UNKNOWN_SENDER, UNKNOWN_POOL.upper()):
        assert_error(account.get(f"/v1/SenderPools/{pool_id}"), 404, "null")


def test_fetch_another_accounts_pool_is_404(account: Account, other_account: Account) -> None:
    pool_id, _ = account.create_pool(name="private")
    assert_error(other_account.get(f"/v1/SenderPools/{pool_id}"), 404, "null")
    assert other_account.get("/v1/SenderPools").json()["senderPools"] == []


def test_list_pools_returns_every_pool_oldest_first(account: Account) -> None:
    created = [account.create_pool(name=f"p{i}")[0] for i in range(3)]
    response = account.get("/v1/SenderPools")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["senderPools", "pagination"]
    assert [p["id"] for p in body["senderPools"]] == created
    assert [p["name"] for p in body["senderPools"]] == ["p0", "p1", "p2"]
    for pool in body["senderPools"]:
        assert_pool(pool)
    assert body["pagination"]["next"] is None
    assert isinstance(body["pagination"]["self"], str)


def test_list_pools_by_operation_id_finds_exactly_the_created_pool(account: Account) -> None:
    account.create_pool(name="first")
    pool_id, operation = account.create_pool(name="second")
    account.create_pool(name="third")
    listed = account.get("/v1/SenderPools", params={"operationId": operation["id"]}).json()["senderPools"]
    assert [p["id"] for p in listed] == [pool_id]


def test_list_pools_by_operation_id_of_no_create_is_empty(account: Account, other_account: Account) -> None:
    (sender,) = account.register_senders(1)
    pool_id, _ = account.create_pool()
    add = account.post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": sender["id"]}])
    add_operation = add.json()["operationId"]
    for operation_id in (UNKNOWN_OPERATION, add_operation):
        response = account.get("/v1/SenderPools", params={"operationId": operation_id})
        assert response.status_code == 200
        assert response.json()["senderPools"] == []
    _, theirs = other_account.create_pool()
    assert account.get("/v1/SenderPools", params={"operationId": theirs["id"]}).json()["senderPools"] == []


def test_list_pools_rejects_a_malformed_operation_id(account: Account) -> None:
    for value in ("nope", UNKNOWN_POOL, "comms_operation_", ""):
        assert_error(account.get("/v1/SenderPools", params={"operationId": value}), 400, "$.operationId")


# -- update (row 5) ------------------------------------------------------------------------------
def test_patch_name_keeps_tags(account: Account) -> None:
    pool_id, _ = account.create_pool(name="before", tags={"keep": "me"})
    response = account.patch(f"/v1/SenderPools/{pool_id}", json={"name": "after"})
    assert_resource_accepted(response, pool_id, f"/v1/SenderPools/{pool_id}")
    pool = account.get(f"/v1/SenderPools/{pool_id}").json()
    assert_pool(pool)
    assert (pool["name"], pool["tags"]) == ("after", {"keep": "me"})


def test_patch_tags_replaces_the_whole_map_and_keeps_name(account: Account) -> None:
    pool_id, _ = account.create_pool(name="same", tags={"a": "1", "b": "2"})
    response = account.patch(f"/v1/SenderPools/{pool_id}", json={"tags": {"c": "3"}})
    assert_resource_accepted(response, pool_id, f"/v1/SenderPools/{pool_id}")
    pool = account.get(f"/v1/SenderPools/{pool_id}").json()
    assert (pool["name"], pool["tags"]) == ("same", {"c": "3"})
    account.patch(f"/v1/SenderPools/{pool_id}", json={"tags": {}})
    assert account.get(f"/v1/SenderPools/{pool_id}").json()["tags"] == {}


def test_patch_both_fields_and_empty_name(account: Account) -> None:
    pool_id, _ = account.create_pool(name="x", tags={"a": "1"})
    response = account.patch(f"/v1/SenderPools/{pool_id}", json={"name": "", "tags": {"b": "2"}, "unknown": 1})
    assert response.status_code == 202
    pool = account.get(f"/v1/SenderPools/{pool_id}").json()
    assert (pool["name"], pool["tags"]) == ("", {"b": "2"})


def test_patch_bumps_updated_at_and_keeps_created_at(account: Account) -> None:
    pool_id, _ = account.create_pool(name="old")
    before = account.get(f"/v1/SenderPools/{pool_id}").json()
    time.sleep(1.1)  # timestamps are whole seconds
    account.patch(f"/v1/SenderPools/{pool_id}", json={"tags": {"new": "tag"}})
    after = account.get(f"/v1/SenderPools/{pool_id}").json()
    assert after["createdAt"] == before["createdAt"]
    assert after["updatedAt"] > before["updatedAt"]
    listed = account.get("/v1/SenderPools").json()["senderPools"]
    assert listed == [after]


def test_patch_with_no_field_to_change_or_no_body_is_400(account: Account) -> None:
    pool_id, _ = account.create_pool(name="x")
    for body in ({}, {"unknown": "field"}):
        assert_error(account.patch(f"/v1/SenderPools/{pool_id}", json=body), 400, "null")
    assert_error(account.patch(f"/v1/SenderPools/{pool_id}"), 400, "null")
    assert account.get(f"/v1/SenderPools/{pool_id}").json()["name"] == "x"


def test_patch_reports_every_field_error_and_changes_nothing(account: Account) -> None:
    pool_id, _ = account.create_pool(name="x", tags={"a": "1"})
    body = {"name": "y" * 257, "tags": {f"k{i}": "v" for i in range(11)}}
    assert_error(account.patch(f"/v1/SenderPools/{pool_id}", json=body), 400, "$.name", "$.tags")
    assert_error(account.patch(f"/v1/SenderPools/{pool_id}", json={"name": None, "tags": "x"}), 400, "$.name", "$.tags")
    assert_error(account.patch(f"/v1/SenderPools/{pool_id}", json=["name"]), 400, "$")
    pool = account.get(f"/v1/SenderPools/{pool_id}").json()
    assert (pool["name"], pool["tags"]) == ("x", {"a": "1"})


def test_patch_rejects_malformed_json_and_non_json_content(account: Account) -> None:
    pool_id, _ = account.create_pool(name="x")
    path = f"/v1/SenderPools/{pool_id}"
    assert_error(account.patch(path, content=b"{name: 1}", headers=JSON_TYPE), 400)
    assert_error(account.patch(path, content=b"name=y", headers={"content-type": "text/plain"}), 415)


def test_patch_unknown_pool_is_404_before_body_validation(account: Account) -> None:
    for pool_id in (UNKNOWN_POOL, "not-an-id"):
        assert_error(account.patch(f"/v1/SenderPools/{pool_id}", json={"name": 5}), 404)
        assert_error(account.patch(f"/v1/SenderPools/{pool_id}", json={"name": "ok"}), 404)
        assert_error(account.patch(f"/v1/SenderPools/{pool_id}", json={}), 404)


def test_patch_another_accounts_pool_is_404_and_changes_nothing(account: Account, other_account: Account) -> None:
    pool_id, _ = account.create_pool(name="mine")
    assert_error(other_account.patch(f"/v1/SenderPools/{pool_id}", json={"name": "theirs"}), 404)
    assert account.get(f"/v1/SenderPools/{pool_id}").json()["name"] == "mine"


# -- delete (row 4) ------------------------------------------------------------------------------
def test_delete_pool_answers_202_and_the_pool_is_gone_everywhere(account: Account) -> None:
    (sender,) = account.register_senders(1)
    keep_id, _ = account.create_pool(name="keep")
    pool_id, create_operation = account.create_pool(name="gone", senders=refs([sender]))
    response = account.delete(f"/v1/SenderPools/{pool_id}")
    assert_resource_accepted(response, pool_id, f"/v1/SenderPools/{pool_id}")

    assert_error(account.get(f"/v1/SenderPools/{pool_id}"), 404)
    assert_error(account.get(f"/v1/SenderPools/{pool_id}/Senders"), 404)
    assert_error(account.post(f"/v1/SenderPools/{pool_id}/Senders", json=refs([sender])), 404)
    assert_error(account.delete(f"/v1/SenderPools/{pool_id}/Senders/{sender['id']}"), 404)
    assert_error(account.patch(f"/v1/SenderPools/{pool_id}", json={"name": "back"}), 404)
    assert_error(account.delete(f"/v1/SenderPools/{pool_id}"), 404)
    assert [p["id"] for p in account.walk("/v1/SenderPools", "senderPools")] == [keep_id]
    assert account.get("/v1/SenderPools", params={"operationId": create_operation["id"]}).json()["senderPools"] == []

    # The Sender stays, and the operation record stays readable.
    assert account.get(f"/v1/Senders/{sender['id']}").json() == sender
    assert account.get(f"/v1/SenderPools/Operations/{create_operation['id']}").json() == create_operation


def test_delete_unknown_pool_is_404(account: Account) -> None:
    for pool_id in (UNKNOWN_POOL, "garbage"):
        assert_error(account.delete(f"/v1/SenderPools/{pool_id}"), 404)


def test_delete_another_accounts_pool_is_404_and_keeps_it(account: Account, other_account: Account) -> None:
    pool_id, _ = account.create_pool(name="mine")
    assert_error(other_account.delete(f"/v1/SenderPools/{pool_id}"), 404)
    assert account.get(f"/v1/SenderPools/{pool_id}").status_code == 200


def test_delete_cancels_a_processing_create_and_moves_queued_to_failed(tmp_path: Path, database_url: str) -> None:
    with running_server(tmp_path, database_url, run_worker=False) as server:  # nothing applies queued items
        account = server.new_account()
        senders = account.register_senders(3)
        pool_id, pending = account.create_pool(wait=False, senders=refs(senders))
        operation = account.get(f"/v1/SenderPools/Operations/{pending['id']}").json()
        assert operation["status"] == "PROCESSING"
        assert assert_operation(operation) == {"total": 4, "queued": 3, "created": 1, "failed": 0}

        assert account.delete(f"/v1/SenderPools/{pool_id}").status_code == 202
        canceled = account.get(f"/v1/SenderPools/Operations/{pending['id']}").json()
        assert canceled["status"] == "CANCELED"
        assert assert_operation(canceled) == {"total": 4, "queued": 0, "created": 1, "failed": 3}
        alias = account.get(f"/v1/SenderPools/{pool_id}/Senders/Operations/{pending['id']}")
        assert alias.json() == canceled


def test_delete_during_a_create_cancels_it_and_after_it_leaves_it_completed(tmp_path: Path, database_url: str) -> None:
    with running_server(tmp_path, database_url, test_controls=True) as server:
        account = server.new_account()
        senders = account.register_senders(300)
        # Held by the test controls, the Create is certainly PROCESSING when the Delete arrives.
        assert account.request("PUT", "/_test/Pacing", json={"hold": True}).status_code == 200
        pool_id, pending = account.create_pool(wait=False, senders=refs(senders))
        assert account.delete(f"/v1/SenderPools/{pool_id}").status_code == 202
        assert account.request("PUT", "/_test/Pacing", json={}).status_code == 200
        final = account.wait_operation(pending["id"])
        assert final["status"] == "CANCELED"
        assert assert_operation(final) == {"total": 301, "queued": 0, "created": 1, "failed": 300}
        assert_error(account.get(f"/v1/SenderPools/{pool_id}/Senders"), 404)
        # After the Create finished, a Delete leaves its record as it was.
        done_pool, done = account.create_pool(senders=refs(senders[:10]))
        assert account.delete(f"/v1/SenderPools/{done_pool}").status_code == 202
        record = account.get(f"/v1/SenderPools/Operations/{done['id']}").json()
        assert record["status"] == "COMPLETED"
        assert assert_operation(record) == {"total": 11, "queued": 0, "created": 11, "failed": 0}
        assert account.walk("/v1/SenderPools", "senderPools") == []
        assert len(account.walk("/v1/Senders", "senders", page_size=1000)) == 300


# -- members (row 6) -----------------------------------------------------------------------------
def test_list_pool_senders_shape_and_only_members(account: Account) -> None:
    senders = account.register_senders(3, displayName="Brand", tags={"k": "v"})
    account.register_senders(2, start=100)  # not members
    pool_id, _ = account.create_pool(senders=refs(senders))
    response = account.get(f"/v1/SenderPools/{pool_id}/Senders")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["senders", "pagination"]
    assert body["senders"] == senders
    for sender in body["senders"]:
        assert_sender(sender)
    assert body["pagination"]["next"] is None


def test_list_pool_senders_of_an_empty_pool(account: Account) -> None:
    pool_id, _ = account.create_pool()
    assert account.get(f"/v1/SenderPools/{pool_id}/Senders").json()["senders"] == []


def test_list_pool_senders_filters_by_channel_and_status(account: Account) -> None:
    sms_on = account.register_senders(2)
    sms_off = account.register_senders(1, start=10, status="DEACTIVATED")
    email_on = account.register_senders(2, channel="EMAIL")
    email_off = account.register_senders(1, channel="EMAIL", start=10, status="DEACTIVATED")
    push = account.register_senders(1, channel="PUSH")
    everyone = sms_on + sms_off + email_on + email_off + push
    pool_id, _ = account.create_pool(senders=refs(everyone))

    def ids(group: list[dict[str, Any]]) -> list[str]:
        return sorted(s["id"] for s in group)

    assert members(account, pool_id, channel="SMS") == ids(sms_on + sms_off)
    assert members(account, pool_id, channel="PUSH") == ids(push)
    assert members(account, pool_id, channel="WHATSAPP") == []
    assert members(account, pool_id, status="DEACTIVATED") == ids(sms_off + email_off)
    assert members(account, pool_id, channel="EMAIL", status="ACTIVATED") == ids(email_on)
    assert members(account, pool_id) == ids(everyone)


def test_list_pool_senders_rejects_bad_filters(account: Account) -> None:
    pool_id, _ = account.create_pool()
    for params, contexts in (
        ({"channel": "FAX"}, ["$.channel"]),
        ({"channel": "sms"}, ["$.channel"]),
        ({"status": "ACTIVE"}, ["$.status"]),
        ({"channel": "FAX", "status": "x", "pageSize": "0"}, ["$.channel", "$.status", "$.pageSize"]),
    ):
        assert_error(account.get(f"/v1/SenderPools/{pool_id}/Senders", params=params), 400, *contexts)


def test_list_pool_senders_dates_filter_on_the_senders_created_at(account: Account) -> None:
    early = account.register_senders(2)
    time.sleep(1.1)  # timestamps are whole seconds
    late = account.register_senders(2, start=10)
    pool_id, _ = account.create_pool(senders=refs(early + late))  # both groups join at the same moment
    boundary = late[0]["createdAt"]
    assert members(account, pool_id, startDate=boundary) == [s["id"] for s in late]
    assert members(account, pool_id, endDate=boundary) == [s["id"] for s in early]
    assert members(account, pool_id, startDate=early[0]["createdAt"], endDate=boundary) == [s["id"] for s in early]


def test_list_senders_of_unknown_pool_is_404(account: Account) -> None:
    for pool_id in (UNKNOWN_POOL, "nope"):
        assert_error(account.get(f"/v1/SenderPools/{pool_id}/Senders"), 404)


def test_list_senders_of_another_accounts_pool_is_404(account: Account, other_account: Account) -> None:
    senders = account.register_senders(1)
    pool_id, _ = account.create_pool(senders=refs(senders))
    assert_error(other_account.get(f"/v1/SenderPools/{pool_id}/Senders"), 404)


# -- add senders (row 7) -------------------------------------------------------------------------
def test_add_senders_array_answers_pool_scoped_operation_reference(account: Account) -> None:
    senders = account.register_senders(3)
    pool_id, _ = account.create_pool()
    response = account.post(f"/v1/SenderPools/{pool_id}/Senders", json=refs(senders))
    operation_id = assert_operation_accepted(response, f"/v1/SenderPools/{pool_id}/Senders/Operations/")
    operation = account.wait_operation(operation_id)
    assert operation["status"] == "COMPLETED"
    assert assert_operation(operation) == {"total": 3, "queued": 0, "created": 3, "failed": 0}
    location = account.get(response.json()["operationLocation"])
    assert location.status_code == 200
    assert location.json() == operation
    assert members(account, pool_id) == [s["id"] for s in senders]


def test_add_senders_accepts_a_single_object(account: Account) -> None:
    senders = account.register_senders(2)
    pool_id, _ = account.create_pool(senders=refs(senders[:1]))
    response = account.post(f"/v1/SenderPools/{pool_id}/Senders", json={"senderId": senders[1]["id"]})
    operation_id = assert_operation_accepted(response, f"/v1/SenderPools/{pool_id}/Senders/Operations/")
    operation = account.wait_operation(operation_id)
    assert assert_operation(operation) == {"total": 1, "queued": 0, "created": 1, "failed": 0}
    assert members(account, pool_id) == [s["id"] for s in senders]


def test_add_senders_counts_unknown_as_failed_and_members_as_created(account: Account, other_account: Account) -> None:
    member, newcomer, deactivated = account.register_senders(3)
    account.patch(f"/v1/Senders/{deactivated['id']}", json={"status": "DEACTIVATED"})
    (foreign,) = other_account.register_senders(1)
    pool_id, _ = account.create_pool(senders=refs([member]))
    body = [*refs([member, newcomer, deactivated, foreign]), {"senderId": UNKNOWN_SENDER}]
    response = account.post(f"/v1/SenderPools/{pool_id}/Senders", json=body)
    operation = account.wait_operation(response.json()["operationId"])
    assert operation["status"] == "COMPLETED"
    assert assert_operation(operation) == {"total": 5, "queued": 0, "created": 3, "failed": 2}
    listed = account.walk(f"/v1/SenderPools/{pool_id}/Senders", "senders")
    assert [(s["id"], s["status"]) for s in listed] == [
        (member["id"], "ACTIVATED"),
        (newcomer["id"], "ACTIVATED"),
        (deactivated["id"], "DEACTIVATED"),
    ]
    assert_error(other_account.get(f"/v1/SenderPools/{pool_id}/Senders"), 404)


def test_add_senders_rejects_duplicates_at_each_repeat(account: Account) -> None:
    a, b = account.register_senders(2)
    pool_id, _ = account.create_pool()
    response = account.post(f"/v1/SenderPools/{pool_id}/Senders", json=refs([a, b, b, a]))
    assert_error(response, 400, "$[2].senderId", "$[3].senderId")
    assert members(account, pool_id) == []


def test_add_senders_reports_every_item_error_at_once(account: Account) -> None:
    (sender,) = account.register_senders(1)
    pool_id, _ = account.create_pool()
    body = [{"senderId": sender["id"]}, {"senderId": "bad"}, {}, 5, {"senderId": None}]
    response = account.post(f"/v1/SenderPools/{pool_id}/Senders", json=body)
    assert_error(response, 400, "$[1].senderId", "$[2].senderId", "$[3]", "$[4].senderId")


def test_add_senders_rejects_bad_bodies(account: Account) -> None:
    pool_id, _ = account.create_pool()
    for body, context in (
        (b"[]", "$"),
        (b'"x"', "$"),
        (b"null", "$"),
        (b'{"senderId": "bad"}', "$.senderId"),
        (b"{}", "$.senderId"),
    ):
        response = account.post(f"/v1/SenderPools/{pool_id}/Senders", content=body, headers=JSON_TYPE)
        assert_error(response, 400, context)


def test_add_senders_accepts_10000_items_and_rejects_10001(account: Account) -> None:
    pool_id, _ = account.create_pool()
    path = f"/v1/SenderPools/{pool_id}/Senders"
    assert_error(account.post(path, json=many_unknown_senders(10_001)), 400, "$")
    response = account.post(path, json=many_unknown_senders(10_000))
    operation = account.wait_operation(assert_operation_accepted(response, f"{path}/Operations/"))
    assert assert_operation(operation) == {"total": 10_000, "queued": 0, "created": 0, "failed": 10_000}


def test_add_senders_rejects_malformed_empty_and_non_json_bodies(account: Account) -> None:
    pool_id, _ = account.create_pool()
    path = f"/v1/SenderPools/{pool_id}/Senders"
    json_type = {"content-type": "application/json"}
    assert_error(account.post(path, content=b'[{"senderId": ]', headers=json_type), 400)
    assert_error(account.post(path, content=b"", headers=json_type), 400)
    assert_error(account.post(path, content=b"[]", headers={"content-type": "application/xml"}), 415)


def test_add_senders_to_unknown_pool_is_404_before_body_validation(account: Account) -> None:
    (sender,) = account.register_senders(1)
    for pool_id in (UNKNOWN_POOL, "nope"):
        assert_error(account.post(f"/v1/SenderPools/{pool_id}/Senders", json=refs([sender])), 404)
        assert_error(account.post(f"/v1/SenderPools/{pool_id}/Senders", json="garbage"), 404)


def test_add_senders_to_another_accounts_pool_is_404(account: Account, other_account: Account) -> None:
    pool_id, _ = account.create_pool()
    (sender,) = other_account.register_senders(1)
    assert_error(other_account.post(f"/v1/SenderPools/{pool_id}/Senders", json=refs([sender])), 404)
    assert members(account, pool_id) == []


# -- remove sender (row 8) -----------------------------------------------------------------------
def test_remove_sender_answers_202_and_it_is_no_longer_listed(account: Account) -> None:
    a, b = account.register_senders(2)
    pool_id, _ = account.create_pool(senders=refs([a, b]))
    response = account.delete(f"/v1/SenderPools/{pool_id}/Senders/{a['id']}")
    assert_resource_accepted(response, a["id"], f"/v1/Senders/{a['id']}")
    assert members(account, pool_id) == [b["id"]]
    assert account.get(f"/v1/Senders/{a['id']}").json() == a  # the Sender itself stays
    assert_error(account.delete(f"/v1/SenderPools/{pool_id}/Senders/{a['id']}"), 404)


def test_remove_sender_then_add_it_back(account: Account) -> None:
    (sender,) = account.register_senders(1)
    pool_id, _ = account.create_pool(senders=refs([sender]))
    assert account.delete(f"/v1/SenderPools/{pool_id}/Senders/{sender['id']}").status_code == 202
    response = account.post(f"/v1/SenderPools/{pool_id}/Senders", json=refs([sender]))
    operation = account.wait_operation(response.json()["operationId"])
    assert operation["stats"] == {"total": 1, "queued": 0, "created": 1, "failed": 0}
    assert members(account, pool_id) == [sender["id"]]


def test_remove_sender_404s(account: Account, other_account: Account) -> None:
    member, outsider = account.register_senders(2)
    pool_id, _ = account.create_pool(senders=refs([member]))
    for path in (
        f"/v1/SenderPools/{pool_id}/Senders/{outsider['id']}",
        f"/v1/SenderPools/{pool_id}/Senders/{UNKNOWN_SENDER}",
        f"/v1/SenderPools/{pool_id}/Senders/not-an-id",
        f"/v1/SenderPools/{UNKNOWN_POOL}/Senders/{member['id']}",
        f"/v1/SenderPools/bad-pool/Senders/{member['id']}",
    ):
        assert_error(account.delete(path), 404)
    assert_error(other_account.delete(f"/v1/SenderPools/{pool_id}/Senders/{member['id']}"), 404)
    assert members(account, pool_id) == [member["id"]]


def test_removing_a_sender_from_one_pool_keeps_it_in_others(account: Account) -> None:
    (sender,) = account.register_senders(1)
    first, _ = account.create_pool(senders=refs([sender]))
    second, _ = account.create_pool(senders=refs([sender]))
    assert account.delete(f"/v1/SenderPools/{first}/Senders/{sender['id']}").status_code == 202
    assert members(account, first) == []
    assert members(account, second) == [sender["id"]]


# -- routing -------------------------------------------------------------------------------------
def test_unknown_routes_are_404_in_the_envelope(account: Account) -> None:
    for path in (
        "/v1/Nope",
        "/v1/SenderPools/",
        "/v1/senderpools",
        "/v2/SenderPools",
        f"/v1/SenderPools/{UNKNOWN_POOL}/Nope",
    ):
        assert_error(account.get(path), 404)


WRONG_METHODS = [
    ("PUT", "/v1/SenderPools", {"GET", "POST"}),
    ("DELETE", "/v1/SenderPools", {"GET", "POST"}),
    ("PUT", f"/v1/SenderPools/{UNKNOWN_POOL}", {"GET", "PATCH", "DELETE"}),
    ("POST", f"/v1/SenderPools/{UNKNOWN_POOL}", {"GET", "PATCH", "DELETE"}),
    ("PATCH", f"/v1/SenderPools/{UNKNOWN_POOL}/Senders", {"GET", "POST"}),
    ("GET", f"/v1/SenderPools/{UNKNOWN_POOL}/Senders/{UNKNOWN_SENDER}", {"DELETE"}),
    ("POST", "/v1/SenderPools/Operations", {"GET"}),
    ("DELETE", f"/v1/SenderPools/Operations/{UNKNOWN_OPERATION}", {"GET"}),
    ("POST", f"/v1/SenderPools/{UNKNOWN_POOL}/Senders/Operations/{UNKNOWN_OPERATION}", {"GET"}),
]


def test_wrong_methods_are_405_in_the_envelope_with_every_allowed_method(account: Account) -> None:
    for method, path, allowed in WRONG_METHODS:
        response = account.request(method, path)
        assert_error(response, 405)
        listed = {m.strip() for m in response.headers["Allow"].split(",")}
        assert allowed <= listed and method not in listed, (method, path, listed)
