"""A server killed (SIGKILL) mid-operation resumes it on the next start: no item lost, none applied twice (on
SQLite and PostgreSQL: the killed server's database is read directly, as an operator would)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from senderpools import ids
from tests.nodes import query
from tests.procs import (
    ServerProcess,
    bootstrap_credentials,
    clean_env,
    start_server,
    wait_operation,
    walk,
)

MAX_SENDERS = 10_000  # the most one Create may name
BATCH_SIZE = 50  # so a Create takes 200 worker transactions, each its own commit


class Crashable:
    """A served database whose server can be killed and restarted, always stopped at the end."""

    def __init__(self, tmp_path: Path, db: str) -> None:
        self.tmp_path = tmp_path
        self.db = db  # a database URL
        self.env = clean_env(SENDERPOOLS_WORKER_BATCH_SIZE=str(BATCH_SIZE))
        self.server: ServerProcess | None = None

    def start(self) -> ServerProcess:
        self.server = start_server(self.tmp_path / "logs", self.db, env=self.env)
        return self.server

    def kill(self) -> None:
        assert self.server is not None
        self.server.kill()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def _register(client: httpx.Client, count: int) -> list[str]:
    body = [{"address": f"+1415{i:07d}", "channel": "SMS"} for i in range(count)]
    response = client.post("/v1/Senders", json=body)
    assert response.status_code == 201, response.text
    return [s["id"] for s in response.json()["senders"]]


def _unknown_sender_ids(count: int) -> list[str]:
    """Well-formed sender IDs that no account has."""
    return [ids.new_id(ids.SENDER_PREFIX, ids.now_ms()) for _ in range(count)]


def _interleave(known: list[str], unknown: list[str]) -> list[str]:
    """Spread the unknown IDs evenly through the known ones, so every batch may hit one."""
    if not unknown:
        return list(known)
    step = max(1, len(known) // len(unknown))
    out: list[str] = []
    pending = list(unknown)
    for i, sender_id in enumerate(known):
        if i % step == 0 and pending:
            out.append(pending.pop())
        out.append(sender_id)
    return out + pending


def _create_pool(client: httpx.Client, sender_ids: list[str]) -> tuple[str, str]:
    response = client.post("/v1/SenderPools", json={"name": "crash", "senders": [{"senderId": s} for s in sender_ids]})
    assert response.status_code == 202, response.text
    operation_id = response.json()["operationId"]
    listed = client.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"]
    assert len(listed) == 1, listed
    return listed[0]["id"], operation_id


def _wait_for_progress(client: httpx.Client, operation_id: str, applied_at_least: int, timeout: float = 30.0) -> None:
    """Poll until at least ``applied_at_least`` sender items have an outcome (the operation still running)."""
    deadline = time.monotonic() + timeout
    while True:
        operation = client.get(f"/v1/SenderPools/Operations/{operation_id}").json()
        stats = operation["stats"]
        assert operation["status"] == "PROCESSING", f"finished before the planned crash: {operation}"
        if stats["created"] + stats["failed"] - 1 >= applied_at_least:
            return
        assert time.monotonic() < deadline, f"no progress to {applied_at_least} within {timeout}s: {operation}"
        time.sleep(0.002)


def _stored_state(url: str, operation_id: str, pool_id: str) -> dict[str, Any]:
    """What the database holds for one Create operation, read directly (SQLite also checks the file's integrity)."""

    def rows(sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in query(url, sql, *args)]

    ((total, queued, created, failed, next_seq, status),) = rows(
        "SELECT total, queued, created, failed, next_seq, status FROM operations WHERE id = ?", operation_id
    )
    items = rows(
        "SELECT seq, sender_id, outcome FROM operation_items WHERE operation_id = ? ORDER BY seq", operation_id
    )
    members = [row[0] for row in rows("SELECT sender_id FROM pool_members WHERE pool_id = ?", pool_id)]
    duplicates = rows(
        "SELECT pool_id, sender_id, count(*) FROM pool_members GROUP BY pool_id, sender_id HAVING count(*) > 1"
    )
    integrity = rows("PRAGMA integrity_check") if url.startswith("sqlite:") else [("ok",)]  # PostgreSQL: no such check
    return {
        "stats": {"total": total, "queued": queued, "created": created, "failed": failed},
        "next_seq": next_seq,
        "status": status,
        "items": items,
        "members": members,
        "duplicates": duplicates,
        "integrity": integrity,
    }


def _assert_consistent(state: dict[str, Any], requested: list[str], known: set[str]) -> None:
    """Applied items form a prefix; stats, outcomes and memberships agree; nothing is counted twice."""
    assert state["integrity"] == [("ok",)]
    assert state["duplicates"] == []
    items, stats, next_seq = state["items"], state["stats"], state["next_seq"]
    assert [seq for seq, _, _ in items] == list(range(1 + len(requested)))  # one row per item, none lost
    assert [sender_id for _, sender_id, _ in items[1:]] == requested  # in request order
    assert all(outcome is not None for _, _, outcome in items[:next_seq])
    assert all(outcome is None for _, _, outcome in items[next_seq:])
    outcomes = Counter(outcome for _, _, outcome in items)
    assert outcomes["ALREADY_MEMBER"] == 0  # every sender is new to the pool: a re-applied item would show here
    assert stats["total"] == 1 + len(requested)
    assert stats["created"] == outcomes["CREATED"]
    assert stats["failed"] == outcomes["SENDER_NOT_FOUND"]
    assert stats["queued"] == outcomes[None]
    applied = [sender_id for _, sender_id, outcome in items[1:next_seq]]
    assert sorted(state["members"]) == sorted(s for s in applied if s in known)
    for _, sender_id, outcome in items[1:next_seq]:
        assert outcome == ("CREATED" if sender_id in known else "SENDER_NOT_FOUND"), sender_id


def _check_crash_point(url: str, operation_id: str, pool_id: str, requested: list[str], known: set[str]) -> None:
    """The database as the killed server left it: the operation partway, and what is applied is whole."""
    state = _stored_state(url, operation_id, pool_id)
    assert state["status"] == "PROCESSING"
    assert 0 < state["stats"]["queued"] < len(requested), state["stats"]
    assert (state["next_seq"] - 1) % BATCH_SIZE == 0, state["next_seq"]  # whole batches only: none half-applied
    _assert_consistent(state, requested, known)


def _crash_during_create(tmp_path: Path, database_url: str, kill_at: float, unknown: int = 0) -> None:
    """Create a pool naming 10,000 senders (``unknown`` of them never registered), SIGKILL the server
    once the operation has applied ``kill_at`` of its items, restart it, and check the end state over
    HTTP and in the database."""
    run = Crashable(tmp_path, database_url)
    try:
        server = run.start()
        credentials = bootstrap_credentials(server.stdout)
        assert credentials is not None, server.describe()
        with server.client(*credentials) as client:
            known_ids = _register(client, MAX_SENDERS - unknown)
            requested = _interleave(known_ids, _unknown_sender_ids(unknown))
            pool_id, operation_id = _create_pool(client, requested)
        known = set(known_ids)

        with server.client(*credentials) as client:
            _wait_for_progress(client, operation_id, int(kill_at * len(requested)))
        run.kill()
        _check_crash_point(run.db, operation_id, pool_id, requested, known)
        server = run.start()

        with server.client(*credentials) as client:
            operation = wait_operation(client, operation_id)
            assert operation["status"] == "COMPLETED"
            assert operation["stats"] == {
                "total": 1 + len(requested),
                "queued": 0,
                "created": 1 + len(known),
                "failed": unknown,
            }
            pool_scoped = client.get(f"/v1/SenderPools/{pool_id}/Senders/Operations/{operation_id}")
            assert pool_scoped.status_code == 200
            assert pool_scoped.json()["stats"] == operation["stats"]
            members = [m["id"] for m in walk(client, f"/v1/SenderPools/{pool_id}/Senders", "senders")]
            assert len(members) == len(set(members)) == len(known)
            assert set(members) == known

        state = _stored_state(run.db, operation_id, pool_id)
        assert state["status"] == "COMPLETED"
        _assert_consistent(state, requested, known)
    finally:
        run.stop()


@pytest.mark.parametrize("kill_at", [0.1, 0.5, 0.8])
def test_create_resumes_after_sigkill_without_loss_or_duplicates(
    tmp_path: Path, database_url: str, kill_at: float
) -> None:
    _crash_during_create(tmp_path, database_url, kill_at)


def test_unknown_senders_end_failed_not_lost_after_sigkill(tmp_path: Path, database_url: str) -> None:
    _crash_during_create(tmp_path, database_url, 0.3, unknown=50)
