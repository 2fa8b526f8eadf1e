"""Per-item results (GET .../Operations/{id}/Items) and Cancel (POST .../Operations/{id}/Cancel) over HTTP."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from senderpools import ids
from tests.conftest import Account, Server
from tests.test_openapi import Contract
from tests.test_sender_pools import (
    BASE,
    UNKNOWN_OPERATION,
    assert_error,
    assert_operation,
    many_unknown_senders,
    members,
    refs,
    running_server,
)

OPERATIONS = "/v1/SenderPools/Operations"
ITEM_FIELDS = ["senderId", "outcome", "code", "message", "updatedAt"]
SUCCEEDED, FAILED = {"CREATED", "ALREADY_MEMBER"}, {"SENDER_NOT_FOUND", "CANCELED"}


@pytest.fixture
def idle(tmp_path: Path, database_url: str) -> Iterator[Server]:
    """A server without a worker: queued items stay queued until a test applies a batch itself."""
    with running_server(tmp_path, database_url, run_worker=False) as server:
        yield server


def items(account: Account, operation_id: str, page_size: int = 50, **filters: Any) -> list[dict[str, Any]]:
    walked = account.walk(f"{OPERATIONS}/{operation_id}/Items", "items", page_size, **filters)
    for item in walked:
        assert list(item) == ITEM_FIELDS
        assert (item["code"] is None) == (item["message"] is None) == (item["outcome"] not in FAILED)
    return walked


def apply_batch(server: Server, operation_id: str, size: int) -> int:
    """What one worker round does to one operation: apply up to ``size`` queued items."""
    applied: int = server.call(server.store.apply_operation_batch, operation_id, size, ids.now_ms())
    return applied


def add(account: Account, pool_id: str, senders: list[dict[str, str]]) -> str:
    response = account.post(f"/v1/SenderPools/{pool_id}/Senders", json=senders)
    assert response.status_code == 202, response.text
    operation_id: str = response.json()["operationId"]
    return operation_id


def cancel(account: Account, operation_id: str) -> httpx.Response:
    return account.post(f"{OPERATIONS}/{operation_id}/Cancel")


def stats_of(walked: list[dict[str, Any]]) -> dict[str, int]:
    """The stats the items imply."""
    outcomes = Counter(item["outcome"] for item in walked)
    return {
        "total": len(walked),
        "queued": outcomes["QUEUED"],
        "created": sum(outcomes[o] for o in SUCCEEDED),
        "failed": sum(outcomes[o] for o in FAILED),
    }


def fetch(account: Account, operation_id: str) -> dict[str, Any]:
    response = account.get(f"{OPERATIONS}/{operation_id}")
    assert response.status_code == 200, response.text
    operation: dict[str, Any] = response.json()
    return operation


# -- items ---------------------------------------------------------------------------------------
def test_create_items_start_with_the_pool_then_each_sender_in_request_order(account: Account) -> None:
    senders = account.register_senders(2)
    unknown = many_unknown_senders(1)
    _, operation = account.create_pool(senders=[*refs(senders[:1]), *unknown, *refs(senders[1:])])
    walked = items(account, operation["id"])
    assert [(i["senderId"], i["outcome"]) for i in walked] == [
        (None, "CREATED"),
        (senders[0]["id"], "CREATED"),
        (unknown[0]["senderId"], "SENDER_NOT_FOUND"),
        (senders[1]["id"], "CREATED"),
    ]
    assert walked[2]["code"] == 20404 and unknown[0]["senderId"] in walked[2]["message"]
    assert all(i["updatedAt"].endswith("Z") and len(i["updatedAt"]) == 20 for i in walked)
    assert stats_of(walked) == assert_operation(operation)


def test_add_senders_items_report_already_member(account: Account) -> None:
    senders = account.register_senders(2)
    pool_id, _ = account.create_pool(senders=refs(senders[:1]))
    operation = account.wait_operation(add(account, pool_id, refs(senders)))
    walked = items(account, operation["id"])
    assert [(i["senderId"], i["outcome"]) for i in walked] == [
        (senders[0]["id"], "ALREADY_MEMBER"),
        (senders[1]["id"], "CREATED"),
    ]
    assert stats_of(walked) == assert_operation(operation) == {"total": 2, "queued": 0, "created": 2, "failed": 0}


def test_an_empty_create_has_only_the_pool_item(account: Account) -> None:
    _, operation = account.create_pool(name="empty")
    assert [(i["senderId"], i["outcome"]) for i in items(account, operation["id"])] == [(None, "CREATED")]


def test_queued_items_report_queued(idle: Server) -> None:
    account = idle.new_account()
    senders = account.register_senders(3)
    _, operation = account.create_pool(wait=False, senders=refs(senders))
    walked = items(account, operation["id"])
    assert [i["outcome"] for i in walked] == ["CREATED", "QUEUED", "QUEUED", "QUEUED"]
    assert stats_of(walked) == assert_operation(fetch(account, operation["id"]))


def test_items_are_paginated_in_request_order(account: Account) -> None:
    senders = account.register_senders(7)
    pool_id, _ = account.create_pool()
    operation_id = account.wait_operation(add(account, pool_id, refs(senders)))["id"]
    path = f"{OPERATIONS}/{operation_id}/Items"
    first = account.get(path, params={"pageSize": 3}).json()
    assert list(first) == ["items", "pagination"]
    assert [i["senderId"] for i in first["items"]] == [s["id"] for s in senders[:3]]
    again = account.get(path, params={"pageSize": 3, "pageToken": first["pagination"]["self"]}).json()
    assert again == first
    walked = items(account, operation_id, page_size=3)
    assert [i["senderId"] for i in walked] == [s["id"] for s in senders]
    last = account.get(path, params={"pageSize": 7}).json()
    assert last["pagination"]["next"] is None and len(last["items"]) == 7


def test_items_filter_by_outcome(account: Account) -> None:
    senders = account.register_senders(2)
    unknown = many_unknown_senders(3)
    _, operation = account.create_pool(senders=[*refs(senders), *unknown])
    failed = items(account, operation["id"], page_size=2, outcome="SENDER_NOT_FOUND")
    assert [i["senderId"] for i in failed] == [u["senderId"] for u in unknown]
    assert [i["senderId"] for i in items(account, operation["id"], outcome="CREATED")] == [
        None,
        *[s["id"] for s in senders],
    ]
    assert items(account, operation["id"], outcome="QUEUED") == []


def test_items_page_token_is_bound_to_the_outcome_filter_and_the_operation(account: Account) -> None:
    _, one = account.create_pool(senders=many_unknown_senders(3))
    _, two = account.create_pool(senders=many_unknown_senders(3))
    path = f"{OPERATIONS}/{one['id']}/Items"
    token = account.get(path, params={"pageSize": 1}).json()["pagination"]["next"]
    assert_error(account.get(path, params={"pageToken": token, "outcome": "CREATED"}), 400, "$.pageToken")
    assert_error(account.get(f"{OPERATIONS}/{two['id']}/Items", params={"pageToken": token}), 400, "$.pageToken")
    assert_error(account.get(path, params={"pageToken": token[:-2] + "AA"}), 400, "$.pageToken")


def test_items_reject_bad_query_parameters(account: Account) -> None:
    _, operation = account.create_pool()
    path = f"{OPERATIONS}/{operation['id']}/Items"
    assert_error(account.get(path, params={"outcome": "DONE", "pageSize": 0}), 400, "$.outcome", "$.pageSize")
    assert_error(account.get(f"{path}?outcome=CREATED&outcome=QUEUED"), 400, "$.outcome")


def test_items_of_unknown_malformed_or_foreign_operations_are_404(account: Account, other_account: Account) -> None:
    _, operation = account.create_pool()
    for operation_id in (UNKNOWN_OPERATION, "nope"):
        assert_error(account.get(f"{OPERATIONS}/{operation_id}/Items"), 404)
    assert_error(other_account.get(f"{OPERATIONS}/{operation['id']}/Items"), 404)


# -- cancel --------------------------------------------------------------------------------------
def test_cancel_stops_a_processing_create_and_fails_its_queued_items(idle: Server) -> None:
    account = idle.new_account()
    senders = account.register_senders(3)
    pool_id, operation = account.create_pool(wait=False, senders=refs(senders))
    response = cancel(account, operation["id"])
    assert response.status_code == 202, response.text
    location = f"{BASE}{OPERATIONS}/{operation['id']}"
    assert response.headers["Location"] == response.headers["Operation-Location"] == location
    assert response.headers["Operation-Id"] == operation["id"]
    body = response.json()
    assert body["status"] == "CANCELED"
    assert assert_operation(body) == {"total": 4, "queued": 0, "created": 1, "failed": 3}
    assert fetch(account, operation["id"]) == body
    walked = items(account, operation["id"])
    assert [i["outcome"] for i in walked] == ["CREATED", "CANCELED", "CANCELED", "CANCELED"]
    assert {(i["code"], i["message"]) for i in walked[1:]} == {
        (20409, "The operation was canceled before this item was applied.")
    }
    assert stats_of(walked) == assert_operation(body)
    assert account.get(f"/v1/SenderPools/{pool_id}").status_code == 200  # the applied pool item stays
    assert members(account, pool_id) == []


def test_cancel_keeps_items_already_applied(idle: Server) -> None:
    account = idle.new_account()
    senders = account.register_senders(5)
    pool_id, _ = account.create_pool(wait=False)
    operation_id = add(account, pool_id, refs(senders))
    assert apply_batch(idle, operation_id, 2) == 2
    body = cancel(account, operation_id).json()
    assert assert_operation(body) == {"total": 5, "queued": 0, "created": 2, "failed": 3}
    walked = items(account, operation_id)
    assert [i["outcome"] for i in walked] == ["CREATED", "CREATED", "CANCELED", "CANCELED", "CANCELED"]
    assert members(account, pool_id) == [s["id"] for s in senders[:2]]


def test_a_canceled_operation_applies_nothing_more(idle: Server) -> None:
    account = idle.new_account()
    senders = account.register_senders(2)
    pool_id, operation = account.create_pool(wait=False, senders=refs(senders))
    canceled = cancel(account, operation["id"]).json()
    assert apply_batch(idle, operation["id"], 1000) == 0
    assert fetch(account, operation["id"]) == canceled
    assert members(account, pool_id) == []


def test_cancel_of_a_finished_operation_is_409(account: Account) -> None:
    _, completed = account.create_pool(senders=refs(account.register_senders(1)))
    errors = assert_error(cancel(account, completed["id"]), 409)
    assert completed["id"] in errors[0]["message"] and "COMPLETED" in errors[0]["message"]
    assert fetch(account, completed["id"]) == completed


def test_cancel_twice_is_409_the_second_time(idle: Server) -> None:
    account = idle.new_account()
    _, operation = account.create_pool(wait=False, senders=refs(account.register_senders(1)))
    assert cancel(account, operation["id"]).status_code == 202
    assert "CANCELED" in assert_error(cancel(account, operation["id"]), 409)[0]["message"]


def test_cancel_of_an_operation_of_a_deleted_pool_is_409(idle: Server) -> None:
    account = idle.new_account()
    pool_id, operation = account.create_pool(wait=False, senders=refs(account.register_senders(1)))
    assert account.delete(f"/v1/SenderPools/{pool_id}").status_code == 202
    assert_error(cancel(account, operation["id"]), 409)


def test_cancel_of_unknown_malformed_or_foreign_operations_is_404(idle: Server) -> None:
    account, other = idle.new_account(), idle.new_account()
    _, operation = account.create_pool(wait=False, senders=refs(account.register_senders(1)))
    for operation_id in (UNKNOWN_OPERATION, "nope"):
        assert_error(cancel(account, operation_id), 404)
    assert_error(cancel(other, operation["id"]), 404)
    assert fetch(account, operation["id"])["status"] == "PROCESSING"


def test_cancel_accepts_only_post(account: Account) -> None:
    _, operation = account.create_pool()
    response = account.get(f"{OPERATIONS}/{operation['id']}/Cancel")
    assert_error(response, 405)
    assert response.headers["Allow"] == "POST"


def test_cancel_while_the_worker_runs_leaves_consistent_stats_and_items(account: Account) -> None:
    senders = account.register_senders(3000)
    pool_id, operation = account.create_pool(wait=False, senders=refs(senders))
    response = cancel(account, operation["id"])
    final = account.wait_operation(operation["id"])
    if response.status_code == 202:  # canceled mid-way: whatever was applied stays
        assert final["status"] == "CANCELED" and response.json() == final
    else:  # the worker finished first
        assert_error(response, 409)
        assert final["status"] == "COMPLETED"
    walked = items(account, operation["id"], page_size=1000)
    assert stats_of(walked) == assert_operation(final)
    joined = {i["senderId"] for i in walked[1:] if i["outcome"] == "CREATED"}
    assert set(members(account, pool_id, pageSize=1000)) == joined


def test_cancel_answers_as_documented(idle: Server) -> None:
    account, contract = idle.new_account(), Contract(idle)
    _, operation = account.create_pool(wait=False, senders=refs(account.register_senders(1)))
    template = f"{OPERATIONS}/{{operationId}}/Cancel"
    contract.check(cancel(account, operation["id"]), template)
    contract.check(cancel(account, operation["id"]), template)
    contract.check(account.get(f"{OPERATIONS}/{operation['id']}/Items"), f"{OPERATIONS}/{{operationId}}/Items")
    assert {status for *_, status in contract.seen} == {202, 409, 200}


# -- property: items always agree with stats -----------------------------------------------------
_addresses = itertools.count(1_000_000)  # distinct sender addresses across examples (one account per server)


@hypothesis_settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    known=st.integers(0, 6),
    unknown=st.integers(0, 3),
    members_before=st.integers(0, 3),
    create=st.booleans(),
    batches=st.lists(st.integers(1, 4), max_size=3),
    stop=st.booleans(),
    page_size=st.integers(1, 4),
)
def test_item_outcomes_always_agree_with_stats(
    idle: Server,
    known: int,
    unknown: int,
    members_before: int,
    create: bool,
    batches: list[int],
    stop: bool,
    page_size: int,
) -> None:
    account = idle.new_account()
    senders = account.register_senders(known, start=next(_addresses) * 10) if known else []
    already = refs(senders[:members_before])
    pool_id, setup = account.create_pool(wait=False, senders=already)
    while apply_batch(idle, setup["id"], 1000):
        pass
    wanted = [*refs(senders), *many_unknown_senders(unknown)]
    if create:
        operation_id = account.post("/v1/SenderPools", json={"senders": wanted}).json()["operationId"]
    elif wanted:
        operation_id = add(account, pool_id, wanted)
    else:
        operation_id = setup["id"]
    for size in batches:
        apply_batch(idle, operation_id, size)
    if stop:
        assert cancel(account, operation_id).status_code in (202, 409)
    walked = items(account, operation_id, page_size)
    assert stats_of(walked) == assert_operation(fetch(account, operation_id))
    for outcome in ("QUEUED", "CREATED", "ALREADY_MEMBER", "SENDER_NOT_FOUND", "CANCELED"):
        assert items(account, operation_id, outcome=outcome) == [i for i in walked if i["outcome"] == outcome]
