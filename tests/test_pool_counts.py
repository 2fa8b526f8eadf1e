"""Pool summaries stay exact: their counts change in the transactions that change memberships, so no mix
of concurrent writers and no crash can make them drift. Both backends; several processes per database.

The random sequences against a model are in test_model.py."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from senderpools import ids
from senderpools.store.rows import SUMMARY_COLUMNS, parse_counts, summary_doc
from tests.nodes import Nodes, create_accounts, query
from tests.procs import ServerProcess, bootstrap_credentials, clean_env, free_port, wait_operation, walk

CHANNELS = ["SMS", "RCS", "EMAIL", "WHATSAPP", "PUSH"]
STATUSES = ["ACTIVATED", "DEACTIVATED"]
LIVE_MEMBERS = (
    "SELECT m.pool_id, s.channel, s.status, count(*) FROM pool_members m JOIN senders s ON s.id = m.sender_id"
    " JOIN pools p ON p.id = m.pool_id WHERE p.deleted_at IS NULL GROUP BY m.pool_id, s.channel, s.status"
)
LIVE_PROCESSING = (
    "SELECT o.pool_id, count(*) FROM operations o JOIN pools p ON p.id = o.pool_id"
    " WHERE p.deleted_at IS NULL AND o.status = 'PROCESSING' GROUP BY o.pool_id"
)


def stored_counts_agree(url: str) -> None:
    """Every live pool's summary row holds exactly its memberships and PROCESSING operations, counted
    (read straight from the database), and the JSON rendered from them."""
    kept, processing = {}, {}
    for pool_id, counts, running, updated_ms, doc in query(url, f"SELECT {SUMMARY_COLUMNS}, doc FROM pool_summaries"):
        kept.update({(pool_id, *kind): n for kind, n in parse_counts(counts).items()})
        if running:
            processing[pool_id] = running
        assert bytes(doc) == summary_doc(pool_id, counts, running, updated_ms)  # the JSON a Summary sends
    assert kept == {(row[0], row[1], row[2]): row[3] for row in query(url, LIVE_MEMBERS)}
    assert processing == {row[0]: row[1] for row in query(url, LIVE_PROCESSING)}
    live = {row[0] for row in query(url, "SELECT id FROM pools WHERE deleted_at IS NULL")}
    assert {row[0] for row in query(url, "SELECT pool_id FROM pool_summaries")} == live


def summary_agrees(client: httpx.Client, pool_id: str) -> dict[str, Any]:
    """The summary equals the pool's members walked and counted, and no operation of it is running."""
    found: dict[str, Any] = client.get(f"/v1/SenderPools/{pool_id}/Summary").json()
    members = walk(client, f"/v1/SenderPools/{pool_id}/Senders", "senders")
    channels, statuses = Counter(m["channel"] for m in members), Counter(m["status"] for m in members)
    assert found["senderCount"] == len(members), found
    assert found["byChannel"] == {c: channels[c] for c in CHANNELS}, found
    assert found["byStatus"] == {s: statuses[s] for s in STATUSES}, found
    assert found["processingOperations"] == 0, found
    return found


def register(client: httpx.Client, channel: str, count: int, start: int, status: str = "ACTIVATED") -> list[str]:
    addresses = [
        f"user{start + i}@example.com" if channel == "EMAIL" else f"+1555{start + i:07d}" for i in range(count)
    ]
    body = [{"address": a, "channel": channel, "status": status} for a in addresses]
    ids_: list[str] = []
    for chunk in range(0, len(body), 1000):
        response = client.post("/v1/Senders", json=body[chunk : chunk + 1000])
        assert response.status_code == 201, response.text
        ids_ += [s["id"] for s in response.json()["senders"]]
    return ids_


def create_pool(client: httpx.Client, sender_ids: list[str]) -> tuple[str, str]:
    response = client.post("/v1/SenderPools", json={"senders": [{"senderId": s} for s in sender_ids]})
    assert response.status_code == 202, response.text
    operation_id = response.json()["operationId"]
    listed = client.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"]
    return listed[0]["id"], operation_id


def post_operation(client: httpx.Client, path: str, sender_ids: list[str]) -> str:
    response = client.post(path, json=[{"senderId": s} for s in sender_ids])
    assert response.status_code == 202, response.text
    operation_id: str = response.json()["operationId"]
    return operation_id


# -- concurrency ---------------------------------------------------------------------------------------
class Crowd:
    """Clients on two API nodes adding, removing, deleting and (de)activating the same senders at once,
    while two more worker processes apply the operations beside the nodes' own."""

    CLIENTS, ACTIONS = 8, 30

    def __init__(self, clients: list[httpx.Client], pools: list[str], senders: list[str], mortal: list[str]) -> None:
        self.clients, self.pools, self.senders, self.mortal = clients, pools, senders, mortal
        self.operations: list[str] = []
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.lock = threading.Lock()

    def act(self, seed: int) -> None:
        rng = random.Random(seed)
        client = self.clients[seed % len(self.clients)]
        for _ in range(self.ACTIONS):
            pool = rng.choice(self.pools)
            chosen = rng.sample(self.senders + self.mortal, rng.randint(1, 25))
            roll = rng.random()
            if roll < 0.3:
                unknown = [ids.new_id(ids.SENDER_PREFIX, ids.now_ms())]
                kind, response = "add", client.post(f"{pool}/Senders", json=[{"senderId": s} for s in chosen + unknown])
            elif roll < 0.5:
                kind, response = "remove", client.post(f"{pool}/Senders/Remove", json=[{"senderId": s} for s in chosen])
            elif roll < 0.65:
                kind, response = "leave", client.delete(f"{pool}/Senders/{chosen[0]}")
            elif roll < 0.85:
                status = rng.choice(STATUSES)
                kind, response = "status", client.patch(f"/v1/Senders/{chosen[0]}", json={"status": status})
            elif roll < 0.9:
                kind, response = "delete", client.delete(f"/v1/Senders/{rng.choice(self.mortal)}")
            else:
                kind, response = "summary", client.get(f"{pool}/Summary")
                if response.status_code == 200:
                    found = response.json()
                    assert min(found["byChannel"].values()) >= 0 and min(found["byStatus"].values()) >= 0, found
            with self.lock:
                self.statuses[(kind, response.status_code)] += 1
                if kind in ("add", "remove") and response.status_code == 202:
                    self.operations.append(response.json()["operationId"])

    def run(self) -> None:
        with ThreadPoolExecutor(self.CLIENTS) as threads:
            for future in [threads.submit(self.act, seed) for seed in range(self.CLIENTS)]:
                future.result(timeout=300)


def test_counts_stay_exact_under_concurrent_adds_removes_deletes_and_status_changes(
    tmp_path: Path, database_url: str
) -> None:
    ((sid, token),) = create_accounts(database_url)
    env = clean_env(SENDERPOOLS_WORKER_BATCH_SIZE="7", SENDERPOOLS_WORKER_POLL_INTERVAL="0.02")
    with Nodes(tmp_path / "logs") as nodes:
        servers = [nodes.serve(database_url, env=env) for _ in range(2)]
        for _ in range(2):
            nodes.worker(database_url, "--batch-size", "7", "--poll-interval", "0.02")
        for server in servers:
            server.wait_healthy()
        clients = [server.client(sid, token) for server in servers]
        try:
            main = clients[0]
            senders = (
                register(main, "SMS", 20, 0)
                + register(main, "EMAIL", 20, 100, "DEACTIVATED")
                + register(main, "WHATSAPP", 20, 200)
            )
            mortal = register(main, "PUSH", 20, 300)
            pools = []
            for first in range(3):
                pool_id, operation_id = create_pool(main, senders[first * 15 : first * 15 + 30] + mortal[:5])
                pools.append(f"/v1/SenderPools/{pool_id}")
                wait_operation(main, operation_id)
            crowd = Crowd(clients, pools, senders, mortal)
            crowd.run()
            for operation_id in crowd.operations:
                assert wait_operation(main, operation_id, timeout=120)["status"] == "COMPLETED"
            kinds = Counter(kind for kind, _ in crowd.statuses)
            assert all(status < 500 for _, status in crowd.statuses), crowd.statuses
            assert kinds["add"] and kinds["remove"] and kinds["status"] and kinds["delete"], kinds
            for pool in pools:
                summary_agrees(main, pool.rsplit("/", 1)[1])
            stored_counts_agree(database_url)
        finally:
            for client in clients:
                client.close()


# -- crashes ---------------------------------------------------------------------------------------------
def _wait_for_progress(client: httpx.Client, operation_id: str, applied: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        operation = client.get(f"/v1/SenderPools/Operations/{operation_id}").json()
        stats = operation["stats"]
        assert operation["status"] == "PROCESSING", f"finished before the planned crash: {operation}"
        if stats["created"] + stats["failed"] >= applied:
            return
        assert time.monotonic() < deadline, operation
        time.sleep(0.002)


def test_counts_stay_exact_when_the_server_is_killed_mid_operation(tmp_path: Path, database_url: str) -> None:
    """Remove Senders on one pool and Add Senders on another run in batches while senders change status
    (paced by the test controls, so that the kills land mid-way); the server is SIGKILLed twice. At each
    crash the stored counts equal the memberships, and once restarted the operations finish with
    summaries that match the members."""
    env = clean_env(SENDERPOOLS_WORKER_BATCH_SIZE="50")
    port_args = ["--database-url", database_url, "--test-controls"]
    server: ServerProcess | None = None

    def start() -> ServerProcess:
        port = free_port()
        started = ServerProcess(tmp_path / "logs", port, ["--port", str(port), *port_args], env)
        started.wait_healthy()
        return started

    try:
        server = start()
        credentials = bootstrap_credentials(server.stdout)
        assert credentials is not None, server.describe()
        with server.client(*credentials) as client:
            sms = register(client, "SMS", 1500, 0)
            push = register(client, "PUSH", 1500, 5000, "DEACTIVATED")
            everyone = [s for pair in zip(sms, push, strict=True) for s in pair]
            first, created = create_pool(client, everyone[:2500])
            wait_operation(client, created, timeout=120)
            second, _ = create_pool(client, [])
            assert client.put("/_test/Pacing", json={"itemsPerSecond": 1500}).status_code == 200
            removing = post_operation(client, f"/v1/SenderPools/{first}/Senders/Remove", everyone[:2000])
            adding = post_operation(client, f"/v1/SenderPools/{second}/Senders", everyone[500:])
        for kill_at in (600, 1400):
            with server.client(*credentials) as client:
                _wait_for_progress(client, removing, kill_at)
                for sender_id in everyone[kill_at : kill_at + 20 : 4]:  # status changes between batches
                    client.patch(f"/v1/Senders/{sender_id}", json={"status": "ACTIVATED"})
            server.kill()
            stored_counts_agree(database_url)  # the file or database exactly as the killed server left it
            server = start()
        with server.client(*credentials) as client:
            assert wait_operation(client, removing, timeout=120)["stats"]["created"] == 2000
            assert wait_operation(client, adding, timeout=120)["stats"]["created"] == 2500
            assert summary_agrees(client, first)["senderCount"] == 500
            assert summary_agrees(client, second)["senderCount"] == 2500
        stored_counts_agree(database_url)
    finally:
        if server is not None:
            server.stop()
