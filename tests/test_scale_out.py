"""Scale-out on PostgreSQL: two API nodes and two worker processes on one database, one worker SIGKILLed."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from senderpools import ids
from tests.nodes import (
    Nodes,
    assert_no_orphan_memberships,
    create_accounts,
    create_api_key,
    empty_database,
    migration_versions,
    query,
)
from tests.postgres_cluster import PostgresCluster
from tests.procs import ServerProcess, bootstrap_credentials, wait_operation, walk

POOLS = 4
ADDS_PER_POOL = 8  # plus the Create: 36 operations
SHARED = 200  # senders every operation on a pool names (neighbouring pools overlap by half)
UNIQUE = 50  # senders only one operation names
UNKNOWN = 5  # well-formed sender IDs nobody registered, per operation
REMOVED = 10  # unique senders removed once their operation has completed
BATCH_SIZE = 50  # items per worker transaction: an operation takes ~5 of them


@pytest.fixture
def pg_url(postgres: PostgresCluster) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database, dropped afterwards."""
    url = postgres.new_database()
    yield url
    postgres.drop_database(url)


def with_application_name(url: str, name: str) -> str:
    """The URL with a libpq application_name, so the process's sessions are findable in pg_stat_activity."""
    return f"{url}?application_name={name}"


class RowLock:
    """An open transaction holding ``FOR UPDATE`` on some rows (on its own event loop) until released."""

    def __init__(self, url: str, sql: str, *args: Any) -> None:
        self._runner = asyncio.Runner()
        self._connection: asyncpg.Connection = self._runner.run(asyncpg.connect(url))
        self._runner.run(self._connection.execute("BEGIN"))
        self._runner.run(self._connection.execute(sql, *args))

    def release(self) -> None:
        if self._connection.is_closed():
            return
        self._runner.run(self._connection.execute("ROLLBACK"))
        self._runner.run(self._connection.close())
        self._runner.close()


# -- the workload -----------------------------------------------------------------------------------
@dataclass
class Planned:
    """One Create or Add Senders operation: what it names, and what a serial model says it yields."""

    pool: int
    sender_ids: list[str]
    unique: list[str]  # known senders no other operation on this pool names
    known: int  # how many of sender_ids are registered
    create: bool = False
    operation_id: str = ""
    final: dict[str, Any] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)

    @property
    def expected_stats(self) -> dict[str, int]:
        extra = 1 if self.create else 0  # a Create's item 0 is the pool itself
        unknown = len(self.sender_ids) - self.known
        return {"total": extra + len(self.sender_ids), "queued": 0, "created": extra + self.known, "failed": unknown}


def shared_senders(senders: list[str], pool: int) -> list[str]:
    """The SHARED senders of a pool: after every unique slice; pool p's second half is pool p+1's first."""
    return senders[POOLS * (1 + ADDS_PER_POOL) * UNIQUE + pool * SHARED // 2 :][:SHARED]


def plan(senders: list[str], rng: random.Random) -> list[Planned]:
    """Per pool: one Create then ADDS_PER_POOL adds. Each names the pool's SHARED senders (so adds of the
    same sender race), its own UNIQUE ones and UNKNOWN IDs, shuffled so every batch mixes them."""
    unique_slices = iter(senders[i : i + UNIQUE] for i in range(0, len(senders), UNIQUE))
    planned = []
    for pool in range(POOLS):
        shared = shared_senders(senders, pool)
        for index in range(1 + ADDS_PER_POOL):
            unique = next(unique_slices)
            unknown = [ids.new_id(ids.SENDER_PREFIX, ids.now_ms()) for _ in range(UNKNOWN)]
            named = shared + unique + unknown
            rng.shuffle(named)
            planned.append(Planned(pool, named, unique, len(shared) + len(unique), create=index == 0))
    return planned


def sender_count() -> int:
    return POOLS * (1 + ADDS_PER_POOL) * UNIQUE + (POOLS + 1) * SHARED // 2


class Driver:
    """Drives the workload through both API nodes from a thread pool; each call uses its own client."""

    def __init__(self, servers: list[ServerProcess], auth: list[tuple[str, str]]) -> None:
        self.servers = servers
        self.auth = auth
        self.pool_ids: dict[int, str] = {}
        self._local = threading.local()

    def client(self, node: int) -> httpx.Client:
        clients: dict[int, httpx.Client] = self._local.__dict__.setdefault("clients", {})
        if node not in clients:
            clients[node] = self.servers[node].client(*self.auth[node])
        return clients[node]

    def submit(self, number: int, op: Planned) -> None:
        """POST the operation through node ``number % 2``."""
        client = self.client(number % 2)
        body = [{"senderId": s} for s in op.sender_ids]
        if op.create:
            response = client.post("/v1/SenderPools", json={"name": f"pool-{op.pool}", "senders": body})
        else:
            response = client.post(f"/v1/SenderPools/{self.pool_ids[op.pool]}/Senders", json=body)
        assert response.status_code == 202, response.text
        op.operation_id = response.json()["operationId"]
        if op.create:
            listed = client.get("/v1/SenderPools", params={"operationId": op.operation_id}).json()["senderPools"]
            self.pool_ids[op.pool] = listed[0]["id"]

    def finish(self, number: int, op: Planned) -> None:
        """Wait through the other node, then remove REMOVED of its unique senders, alternating nodes."""
        op.final = wait_operation(self.client((number + 1) % 2), op.operation_id, timeout=60.0)
        for i, sender_id in enumerate(op.unique[:REMOVED]):
            response = self.client(i % 2).delete(f"/v1/SenderPools/{self.pool_ids[op.pool]}/Senders/{sender_id}")
            assert response.status_code == 202, response.text
            op.removed.append(sender_id)

    def close(self) -> None:
        for client in self._local.__dict__.pop("clients", {}).values():
            client.close()


def run_workload(driver: Driver, planned: list[Planned], while_running: Callable[[], None]) -> None:
    """From a thread pool: every Create at once, then every Add at once (all through both nodes), then
    every wait-and-remove at once, calling ``while_running()`` on this thread while the workers apply."""

    def task(fn: Callable[[int, Planned], None], number: int, op: Planned) -> None:
        try:
            fn(number, op)
        finally:
            driver.close()

    with ThreadPoolExecutor(max_workers=8) as executor:
        for creating in (True, False):  # the adds need the pools
            posts = [
                executor.submit(task, driver.submit, n, op) for n, op in enumerate(planned) if op.create is creating
            ]
            for future in posts:
                future.result()
        finishing = [executor.submit(task, driver.finish, n, op) for n, op in enumerate(planned)]
        while_running()
        for future in finishing:
            future.result()


def wait_blocked(url: str, name: str, timeout: float = 30.0) -> int:
    """Wait until a session of process ``name`` waits on a row lock (mid-batch, its claim on the
    operation held); returns how many operations still had queued items then."""
    deadline = time.monotonic() + timeout
    while True:
        blocked, processing = query(
            url,
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'),"
            " (SELECT count(*) FROM operations WHERE status = 'PROCESSING' AND queued > 0)",
            name,
        )[0]
        if blocked:
            return int(processing)
        assert time.monotonic() < deadline, f"{name} never reached the locked sender"
        time.sleep(0.01)


# -- checks -----------------------------------------------------------------------------------------
def expected_members(planned: list[Planned], registered: set[str]) -> dict[int, set[str]]:
    """The serial model: every registered sender an operation names joins its pool; each removal came
    after that sender's one operation had completed, and no other operation on the pool names it."""
    members: dict[int, set[str]] = {pool: set() for pool in range(POOLS)}
    for op in planned:
        members[op.pool] |= registered.intersection(op.sender_ids)
    for op in planned:
        members[op.pool] -= set(op.removed)
    return members


def check_database(url: str, planned: list[Planned], registered: set[str]) -> None:
    """Read the rows directly: one item row per requested sender with exactly one outcome, outcomes
    agreeing with the stats, each (pool, sender) CREATED exactly once, no duplicate memberships."""
    assert query(url, "SELECT count(*) FROM operation_items WHERE outcome IS NULL")[0][0] == 0
    duplicates = query(
        url, "SELECT pool_id, sender_id, count(*) FROM pool_members GROUP BY pool_id, sender_id HAVING count(*) > 1"
    )
    assert duplicates == []
    created: Counter[tuple[int, str]] = Counter()
    named: set[tuple[int, str]] = set()
    for op in planned:
        items = query(
            url,
            "SELECT seq, sender_id, outcome FROM operation_items WHERE operation_id = $1 ORDER BY seq",
            op.operation_id,
        )
        first = 1 if op.create else 0  # a Create's item 0 is the pool
        assert [row["seq"] for row in items] == list(range(first + len(op.sender_ids)))
        assert [row["sender_id"] for row in items[first:]] == op.sender_ids  # in request order
        outcomes = Counter(row["outcome"] for row in items)
        assert outcomes["CREATED"] + outcomes["ALREADY_MEMBER"] == op.final["stats"]["created"]
        assert outcomes["SENDER_NOT_FOUND"] == op.final["stats"]["failed"]
        for row in items[first:]:
            known = row["sender_id"] in registered
            assert row["outcome"] in (("CREATED", "ALREADY_MEMBER") if known else ("SENDER_NOT_FOUND",)), row
            if known:
                named.add((op.pool, row["sender_id"]))
            if row["outcome"] == "CREATED":
                created[(op.pool, row["sender_id"])] += 1
    # Racing adds of one sender: exactly one of them created it, the others found it a member.
    assert set(created) == named
    assert set(created.values()) == {1}


# -- tests ------------------------------------------------------------------------------------------
def test_two_api_nodes_and_two_workers_survive_a_worker_sigkill(tmp_path: Path, pg_url: str) -> None:
    [(account_sid, token)] = create_accounts(pg_url)
    auth = [(account_sid, token), create_api_key(pg_url, account_sid)]  # node 1 is called with an API key
    with Nodes(tmp_path / "logs") as nodes:
        servers = [nodes.serve(pg_url, "--no-worker") for _ in range(2)]
        worker_args = ["--batch-size", str(BATCH_SIZE), "--poll-interval", "0.05"]
        victim = nodes.worker(with_application_name(pg_url, "sp-victim"), *worker_args)
        survivor = nodes.worker(with_application_name(pg_url, "sp-survivor"), *worker_args)
        for server in servers:
            server.wait_healthy()
        with servers[0].client(*auth[0]) as client:
            body = [{"address": f"+1415{i:07d}", "channel": "SMS"} for i in range(sender_count())]
            response = client.post("/v1/Senders", json=body)
            assert response.status_code == 201, response.text
            senders = [s["id"] for s in response.json()["senders"]]
        registered = set(senders)
        planned = plan(senders, random.Random(3))
        driver = Driver(servers, auth)

        # Every operation on pool 0 names this sender. While the test holds its row, a worker whose batch
        # reaches it blocks inside that batch's transaction (the membership's foreign-key check), so the
        # victim is killed mid-batch, with its claim held and memberships inserted but not committed.
        lock = RowLock(pg_url, "SELECT 1 FROM senders WHERE id = $1 FOR UPDATE", shared_senders(senders, 0)[0])
        processing_at_kill: list[int] = []

        def kill_victim_mid_batch() -> None:
            try:
                processing_at_kill.append(wait_blocked(pg_url, "sp-victim"))
                victim.kill()
            finally:
                lock.release()  # the survivor goes on; the victim's transaction is rolled back

        try:
            run_workload(driver, planned, kill_victim_mid_batch)
        finally:
            lock.release()

        assert victim.popen.returncode == -9
        assert processing_at_kill[0] > 0
        assert survivor.popen.poll() is None, survivor.describe()
        for op in planned:
            assert op.final["status"] == "COMPLETED", op.final
            assert op.final["stats"] == op.expected_stats, (op.final, op.expected_stats)
        expected = expected_members(planned, registered)
        for pool, pool_id in driver.pool_ids.items():
            for server, credentials in zip(servers, auth, strict=True):
                with server.client(*credentials) as client:
                    listed = [m["id"] for m in walk(client, f"/v1/SenderPools/{pool_id}/Senders", "senders")]
                assert len(listed) == len(set(listed))
                assert set(listed) == expected[pool]
            stored = query(pg_url, "SELECT sender_id FROM pool_members WHERE pool_id = $1", pool_id)
            assert {row[0] for row in stored} == expected[pool]
        check_database(pg_url, planned, registered)
        assert_no_orphan_memberships(pg_url)


def test_two_nodes_starting_on_an_empty_database_migrate_once(tmp_path: Path, postgres: PostgresCluster) -> None:
    url = empty_database(postgres)
    try:
        with Nodes(tmp_path / "logs") as nodes:
            servers = [nodes.serve(url) for _ in range(2)]  # started together: both race to migrate
            for server in servers:
                server.wait_healthy()
            versions = [row[0] for row in query(url, "SELECT version FROM schema_migrations ORDER BY version")]
            assert versions == migration_versions("postgresql")
            assert query(url, "SELECT count(*) FROM server_settings WHERE name = 'page_token_key'")[0][0] == 1

            printed = [c for c in (bootstrap_credentials(s.stdout) for s in servers) if c is not None]
            assert len(printed) == 1, [s.describe() for s in servers]  # one bootstrap account between them
            assert query(url, "SELECT count(*) FROM accounts")[0][0] == 1
            with servers[0].client(*printed[0]) as first, servers[1].client(*printed[0]) as second:
                body = [{"address": f"+1650555000{i}", "channel": "SMS"} for i in range(3)]
                made = first.post("/v1/Senders", json=body)
                assert made.status_code == 201, made.text
                page = first.get("/v1/Senders", params={"pageSize": 1})
                assert page.status_code == 200
                # A page token signed by one node is honoured by the other: both use the one stored key.
                token = page.json()["pagination"]["next"]
                following = second.get("/v1/Senders", params={"pageSize": 1, "pageToken": token})
                assert following.status_code == 200, following.text
                assert following.json()["senders"][0]["id"] == made.json()["senders"][1]["id"]
    finally:
        postgres.drop_database(url)
