"""Crash safety under many random SIGKILLs: a 10,000-sender Create and a 10,000-member Delete survive ≥ 20 kills."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.nodes import assert_no_orphan_memberships
from tests.procs import (
    ServerProcess,
    bootstrap_credentials,
    clean_env,
    database_url,
    free_port,
    open_readonly,
    start_server,
    wait_operation,
    walk,
)

SENDERS = 10_000
KILLS = int(os.environ.get("SENDERPOOLS_CRASH_KILLS", "22"))
SEED = int(os.environ.get("SENDERPOOLS_CRASH_SEED", "20261124"))
ITEMS_PER_SECOND = 1000  # paced through /_test/ so a 10,000-item Create spans many kill moments
DELETE_KILLS = 8
STARTUP_KILLS = 0.25  # the share of kills that land while the server is still starting


class Crashable:
    """A served SQLite file whose ``senderpools serve --test-controls`` is killed and restarted at will."""

    def __init__(self, tmp_path: Path, batch_size: int) -> None:
        self.tmp_path = tmp_path
        self.db = tmp_path / "senderpools.db"
        self.env = clean_env(SENDERPOOLS_WORKER_BATCH_SIZE=str(batch_size))
        self.server: ServerProcess | None = None
        self.kills = 0

    def start(self) -> ServerProcess:
        self.server = start_server(self.tmp_path / "logs", self.db, "--test-controls", env=self.env)
        return self.server

    def kill_at_random(self, rng: random.Random, window: float) -> None:
        """Start the server and SIGKILL it at a random moment: one time in four during startup
        (migration, recovery), otherwise up to ``window`` seconds after it answers, while it works."""
        port = free_port()
        args = ["--port", str(port), "--database-url", database_url(self.db), "--test-controls"]
        self.server = ServerProcess(self.tmp_path / "logs", port, args, self.env)
        if rng.random() < STARTUP_KILLS:
            time.sleep(rng.uniform(0.0, 0.5))
        else:
            self.server.wait_healthy()
            time.sleep(rng.uniform(0.0, window))
        self.server.kill()
        self.kills += 1

    def kill_once_changing(self, rng: random.Random, changed: Callable[[], bool], window: float) -> None:
        """Start the server, wait until ``changed()`` says it has begun its work, and SIGKILL it a random
        moment (up to ``window`` seconds) later."""
        port = free_port()
        args = ["--port", str(port), "--database-url", database_url(self.db), "--test-controls"]
        self.server = ServerProcess(self.tmp_path / "logs", port, args, self.env)
        deadline = time.monotonic() + 30.0
        while not changed():
            assert time.monotonic() < deadline and self.server.popen.poll() is None, self.server.describe()
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, window))
        self.server.kill()
        self.kills += 1

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def _register(client: httpx.Client, count: int) -> list[str]:
    body = [{"address": f"+1628{i:07d}", "channel": "SMS"} for i in range(count)]
    response = client.post("/v1/Senders", json=body)
    assert response.status_code == 201, response.text
    return [s["id"] for s in response.json()["senders"]]


def _create(client: httpx.Client, name: str, sender_ids: list[str]) -> tuple[str, str]:
    response = client.post("/v1/SenderPools", json={"name": name, "senders": [{"senderId": s} for s in sender_ids]})
    assert response.status_code == 202, response.text
    operation_id = response.json()["operationId"]
    listed = client.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"]
    assert len(listed) == 1, listed
    return listed[0]["id"], operation_id


def _applied(db_path: Path, operation_id: str) -> int:
    with open_readonly(db_path) as db:
        row = db.execute("SELECT next_seq FROM operations WHERE id = ?", (operation_id,)).fetchone()
    return int(row[0])


def _integrity(db_path: Path) -> list[Any]:
    with open_readonly(db_path) as db:
        return db.execute("PRAGMA integrity_check").fetchall()


def test_create_of_10k_senders_survives_many_random_sigkills(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    run = Crashable(tmp_path, batch_size=50)
    try:
        server = run.start()
        credentials = bootstrap_credentials(server.stdout)
        assert credentials is not None, server.describe()
        with server.client(*credentials) as client:
            assert client.put("/_test/Pacing", json={"itemsPerSecond": ITEMS_PER_SECOND}).status_code == 200
            sender_ids = _register(client, SENDERS)
            bystander_id, bystander_op = _create(client, "bystander", sender_ids[:10])
            wait_operation(client, bystander_op)
            pool_id, operation_id = _create(client, "crashed", sender_ids)
        server.kill()

        progress = [_applied(run.db, operation_id)]
        for _ in range(KILLS):
            run.kill_at_random(rng, window=0.5)
            assert _integrity(run.db) == [("ok",)]
            progress.append(_applied(run.db, operation_id))
        assert progress == sorted(progress)  # never undone
        assert progress[-1] < 1 + SENDERS, f"finished before the last kill: {progress}"

        server = run.start()
        with server.client(*credentials) as client:
            assert client.put("/_test/Pacing", json={}).status_code == 200
            operation = wait_operation(client, operation_id)
            assert operation["status"] == "COMPLETED"
            assert operation["stats"] == {"total": 1 + SENDERS, "queued": 0, "created": 1 + SENDERS, "failed": 0}
            members = [m["id"] for m in walk(client, f"/v1/SenderPools/{pool_id}/Senders", "senders")]
            assert len(members) == SENDERS and set(members) == set(sender_ids)
            items = walk(client, f"/v1/SenderPools/Operations/{operation_id}/Items", "items")
            assert len(items) == 1 + SENDERS
            outcomes = Counter(item["outcome"] for item in items)
            assert outcomes == {"CREATED": 1 + SENDERS}, outcomes  # none ALREADY_MEMBER: nothing applied twice
            bystander = [m["id"] for m in walk(client, f"/v1/SenderPools/{bystander_id}/Senders", "senders")]
            assert sorted(bystander) == sorted(sender_ids[:10])
        with open_readonly(run.db) as db:
            duplicates = db.execute(
                "SELECT count(*) FROM (SELECT 1 FROM pool_members GROUP BY pool_id, sender_id HAVING count(*) > 1)"
            ).fetchone()
            assert duplicates == (0,)
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert_no_orphan_memberships(database_url(run.db))
        print(f"\ncreate: {run.kills} kills survived, items applied at each kill: {progress}")
    finally:
        run.stop()


def test_delete_of_10k_member_pool_survives_random_sigkills_during_purge(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    run = Crashable(tmp_path, batch_size=1000)
    try:
        server = run.start()
        credentials = bootstrap_credentials(server.stdout)
        assert credentials is not None, server.describe()
        with server.client(*credentials) as client:
            sender_ids = _register(client, SENDERS)
            pool_id, create_op = _create(client, "doomed", sender_ids)
            kept_id, kept_op = _create(client, "kept", sender_ids[:100])
            wait_operation(client, create_op)
            wait_operation(client, kept_op)
        server.stop()
        run.env["SENDERPOOLS_WORKER_BATCH_SIZE"] = "2"  # from now on the purge removes 2 memberships per transaction
        server = run.start()  # the delete on a slow purger: a busy machine cannot finish it before the first kill
        with server.client(*credentials) as client:
            deleted = client.delete(f"/v1/SenderPools/{pool_id}")
            assert deleted.status_code == 202, deleted.text
        server.kill()

        # Each kill lands at a random point of the purge's progress, not of the clock, so that all of them
        # come mid-purge on a fast machine too: once a random 10-40% of what is left has gone.
        remaining = [_members(run.db, pool_id)]
        for _ in range(DELETE_KILLS):
            target = int(remaining[-1] * rng.uniform(0.6, 0.9))
            run.kill_once_changing(rng, lambda target=target: _members(run.db, pool_id) <= target, window=0.0)
            assert _integrity(run.db) == [("ok",)]
            remaining.append(_members(run.db, pool_id))
        assert remaining == sorted(remaining, reverse=True)
        assert remaining[-1] > 0, remaining  # every kill came mid-purge

        server = run.start()
        with server.client(*credentials) as client:
            assert client.get(f"/v1/SenderPools/{pool_id}").status_code == 404
            assert client.get(f"/v1/SenderPools/{pool_id}/Senders").status_code == 404
            kept = [m["id"] for m in walk(client, f"/v1/SenderPools/{kept_id}/Senders", "senders")]
            assert sorted(kept) == sorted(sender_ids[:100])
            assert client.get(f"/v1/SenderPools/Operations/{create_op}").status_code == 200  # records stay readable
            assert len(walk(client, "/v1/Senders", "senders")) == SENDERS  # senders themselves untouched
            _wait_purged(run.db, pool_id)
        assert _integrity(run.db) == [("ok",)]
        assert_no_orphan_memberships(database_url(run.db))
        print(f"\ndelete: {run.kills} kills survived, memberships left at each kill: {remaining}")
    finally:
        run.stop()


def _members(db_path: Path, pool_id: str) -> int:
    with open_readonly(db_path) as db:
        return int(db.execute("SELECT count(*) FROM pool_members WHERE pool_id = ?", (pool_id,)).fetchone()[0])


def _wait_purged(db_path: Path, pool_id: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with open_readonly(db_path) as db:
            members = db.execute("SELECT count(*) FROM pool_members WHERE pool_id = ?", (pool_id,)).fetchone()[0]
            pools = db.execute("SELECT count(*) FROM pools WHERE id = ?", (pool_id,)).fetchone()[0]
        if members == 0 and pools == 0:
            return
        assert time.monotonic() < deadline, f"pool {pool_id} still has {members} memberships after {timeout}s"
        time.sleep(0.05)
