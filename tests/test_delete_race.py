"""Add Senders racing Delete Pool forms a serial history: either the Add is refused (404), or the Delete
cancels it (or it finished before); no operation ever applies an item to a deleted pool, and no
membership row outlives its pool."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import Account, Server
from tests.nodes import query

TRIALS = 50
SENDERS = 2_000  # the Add's items: its transaction is long enough for the Delete to land inside it

pytestmark = pytest.mark.usefixtures("no_orphan_memberships")


def race(account: Account, pool_id: str, body: list[dict[str, str]]) -> tuple[httpx.Response, httpx.Response, int]:
    """Send the Add and the Delete at the same moment; returns both answers and when the Delete's came (epoch ms)."""
    start = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def add() -> None:
        start.wait()
        answers["add"] = account.post(f"/v1/SenderPools/{pool_id}/Senders", json=body)

    def delete() -> None:
        start.wait()
        answers["delete"] = account.delete(f"/v1/SenderPools/{pool_id}")
        answers["deleted_ms"] = int(time.time() * 1000)

    threads = [threading.Thread(target=add), threading.Thread(target=delete)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers["add"], answers["delete"], answers["deleted_ms"]


def last_applied_ms(database_url: str, operation_id: str) -> int | None:
    """When the operation's last item joined its pool (epoch ms), None if none did."""
    placeholder = "?" if database_url.startswith("sqlite") else "$1"
    rows = query(
        database_url,
        f"SELECT max(updated_at) FROM operation_items WHERE operation_id = {placeholder} AND outcome = 'CREATED'",
        operation_id,
    )
    return None if rows[0][0] is None else int(rows[0][0])


def wait_purged(database_url: str, pool_id: str, timeout: float = 60.0) -> None:
    placeholder = "?" if database_url.startswith("sqlite") else "$1"
    deadline = time.monotonic() + timeout
    while query(database_url, f"SELECT count(*) FROM pools WHERE id = {placeholder}", pool_id)[0][0]:
        assert time.monotonic() < deadline, f"pool {pool_id} not purged after {timeout}s"
        time.sleep(0.02)


def test_add_senders_racing_delete_pool_forms_a_serial_history(server: Server, account: Account) -> None:
    database_url = server.settings.database_url
    body = [{"senderId": s["id"]} for s in account.register_senders(SENDERS)]
    outcomes: Counter[str] = Counter()
    for trial in range(TRIALS):
        pool_id, _ = account.create_pool(name=f"race {trial}")
        add, delete, deleted_ms = race(account, pool_id, body)
        assert delete.status_code == 202, delete.text
        assert add.status_code in (202, 404), add.text
        assert account.get(f"/v1/SenderPools/{pool_id}").status_code == 404
        if add.status_code == 404:
            outcomes["add refused (404)"] += 1
        else:
            operation = account.wait_operation(add.json()["operationId"], timeout=60)
            stats = operation["stats"]
            assert stats["queued"] == 0 and stats["created"] + stats["failed"] == SENDERS, operation
            applied = last_applied_ms(database_url, operation["id"])
            # Nothing joined the pool after the Delete answered: the Add came first, and what it had not
            # applied by then the Delete canceled.
            assert applied is None or applied <= deleted_ms, (trial, operation, applied, deleted_ms)
            if operation["status"] == "CANCELED":
                outcomes[f"add canceled by the delete ({stats['created']} applied first)"] += 1
            else:
                assert operation["status"] == "COMPLETED", operation
                outcomes["add completed before the delete"] += 1
        wait_purged(database_url, pool_id)
    print(f"\n{TRIALS} racing trials ({server.settings.database_url.split(':')[0]}): {dict(outcomes)}")
    assert sum(outcomes.values()) == TRIALS
