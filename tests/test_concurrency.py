"""Concurrency: many clients add and remove the same senders of one pool at once; the outcome is a serial history."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import Account, Server

pytestmark = pytest.mark.usefixtures("no_orphan_memberships")  # the invariant, checked after each test

SEED = 20261124
CLIENTS = 8
REQUESTS_PER_CLIENT = 50
SENDERS = 12  # few, so clients collide on the same senders all the time


@dataclass
class Journal:
    """What one client did and what it was told."""

    adds: list[str] = field(default_factory=list)  # operation ids
    removed: Counter[str] = field(default_factory=Counter)  # sender id -> 202s received
    statuses: Counter[int] = field(default_factory=Counter)


def _client_run(client: Account, pool_id: str, sender_ids: list[str], seed: int) -> Journal:
    rng, journal = random.Random(seed), Journal()
    for _ in range(REQUESTS_PER_CLIENT):
        if rng.random() < 0.5:
            chosen = rng.sample(sender_ids, rng.randint(1, 4))
            response = client.post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": s} for s in chosen])
            journal.statuses[response.status_code] += 1
            if response.status_code == 202:
                journal.adds.append(response.json()["operationId"])
        else:
            sender_id = rng.choice(sender_ids)
            response = client.delete(f"/v1/SenderPools/{pool_id}/Senders/{sender_id}")
            journal.statuses[response.status_code] += 1
            if response.status_code == 202:
                journal.removed[sender_id] += 1
    return journal


def _joins(account: Account, operation_id: str) -> Counter[str]:
    """Senders this operation actually added (CREATED: not a member before); asserts it is complete."""
    operation = account.wait_operation(operation_id, timeout=60.0)
    assert operation["status"] == "COMPLETED", operation
    stats = operation["stats"]
    assert stats["queued"] == 0 and stats["failed"] == 0 and stats["created"] == stats["total"], stats
    items = account.walk(f"/v1/SenderPools/Operations/{operation_id}/Items", "items", page_size=100)
    assert len(items) == stats["total"]
    assert {item["outcome"] for item in items} <= {"CREATED", "ALREADY_MEMBER"}
    return Counter(item["senderId"] for item in items if item["outcome"] == "CREATED" and item["senderId"])


def _run_clients(server: Server, account: Account, pool_id: str, sender_ids: list[str]) -> list[Journal]:
    clients = [account if i % 2 == 0 else server.new_api_key(account) for i in range(CLIENTS)]
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(_client_run, c, pool_id, sender_ids, SEED + i) for i, c in enumerate(clients)]
        return [f.result(timeout=120) for f in futures]


def test_concurrent_adds_and_removes_form_a_serial_history(server: Server, account: Account) -> None:
    sender_ids = [s["id"] for s in account.register_senders(SENDERS)]
    pool_id, create = account.create_pool(senders=[{"senderId": s} for s in sender_ids[: SENDERS // 2]])
    journals = _run_clients(server, account, pool_id, sender_ids)

    statuses = sum((j.statuses for j in journals), Counter())
    assert set(statuses) <= {202, 404}, statuses  # adds 202; removes 202, or 404 when not a member: no 5xx, no 409
    adds = [op for j in journals for op in j.adds]
    assert statuses[202] == len(adds) + sum(sum(j.removed.values()) for j in journals)  # every add got an operation

    joined = _joins(account, create["id"])
    for operation_id in adds:
        joined += _joins(account, operation_id)
    removed = sum((j.removed for j in journals), Counter())
    members = [m["id"] for m in account.walk(f"/v1/SenderPools/{pool_id}/Senders", "senders", page_size=100)]
    assert len(members) == len(set(members))
    for sender_id in sender_ids:
        # In any serial order a sender alternates out -> in (a CREATED item) -> out (a 202 remove) -> ...
        balance = joined[sender_id] - removed[sender_id]
        assert balance in (0, 1), (sender_id, joined[sender_id], removed[sender_id])
        assert (sender_id in members) == (balance == 1), (sender_id, joined[sender_id], removed[sender_id])


def test_concurrent_creates_naming_the_same_senders_each_complete(server: Server, account: Account) -> None:
    sender_ids = [s["id"] for s in account.register_senders(SENDERS)]
    body: dict[str, Any] = {"senders": [{"senderId": s} for s in sender_ids]}

    def create(_: int) -> tuple[str, str]:
        response = account.post("/v1/SenderPools", json=body)
        assert response.status_code == 202, response.text
        operation_id = response.json()["operationId"]
        listed = account.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"]
        return listed[0]["id"], operation_id

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        created = list(pool.map(create, range(CLIENTS * 2)))
    assert len({pool_id for pool_id, _ in created}) == CLIENTS * 2
    for pool_id, operation_id in created:
        assert _joins(account, operation_id) == Counter(sender_ids)
        members = account.walk(f"/v1/SenderPools/{pool_id}/Senders", "senders", page_size=100)
        assert sorted(m["id"] for m in members) == sorted(sender_ids)
