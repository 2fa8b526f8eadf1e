"""SenderPool Operations over HTTP: fetch, the pool-scoped alias, and the account-wide list with its filters."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import Account
from tests.test_sender_pools import (
    UNKNOWN_OPERATION,
    UNKNOWN_POOL,
    assert_error,
    assert_operation,
    refs,
    running_server,
)


def operation_ids(account: Account, **filters: Any) -> list[str]:
    return [o["id"] for o in account.walk("/v1/SenderPools/Operations", "operations", **filters)]


def add_senders(account: Account, pool_id: str, senders: list[dict[str, Any]]) -> str:
    response = account.post(f"/v1/SenderPools/{pool_id}/Senders", json=refs(senders))
    assert response.status_code == 202, response.text
    operation_id: str = response.json()["operationId"]
    return operation_id


# -- fetch (row 10) ------------------------------------------------------------------------------
def test_fetch_operation_shape(account: Account) -> None:
    senders = account.register_senders(2)
    _, operation = account.create_pool(senders=refs(senders))
    response = account.get(f"/v1/SenderPools/Operations/{operation['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body == operation
    assert body["status"] == "COMPLETED"
    assert assert_operation(body) == {"total": 3, "queued": 0, "created": 3, "failed": 0}


def test_fetch_unknown_or_malformed_operation_is_404(account: Account) -> None:
    for operation_id in (UNKNOWN_OPERATION, "nope", "comms_operation_", UNKNOWN_POOL):
        assert_error(account.get(f"/v1/SenderPools/Operations/{operation_id}"), 404)


def test_fetch_another_accounts_operation_is_404(account: Account, other_account: Account) -> None:
    _, operation = account.create_pool()
    assert_error(other_account.get(f"/v1/SenderPools/Operations/{operation['id']}"), 404)


# -- the pool-scoped alias (row 11) --------------------------------------------------------------
def test_alias_returns_the_same_operation_for_create_and_add(account: Account) -> None:
    first, second = account.register_senders(2)
    pool_id, create = account.create_pool(senders=refs([first]))
    add_id = add_senders(account, pool_id, [second])
    add = account.wait_operation(add_id)
    for operation in (create, add):
        response = account.get(f"/v1/SenderPools/{pool_id}/Senders/Operations/{operation['id']}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == operation
        assert response.json() == account.get(f"/v1/SenderPools/Operations/{operation['id']}").json()


def test_alias_is_404_for_an_operation_about_another_pool(account: Account) -> None:
    (sender,) = account.register_senders(1)
    pool_a, create_a = account.create_pool(name="a")
    pool_b, _ = account.create_pool(name="b")
    add_a = add_senders(account, pool_a, [sender])
    for operation_id in (create_a["id"], add_a):
        assert account.get(f"/v1/SenderPools/{pool_a}/Senders/Operations/{operation_id}").status_code == 200
        assert_error(account.get(f"/v1/SenderPools/{pool_b}/Senders/Operations/{operation_id}"), 404)


def test_alias_404s_for_unknown_malformed_and_foreign_ids(account: Account, other_account: Account) -> None:
    pool_id, operation = account.create_pool()
    for path in (
        f"/v1/SenderPools/{pool_id}/Senders/Operations/{UNKNOWN_OPERATION}",
        f"/v1/SenderPools/{pool_id}/Senders/Operations/nope",
        f"/v1/SenderPools/{UNKNOWN_POOL}/Senders/Operations/{operation['id']}",
        f"/v1/SenderPools/nope/Senders/Operations/{operation['id']}",
    ):
        assert_error(account.get(path), 404)
    assert_error(other_account.get(f"/v1/SenderPools/{pool_id}/Senders/Operations/{operation['id']}"), 404)


def test_operations_of_a_deleted_pool_stay_fetchable_and_listed(account: Account) -> None:
    (sender,) = account.register_senders(1)
    pool_id, create = account.create_pool()
    add = account.wait_operation(add_senders(account, pool_id, [sender]))
    assert account.delete(f"/v1/SenderPools/{pool_id}").status_code == 202
    for operation in (create, add):
        assert account.get(f"/v1/SenderPools/Operations/{operation['id']}").json() == operation
        assert account.get(f"/v1/SenderPools/{pool_id}/Senders/Operations/{operation['id']}").json() == operation
    assert operation_ids(account) == [create["id"], add["id"]]


# -- PROCESSING and CANCELED, without a worker ---------------------------------------------------
def test_queued_operations_show_processing_stats(tmp_path: Path, database_url: str) -> None:
    with running_server(tmp_path, database_url, run_worker=False) as server:  # nothing applies queued items
        account = server.new_account()
        senders = account.register_senders(3)
        pool_id, create = account.create_pool(wait=False, senders=refs(senders[:1]))
        add_id = add_senders(account, pool_id, senders)
        created = account.get(f"/v1/SenderPools/Operations/{create['id']}").json()
        added = account.get(f"/v1/SenderPools/{pool_id}/Senders/Operations/{add_id}").json()
        assert created["status"] == added["status"] == "PROCESSING"
        assert assert_operation(created) == {"total": 2, "queued": 1, "created": 1, "failed": 0}
        assert assert_operation(added) == {"total": 3, "queued": 3, "created": 0, "failed": 0}
        assert account.get(f"/v1/SenderPools/{pool_id}/Senders").json()["senders"] == []


def test_list_operations_filters_by_status(tmp_path: Path, database_url: str) -> None:
    with running_server(tmp_path, database_url, run_worker=False) as server:
        account = server.new_account()
        senders = account.register_senders(2)
        _, processing = account.create_pool(wait=False, senders=refs(senders))
        _, completed = account.create_pool(wait=False)  # nothing queued: complete at once
        doomed_pool, canceled = account.create_pool(wait=False, senders=refs(senders))
        assert account.delete(f"/v1/SenderPools/{doomed_pool}").status_code == 202

        assert operation_ids(account, status="PROCESSING") == [processing["id"]]
        assert operation_ids(account, status="COMPLETED") == [completed["id"]]
        assert operation_ids(account, status="CANCELED") == [canceled["id"]]
        assert operation_ids(account) == [processing["id"], completed["id"], canceled["id"]]
        statuses = [o["status"] for o in account.walk("/v1/SenderPools/Operations", "operations")]
        assert statuses == ["PROCESSING", "COMPLETED", "CANCELED"]


# -- list (row 9) --------------------------------------------------------------------------------
def test_list_operations_is_account_wide_oldest_first(account: Account, other_account: Account) -> None:
    senders = account.register_senders(2)
    pool_a, create_a = account.create_pool(name="a")
    _, create_b = account.create_pool(name="b", senders=refs(senders[:1]))
    add_a = account.wait_operation(add_senders(account, pool_a, senders))
    other_account.create_pool(name="theirs")

    response = account.get("/v1/SenderPools/Operations")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["operations", "pagination"]
    assert body["pagination"]["next"] is None
    assert isinstance(body["pagination"]["self"], str)
    assert body["operations"] == [create_a, create_b, add_a]
    for operation in body["operations"]:
        assert_operation(operation)
    assert len(operation_ids(other_account)) == 1


def test_list_operations_when_there_are_none(account: Account) -> None:
    body = account.get("/v1/SenderPools/Operations").json()
    assert body == {"operations": [], "pagination": {"next": None, "self": body["pagination"]["self"]}}


def test_list_operations_filters_by_date(account: Account) -> None:
    _, early = account.create_pool(name="early")
    time.sleep(1.1)  # timestamps are whole seconds
    _, late = account.create_pool(name="late")
    boundary = late["createdAt"]
    assert operation_ids(account, startDate=boundary) == [late["id"]]
    assert operation_ids(account, endDate=boundary) == [early["id"]]
    assert operation_ids(account, startDate=early["createdAt"], endDate=boundary) == [early["id"]]
    shifted = (datetime.fromisoformat(boundary) + timedelta(hours=2)).replace(tzinfo=None).isoformat() + "+02:00"
    assert operation_ids(account, startDate=shifted) == [late["id"]]
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert operation_ids(account, startDate=future) == []
    assert operation_ids(account, status="COMPLETED", endDate=boundary) == [early["id"]]


BAD_FILTERS = [
    ({"status": "DONE"}, ["$.status"]),
    ({"status": "completed"}, ["$.status"]),
    ({"startDate": "yesterday"}, ["$.startDate"]),
    ({"endDate": "2024-01-15T09:30:00"}, ["$.endDate"]),
    ({"startDate": "2024-01-15T09:30:00Z", "endDate": "2024-01-15T09:30:00Z"}, ["$.endDate"]),
    ({"status": "x", "pageSize": "0", "startDate": "2024-01-15"}, ["$.status", "$.pageSize", "$.startDate"]),
]


def test_list_operations_rejects_bad_filters(account: Account) -> None:
    for params, contexts in BAD_FILTERS:
        assert_error(account.get("/v1/SenderPools/Operations", params=params), 400, *contexts)
