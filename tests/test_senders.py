"""The Senders inventory over HTTP: register, fetch, list, update, delete and search."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest

from senderpools.wire.encoding import EXTENSIONS_HEADER
from tests.conftest import Account

SENDER_ID = re.compile(r"^comms_sender_[0-7][0-9a-hjkmnp-tv-z]{25}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
NEVER_SENDER = "comms_sender_01hzzzzzzzzzzzzzzzzzzzzzzz"


def expect_error(
    response: httpx.Response, status: int, code: int, contexts: list[str] | None = None, case: object = ""
) -> list[Any]:
    """Assert the contract's error envelope; returns its errors. ``contexts`` (if given) must match in order;
    ``case`` names the input in failure messages when one test tries several."""
    assert response.status_code == status, f"{case!r:.300}: {response.text}"
    assert response.headers["content-type"].startswith("application/json")
    errors: list[Any] = response.json()["errors"]
    assert errors, response.text
    for error in errors:
        assert set(error) == {"code", "message", "infoUrl", "context"}
        assert error["code"] == code
        assert isinstance(error["message"], str) and error["message"]
        assert error["infoUrl"].endswith(f"/docs/errors/{code}")
    if contexts is not None:
        assert [e["context"] for e in errors] == contexts, f"{case!r:.300}: {response.text}"
    return errors


def next_second() -> None:
    """Sleep until the wall clock enters a new second (the wire shows times to the second)."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.01)
    time.sleep(0.01)


def all_senders(account: Account) -> list[dict[str, Any]]:
    return account.walk("/v1/Senders", "senders", page_size=1000)


def search(account: Account, **body: Any) -> httpx.Response:
    return account.post("/v1/Senders/Search", json=body)


# -- register ---------------------------------------------------------------------------------------


def test_register_one_returns_201_sender_with_location_and_defaults(account: Account) -> None:
    response = account.post("/v1/Senders", json={"address": "+14155550100", "channel": "SMS"})
    assert response.status_code == 201, response.text
    sender = response.json()
    assert set(sender) == {"id", "displayName", "address", "channel", "status", "tags", "createdAt", "updatedAt"}
    assert SENDER_ID.match(sender["id"])
    assert sender["displayName"] is None
    assert (sender["address"], sender["channel"], sender["status"], sender["tags"]) == (
        "+14155550100",
        "SMS",
        "ACTIVATED",
        {},
    )
    assert TIMESTAMP.match(sender["createdAt"]) and sender["updatedAt"] == sender["createdAt"]
    assert response.headers["location"] == f"http://testserver/v1/Senders/{sender['id']}"
    assert account.get(f"/v1/Senders/{sender['id']}").json() == sender


def test_register_one_keeps_every_given_field(account: Account) -> None:
    body = {
        "address": "ops@example.com",
        "channel": "EMAIL",
        "displayName": "Ops team",
        "status": "DEACTIVATED",
        "tags": {"team": "ops", "region": "eu-west-1"},
    }
    sender = account.post("/v1/Senders", json=body).json()
    assert {k: sender[k] for k in body} == body


def test_register_many_returns_senders_in_request_order(account: Account) -> None:
    body = [
        {"address": "+14155550101", "channel": "WHATSAPP"},
        {"address": "device-token-1", "channel": "PUSH", "displayName": "app"},
        {"address": "+14155550101", "channel": "SMS"},
        {"address": "a@example.com", "channel": "EMAIL"},
        {"address": "+14155550101", "channel": "RCS", "status": "DEACTIVATED"},
    ]
    response = account.post("/v1/Senders", json=body)
    assert response.status_code == 201, response.text
    senders = response.json()["senders"]
    assert [(s["address"], s["channel"]) for s in senders] == [(b["address"], b["channel"]) for b in body]
    assert [s["status"] for s in senders] == ["ACTIVATED"] * 4 + ["DEACTIVATED"]
    assert len({s["id"] for s in senders}) == 5
    assert all_senders(account) == senders


def test_register_many_conflicting_with_existing_writes_nothing(account: Account) -> None:
    existing = account.register_senders(2)
    before = all_senders(account)
    body = [
        {"address": "+14159990001", "channel": "SMS"},
        {"address": existing[1]["address"], "channel": "SMS"},
        {"address": existing[1]["address"], "channel": "RCS"},  # same address, other channel: fine
        {"address": existing[0]["address"], "channel": "SMS"},
    ]
    errors = expect_error(account.post("/v1/Senders", json=body), 409, 20409, ["$[1]", "$[3]"])
    assert existing[1]["address"] in errors[0]["message"]
    assert all_senders(account) == before


def test_register_one_conflicting_with_existing_is_409_at_root(account: Account) -> None:
    (existing,) = account.register_senders(1, channel="EMAIL")
    response = account.post("/v1/Senders", json={"address": existing["address"], "channel": "EMAIL"})
    expect_error(response, 409, 20409, ["$"])
    assert all_senders(account) == [existing]


def test_register_repeats_within_request_are_409_at_each_repeat(account: Account) -> None:
    body = [
        {"address": "+14155550123", "channel": "SMS"},
        {"address": "x@example.com", "channel": "EMAIL"},
        {"address": "+14155550123", "channel": "SMS"},
        {"address": "+14155550123", "channel": "SMS"},
    ]
    expect_error(account.post("/v1/Senders", json=body), 409, 20409, ["$[2]", "$[3]"])
    assert all_senders(account) == []


def test_same_address_in_another_account_is_no_conflict(account: Account, other_account: Account) -> None:
    (mine,) = account.register_senders(1)
    (theirs,) = other_account.register_senders(1)
    assert mine["address"] == theirs["address"] and mine["id"] != theirs["id"]


VALID_ADDRESSES = [
    ("SMS", "+12"),
    ("SMS", "+123456789012345"),
    ("RCS", "+447700900123"),
    ("WHATSAPP", "+5511912345678"),
    ("EMAIL", "first.last+tag@mail.example.co.uk"),
    ("PUSH", "t"),
    ("PUSH", "x" * 256),
]
INVALID_ADDRESSES = [
    ("SMS", "14155550100"),
    ("SMS", "+1"),
    ("SMS", "+1234567890123456"),
    ("RCS", "+1 415 555 0100"),
    ("WHATSAPP", "+1415555abcd"),
    ("SMS", "someone@example.com"),
    ("EMAIL", "not-an-email"),
    ("EMAIL", "a@b"),
    ("EMAIL", "+14155550100"),
    ("PUSH", ""),
    ("PUSH", "x" * 257),
]


def test_register_accepts_valid_addresses_at_the_edges(account: Account) -> None:
    for channel, address in VALID_ADDRESSES:
        response = account.post("/v1/Senders", json={"address": address, "channel": channel})
        assert response.status_code == 201, f"{channel} {address!r}: {response.text}"
        assert response.json()["address"] == address


def test_register_rejects_invalid_address_for_channel(account: Account) -> None:
    for channel, address in INVALID_ADDRESSES:
        response = account.post("/v1/Senders", json={"address": address, "channel": channel})
        expect_error(response, 400, 20001, ["$.address"], case=(channel, address))
    assert all_senders(account) == []


def test_register_reports_every_invalid_address_at_once(account: Account) -> None:
    body = [
        {"address": "14155550100", "channel": "SMS"},
        {"address": "+14155550100", "channel": "SMS"},
        {"address": "nope", "channel": "EMAIL"},
        {"address": "+1", "channel": "WHATSAPP"},
        {"address": "+1415555010x", "channel": "RCS"},
    ]
    contexts = ["$[0].address", "$[2].address", "$[3].address", "$[4].address"]
    errors = expect_error(account.post("/v1/Senders", json=body), 400, 20001, contexts)
    assert "EMAIL" in errors[1]["message"] and "E.164" in errors[2]["message"]
    assert all_senders(account) == []


def test_register_reports_every_malformed_field_at_once(account: Account) -> None:
    body = [
        {"address": "", "channel": "PUSH"},
        {"address": "+14155550100", "channel": "SMS"},
        {"address": "+14155550100", "channel": "FAX"},
        {"channel": "SMS", "tags": {"bad key": "v"}, "status": "PAUSED"},
    ]
    errors = expect_error(account.post("/v1/Senders", json=body), 400, 20001)
    contexts = {e["context"] for e in errors}
    assert contexts == {"$[0].address", "$[2].channel", "$[3].address", "$[3].status", '$[3].tags["bad key"]'}
    assert all_senders(account) == []


INVALID_REGISTRATIONS = [
    ({"channel": "SMS"}, "$.address"),
    ({"address": "+14155550100"}, "$.channel"),
    ({"address": "+14155550100", "channel": "sms"}, "$.channel"),
    ({"address": "+14155550100", "channel": "SMS", "status": "ON"}, "$.status"),
    ({"address": "+14155550100", "channel": "SMS", "displayName": "x" * 257}, "$.displayName"),
    ({"address": "+14155550100", "channel": "SMS", "displayName": 5}, "$.displayName"),
    ({"address": "+14155550100", "channel": "SMS", "tags": ["a"]}, "$.tags"),
    ({"address": "+14155550100", "channel": "SMS", "tags": {f"k{i}": "v" for i in range(11)}}, "$.tags"),
    ({"address": "+14155550100", "channel": "SMS", "tags": {"k": "bad value"}}, "$.tags.k"),
]


def test_register_rejects_invalid_fields_with_their_path(account: Account) -> None:
    for body, context in INVALID_REGISTRATIONS:
        expect_error(account.post("/v1/Senders", json=body), 400, 20001, [context], case=body)


def test_register_rejects_empty_array_and_non_objects(account: Account) -> None:
    for body in ([], None, 5, "sender", True):
        response = account.post("/v1/Senders", content=json.dumps(body), headers={"content-type": "application/json"})
        expect_error(response, 400, 20001, case=body)
    assert all_senders(account) == []


def test_register_ignores_unknown_fields(account: Account) -> None:
    response = account.post("/v1/Senders", json={"address": "+14155550100", "channel": "SMS", "colour": "blue"})
    assert response.status_code == 201, response.text
    assert "colour" not in response.json()


# -- fetch and list ---------------------------------------------------------------------------------


def test_fetch_unknown_or_malformed_sender_is_404(account: Account) -> None:
    expect_error(account.get(f"/v1/Senders/{NEVER_SENDER}"), 404, 20404)
    expect_error(account.get("/v1/Senders/not-a-sender-id"), 404, 20404)
    expect_error(account.get("/v1/Senders/comms_senderpool_01hzzzzzzzzzzzzzzzzzzzzzzz"), 404, 20404)


def test_list_is_empty_for_a_new_account(account: Account) -> None:
    response = account.get("/v1/Senders")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["senders"] == []
    assert body["pagination"]["next"] is None and isinstance(body["pagination"]["self"], str)


def test_list_pages_oldest_first_and_self_refetches_the_page(account: Account) -> None:
    registered = account.register_senders(7)
    assert account.walk("/v1/Senders", "senders", page_size=3) == registered
    first = account.get("/v1/Senders", params={"pageSize": 3}).json()
    second = account.get("/v1/Senders", params={"pageSize": 3, "pageToken": first["pagination"]["next"]}).json()
    assert [s["id"] for s in second["senders"]] == [s["id"] for s in registered[3:6]]
    again = account.get("/v1/Senders", params={"pageSize": 3, "pageToken": second["pagination"]["self"]}).json()
    assert again == second


def test_list_default_page_size_is_50(account: Account) -> None:
    account.register_senders(51)
    body = account.get("/v1/Senders").json()
    assert len(body["senders"]) == 50 and body["pagination"]["next"] is not None


def test_list_filters_by_channel_and_status(account: Account) -> None:
    sms = account.register_senders(3, channel="SMS")
    email = account.register_senders(2, channel="EMAIL")
    off = account.register_senders(2, channel="SMS", start=100, status="DEACTIVATED")
    push = account.register_senders(1, channel="PUSH", status="DEACTIVATED")
    walk = account.walk
    assert walk("/v1/Senders", "senders", page_size=2, channel="SMS") == sms + off
    assert walk("/v1/Senders", "senders", page_size=2, channel="EMAIL") == email
    assert walk("/v1/Senders", "senders", page_size=2, channel="RCS") == []
    assert walk("/v1/Senders", "senders", page_size=2, status="DEACTIVATED") == off + push
    assert walk("/v1/Senders", "senders", page_size=2, channel="SMS", status="ACTIVATED") == sms


def test_list_filters_by_creation_date(account: Account) -> None:
    early = account.register_senders(2)
    next_second()
    late = account.register_senders(2, start=10)
    boundary = late[0]["createdAt"]
    assert boundary > early[-1]["createdAt"]
    assert account.walk("/v1/Senders", "senders", startDate=boundary) == late
    assert account.walk("/v1/Senders", "senders", endDate=boundary) == early
    offset_form = boundary.replace("Z", "+00:00")
    assert account.walk("/v1/Senders", "senders", startDate=offset_form) == late
    assert account.walk("/v1/Senders", "senders", startDate="2000-01-01T00:00:00Z", endDate=boundary) == early


BAD_LIST_QUERIES = [
    ({"channel": "FAX"}, ["$.channel"]),
    ({"status": "on"}, ["$.status"]),
    ({"pageSize": "0"}, ["$.pageSize"]),
    ({"pageSize": "1001"}, ["$.pageSize"]),
    ({"pageSize": "ten"}, ["$.pageSize"]),
    ({"startDate": "2024-01-15"}, ["$.startDate"]),
    ({"endDate": "2024-01-15T09:30:00"}, ["$.endDate"]),
    ({"startDate": "2024-01-15T09:30:00Z", "endDate": "2024-01-15T09:30:00Z"}, ["$.endDate"]),
    ({"channel": "FAX", "status": "x", "pageSize": "-1"}, ["$.channel", "$.status", "$.pageSize"]),
    ({"pageToken": "forged"}, ["$.pageToken"]),
]


def test_list_rejects_bad_query_parameters(account: Account) -> None:
    for params, contexts in BAD_LIST_QUERIES:
        expect_error(account.get("/v1/Senders", params=params), 400, 20001, contexts, case=params)


def test_list_rejects_a_parameter_given_twice(account: Account) -> None:
    expect_error(account.get("/v1/Senders?channel=SMS&channel=SMS"), 400, 20001, ["$.channel"])


def test_list_token_is_bound_to_its_filters(account: Account) -> None:
    account.register_senders(3)
    token = account.get("/v1/Senders", params={"channel": "SMS", "pageSize": 1}).json()["pagination"]["next"]
    same = account.get("/v1/Senders", params={"channel": "SMS", "pageSize": 2, "pageToken": token})
    assert same.status_code == 200 and len(same.json()["senders"]) == 2
    other = account.get("/v1/Senders", params={"channel": "EMAIL", "pageSize": 1, "pageToken": token})
    expect_error(other, 400, 20001, ["$.pageToken"])
    expect_error(account.get("/v1/Senders", params={"pageToken": token[:-2] + "AA"}), 400, 20001, ["$.pageToken"])


# -- update -----------------------------------------------------------------------------------------


def test_patch_display_name_returns_200_sender_and_bumps_updated_at(account: Account) -> None:
    (sender,) = account.register_senders(1)
    next_second()
    response = account.patch(f"/v1/Senders/{sender['id']}", json={"displayName": "Main line"})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["displayName"] == "Main line"
    assert updated["createdAt"] == sender["createdAt"] and updated["updatedAt"] > sender["updatedAt"]
    assert {k: v for k, v in updated.items() if k not in ("displayName", "updatedAt")} == {
        k: v for k, v in sender.items() if k not in ("displayName", "updatedAt")
    }
    assert account.get(f"/v1/Senders/{sender['id']}").json() == updated


def test_patch_display_name_null_clears_it(account: Account) -> None:
    (sender,) = account.register_senders(1, displayName="Named")
    assert sender["displayName"] == "Named"
    updated = account.patch(f"/v1/Senders/{sender['id']}", json={"displayName": None}).json()
    assert updated["displayName"] is None
    assert account.get(f"/v1/Senders/{sender['id']}").json()["displayName"] is None


def test_patch_status_and_tags_replaces_tags_and_leaves_the_rest(account: Account) -> None:
    (sender,) = account.register_senders(1, displayName="Keep", tags={"a": "1", "b": "2"})
    response = account.patch(f"/v1/Senders/{sender['id']}", json={"status": "DEACTIVATED", "tags": {"c": "3"}})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["status"], updated["tags"], updated["displayName"]) == ("DEACTIVATED", {"c": "3"}, "Keep")
    back = account.patch(f"/v1/Senders/{sender['id']}", json={"status": "ACTIVATED", "tags": {}}).json()
    assert (back["status"], back["tags"]) == ("ACTIVATED", {})


def test_patch_without_fields_is_400(account: Account) -> None:
    (sender,) = account.register_senders(1)
    for body in ({}, {"unknownField": 1}):
        expect_error(account.patch(f"/v1/Senders/{sender['id']}", json=body), 400, 20001, case=body)
    assert account.get(f"/v1/Senders/{sender['id']}").json() == sender


def test_patch_reports_every_invalid_field(account: Account) -> None:
    (sender,) = account.register_senders(1)
    body = {"status": "PAUSED", "displayName": ["x"], "tags": {"ok": "bad value!"}}
    errors = expect_error(account.patch(f"/v1/Senders/{sender['id']}", json=body), 400, 20001)
    assert {e["context"] for e in errors} == {"$.status", "$.displayName", "$.tags.ok"}
    assert account.get(f"/v1/Senders/{sender['id']}").json() == sender


def test_a_whole_number_float_counts_as_an_integer(account: Account) -> None:
    """JSON Schema (and so the document) says 3.0 is an integer; 3.5 is not."""
    (sender,) = account.register_senders(1)
    headers = {"Content-Type": "application/json", EXTENSIONS_HEADER: "true"}
    url = f"/v1/Senders/{sender['id']}"
    response = account.patch(url, content=b'{"weight": 3.0}', headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["weight"] == 3
    errors = expect_error(account.patch(url, content=b'{"weight": 3.5}', headers=headers), 400, 20001)
    assert [(e["context"], e["message"]) for e in errors] == [("$.weight", "$.weight must be an integer")]
    assert account.get(url, headers={EXTENSIONS_HEADER: "true"}).json()["weight"] == 3


def test_patch_unknown_sender_is_404_whatever_the_body(account: Account) -> None:
    expect_error(account.patch(f"/v1/Senders/{NEVER_SENDER}", json={"displayName": "x"}), 404, 20404)
    expect_error(account.patch(f"/v1/Senders/{NEVER_SENDER}", json={}), 404, 20404)
    expect_error(account.patch("/v1/Senders/bogus", json={"status": "x"}), 404, 20404)


# -- delete -----------------------------------------------------------------------------------------


def test_delete_is_204_then_the_sender_is_gone(account: Account) -> None:
    kept, doomed = account.register_senders(2)
    response = account.delete(f"/v1/Senders/{doomed['id']}")
    assert response.status_code == 204 and response.content == b""
    expect_error(account.get(f"/v1/Senders/{doomed['id']}"), 404, 20404)
    expect_error(account.delete(f"/v1/Senders/{doomed['id']}"), 404, 20404)
    expect_error(account.patch(f"/v1/Senders/{doomed['id']}", json={"displayName": "x"}), 404, 20404)
    assert all_senders(account) == [kept]


def test_delete_removes_the_sender_from_every_pool(account: Account) -> None:
    a, b, c = account.register_senders(3)
    first, _ = account.create_pool(name="first", senders=[{"senderId": s["id"]} for s in (a, b, c)])
    second, _ = account.create_pool(name="second", senders=[{"senderId": s["id"]} for s in (b, c)])
    assert account.delete(f"/v1/Senders/{b['id']}").status_code == 204
    assert [m["id"] for m in account.walk(f"/v1/SenderPools/{first}/Senders", "senders")] == [a["id"], c["id"]]
    assert [m["id"] for m in account.walk(f"/v1/SenderPools/{second}/Senders", "senders")] == [c["id"]]
    expect_error(account.delete(f"/v1/SenderPools/{first}/Senders/{b['id']}"), 404, 20404)


def test_deleted_address_can_be_registered_again(account: Account) -> None:
    (sender,) = account.register_senders(1)
    assert account.delete(f"/v1/Senders/{sender['id']}").status_code == 204
    (again,) = account.register_senders(1)
    assert again["address"] == sender["address"] and again["id"] != sender["id"]


def test_delete_unknown_or_malformed_sender_is_404(account: Account) -> None:
    expect_error(account.delete(f"/v1/Senders/{NEVER_SENDER}"), 404, 20404)
    expect_error(account.delete("/v1/Senders/whatever"), 404, 20404)


# -- search -----------------------------------------------------------------------------------------


@pytest.fixture
def same_number(account: Account) -> list[dict[str, Any]]:
    """One number on SMS, RCS and WHATSAPP (RCS deactivated), plus unrelated senders."""
    body = [
        {"address": "+14155550199", "channel": "SMS"},
        {"address": "+14155550199", "channel": "RCS", "status": "DEACTIVATED"},
        {"address": "+14155550199", "channel": "WHATSAPP"},
        {"address": "+14155550198", "channel": "SMS"},
        {"address": "+14155550199", "channel": "PUSH"},
    ]
    senders: list[dict[str, Any]] = account.post("/v1/Senders", json=body).json()["senders"]
    return senders


def test_search_matches_address_and_channel_exactly(account: Account, same_number: list[dict[str, Any]]) -> None:
    response = search(account, address="+14155550199", channel="SMS")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["senders"] == [same_number[0]]
    assert body["pagination"]["next"] is None and isinstance(body["pagination"]["self"], str)
    assert search(account, address="+14155550199", channel="PUSH").json()["senders"] == [same_number[4]]
    assert search(account, address="+14155550199", channel="EMAIL").json()["senders"] == []
    assert search(account, address="+1415555019", channel="SMS").json()["senders"] == []


def test_search_phone_matches_sms_rcs_and_whatsapp(account: Account, same_number: list[dict[str, Any]]) -> None:
    found = search(account, address="+14155550199", channel="PHONE").json()["senders"]
    assert found == same_number[:3]


def test_search_filters_by_status(account: Account, same_number: list[dict[str, Any]]) -> None:
    active = search(account, address="+14155550199", channel="PHONE", status="ACTIVATED").json()["senders"]
    assert active == [same_number[0], same_number[2]]
    inactive = search(account, address="+14155550199", channel="PHONE", status="DEACTIVATED").json()["senders"]
    assert inactive == [same_number[1]]


def test_search_pages_with_tokens_in_the_body(account: Account, same_number: list[dict[str, Any]]) -> None:
    seen, token = [], None
    while True:
        response = search(account, address="+14155550199", channel="PHONE", pageSize=1, pageToken=token)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["senders"]) <= 1
        seen += page["senders"]
        token = page["pagination"]["next"]
        if token is None:
            break
    assert seen == same_number[:3]
    first = search(account, address="+14155550199", channel="PHONE", pageSize=1).json()
    again = search(account, address="+14155550199", channel="PHONE", pageSize=1, pageToken=first["pagination"]["self"])
    assert again.json() == first


def test_search_token_is_bound_to_address_and_channel(account: Account, same_number: list[dict[str, Any]]) -> None:
    token = search(account, address="+14155550199", channel="PHONE", pageSize=1).json()["pagination"]["next"]
    other_address = search(account, address="+14155550198", channel="PHONE", pageSize=1, pageToken=token)
    expect_error(other_address, 400, 20001, ["$.pageToken"])
    other_channel = search(account, address="+14155550199", channel="SMS", pageSize=1, pageToken=token)
    expect_error(other_channel, 400, 20001, ["$.pageToken"])
    expect_error(search(account, address="+1", channel="SMS", pageToken="garbage"), 400, 20001, ["$.pageToken"])


def test_search_reports_missing_fields_together(account: Account) -> None:
    errors = expect_error(search(account), 400, 20001)
    assert {e["context"] for e in errors} == {"$.address", "$.channel"}


INVALID_SEARCHES = [
    ({"address": "+14155550199", "channel": "FAX"}, "$.channel"),
    ({"address": "", "channel": "SMS"}, "$.address"),
    ({"address": "+14155550199", "channel": "SMS", "status": "ON"}, "$.status"),
    ({"address": "+14155550199", "channel": "SMS", "pageSize": 0}, "$.pageSize"),
    ({"address": "+14155550199", "channel": "SMS", "pageSize": 1001}, "$.pageSize"),
    ({"address": 14155550199, "channel": "SMS"}, "$.address"),
]


def test_search_rejects_invalid_fields(account: Account) -> None:
    for body, context in INVALID_SEARCHES:
        expect_error(search(account, **body), 400, 20001, [context], case=body)


def test_search_requires_a_body(account: Account) -> None:
    expect_error(account.post("/v1/Senders/Search"), 400, 20001)


def test_address_errors_are_reported_with_schema_errors_in_one_response(account: Account) -> None:
    body = [
        {"address": "+14155550100", "channel": "SMS", "tags": {"bad key": "x"}},  # schema error
        {"address": "not-a-phone", "channel": "WHATSAPP"},  # per-channel address rule
        {"address": "nobody", "channel": "EMAIL"},  # per-channel address rule
        {"address": "+1", "channel": "FAX"},  # bad channel: only the schema speaks
    ]
    response = account.post("/v1/Senders", json=body)
    assert response.status_code == 400
    contexts = {e["context"] for e in response.json()["errors"]}
    assert contexts == {'$[0].tags["bad key"]', "$[1].address", "$[2].address", "$[3].channel"}
    assert account.get("/v1/Senders").json()["senders"] == []


def test_resolve_reports_recipient_address_errors_with_schema_errors(account: Account) -> None:
    body = {
        "recipientAddresses": [{"address": "12345", "channel": "PHONE"}, {"address": "x", "channel": "PIGEON"}],
        "channels": {"filterIn": []},
    }
    response = account.post("/v1/Senders/Resolve", json=body)
    assert response.status_code == 400
    contexts = {e["context"] for e in response.json()["errors"]}
    assert contexts == {"$.recipientAddresses[0].address", "$.recipientAddresses[1].channel", "$.channels.filterIn"}
