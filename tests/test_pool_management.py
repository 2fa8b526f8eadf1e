"""Pool management extensions over HTTP, on both backends: summaries, name and tag search, newest first,
Remove Senders, deletion protection, conditional requests, and operations by pool and type.

Counters under concurrency, crashes and random sequences are in test_pool_counts.py and test_model.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from senderpools.http.pagination import PageTokens
from tests.conftest import Account, Server
from tests.test_items_and_cancel import apply_batch, items
from tests.test_sender_pools import (
    assert_error,
    assert_operation,
    assert_operation_accepted,
    assert_pool,
    many_unknown_senders,
    members,
    refs,
    running_server,
)

POOLS = "/v1/SenderPools"
OPERATIONS = "/v1/SenderPools/Operations"
EXTENDED = {"Senderpools-Extensions": "true"}
CHANNELS = ["SMS", "RCS", "EMAIL", "WHATSAPP", "PUSH"]
STATUSES = ["ACTIVATED", "DEACTIVATED"]


@pytest.fixture
def idle(tmp_path: Path, database_url: str) -> Iterator[Server]:
    """A server without a worker: operations stay PROCESSING until a test applies a batch itself."""
    with running_server(tmp_path, database_url, run_worker=False) as server:
        yield server


def summary(account: Account, pool_id: str) -> dict[str, Any]:
    response = account.get(f"{POOLS}/{pool_id}/Summary")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert list(body) == [
        "senderPoolId",
        "senderCount",
        "byChannel",
        "byStatus",
        "processingOperations",
        "updatedAt",
    ]
    assert list(body["byChannel"]) == CHANNELS and list(body["byStatus"]) == STATUSES
    assert body["senderCount"] == sum(body["byChannel"].values()) == sum(body["byStatus"].values())
    return body


def counted(account: Account, pool_id: str) -> dict[str, Any]:
    """What the summary must say, counted the slow way: by walking every member."""
    walked = account.walk(f"{POOLS}/{pool_id}/Senders", "senders", page_size=1000)
    channels, statuses = Counter(s["channel"] for s in walked), Counter(s["status"] for s in walked)
    return {
        "senderCount": len(walked),
        "byChannel": {c: channels[c] for c in CHANNELS},
        "byStatus": {s: statuses[s] for s in STATUSES},
    }


def assert_counts_exact(account: Account, pool_id: str) -> dict[str, Any]:
    found = summary(account, pool_id)
    assert {k: found[k] for k in ("senderCount", "byChannel", "byStatus")} == counted(account, pool_id)
    return found


def create(account: Account, **body: Any) -> str:
    pool_id, operation = account.create_pool(**body)
    assert operation["status"] == "COMPLETED", operation
    return pool_id


def remove_senders(account: Account, pool_id: str, body: Any) -> str:
    response = account.post(f"{POOLS}/{pool_id}/Senders/Remove", json=body)
    return assert_operation_accepted(response, f"{POOLS}/{pool_id}/Senders/Operations/")


def names(pools: list[dict[str, Any]]) -> list[str]:
    return [p["name"] for p in pools]


# -- summary ---------------------------------------------------------------------------------------
def test_summary_of_a_new_pool_lists_every_channel_and_status_at_zero(account: Account) -> None:
    pool_id = create(account, name="empty")
    found = summary(account, pool_id)
    assert found["senderPoolId"] == pool_id
    assert found["senderCount"] == 0 and found["processingOperations"] == 0
    assert set(found["byChannel"].values()) == set(found["byStatus"].values()) == {0}
    assert found["updatedAt"] == account.get(f"{POOLS}/{pool_id}").json()["createdAt"]


def test_summary_counts_members_by_channel_and_status(account: Account) -> None:
    sms = account.register_senders(3, "SMS")
    email = account.register_senders(2, "EMAIL", status="DEACTIVATED")
    push = account.register_senders(1, "PUSH")
    pool_id = create(account, senders=refs(sms + email + push) + many_unknown_senders(2))
    found = assert_counts_exact(account, pool_id)
    assert found["senderCount"] == 6
    assert found["byChannel"] == {"SMS": 3, "RCS": 0, "EMAIL": 2, "WHATSAPP": 0, "PUSH": 1}
    assert found["byStatus"] == {"ACTIVATED": 4, "DEACTIVATED": 2}


def test_summary_follows_every_kind_of_membership_change(account: Account) -> None:
    sms, wa = account.register_senders(4, "SMS"), account.register_senders(3, "WHATSAPP")
    pool_id = create(account, senders=refs(sms))
    other = create(account, senders=refs(sms[:2] + wa))
    account.wait_operation(account.post(f"{POOLS}/{pool_id}/Senders", json=refs(wa + sms[:1])).json()["operationId"])
    assert summary(account, pool_id)["senderCount"] == 7
    assert account.delete(f"{POOLS}/{pool_id}/Senders/{sms[3]['id']}").status_code == 202  # Remove Sender
    account.wait_operation(remove_senders(account, pool_id, refs(wa[:1] + sms[3:4])))  # one member, one not
    patched = account.patch(f"/v1/Senders/{sms[0]['id']}", json={"status": "DEACTIVATED"})
    assert patched.status_code == 200  # moves between statuses in both pools
    assert account.patch(f"/v1/Senders/{sms[0]['id']}", json={"displayName": "x"}).status_code == 200  # no move
    assert account.delete(f"/v1/Senders/{wa[1]['id']}").status_code == 204  # leaves both pools
    found = assert_counts_exact(account, pool_id)
    assert found["byChannel"] == {"SMS": 3, "RCS": 0, "EMAIL": 0, "WHATSAPP": 1, "PUSH": 0}
    assert found["byStatus"] == {"ACTIVATED": 3, "DEACTIVATED": 1}
    assert assert_counts_exact(account, other)["byStatus"] == {"ACTIVATED": 3, "DEACTIVATED": 1}


def test_summary_counts_processing_operations_and_bumps_updated_at(idle: Server) -> None:
    account = idle.new_account()
    senders = account.register_senders(3)
    pool_id, create_op = account.create_pool(wait=False, senders=refs(senders))
    add = account.post(f"{POOLS}/{pool_id}/Senders", json=refs(senders[:1])).json()["operationId"]
    before = summary(account, pool_id)
    assert before["processingOperations"] == 2 and before["senderCount"] == 0
    assert apply_batch(idle, create_op["id"], 10) == 3
    after = summary(account, pool_id)
    assert (after["processingOperations"], after["senderCount"]) == (1, 3)
    assert after["updatedAt"] >= before["updatedAt"]
    assert account.post(f"{OPERATIONS}/{add}/Cancel").status_code == 202
    assert summary(account, pool_id)["processingOperations"] == 0


def test_summary_of_unknown_deleted_or_foreign_pools_is_404(account: Account, other_account: Account) -> None:
    pool_id = create(account)
    assert_error(other_account.get(f"{POOLS}/{pool_id}/Summary"), 404)
    assert_error(account.get(f"{POOLS}/comms_senderpool_{'0' * 26}/Summary"), 404)
    assert_error(account.get(f"{POOLS}/not-a-pool/Summary"), 404)
    assert account.delete(f"{POOLS}/{pool_id}").status_code == 202
    assert_error(account.get(f"{POOLS}/{pool_id}/Summary"), 404)


def test_summary_has_an_etag_and_answers_304_until_it_changes(account: Account) -> None:
    senders = account.register_senders(2)
    pool_id = create(account, senders=refs(senders[:1]))
    first = account.get(f"{POOLS}/{pool_id}/Summary")
    tag = first.headers["ETag"]
    same = account.get(f"{POOLS}/{pool_id}/Summary", headers={"If-None-Match": tag})
    assert (same.status_code, same.content, same.headers["ETag"]) == (304, b"", tag)
    account.wait_operation(account.post(f"{POOLS}/{pool_id}/Senders", json=refs(senders[1:])).json()["operationId"])
    changed = account.get(f"{POOLS}/{pool_id}/Summary", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert changed.json()["senderCount"] == 2


# -- name and tag search -----------------------------------------------------------------------------
@pytest.fixture
def named(account: Account) -> dict[str, str]:
    """Pools named to exercise case folding, ties and prefixes; name -> id, in creation order."""
    made = {}
    for name, tags in [
        ("beta", {"team": "growth"}),
        ("Alpha one", {"team": "growth", "tier": "1"}),
        ("alpha two", {"team": "support"}),
        ("ALPHA", {}),
        ("Straße", {"team": "growth"}),
        ("alpha two", {"team": "growth"}),
        ("", {"team": "growth"}),
    ]:
        made[create(account, name=name, tags=tags)] = name
    return made


def test_name_prefix_ignores_case_and_lists_in_name_order(account: Account, named: dict[str, str]) -> None:
    found = account.walk(POOLS, "senderPools", page_size=2, namePrefix="alPHA")
    assert names(found) == ["ALPHA", "Alpha one", "alpha two", "alpha two"]
    ties = [p["id"] for p in found if p["name"] == "alpha two"]
    assert ties == sorted(ties)  # one name: oldest first
    for pool in found:
        assert_pool(pool)
    assert names(account.walk(POOLS, "senderPools", namePrefix="STRASS")) == ["Straße"]  # case folding: ß is ss
    assert names(account.walk(POOLS, "senderPools", namePrefix="alpha t")) == ["alpha two", "alpha two"]
    assert account.walk(POOLS, "senderPools", namePrefix="gamma") == []


def test_name_prefix_newest_first_is_the_reverse_walk(account: Account, named: dict[str, str]) -> None:
    oldest = account.walk(POOLS, "senderPools", page_size=1, namePrefix="a")
    newest = account.walk(POOLS, "senderPools", page_size=3, namePrefix="a", order="newest")
    assert [p["id"] for p in newest] == [p["id"] for p in reversed(oldest)]


def test_tag_search_is_exact_and_follows_tag_changes(account: Account, named: dict[str, str]) -> None:
    growth = account.walk(POOLS, "senderPools", page_size=2, tag="team:growth")
    expected = [p["id"] for p in account.walk(POOLS, "senderPools") if p["tags"].get("team") == "growth"]
    assert [p["id"] for p in growth] == expected and len(expected) == 5
    assert account.walk(POOLS, "senderPools", tag="team:Growth") == []
    pool_id = expected[0]
    assert account.patch(f"{POOLS}/{pool_id}", json={"tags": {"team": "support"}}).status_code == 202
    assert pool_id not in [p["id"] for p in account.walk(POOLS, "senderPools", tag="team:growth")]
    assert pool_id in [p["id"] for p in account.walk(POOLS, "senderPools", tag="team:support")]
    assert account.delete(f"{POOLS}/{expected[1]}").status_code == 202
    assert expected[1] not in [p["id"] for p in account.walk(POOLS, "senderPools", tag="team:growth")]
    newest = account.walk(POOLS, "senderPools", page_size=1, tag="team:growth", order="newest")
    assert [p["id"] for p in newest] == list(reversed(expected[2:]))


def test_name_prefix_and_tag_combine(account: Account, named: dict[str, str]) -> None:
    found = account.walk(POOLS, "senderPools", namePrefix="alpha", tag="team:growth")
    assert names(found) == ["Alpha one", "alpha two"]
    assert found[1]["tags"] == {"team": "growth"}


def test_search_pages_are_bound_to_their_filters(account: Account, named: dict[str, str]) -> None:
    page = account.get(POOLS, params={"namePrefix": "alpha", "pageSize": 1}).json()
    token = page["pagination"]["next"]
    assert account.get(POOLS, params={"namePrefix": "alpha", "pageToken": token}).status_code == 200
    assert_error(account.get(POOLS, params={"namePrefix": "alph", "pageToken": token}), 400, "$.pageToken")
    assert_error(account.get(POOLS, params={"pageToken": token}), 400, "$.pageToken")
    assert_error(
        account.get(POOLS, params={"namePrefix": "alpha", "order": "newest", "pageToken": token}), 400, "$.pageToken"
    )
    tagged = account.get(POOLS, params={"tag": "team:growth", "pageSize": 1}).json()["pagination"]["next"]
    assert_error(account.get(POOLS, params={"tag": "team:support", "pageToken": tagged}), 400, "$.pageToken")


def test_search_parameters_are_validated(account: Account) -> None:
    assert_error(account.get(POOLS, params={"namePrefix": ""}), 400, "$.namePrefix")
    assert_error(account.get(POOLS, params={"namePrefix": "x" * 257}), 400, "$.namePrefix")
    for bad in ("team", "team:", ":growth", "te am:growth", "team:gr owth", "a:b:c"):
        assert_error(account.get(POOLS, params={"tag": bad}), 400, "$.tag")
    errors = assert_error(account.get(POOLS, params={"tag": "x", "order": "random"}), 400, "$.tag", "$.order")
    assert any("oldest, newest" in e["message"] for e in errors)


def test_name_prefix_search_covers_characters_beyond_the_basic_plane(account: Account) -> None:
    made = [create(account, name=name) for name in ("a\U0001f600", "a\uffff", "ab", "a\U0010ffff", "b")]
    found = account.walk(POOLS, "senderPools", namePrefix="a")
    assert sorted(p["id"] for p in found) == sorted(made[:4])
    assert names(account.walk(POOLS, "senderPools", namePrefix="a\U0010ffff")) == ["a\U0010ffff"]


def test_name_search_and_dates_combine(account: Account) -> None:
    made = [create(account, name="dated") for _ in range(2)]
    since = account.walk(POOLS, "senderPools", page_size=1, namePrefix="DAT", startDate="2000-01-01T00:00:00Z")
    assert [p["id"] for p in since] == made
    assert account.walk(POOLS, "senderPools", namePrefix="dat", endDate="2000-01-01T00:00:00Z") == []
    created = account.get(f"{POOLS}/{made[1]}").json()["createdAt"]
    later = [p["id"] for p in account.walk(POOLS, "senderPools", namePrefix="dat", startDate=created)]
    assert made[1] in later and set(later) <= set(made)


# -- newest first on every list ---------------------------------------------------------------------------
def test_every_list_walks_newest_first_as_the_reverse_of_oldest_first(account: Account) -> None:
    senders = account.register_senders(5) + account.register_senders(2, "EMAIL")
    pool_id = create(account, senders=refs(senders))
    create(account, name="second")
    operation_id = account.get(OPERATIONS).json()["operations"][0]["id"]
    lists = [
        (POOLS, "senderPools", {}),
        (f"{POOLS}/{pool_id}/Senders", "senders", {}),
        (f"{POOLS}/{pool_id}/Senders", "senders", {"channel": "SMS"}),
        ("/v1/Senders", "senders", {}),
        (OPERATIONS, "operations", {}),
        (f"{OPERATIONS}/{operation_id}/Items", "items", {}),
    ]
    for path, key, filters in lists:
        oldest = account.walk(path, key, page_size=2, **filters)
        newest = account.walk(path, key, page_size=2, order="newest", **filters)
        assert len(oldest) > 1 and newest == list(reversed(oldest)), path
        assert account.walk(path, key, page_size=3, order="oldest", **filters) == oldest


def test_search_takes_order_in_its_body(account: Account) -> None:
    account.register_senders(1, "SMS")
    account.register_senders(1, "WHATSAPP")
    body: dict[str, Any] = {"address": "+14150000000", "channel": "PHONE", "pageSize": 1}
    oldest = account.post("/v1/Senders/Search", json=body).json()
    newest = account.post("/v1/Senders/Search", json={**body, "order": "newest"}).json()
    assert newest["senders"][0]["id"] != oldest["senders"][0]["id"]
    following = {**body, "order": "newest", "pageToken": newest["pagination"]["next"]}
    assert account.post("/v1/Senders/Search", json=following).json()["senders"] == oldest["senders"]
    assert_error(
        account.post("/v1/Senders/Search", json={**body, "pageToken": following["pageToken"]}), 400, "$.pageToken"
    )


def test_order_binds_page_tokens_and_oldest_is_the_default(account: Account) -> None:
    for i in range(3):
        create(account, name=f"p{i}")
    plain = account.get(POOLS, params={"pageSize": 1}).json()["pagination"]["next"]
    assert account.get(POOLS, params={"pageToken": plain, "order": "oldest"}).status_code == 200
    assert_error(account.get(POOLS, params={"pageToken": plain, "order": "newest"}), 400, "$.pageToken")


def test_tokens_of_lists_without_the_extensions_are_the_ones_issued_before_them(server: Server) -> None:
    """A token a client got before the extensions existed is still valid: the scope a plain list is
    bound to (list, account, its contract filters, dates) did not change, so neither did the token."""
    account = server.new_account()
    create(account, name="a")
    create(account, name="b")
    secret = server.call(server.store.server_secret)
    tokens = PageTokens(secret)
    for path, key, scope in [
        (POOLS, "senderPools", ("pools", account.account_sid, None)),
        (OPERATIONS, "operations", ("operations", account.account_sid, None)),
    ]:
        page = account.get(path, params={"pageSize": 1}).json()
        expected = tokens.page(scope, None, 1)
        assert page["pagination"]["self"] == tokens.encode(expected.scope, None)
        assert page["pagination"]["next"] == tokens.encode(expected.scope, page[key][0]["id"])


# -- operations: type and pool -------------------------------------------------------------------------
def test_operations_show_type_and_pool_only_with_the_opt_in(account: Account) -> None:
    senders = account.register_senders(2)
    pool_id, created = account.create_pool(senders=refs(senders))
    added = account.wait_operation(account.post(f"{POOLS}/{pool_id}/Senders", json=refs(senders)).json()["operationId"])
    removed = account.wait_operation(remove_senders(account, pool_id, refs(senders[:1])))
    stock = account.get(f"{OPERATIONS}/{created['id']}")
    assert_operation(stock.json())
    extended = account.get(f"{OPERATIONS}/{created['id']}", headers=EXTENDED).json()
    assert {k: v for k, v in extended.items() if k not in ("type", "senderPoolId")} == stock.json()
    assert (extended["type"], extended["senderPoolId"]) == ("CREATE", pool_id)
    listed = account.get(OPERATIONS, headers=EXTENDED).json()["operations"]
    assert [(o["id"], o["type"]) for o in listed] == [
        (created["id"], "CREATE"),
        (added["id"], "ADD_SENDERS"),
        (removed["id"], "REMOVE_SENDERS"),
    ]
    for operation in account.walk(OPERATIONS, "operations"):
        assert_operation(operation)
    scoped = account.get(f"{POOLS}/{pool_id}/Senders/Operations/{removed['id']}", headers=EXTENDED).json()
    assert scoped["type"] == "REMOVE_SENDERS"


def test_operations_filter_by_pool_and_type(account: Account) -> None:
    senders = account.register_senders(2)
    first, created = account.create_pool(senders=refs(senders))
    second = create(account)
    add = account.wait_operation(account.post(f"{POOLS}/{second}/Senders", json=refs(senders)).json()["operationId"])
    remove = account.wait_operation(remove_senders(account, second, refs(senders)))
    by_pool = account.walk(OPERATIONS, "operations", page_size=1, senderPoolId=second)
    assert [o["id"] for o in by_pool] == [o["id"] for o in account.walk(OPERATIONS, "operations")[1:]]
    assert [o["id"] for o in account.walk(OPERATIONS, "operations", senderPoolId=first)] == [created["id"]]
    assert [o["id"] for o in account.walk(OPERATIONS, "operations", type="REMOVE_SENDERS")] == [remove["id"]]
    both = account.walk(OPERATIONS, "operations", senderPoolId=second, type="ADD_SENDERS", status="COMPLETED")
    assert [o["id"] for o in both] == [add["id"]]
    assert account.delete(f"{POOLS}/{second}").status_code == 202
    assert len(account.walk(OPERATIONS, "operations", senderPoolId=second)) == 3  # records outlive their pool
    assert account.walk(OPERATIONS, "operations", senderPoolId=f"comms_senderpool_{'0' * 26}") == []
    assert_error(account.get(OPERATIONS, params={"type": "DELETE"}), 400, "$.type")
    assert_error(account.get(OPERATIONS, params={"senderPoolId": "x"}), 400, "$.senderPoolId")
    token = account.get(OPERATIONS, params={"type": "CREATE", "pageSize": 1}).json()["pagination"]["self"]
    assert_error(account.get(OPERATIONS, params={"pageToken": token}), 400, "$.pageToken")


# -- Remove Senders -----------------------------------------------------------------------------------------
def test_remove_senders_reports_each_outcome_and_counts_them(account: Account) -> None:
    members_, strangers = account.register_senders(3), account.register_senders(2, start=100)
    pool_id = create(account, senders=refs(members_))
    gone = many_unknown_senders(1)
    requested = refs(members_[:2]) + refs(strangers[:1]) + gone
    operation_id = remove_senders(account, pool_id, requested)
    operation = account.wait_operation(operation_id)
    assert assert_operation(operation) == {"total": 4, "queued": 0, "created": 3, "failed": 1}
    walked = items(account, operation_id)
    assert [(i["senderId"], i["outcome"]) for i in walked] == [
        (members_[0]["id"], "REMOVED"),
        (members_[1]["id"], "REMOVED"),
        (strangers[0]["id"], "NOT_A_MEMBER"),
        (gone[0]["senderId"], "SENDER_NOT_FOUND"),
    ]
    assert walked[3]["code"] == 20404
    assert members(account, pool_id) == [members_[2]["id"]]
    assert account.get(f"/v1/Senders/{members_[0]['id']}").status_code == 200  # senders stay in the inventory
    assert [i["senderId"] for i in items(account, operation_id, outcome="NOT_A_MEMBER")] == [strangers[0]["id"]]
    assert account.get(f"{POOLS}/{pool_id}/Senders/Operations/{operation_id}").json() == operation


def test_remove_senders_validates_its_body(account: Account, other_account: Account) -> None:
    senders = account.register_senders(2)
    pool_id = create(account, senders=refs(senders))
    path = f"{POOLS}/{pool_id}/Senders/Remove"
    assert_error(account.post(path, json=[]), 400, "$")
    assert_error(account.post(path, json=refs(senders) + refs(senders[:1])), 400, "$[2].senderId")
    assert_error(account.post(path, json=[{"senderId": "nope"}, {}]), 400, "$[0].senderId", "$[1].senderId")
    assert_error(account.post(path, json=many_unknown_senders(10_001)), 400, "$")
    assert_error(account.post(path, json={"senderId": senders[0]["id"]}), 400, "$")  # an array only
    assert_error(other_account.post(path, json=refs(senders)), 404)
    assert_error(account.post(f"{POOLS}/comms_senderpool_{'0' * 26}/Senders/Remove", json="garbage"), 404)
    assert account.get(path).status_code == 405
    assert members(account, pool_id) == sorted(s["id"] for s in senders)


def test_removing_ten_thousand_senders_completes_and_counts(account: Account) -> None:
    senders = account.register_senders(10_000)
    pool_id = create(account, senders=refs(senders))
    operation = account.wait_operation(remove_senders(account, pool_id, refs(senders[:9_999])), timeout=120)
    assert operation["stats"] == {"total": 9_999, "queued": 0, "created": 9_999, "failed": 0}
    assert assert_counts_exact(account, pool_id)["senderCount"] == 1


# -- deletion protection -------------------------------------------------------------------------------------
def test_a_protected_pool_refuses_delete_until_unprotected(account: Account) -> None:
    pool_id = create(account, name="prod", deletionProtection=True)
    stock = account.get(f"{POOLS}/{pool_id}").json()
    assert_pool(stock)  # no extension field for a stock client
    protected = {**stock, "deletionProtection": True, "selection": {"channelPriority": [], "senderTypePriority": []}}
    assert account.get(f"{POOLS}/{pool_id}", headers=EXTENDED).json() == protected
    assert account.get(POOLS, headers=EXTENDED).json()["senderPools"] == [protected]
    (error,) = assert_error(account.delete(f"{POOLS}/{pool_id}"), 409)
    assert (
        '{"deletionProtection": false}' in error["message"] and f"PATCH /v1/SenderPools/{pool_id}" in error["message"]
    )
    assert account.get(f"{POOLS}/{pool_id}").status_code == 200
    assert account.patch(f"{POOLS}/{pool_id}", json={"deletionProtection": False}).status_code == 202
    unprotected = account.get(f"{POOLS}/{pool_id}", headers=EXTENDED).json()
    assert unprotected["deletionProtection"] is False and unprotected["name"] == "prod"
    assert account.delete(f"{POOLS}/{pool_id}").status_code == 202


def test_protection_is_false_by_default_and_validated(account: Account) -> None:
    pool_id = create(account)
    assert account.get(f"{POOLS}/{pool_id}", headers=EXTENDED).json()["deletionProtection"] is False
    assert_error(account.patch(f"{POOLS}/{pool_id}", json={"deletionProtection": "yes"}), 400, "$.deletionProtection")
    assert_error(account.post(POOLS, json={"deletionProtection": 1}), 400, "$.deletionProtection")
    assert account.patch(f"{POOLS}/{pool_id}", json={"deletionProtection": True}).status_code == 202
    assert account.patch(f"{POOLS}/{pool_id}", json={"name": "renamed"}).status_code == 202  # stays protected
    assert account.get(f"{POOLS}/{pool_id}", headers=EXTENDED).json()["deletionProtection"] is True
    assert_error(account.delete(f"{POOLS}/{pool_id}"), 409)


# -- conditional requests -----------------------------------------------------------------------------------
def test_fetch_has_an_etag_per_view_and_answers_304_while_unchanged(account: Account) -> None:
    pool_id = create(account, name="tagged")
    stock = account.get(f"{POOLS}/{pool_id}")
    extended = account.get(f"{POOLS}/{pool_id}", headers=EXTENDED)
    assert stock.headers["ETag"] != extended.headers["ETag"]
    for response, headers in ((stock, {}), (extended, EXTENDED)):
        tag = response.headers["ETag"]
        for sent in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            again = account.get(f"{POOLS}/{pool_id}", headers={**headers, "If-None-Match": sent})
            assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", tag), sent
    assert account.get(f"{POOLS}/{pool_id}", headers={"If-None-Match": '"other"'}).status_code == 200
    assert account.patch(f"{POOLS}/{pool_id}", json={"name": "renamed"}).status_code == 202
    after = account.get(f"{POOLS}/{pool_id}", headers={"If-None-Match": stock.headers["ETag"]})
    assert after.status_code == 200 and after.json()["name"] == "renamed"


def test_if_match_makes_patch_and_delete_conditional(account: Account) -> None:
    pool_id = create(account, name="shared")
    stock_tag = account.get(f"{POOLS}/{pool_id}").headers["ETag"]
    extended_tag = account.get(f"{POOLS}/{pool_id}", headers=EXTENDED).headers["ETag"]
    first = account.patch(f"{POOLS}/{pool_id}", json={"name": "first admin"}, headers={"If-Match": stock_tag})
    assert first.status_code == 202
    for stale in (
        stock_tag,
        extended_tag,
        f'"x", {stock_tag}',
        f"W/{account.get(f'{POOLS}/{pool_id}').headers['ETag']}",
    ):
        response = account.patch(f"{POOLS}/{pool_id}", json={"name": "second admin"}, headers={"If-Match": stale})
        (error,) = assert_error(response, 412)
        assert error["code"] == 20412 and "changed since it was read" in error["message"]
        assert_error(account.delete(f"{POOLS}/{pool_id}", headers={"If-Match": stale}), 412)
    assert account.get(f"{POOLS}/{pool_id}").json()["name"] == "first admin"
    current = account.get(f"{POOLS}/{pool_id}", headers=EXTENDED).headers["ETag"]
    assert account.patch(f"{POOLS}/{pool_id}", json={"tags": {"a": "b"}}, headers={"If-Match": "*"}).status_code == 202
    assert_error(account.delete(f"{POOLS}/{pool_id}", headers={"If-Match": current}), 412)
    fresh = account.get(f"{POOLS}/{pool_id}").headers["ETag"]
    assert_error(account.delete(f"{POOLS}/comms_senderpool_{'0' * 26}", headers={"If-Match": "*"}), 404)
    assert account.delete(f"{POOLS}/{pool_id}", headers={"If-Match": fresh}).status_code == 202
    assert_error(account.patch(f"{POOLS}/{pool_id}", json={"name": "x"}, headers={"If-Match": "*"}), 404)


def test_a_change_the_stock_view_does_not_show_still_makes_its_tag_stale(account: Account) -> None:
    pool_id = create(account, name="quiet")
    stock = account.get(f"{POOLS}/{pool_id}")
    assert account.patch(f"{POOLS}/{pool_id}", json={"deletionProtection": True}).status_code == 202
    after = account.get(f"{POOLS}/{pool_id}")
    assert after.json()["name"] == stock.json()["name"] and after.headers["ETag"] != stock.headers["ETag"]
    stale = account.patch(f"{POOLS}/{pool_id}", json={"name": "loud"}, headers={"If-Match": stock.headers["ETag"]})
    assert_error(stale, 412)
    fresh = account.patch(f"{POOLS}/{pool_id}", json={"name": "loud"}, headers={"If-Match": after.headers["ETag"]})
    assert fresh.status_code == 202


def test_if_match_on_a_protected_pool_checks_the_tag_first(account: Account) -> None:
    pool_id = create(account, deletionProtection=True)
    tag = account.get(f"{POOLS}/{pool_id}").headers["ETag"]
    assert_error(account.delete(f"{POOLS}/{pool_id}", headers={"If-Match": '"stale"'}), 412)
    assert_error(account.delete(f"{POOLS}/{pool_id}", headers={"If-Match": tag}), 409)


# -- stock clients see nothing new ---------------------------------------------------------------------------
def test_stock_answers_carry_no_extension_field(account: Account) -> None:
    senders = account.register_senders(1)
    pool_id, created = account.create_pool(name="s", deletionProtection=True, senders=refs(senders))
    remove_id = remove_senders(account, pool_id, refs(senders))
    account.wait_operation(remove_id)
    for pool in [account.get(f"{POOLS}/{pool_id}").json(), *account.get(POOLS).json()["senderPools"]]:
        assert_pool(pool)
    for pool in account.get(POOLS, params={"namePrefix": "s", "tag": "x:y"}).json()["senderPools"]:
        assert_pool(pool)
    for operation in [
        account.get(f"{OPERATIONS}/{created['id']}").json(),
        account.get(f"{OPERATIONS}/{remove_id}").json(),
        *account.get(OPERATIONS).json()["operations"],
        *account.get(OPERATIONS, params={"type": "REMOVE_SENDERS"}).json()["operations"],
    ]:
        assert_operation(operation)
    not_opted = account.get(f"{POOLS}/{pool_id}", headers={"Senderpools-Extensions": "false"}).json()
    assert_pool(not_opted)


def test_cancel_answers_the_stock_operation_unless_opted_in(idle: Server) -> None:
    account = idle.new_account()
    senders = account.register_senders(2)
    pool_id = create_idle(account)
    first = remove_senders(account, pool_id, refs(senders))
    second = remove_senders(account, pool_id, refs(senders[:1]))
    assert_operation(account.post(f"{OPERATIONS}/{first}/Cancel").json())
    canceled = account.post(f"{OPERATIONS}/{second}/Cancel", headers=EXTENDED).json()
    assert (canceled["status"], canceled["type"], canceled["senderPoolId"]) == ("CANCELED", "REMOVE_SENDERS", pool_id)


def create_idle(account: Account) -> str:
    """A pool on a server without a worker (its Create has no senders, so it is COMPLETED at once)."""
    pool_id, operation = account.create_pool(wait=False)
    assert account.wait_operation(operation["id"])["status"] == "COMPLETED"
    return pool_id


def test_stock_and_extended_answers_differ_only_by_the_extension_fields(account: Account) -> None:
    pool_id = create(account, name="x", tags={"k": "v"})
    pool_fields, operation_fields = {"deletionProtection", "selection"}, {"type", "senderPoolId"}
    for path, extensions in [
        (f"{POOLS}/{pool_id}", pool_fields),
        (POOLS, pool_fields),
        (OPERATIONS, operation_fields),
        (f"{OPERATIONS}/{account.get(OPERATIONS).json()['operations'][0]['id']}", operation_fields),
        (f"{POOLS}/{pool_id}/Summary", set()),  # an extension endpoint: the same for everyone
    ]:
        stock, extended = account.get(path), account.get(path, headers=EXTENDED)
        assert stock.status_code == extended.status_code == 200

        def strip(value: Any, extensions: set[str] = extensions) -> Any:
            if isinstance(value, dict):
                return {k: strip(v) for k, v in value.items() if k not in extensions}
            if isinstance(value, list):
                return [strip(v) for v in value]
            return value

        assert strip(extended.json()) == stock.json() != extended.json() or not extensions, path
