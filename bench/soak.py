"""Soak: minutes of mixed API load on loopback against one ``senderpools serve``; fails on any error or drift.

    python -m bench.soak [--seconds 600] [--clients 8] [--out soak.json]

Every request must get its expected status (no 5xx, no unexpected 4xx, no transport error). The run is
cut into windows; the first window is warm-up. p99 latency and the server's RSS (all its processes) of
the last window are compared with the second: the run fails if p99 grows by more than 50% (and 5 ms)
or RSS by more than 15% (and 20 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.procs import ServerProcess, bootstrap_credentials, clean_env, start_server

WINDOWS = 10
MAX_SENDERS, MAX_POOLS = 500, 40  # the data set stays this size, so any drift is the server's own
P99_GROWTH, P99_SLACK_MS = 1.5, 5.0
RSS_GROWTH, RSS_SLACK_MB = 1.15, 20.0


@dataclass
class Window:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def p99(self) -> float:
        if len(self.latencies_ms) < 2:
            return 0.0
        return statistics.quantiles(self.latencies_ms, n=100)[98]


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
        self.requests = 0
        self.pools: list[str] = []
        self.senders: list[str] = []
        self.counter = 0

    def window(self) -> Window:
        index = int((time.monotonic() - self.start) / self.seconds * WINDOWS)
        return self.windows[min(index, WINDOWS - 1)]

    async def call(self, client: httpx.AsyncClient, expected: set[int], method: str, path: str, **kw: Any) -> Any:
        began = time.perf_counter()
        try:
            response = await client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            self.window().errors.append(f"{method} {path}: {exc!r}")
            return None
        elapsed = (time.perf_counter() - began) * 1000
        window = self.window()
        window.latencies_ms.append(elapsed)
        self.requests += 1
        if response.status_code not in expected:
            window.errors.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
            return None
        return response.json() if response.content else {}

    async def one_step(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        """One request of the mix: mostly reads, some writes of every kind."""
        roll = rng.random()
        if roll < 0.1 or len(self.senders) < 20:
            self.counter += 1
            body = [{"address": f"+1999{self.counter:05d}{i}", "channel": "SMS"} for i in range(5)]
            made = await self.call(client, {201}, "POST", "/v1/Senders", json=body)
            if made:
                self.senders += [s["id"] for s in made["senders"]]
            while len(self.senders) > MAX_SENDERS:  # a steady state: as many retired as registered
                await self.call(client, {204, 404}, "DELETE", f"/v1/Senders/{self.senders.pop(0)}")
        elif roll < 0.2:
            chosen = rng.sample(self.senders, 5)
            made = await self.call(
                client, {202}, "POST", "/v1/SenderPools", json={"senders": [{"senderId": s} for s in chosen]}
            )
            if made:
                listed = await self.call(
                    client, {200}, "GET", "/v1/SenderPools", params={"operationId": made["operationId"]}
                )
                if listed and listed["senderPools"]:
                    self.pools.append(listed["senderPools"][0]["id"])
            while len(self.pools) > MAX_POOLS:
                await self.call(client, {202, 404}, "DELETE", f"/v1/SenderPools/{self.pools.pop(0)}")
        elif roll < 0.3 and self.pools:
            pool = rng.choice(self.pools)
            body = [{"senderId": s} for s in rng.sample(self.senders, 3)]
            await self.call(client, {202, 404}, "POST", f"/v1/SenderPools/{pool}/Senders", json=body)
        elif roll < 0.35 and self.pools:
            pool = rng.choice(self.pools)
            await self.call(client, {202, 404}, "DELETE", f"/v1/SenderPools/{pool}/Senders/{rng.choice(self.senders)}")
        elif roll < 0.5:
            await self.call(client, {200}, "GET", "/v1/SenderPools", params={"pageSize": 20})
        elif roll < 0.65 and self.pools:
            await self.call(client, {200, 404}, "GET", f"/v1/SenderPools/{rng.choice(self.pools)}/Senders")
        elif roll < 0.75:
            await self.call(client, {200}, "GET", "/v1/Senders", params={"pageSize": 50, "channel": "SMS"})
        elif roll < 0.85:
            await self.call(client, {200, 404}, "GET", f"/v1/Senders/{rng.choice(self.senders)}")
        elif roll < 0.92:
            await self.call(client, {200}, "GET", "/v1/SenderPools/Operations", params={"pageSize": 20})
        else:
            body = {"recipientAddresses": [{"address": f"+1555{rng.randrange(10**7):07d}", "channel": "PHONE"}]}
            await self.call(client, {200}, "POST", "/v1/Senders/Resolve", json=body)

    async def client_loop(self, seed: int) -> None:
        rng = random.Random(seed)
        async with httpx.AsyncClient(base_url=self.server.base_url, auth=self.auth, timeout=30.0) as client:
            while time.monotonic() - self.start < self.seconds:
                await self.one_step(client, rng)

    async def sample_rss(self) -> None:
        while time.monotonic() - self.start < self.seconds:
            self.window().rss_mb.append(rss_mb(self.server.popen.pid))
            await asyncio.sleep(1.0)

    async def run(self) -> None:
        self.start = time.monotonic()
        await asyncio.gather(self.sample_rss(), *(self.client_loop(seed) for seed in range(self.clients)))

    def report(self) -> dict[str, Any]:
        base, last = self.windows[1], self.windows[-1]
        base_rss, last_rss = max(base.rss_mb, default=0.0), max(last.rss_mb, default=0.0)
        errors = [e for w in self.windows for e in w.errors]
        p99_ok = last.p99() <= max(base.p99() * P99_GROWTH, base.p99() + P99_SLACK_MS)
        rss_ok = last_rss <= max(base_rss * RSS_GROWTH, base_rss + RSS_SLACK_MB)
        return {
            "seconds": self.seconds,
            "clients": self.clients,
            "requests": self.requests,
            "errors": len(errors),
            "first_errors": errors[:5],
            "p99_ms_by_window": [round(w.p99(), 2) for w in self.windows],
            "rss_mb_by_window": [round(max(w.rss_mb, default=0.0), 1) for w in self.windows],
            "p99_flat": p99_ok,
            "rss_flat": rss_ok,
            "passed": not errors and p99_ok and rss_ok,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="senderpools-soak-") as tmp:
        env = clean_env(SENDERPOOLS_RATE_LIMIT="0")
        server = start_server(Path(tmp) / "logs", Path(tmp) / "soak.db", env=env)
        try:
            auth = bootstrap_credentials(server.stdout)
            assert auth is not None, server.describe()
            soak = Soak(server, auth, options.seconds, options.clients)
            asyncio.run(soak.run())
            alive = server.popen.poll() is None
        finally:
            server.stop()
    report = soak.report() | {"server_alive": alive}
    report["passed"] = report["passed"] and alive
    text = json.dumps(report, indent=2)
    print(text)
    if options.out:
        options.out.write_text(text + "\n")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
