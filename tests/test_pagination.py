"""Pagination and date filters of the Sender Pools lists: page sizes, signed keyset tokens, stable walks."""

from __future__ import annotations

import base64
import os
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.conftest import Account
from tests.test_sender_pools import assert_error, refs

ITEMS = 13
Lists = dict[str, tuple[str, str, list[dict[str, Any]]]]  # list name -> (path, key, items oldest first)


@pytest.fixture
def populated(account: Account) -> Lists:
    """13 pools (so 13 Create operations), the first with 13 members."""
    senders = account.register_senders(ITEMS)
    first, _ = account.create_pool(name="p0", senders=refs(senders))
    for i in range(1, ITEMS):  # no senders: each Create completes at once
        assert account.post("/v1/SenderPools", json={"name": f"p{i}"}).status_code == 202
    pools = account.get("/v1/SenderPools", params={"pageSize": 1000}).json()["senderPools"]
    operations = account.get("/v1/SenderPools/Operations", params={"pageSize": 1000}).json()["operations"]
    assert len(pools) == len(operations) == ITEMS
    return {
        "pools": ("/v1/SenderPools", "senderPools", pools),
        "members": (f"/v1/SenderPools/{first}/Senders", "senders", senders),
        "operations": ("/v1/SenderPools/Operations", "operations", operations),
    }


def list_paths(account: Account) -> list[str]:
    """The path of each list (members of a fresh empty pool)."""
    pool_id, _ = account.create_pool()
    return ["/v1/SenderPools", f"/v1/SenderPools/{pool_id}/Senders", "/v1/SenderPools/Operations"]


def get_page(account: Account, path: str, **params: Any) -> dict[str, Any]:
    response = account.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert list(body["pagination"]) == ["next", "self"]
    assert isinstance(body["pagination"]["self"], str) and body["pagination"]["self"]
    return body


def second_page_token(account: Account, path: str, **filters: Any) -> str:
    """The ``next`` token of a first page of size 1 under ``filters``."""
    token = get_page(account, path, pageSize=1, **filters)["pagination"]["next"]
    assert isinstance(token, str)
    return token


def corrupt(token: str) -> str:
    """The token with one character in the middle changed (still URL-safe base64)."""
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


# -- page size ---------------------------------------------------------------------------------
def test_page_size_out_of_bounds_is_400(account: Account) -> None:
    for path in list_paths(account):
        for size in ("0", "1001", "abc", "-1", "1.5", "", "\uff11", "1e3"):
            assert_error(account.get(path, params={"pageSize": size}), 400, "$.pageSize")


def test_page_size_given_twice_is_400(account: Account) -> None:
    for path in list_paths(account):
        response = account.get(path, params=[("pageSize", "1"), ("pageSize", "2")])
        assert_error(response, 400, "$.pageSize")


def test_page_size_accepts_1_and_1000(account: Account) -> None:
    for path in list_paths(account):
        for size in (1, 1000):
            assert account.get(path, params={"pageSize": size}).status_code == 200


def test_default_page_size_is_50(account: Account) -> None:
    senders = account.register_senders(51)
    pool_id, _ = account.create_pool(senders=refs(senders))
    first = get_page(account, f"/v1/SenderPools/{pool_id}/Senders")
    assert ids(first["senders"]) == ids(senders[:50])
    assert first["pagination"]["next"] is not None
    last = get_page(account, f"/v1/SenderPools/{pool_id}/Senders", pageToken=first["pagination"]["next"])
    assert ids(last["senders"]) == [senders[50]["id"]]
    assert last["pagination"]["next"] is None


# -- page objects --------------------------------------------------------------------------------
def test_an_empty_list_has_both_pagination_keys(account: Account) -> None:
    for path, key in (("/v1/SenderPools", "senderPools"), ("/v1/SenderPools/Operations", "operations")):
        body = get_page(account, path)
        assert body == {key: [], "pagination": {"next": None, "self": body["pagination"]["self"]}}
    pool_id, _ = account.create_pool()
    body = get_page(account, f"/v1/SenderPools/{pool_id}/Senders")
    assert body == {"senders": [], "pagination": {"next": None, "self": body["pagination"]["self"]}}


def test_next_is_null_exactly_on_the_last_page(account: Account, populated: Lists) -> None:
    for path, key, items in populated.values():
        exact = get_page(account, path, pageSize=ITEMS)
        assert ids(exact[key]) == ids(items)
        assert exact["pagination"]["next"] is None
        short = get_page(account, path, pageSize=ITEMS - 1)
        assert short["pagination"]["next"] is not None
        rest = get_page(account, path, pageSize=ITEMS - 1, pageToken=short["pagination"]["next"])
        assert ids(rest[key]) == [items[-1]["id"]]
        assert rest["pagination"]["next"] is None


def test_self_refetches_the_same_page(account: Account, populated: Lists) -> None:
    for path, key, items in populated.values():
        first = get_page(account, path, pageSize=4)
        assert get_page(account, path, pageSize=4, pageToken=first["pagination"]["self"]) == first
        second = get_page(account, path, pageSize=4, pageToken=first["pagination"]["next"])
        assert ids(second[key]) == ids(items[4:8])
        assert get_page(account, path, pageSize=4, pageToken=second["pagination"]["self"]) == second


def test_walk_returns_every_item_once_in_created_order(account: Account, populated: Lists) -> None:
    for path, key, items in populated.values():
        assert [(i["createdAt"], i["id"]) for i in items] == sorted((i["createdAt"], i["id"]) for i in items)
        for size in range(1, 8):
            assert account.walk(path, key, page_size=size) == items, (path, size)


def test_page_size_may_change_between_pages(account: Account, populated: Lists) -> None:
    for path, key, items in populated.values():
        walked: list[dict[str, Any]] = []
        token = None
        for size in (2, 5, 1, 3, 1000):
            params: dict[str, Any] = {"pageSize": size}
            if token:
                params["pageToken"] = token
            body = get_page(account, path, **params)
            walked += body[key]
            token = body["pagination"]["next"]
        assert token is None
        assert walked == items, path


# -- tokens --------------------------------------------------------------------------------------
def forgeries(token: str) -> list[str]:
    return [
        "",
        "abc",
        "not a token!",
        "%%%%",
        corrupt(token),
        token[:-1],
        token[:10],
        token + "AAAA",
        base64.urlsafe_b64encode(os.urandom(40)).decode().rstrip("="),
        base64.urlsafe_b64encode(b"\x01" + b"\x00" * 8 + b"comms_senderpool_zzz" + b"\x00" * 16).decode(),
    ]


def test_forged_or_corrupted_tokens_are_400(account: Account, populated: Lists) -> None:
    for path, _, _ in populated.values():
        token = second_page_token(account, path)
        for bad in forgeries(token):
            response = account.get(path, params={"pageToken": bad, "pageSize": 1})
            assert_error(response, 400, "$.pageToken")
        assert account.get(path, params={"pageToken": token, "pageSize": 1}).status_code == 200


def test_page_token_given_twice_is_400(account: Account) -> None:
    account.create_pool()
    account.create_pool()
    token = second_page_token(account, "/v1/SenderPools")
    response = account.get("/v1/SenderPools", params=[("pageToken", token), ("pageToken", token)])
    assert_error(response, 400, "$.pageToken")


def test_pool_token_is_bound_to_its_filters(account: Account, populated: Lists) -> None:
    path, key, pools = populated["pools"]
    start = pools[0]["createdAt"]
    token = second_page_token(account, path, startDate=start)
    for other_filters in (
        {},
        {"startDate": "2000-01-01T00:00:00Z"},
        {"startDate": start, "endDate": "2999-01-01T00:00:00Z"},
        {"startDate": start, "operationId": populated["operations"][2][0]["id"]},
    ):
        response = account.get(path, params={**other_filters, "pageToken": token, "pageSize": 1})
        assert_error(response, 400, "$.pageToken")
    same = get_page(account, path, startDate=start, pageToken=token, pageSize=1)
    assert ids(same[key]) == [pools[1]["id"]]


def test_member_token_is_bound_to_its_filters_and_pool(account: Account, populated: Lists) -> None:
    path, key, senders = populated["members"]
    token = second_page_token(account, path, channel="SMS", status="ACTIVATED")
    other_pool, _ = account.create_pool(senders=refs(senders))
    for other_path, other_filters in (
        (path, {}),
        (path, {"channel": "SMS"}),
        (path, {"channel": "EMAIL", "status": "ACTIVATED"}),
        (f"/v1/SenderPools/{other_pool}/Senders", {"channel": "SMS", "status": "ACTIVATED"}),
    ):
        response = account.get(other_path, params={**other_filters, "pageToken": token})
        assert_error(response, 400, "$.pageToken")
    same = get_page(account, path, channel="SMS", status="ACTIVATED", pageToken=token, pageSize=2)
    assert ids(same[key]) == ids(senders[1:3])


def test_operation_token_is_bound_to_its_filters(account: Account, populated: Lists) -> None:
    path, key, operations = populated["operations"]
    token = second_page_token(account, path, status="COMPLETED")
    for other_filters in ({}, {"status": "PROCESSING"}, {"status": "COMPLETED", "endDate": "2999-01-01T00:00:00Z"}):
        response = account.get(path, params={**other_filters, "pageToken": token})
        assert_error(response, 400, "$.pageToken")
    same = get_page(account, path, status="COMPLETED", pageToken=token, pageSize=1)
    assert ids(same[key]) == [operations[1]["id"]]


def test_a_token_of_one_list_is_rejected_by_another(account: Account, populated: Lists) -> None:
    tokens = {name: second_page_token(account, path) for name, (path, _, _) in populated.items()}
    for name, (path, _, _) in populated.items():
        for other, token in tokens.items():
            if other != name:
                assert_error(account.get(path, params={"pageToken": token}), 400, "$.pageToken")


def test_a_token_from_one_account_is_rejected_for_another(
    account: Account, other_account: Account, populated: Lists
) -> None:
    for _ in range(3):
        other_account.create_pool()
    for path in ("/v1/SenderPools", "/v1/SenderPools/Operations"):
        token = second_page_token(account, path)
        response = other_account.get(path, params={"pageToken": token, "pageSize": 1})
        assert_error(response, 400, "$.pageToken")
        assert "comms_senderpool_" not in response.text and "comms_operation_" not in response.text
        # The account's own token works on the same list for its owner only.
        assert account.get(path, params={"pageToken": token, "pageSize": 1}).status_code == 200


# -- walks while the list changes ------------------------------------------------------------------
def test_pool_walk_under_concurrent_inserts_and_deletes(account: Account) -> None:
    initial = [account.create_pool(name=f"initial-{i}")[0] for i in range(12)]
    seen: list[str] = []
    deleted_unvisited: set[str] = set()
    inserted: list[str] = []
    token = None
    for step in range(100):
        params: dict[str, Any] = {"pageSize": 3 if step % 2 == 0 else 2}
        if token:
            params["pageToken"] = token
        body = get_page(account, "/v1/SenderPools", **params)
        page = ids(body["senderPools"])
        seen += page
        token = body["pagination"]["next"]
        if token is None:
            break
        # Between pages: insert new pools, delete the cursor item and an unvisited pool.
        inserted += [account.create_pool(name=f"new-{step}-{j}")[0] for j in range(2)]
        assert account.delete(f"/v1/SenderPools/{page[-1]}").status_code == 202
        unvisited = [p for p in initial if p not in seen and p not in deleted_unvisited]
        if unvisited:
            victim = unvisited[len(unvisited) // 2]
            assert account.delete(f"/v1/SenderPools/{victim}").status_code == 202
            deleted_unvisited.add(victim)
    assert token is None
    assert deleted_unvisited and inserted
    assert len(seen) == len(set(seen)), "an item repeated"
    assert seen == sorted(seen)
    survivors = [p for p in initial if p not in deleted_unvisited]
    assert [p for p in seen if p in initial] == survivors
    assert not deleted_unvisited & set(seen)
    assert set(seen) <= set(initial) | set(inserted)


def test_member_walk_under_concurrent_adds_and_removes(account: Account) -> None:
    initial = account.register_senders(12)
    pool_id, _ = account.create_pool(senders=refs(initial))
    path = f"/v1/SenderPools/{pool_id}/Senders"
    initial_ids = ids(initial)
    seen: list[str] = []
    removed_unvisited: set[str] = set()
    token = None
    for step in range(100):
        body = get_page(account, path, pageSize=3, **({"pageToken": token} if token else {}))
        page = ids(body["senders"])
        seen += page
        token = body["pagination"]["next"]
        if token is None:
            break
        newcomers = account.register_senders(2, start=1000 + 10 * step)
        added = account.post(path, json=refs(newcomers))
        account.wait_operation(added.json()["operationId"])
        assert account.delete(f"{path}/{page[-1]}").status_code == 202
        unvisited = [s for s in initial_ids if s not in seen and s not in removed_unvisited]
        if unvisited:
            victim = unvisited[-1]
            assert account.delete(f"{path}/{victim}").status_code == 202
            removed_unvisited.add(victim)
    assert removed_unvisited
    assert len(seen) == len(set(seen)), "an item repeated"
    assert seen == sorted(seen)
    assert [s for s in seen if s in initial_ids] == [s for s in initial_ids if s not in removed_unvisited]


# -- date filters --------------------------------------------------------------------------------
def with_offset(timestamp: str, hours: int) -> str:
    """The same instant as ``timestamp`` (``...Z``) written with a ``±HH:00`` offset."""
    local = datetime.fromisoformat(timestamp) + timedelta(hours=hours)
    return local.replace(tzinfo=None).isoformat() + f"{'+' if hours >= 0 else '-'}{abs(hours):02d}:00"


def test_pool_date_filters_start_inclusive_end_exclusive_any_offset(account: Account) -> None:
    early = [account.create_pool(name=f"early-{i}")[0] for i in range(2)]
    time.sleep(1.1)  # timestamps are whole seconds
    late = [account.create_pool(name=f"late-{i}")[0] for i in range(2)]
    boundary = account.get(f"/v1/SenderPools/{late[0]}").json()["createdAt"]
    first = account.get(f"/v1/SenderPools/{early[0]}").json()["createdAt"]

    def listed(**filters: str) -> list[str]:
        return ids(account.walk("/v1/SenderPools", "senderPools", page_size=1, **filters))

    assert listed(startDate=boundary) == late
    assert listed(endDate=boundary) == early
    assert listed(startDate=first, endDate=boundary) == early
    assert listed(startDate=first) == early + late
    for hours in (2, -5, 0):
        assert listed(startDate=with_offset(boundary, hours)) == late
        assert listed(endDate=with_offset(boundary, hours)) == early
    assert listed(startDate=boundary.replace("Z", "z").replace("T", "t")) == late
    last = account.get(f"/v1/SenderPools/{late[-1]}").json()["createdAt"]  # a busy machine: maybe a second on
    one_second_on = (datetime.fromisoformat(last) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listed(startDate=one_second_on) == []
    assert listed(startDate=first, endDate="2999-12-31T23:59:59Z") == early + late


NOT_RFC3339 = [
    "2024-01-15T09:30:00",  # naive
    "2024-01-15",
    "yesterday",
    "2024-13-01T00:00:00Z",
    "2024-01-15 09:30:00Z",
    "1705311000",
    "",
    "2024-01-15T09:30+02:00",  # no seconds
    "2024-01-15T09:30:00+0200",  # ISO 8601 basic offset
    "2024-01-15T09:30:00+02",
    "2024-W03-1T09:30:00Z",  # ISO week date
    "2024-01-15T09:30:60Z",
    "2024-01-15T09:30:00+24:00",
]


def test_naive_or_garbage_dates_are_400(account: Account) -> None:
    for path in list_paths(account):
        for value in NOT_RFC3339:
            assert_error(account.get(path, params={"startDate": value}), 400, "$.startDate")
            assert_error(account.get(path, params={"endDate": value}), 400, "$.endDate")
            both = {"startDate": value, "endDate": value, "pageSize": "0"}
            assert_error(account.get(path, params=both), 400, "$.startDate", "$.endDate", "$.pageSize")


def test_rfc3339_fractions_and_offsets_are_accepted_and_filter_by_the_instant_they_name(account: Account) -> None:
    sender_id = account.register_senders(1)[0]["id"]
    pool_id, _ = account.create_pool(senders=[{"senderId": sender_id}])
    paths = {
        "/v1/SenderPools": "senderPools",
        f"/v1/SenderPools/{pool_id}/Senders": "senders",
        "/v1/SenderPools/Operations": "operations",
    }
    for path, key in paths.items():
        created = get_page(account, path)[key][0]["createdAt"]  # RFC 3339 UTC, to the second
        instant = datetime.fromisoformat(created.replace("Z", "+00:00"))
        # The same instant written with fractions and other offsets: startDate includes it, endDate excludes it.
        for value in (
            (instant - timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.000000000-05:30"),
            instant.astimezone(timezone(timedelta(hours=9))).isoformat(),
            instant.strftime("%Y-%m-%dT%H:%M:%S.0-00:00"),
        ):
            assert [i["createdAt"] for i in get_page(account, path, startDate=value)[key]] == [created], (path, value)
            assert get_page(account, path, endDate=value)[key] == [], (path, value)
        later = (instant + timedelta(seconds=1)).astimezone(timezone(timedelta(hours=-3))).isoformat()
        assert get_page(account, path, startDate=later)[key] == []
        assert [i["createdAt"] for i in get_page(account, path, endDate=later)[key]] == [created]


def test_end_date_not_after_start_date_is_400(account: Account) -> None:
    for path in list_paths(account):
        same = {"startDate": "2024-01-15T09:30:00Z", "endDate": "2024-01-15T11:30:00+02:00"}
        assert_error(account.get(path, params=same), 400, "$.endDate")
        before = {"startDate": "2024-01-15T09:30:00Z", "endDate": "2024-01-15T09:29:59Z"}
        assert_error(account.get(path, params=before), 400, "$.endDate")
        after = {"startDate": "2024-01-15T09:30:00Z", "endDate": "2024-01-15T09:30:01Z"}
        assert account.get(path, params=after).status_code == 200


def test_a_parameter_given_twice_is_400(account: Account) -> None:
    for path in list_paths(account):
        params = [("startDate", "2024-01-15T09:30:00Z"), ("startDate", "2024-01-16T09:30:00Z")]
        assert_error(account.get(path, params=params), 400, "$.startDate")
        assert_error(account.get(path, params=[("endDate", "2999-01-01T00:00:00Z")] * 2), 400, "$.endDate")
