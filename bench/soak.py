"""Soak: minutes of mixed API load on loopback against one ``senderpools serve``; fails on any error or drift.

    python -m bench.soak [--seconds 600] [--clients 8] [--out soak.json]

The server runs in its default configuration (rate limit on): a 429 is not an error, the client waits its
``Retry-After`` and sends the request again, and 429s are counted apart. Every other answer must be the
expected one (no 5xx, no transport error, no unexpected 4xx). A 404 is expected only where the soak can
predict it from what it did itself: a pool it deleted, a sender it deleted, a membership it removed after
it read the pool's members. The run is cut into windows; the first window is warm-up. p99 latency and
the server's RSS (all its processes) of the last window are compared with the second: the run fails if
p99 grows by more than 50% (and 5 ms) or RSS by more than 15% (and 20 MB).

At the end the soak drains: it stops issuing, waits until every operation it got a 202 for has left
PROCESSING, and checks each one: COMPLETED (CANCELED only if the soak deleted its pool), and its stats
equal to its items (``GET .../Operations/{id}/Items``, counted by outcome), with one item per sender
sent (plus the pool itself for a Create).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.procs import ServerProcess, bootstrap_credentials, clean_env, start_server

WINDOWS = 10
MAX_SENDERS, MAX_POOLS = 500, 40  # the data set stays this size, so any drift is the server's own
P99_GROWTH, P99_SLACK_MS = 1.5, 5.0
RSS_GROWTH, RSS_SLACK_MB = 1.15, 20.0
DRAIN_SECONDS = 300.0  # every accepted operation must have left PROCESSING by then

# How each item outcome counts in an operation's stats (wire/fields.py ItemOutcome).
COUNTED_AS = {
    "QUEUED": "queued",
    "CREATED": "created",
    "ALREADY_MEMBER": "created",
    "REMOVED": "created",
    "NOT_A_MEMBER": "created",
    "SENDER_NOT_FOUND": "failed",
    "CANCELED": "failed",
}


@dataclass
class Window:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def p99(self) -> float:
        if len(self.latencies_ms) < 2:
            return 0.0
        return statistics.quantiles(self.latencies_ms, n=100)[98]


@dataclass
class Operation:
    """An operation the server accepted (202): what the soak sent, to check what became of it."""

    id: str
    kind: str  # "create" or "add"
    pool: str | None  # None until a Create's pool is listed
    items: int  # work items expected: one per sender sent, plus the pool itself for a Create


def rss_mb(pid: int) -> float:
    """Resident memory of the server's whole process group (granian's main process and its workers)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total / 1024


class Soak:
    def __init__(self, server: ServerProcess, auth: tuple[str, str], seconds: float, clients: int) -> None:
        self.server = server
        self.auth = auth
        self.seconds = seconds
        self.clients = clients
        self.windows = [Window() for _ in range(WINDOWS)]
        self.start = 0.0
        self.draining = False
        self.requests = 0
        self.load_requests = 0  # requests before the drain
        self.throttled = 0  # 429 answers (waited for and retried, not errors)
        self.drain_errors: list[str] = []
        self.predicted_404: Counter[str] = Counter()
        self.pools: list[str] = []
        self.senders: list[str] = []
        self.counter = 0
        # What the soak itself removed (marked before the request is sent): a 404 about these is
        # predictable, any other 404 is an error.
        self.deleted_pools: set[str] = set()
        self.deleted_senders: set[str] = set()
        self.removing: Counter[tuple[str, str]] = Counter()  # (pool, sender) -> membership DELETEs in flight
        self.removed_at: dict[tuple[str, str], float] = {}  # (pool, sender) -> when the last one answered
        self.operations: dict[str, Operation] = {}

    def window(self) -> Window:
        index = int((time.monotonic() - self.start) / self.seconds * WINDOWS)
        return self.windows[min(index, WINDOWS - 1)]

    def error(self, message: str) -> None:
        (self.drain_errors if self.draining else self.window().errors).append(message)

    async def call(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        expected: int,
        predicted_404: Callable[[], str | None] | None = None,
        **kw: Any,
    ) -> Any:
        """One request and its answer's JSON; None (and an error recorded) unless the status is ``expected``.
        ``predicted_404``, asked when a 404 arrives, says why the soak's own actions predict it (or None:
        then it is an error too). A 429 is waited for (its Retry-After) and retried."""
        while True:
            began = time.perf_counter()
            try:
                response = await client.request(method, path, **kw)
            except httpx.HTTPError as exc:
                self.error(f"{method} {path}: {exc!r}")
                return None
            self.requests += 1
            if response.status_code != 429:
                break
            self.throttled += 1
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
        if not self.draining:
            self.window().latencies_ms.append((time.perf_counter() - began) * 1000)
        if response.status_code == expected:
            return response.json() if response.content else {}
        reason = predicted_404() if response.status_code == 404 and predicted_404 is not None else None
        if reason is not None:
            self.predicted_404[reason] += 1
            return None
        self.error(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return None

    def pool_gone(self, pool: str) -> str | None:
        return "pool the soak deleted" if pool in self.deleted_pools else None

    def sender_gone(self, sender: str) -> str | None:
        return "sender the soak deleted" if sender in self.deleted_senders else None

    def member_gone(self, pool: str, sender: str, seen_at: float) -> str | None:
        """Why a membership the soak saw at ``seen_at`` may be gone by the soak's own doing (or None), asked
        during the soak's own DELETE of it: another DELETE of it in flight, or answered since ``seen_at``."""
        if self.removing[pool, sender] > 1 or self.removed_at.get((pool, sender), -math.inf) >= seen_at:
            return "member the soak removed"
        return self.pool_gone(pool) or self.sender_gone(sender)

    def accepted(self, made: Any, kind: str, pool: str | None, items: int) -> Operation | None:
        if not made:
            return None
        operation = Operation(made["operationId"], kind, pool, items)
        self.operations[operation.id] = operation
        return operation

    async def one_step(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        """One request of the mix: mostly reads, some writes of every kind."""
        roll = rng.random()
        if roll < 0.1 or len(self.senders) < 20:
            self.counter += 1
            body = [{"address": f"+1999{self.counter:05d}{i}", "channel": "SMS"} for i in range(5)]
            made = await self.call(client, "POST", "/v1/Senders", 201, json=body)
            if made:
                self.senders += [s["id"] for s in made["senders"]]
            while len(self.senders) > MAX_SENDERS:  # a steady state: as many retired as registered
                sender = self.senders.pop(0)
                self.deleted_senders.add(sender)  # from now on a 404 about it is the soak's own doing
                await self.call(client, "DELETE", f"/v1/Senders/{sender}", 204)
        elif roll < 0.2:
            chosen = rng.sample(self.senders, 5)
            body = {"senders": [{"senderId": s} for s in chosen]}
            operation = self.accepted(
                await self.call(client, "POST", "/v1/SenderPools", 202, json=body), "create", None, 1 + len(chosen)
            )
            if operation:
                listed = await self.call(client, "GET", "/v1/SenderPools", 200, params={"operationId": operation.id})
                if listed is not None and len(listed["senderPools"]) != 1:
                    self.error(f"GET /v1/SenderPools?operationId={operation.id}: {listed}")
                elif listed:
                    operation.pool = listed["senderPools"][0]["id"]
                    self.pools.append(listed["senderPools"][0]["id"])
            while len(self.pools) > MAX_POOLS:
                pool = self.pools.pop(0)
                self.deleted_pools.add(pool)
                await self.call(client, "DELETE", f"/v1/SenderPools/{pool}", 202)
        elif roll < 0.3 and self.pools:
            pool = rng.choice(self.pools)
            chosen = rng.sample(self.senders, 3)
            body = [{"senderId": s} for s in chosen]
            path = f"/v1/SenderPools/{pool}/Senders"
            made = await self.call(client, "POST", path, 202, lambda: self.pool_gone(pool), json=body)
            self.accepted(made, "add", pool, len(chosen))
        elif roll < 0.35 and self.pools:
            # Remove a member the soak has just seen in the pool.
            pool = rng.choice(self.pools)
            seen_at = time.monotonic()
            listed = await self.call(
                client, "GET", f"/v1/SenderPools/{pool}/Senders", 200, lambda: self.pool_gone(pool)
            )
            if listed and listed["senders"]:
                sender = rng.choice(listed["senders"])["id"]
                self.removing[pool, sender] += 1
                path = f"/v1/SenderPools/{pool}/Senders/{sender}"
                await self.call(client, "DELETE", path, 202, lambda: self.member_gone(pool, sender, seen_at))
                self.removing[pool, sender] -= 1
                self.removed_at[pool, sender] = time.monotonic()
        elif roll < 0.5:
            await self.call(client, "GET", "/v1/SenderPools", 200, params={"pageSize": 20})
        elif roll < 0.65 and self.pools:
            pool = rng.choice(self.pools)
            await self.call(client, "GET", f"/v1/SenderPools/{pool}/Senders", 200, lambda: self.pool_gone(pool))
        elif roll < 0.75:
            await self.call(client, "GET", "/v1/Senders", 200, params={"pageSize": 50, "channel": "SMS"})
        elif roll < 0.85:
            sender = rng.choice(self.senders)
            await self.call(client, "GET", f"/v1/Senders/{sender}", 200, lambda: self.sender_gone(sender))
        elif roll < 0.92:
            await self.call(client, "GET", "/v1/SenderPools/Operations", 200, params={"pageSize": 20})
        else:
            body = {"recipientAddresses": [{"address": f"+1555{rng.randrange(10**7):07d}", "channel": "PHONE"}]}
            await self.call(client, "POST", "/v1/Senders/Resolve", 200, json=body)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.server.base_url, auth=self.auth, timeout=30.0)

    async def client_loop(self, seed: int) -> None:
        rng = random.Random(seed)
        async with self.client() as client:
            while time.monotonic() - self.start < self.seconds:
                await self.one_step(client, rng)

    async def sample_rss(self) -> None:
        while time.monotonic() - self.start < self.seconds:
            self.window().rss_mb.append(rss_mb(self.server.popen.pid))
            await asyncio.sleep(1.0)

    # -- the drain -----------------------------------------------------------------------------------
    async def settle(self, client: httpx.AsyncClient, operation: Operation, deadline: float) -> dict[str, Any] | None:
        """The operation once it has left PROCESSING (None, with an error, if it has not by ``deadline``)."""
        path = f"/v1/SenderPools/Operations/{operation.id}"
        while True:
            found = await self.call(client, "GET", path, 200)
            if found is None or found["status"] != "PROCESSING":
                return found
            if time.monotonic() > deadline:
                self.error(f"operation {operation.id} ({operation.kind}) still PROCESSING after the drain: {found}")
                return None
            await asyncio.sleep(0.05)

    async def items(self, client: httpx.AsyncClient, operation_id: str) -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"pageSize": 1000}
        while True:
            page = await self.call(
                client, "GET", f"/v1/SenderPools/Operations/{operation_id}/Items", 200, params=params
            )
            if page is None:
                return None
            found += page["items"]
            token = page["pagination"]["next"]
            if not token:
                return found
            params = {"pageSize": 1000, "pageToken": token}

    async def check(self, client: httpx.AsyncClient, operation: Operation, deadline: float) -> str | None:
        """The operation's end status, after checking it against what the soak did (errors recorded)."""
        done = await self.settle(client, operation, deadline)
        items = await self.items(client, operation.id) if done else None
        if done is None or items is None:
            return None
        status, stats = done["status"], done["stats"]
        label = f"operation {operation.id} ({operation.kind}, pool {operation.pool})"
        if status == "CANCELED" and operation.pool not in self.deleted_pools:
            self.error(f"{label} CANCELED though the soak neither canceled it nor deleted its pool: {done}")
        elif status not in ("COMPLETED", "CANCELED"):
            self.error(f"{label} ended {status}: {done}")
        counted = Counter(COUNTED_AS[item["outcome"]] for item in items)
        by_items = {"total": len(items), "queued": counted["queued"], "created": counted["created"]}
        by_items["failed"] = counted["failed"]
        if stats != by_items:
            self.error(f"{label}: stats {stats} but its items count {by_items}")
        if len(items) != operation.items:
            self.error(f"{label}: {len(items)} items for the {operation.items} the soak sent")
        if status == "COMPLETED" and counted["queued"] + sum(i["outcome"] == "CANCELED" for i in items):
            self.error(f"{label}: COMPLETED with queued or canceled items: {stats}")
        return str(status)

    async def drain(self) -> Counter[str]:
        """Stop issuing (the caller has), wait for every accepted operation, check each one."""
        self.draining = True
        self.load_requests = self.requests
        deadline = time.monotonic() + DRAIN_SECONDS
        queue = list(self.operations.values())
        statuses: Counter[str] = Counter()

        async def worker() -> None:
            async with self.client() as client:
                while queue:
                    status = await self.check(client, queue.pop(), deadline)
                    statuses[status or "unchecked"] += 1

        await asyncio.gather(*(worker() for _ in range(self.clients)))
        return statuses

    async def run(self) -> Counter[str]:
        self.start = time.monotonic()
        await asyncio.gather(self.sample_rss(), *(self.client_loop(seed) for seed in range(self.clients)))
        return await self.drain()

    def report(self, statuses: Counter[str], drain_seconds: float) -> dict[str, Any]:
        base, last = self.windows[1], self.windows[-1]
        base_rss, last_rss = max(base.rss_mb, default=0.0), max(last.rss_mb, default=0.0)
        errors = [e for w in self.windows for e in w.errors] + self.drain_errors
        p99_ok = last.p99() <= max(base.p99() * P99_GROWTH, base.p99() + P99_SLACK_MS)
        rss_ok = last_rss <= max(base_rss * RSS_GROWTH, base_rss + RSS_SLACK_MB)
        kinds = Counter(operation.kind for operation in self.operations.values())
        checked = not statuses.get("unchecked")
        return {
            "seconds": self.seconds,
            "clients": self.clients,
            "requests": self.load_requests,
            "drain_requests": self.requests - self.load_requests,
            "errors": len(errors),
            "drain_errors": len(self.drain_errors),
            "first_errors": errors[:5],
            "throttled_429": self.throttled,
            "predicted_404": dict(self.predicted_404),
            "operations": {"accepted": dict(kinds), "ended": dict(statuses), "drain_seconds": round(drain_seconds, 1)},
            "p99_ms_by_window": [round(w.p99(), 2) for w in self.windows],
            "rss_mb_by_window": [round(max(w.rss_mb, default=0.0), 1) for w in self.windows],
            "p99_flat": p99_ok,
            "rss_flat": rss_ok,
            "passed": not errors and p99_ok and rss_ok and checked,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="senderpools-soak-") as tmp:
        # The server's default configuration (no SENDERPOOLS_* setting leaks in): rate limit on.
        server = start_server(Path(tmp) / "logs", Path(tmp) / "soak.db", env=clean_env())
        try:
            auth = bootstrap_credentials(server.stdout)
            assert auth is not None, server.describe()
            soak = Soak(server, auth, options.seconds, options.clients)
            statuses = asyncio.run(soak.run())
            drain_seconds = time.monotonic() - soak.start - options.seconds
            alive = server.popen.poll() is None
        finally:
            server.stop()
    report = soak.report(statuses, drain_seconds) | {"server_alive": alive}
    report["passed"] = report["passed"] and alive
    text = json.dumps(report, indent=2)
    print(text)
    if options.out:
        options.out.write_text(text + "\n")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
