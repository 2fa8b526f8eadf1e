"""Webhook delivery survives SIGKILL (issue 16): the whole server is killed at random moments (≥ 20
times) while a stream of changes goes in and deliveries go out; afterwards every event in the durable
log has reached the receiver at least once, none is lost, every body verifies, and a duplicate (the
same webhook-id received again: the attempt was cut short before it was recorded) has the same body.

On SQLite one ``serve`` is the whole server (API, operation worker and delivery loop); on PostgreSQL an
API node (``serve --no-worker``) and two ``senderpools worker`` nodes share the database, and one
worker is sometimes killed alone before all of them go down. Reproducible kill moments:
SENDERPOOLS_CRASH_SEED, as in tests/test_crash_many.py.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import standardwebhooks

from senderpools.pytest_plugin import free_port
from tests.nodes import create_accounts
from tests.postgres_cluster import PostgresCluster
from tests.procs import Process, ServerProcess, clean_env, wait_operation, walk
from tests.webhook_receiver import Answer, Receiver, receiving

KILLS = int(os.environ.get("SENDERPOOLS_CRASH_KILLS", "20"))
SEED = int(os.environ.get("SENDERPOOLS_CRASH_SEED", "20261124"))
STARTUP_KILLS = 0.25  # the share of kills that land while the server is still starting
WINDOW = 1.0  # seconds a server may run (once healthy) before it is killed
DRAIN = 90.0  # seconds the deliveries have to catch up once the server stays up (leases of 13 s run out)
ENV = {
    "SENDERPOOLS_WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver is on loopback
    "SENDERPOOLS_WEBHOOK_TIMEOUT": "1",  # a killed attempt's lease (3 x timeout + 10 s) ends after 13 s
    "SENDERPOOLS_WEBHOOK_RETRY_BASE": "0.2",
    "SENDERPOOLS_WORKER_BATCH_SIZE": "2",  # an operation's members go in several batches: several events
    "SENDERPOOLS_RATE_LIMIT": "0",
}
REGISTERED = "io.senderpools.sender.registered"
UPDATED = "io.senderpools.sender.updated"
DELETED = "io.senderpools.sender.deleted"
PROCESSING = "com.twilio.comms-api.operation.processing"
COMPLETED = "com.twilio.comms-api.operation.completed"


class Fleet:
    """The processes of one deployment on one database, started and killed together (all with SIGKILL
    to their process groups: granian's HTTP worker processes die with their parent)."""

    def __init__(self, log_dir: Path, url: str, worker_nodes: int) -> None:
        self.log_dir = log_dir
        self.url = url
        self.worker_nodes = worker_nodes  # 0: the API node runs the worker and delivery loop itself
        self.env = clean_env(**ENV)
        self.api: ServerProcess | None = None
        self.workers: list[Process] = []
        self.base_url = ""  # the API node's, read by the driver thread (a new port at every start)
        self.kills = 0
        self.single_kills = 0

    def start(self) -> None:
        port = free_port()
        args = ["--port", str(port), "--database-url", self.url]
        if self.worker_nodes:
            args.append("--no-worker")
        self.api = ServerProcess(self.log_dir, port, args, self.env)
        self.workers = [
            Process(["worker", "--database-url", self.url], self.log_dir, self.env) for _ in range(self.worker_nodes)
        ]
        self.base_url = self.api.base_url

    def processes(self) -> list[Process]:
        return [p for p in (self.api, *self.workers) if p is not None]

    def kill(self) -> None:
        """SIGKILL every process group at once, then reap them."""
        running = [p for p in self.processes() if p.popen.poll() is None]
        for process in running:
            os.killpg(process.popen.pid, signal.SIGKILL)
        for process in self.processes():
            process.popen.wait(timeout=10)
        self.kills += 1

    def kill_at_random(self, rng: random.Random) -> None:
        """Start the whole server and kill it at a random moment: one time in four while it starts
        (migration, recovery of leases), otherwise up to WINDOW seconds after it answers; on PostgreSQL,
        one time in three a worker node dies alone somewhere before that."""
        self.start()
        assert self.api is not None
        if rng.random() < STARTUP_KILLS:
            time.sleep(rng.uniform(0.0, 0.5))
        else:
            self.api.wait_healthy()
            moment = rng.uniform(0.0, WINDOW)
            if self.workers and rng.random() < 1 / 3:
                first = rng.uniform(0.0, moment)
                time.sleep(first)
                rng.choice(self.workers).kill()
                self.single_kills += 1
                moment -= first
            time.sleep(moment)
        self.kill()

    def stop(self) -> None:
        for process in self.processes():
            process.stop()


class Driver(threading.Thread):
    """A stream of changes over HTTP while the server comes and goes. Only a change the server answered
    is counted (acknowledged); one cut short may or may not have committed (if it did, its event is in
    the log, and delivered like any other)."""

    def __init__(self, fleet: Fleet, credentials: tuple[str, str], seed: int) -> None:
        super().__init__(name="driver", daemon=True)
        self.fleet = fleet
        self.credentials = credentials
        self.rng = random.Random(seed)
        self.acknowledged: list[tuple[str, str]] = []  # (event type, resourceId) each answered change implies
        self.operations: list[str] = []
        self.unexpected: list[str] = []  # answers that are neither success nor the server going away
        self.requests = 0
        self.failed_requests = 0
        self.halt = threading.Event()

    def run(self) -> None:
        loose: list[str] = []  # senders in no pool: free to update and delete
        serial = 0
        with httpx.Client(auth=self.credentials, timeout=5.0) as client:
            while not self.halt.is_set():
                base = self.fleet.base_url
                choice = self.rng.random()
                self.requests += 1
                try:
                    if choice < 0.4 or len(loose) < 6:
                        addresses = [f"+1628{serial + i:07d}" for i in range(2)]
                        serial += 2
                        senders = [{"address": a, "channel": "SMS"} for a in addresses]
                        response = client.post(f"{base}/v1/Senders", json=senders)
                        if self.answered(response, 201):
                            made = [s["id"] for s in response.json()["senders"]]
                            loose += made
                            self.acknowledged += [(REGISTERED, sid) for sid in made]
                    elif choice < 0.6:
                        members, loose = loose[:4], loose[4:]
                        pool = {"name": f"pool {serial}", "senders": [{"senderId": s} for s in members]}
                        response = client.post(f"{base}/v1/SenderPools", json=pool)
                        if self.answered(response, 202):
                            operation_id = response.json()["operationId"]
                            self.operations.append(operation_id)
                            self.acknowledged.append((PROCESSING, operation_id))
                    elif choice < 0.85:
                        sender_id = self.rng.choice(loose)
                        change = {"displayName": f"name {serial}"}
                        serial += 1
                        response = client.patch(f"{base}/v1/Senders/{sender_id}", json=change)
                        if self.answered(response, 200):
                            self.acknowledged.append((UPDATED, sender_id))
                    else:
                        sender_id = loose.pop(self.rng.randrange(len(loose)))
                        response = client.delete(f"{base}/v1/Senders/{sender_id}")
                        if self.answered(response, 204):
                            self.acknowledged.append((DELETED, sender_id))
                except httpx.TransportError:  # the server is dead, starting, or died mid-request
                    self.failed_requests += 1
                    time.sleep(0.05)
                time.sleep(0.02)

    def answered(self, response: httpx.Response, expected: int) -> bool:
        if response.status_code == expected:
            return True
        if response.status_code < 500:  # a 5xx: the server going down, or its database not there yet
            self.unexpected.append(f"{response.request.method} {response.request.url.path}: {response.text[:300]}")
        self.failed_requests += 1
        return False


def slow_sometimes(n: int) -> Answer:
    """200, one time in five after 0.3 s: attempts in flight at the kills, not only the instant ones."""
    if n % 5 == 0:
        time.sleep(0.3)
    return 200


def drained(client: httpx.Client, receiver: Receiver, sink_id: str, timeout: float = DRAIN) -> list[str]:
    """Wait until every event of the log has been received and the sink has nothing pending; returns the
    log's event IDs."""
    deadline = time.monotonic() + timeout
    while True:
        logged = [e["id"] for e in walk(client, "/v1/Events", "events")]
        received = {r.headers["webhook-id"] for r in receiver.snapshot()}
        pending = walk(client, f"/v1/EventSinks/{sink_id}/Deliveries", "deliveries", status="PENDING")
        if not pending and set(logged) <= received:
            return logged
        missing = len(set(logged) - received)
        assert time.monotonic() < deadline, f"after {timeout}s: {missing} events never received, {len(pending)} pending"
        time.sleep(0.5)


def run_kills(tmp_path: Path, url: str, worker_nodes: int) -> None:
    started = time.monotonic()
    rng = random.Random(SEED)
    [credentials] = create_accounts(url)
    fleet = Fleet(tmp_path / "logs", url, worker_nodes)
    with receiving(answer=slow_sometimes) as receiver:
        driver = Driver(fleet, credentials, SEED + 1)
        try:
            fleet.start()
            assert fleet.api is not None
            fleet.api.wait_healthy()
            with httpx.Client(base_url=fleet.base_url, auth=credentials, timeout=30.0) as client:
                created = client.post("/v1/EventSinks", json={"url": receiver.url, "description": "every event"})
                assert created.status_code == 201, created.text
                sink = created.json()
            driver.start()
            time.sleep(rng.uniform(0.0, WINDOW))
            fleet.kill()
            while fleet.kills < KILLS:
                fleet.kill_at_random(rng)
            driver.halt.set()
            driver.join(timeout=30)
            assert not driver.is_alive()

            killed = time.monotonic()
            fleet.start()  # and now it stays up
            fleet.api.wait_healthy()
            with httpx.Client(base_url=fleet.base_url, auth=credentials, timeout=30.0) as client:
                for operation_id in driver.operations:
                    assert wait_operation(client, operation_id)["status"] == "COMPLETED"
                logged = drained(client, receiver, sink["id"])
                history = walk(client, f"/v1/EventSinks/{sink['id']}/Deliveries", "deliveries", page_size=1000)
                log = walk(client, "/v1/Events", "events", page_size=1000)
        finally:
            driver.halt.set()
            fleet.stop()
        got = receiver.snapshot()

    assert driver.unexpected == []
    # Every acknowledged change has its event in the durable log (and so do the operations' completions).
    implied = {(e["type"], e["resourceId"]) for e in log}
    wanted = set(driver.acknowledged) | {(COMPLETED, op) for op in driver.operations}
    assert sorted(wanted - implied) == []
    # Every logged event reached the receiver at least once, and nothing else did.
    by_id: dict[str, list[bytes]] = defaultdict(list)
    verifier = standardwebhooks.Webhook(sink["secret"])
    for received in got:
        body = verifier.verify(received.body.decode(), received.headers)  # raises on a bad signature
        assert body["id"] == received.headers["webhook-id"]
        by_id[body["id"]].append(received.body)
    assert set(by_id) == set(logged), (len(set(logged) - set(by_id)), len(set(by_id) - set(logged)))
    # A duplicate is the same event sent again: one webhook-id, one body.
    duplicated = {event_id: bodies for event_id, bodies in by_id.items() if len(bodies) > 1}
    assert all(len(set(bodies)) == 1 for bodies in duplicated.values())
    # The sink's history agrees: one delivery per event, each DELIVERED.
    assert sorted(d["eventId"] for d in history) == sorted(logged)
    assert {d["status"] for d in history} == {"DELIVERED"}
    retried = sum(1 for d in history if d["attempts"] > 1)
    assert fleet.kills >= min(KILLS, 20)
    print(
        f"\n{'PostgreSQL' if worker_nodes else 'SQLite'}: {fleet.kills} kills of the whole server"
        f" (+{fleet.single_kills} of one worker node), {len(driver.acknowledged)} acknowledged changes"
        f" ({driver.requests} requests, {driver.failed_requests} unanswered), {len(logged)} events,"
        f" {len(got)} deliveries received, {len(duplicated)} events received more than once"
        f" ({len(got) - len(by_id)} extra copies), {retried} recorded with more than one attempt,"
        f" {time.monotonic() - started:.1f} s ({killed - started:.1f} s of kills)"
    )


def test_sqlite_server_killed_at_random_loses_no_event(tmp_path: Path) -> None:
    run_kills(tmp_path, f"sqlite:///{tmp_path}/senderpools.db", worker_nodes=0)


@pytest.fixture
def pg_url(postgres: PostgresCluster) -> Iterator[str]:
    url = postgres.new_database()
    yield url
    postgres.drop_database(url)


def test_postgresql_nodes_killed_at_random_lose_no_event(tmp_path: Path, pg_url: str) -> None:
    run_kills(tmp_path, pg_url, worker_nodes=2)
