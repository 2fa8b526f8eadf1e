"""The benchmark: ``make bench`` (full) or ``make bench-quick`` (every workload, briefly).

One run starts everything it needs on loopback (the server, a bare-ASGI floor app on the same server
program, Stoplight Prism mocking our own /openapi.json, a throwaway PostgreSQL cluster), seeds the
data, drives load with wrk (never a Python client on the hot path), and writes a Markdown table and
JSON. Every figure stands next to a baseline measured in the same run, repetitions interleaved so
that a change in the machine's background load hits baseline and subject alike; a ratio is the median
over repetitions of (ours / baseline) within each repetition.

Results name a clean commit: the run refuses to start while tracked files have uncommitted changes, unless
``--allow-dirty`` is given (and then the results say so at the top).

Usage: python -m bench.run [--quick] [--reps N] [--duration S] [--no-prism] [--no-postgres] [--allow-dirty]
       [--only-resolve | --only-events]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import msgspec

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PRISM = BENCH / "node_modules" / ".bin" / "prism"
sys.path.insert(0, str(ROOT))  # the repository's code, whatever is installed

from bench import readme, seed  # noqa: E402
from bench.floor_app import DEFAULT_BYTES as FLOOR_BYTES  # noqa: E402
from bench.processes import Process, basic, free_port, git_state, tree_cpu_seconds  # noqa: E402
from senderpools.http.pagination import PageTokens, filter_values  # noqa: E402
from senderpools.records import name_key  # noqa: E402
from senderpools.store import open_store  # noqa: E402
from senderpools.store.rows import name_cursor  # noqa: E402
from senderpools.wire.queries import PoolFilters  # noqa: E402


@dataclass(frozen=True)
class Scale:
    duration: int  # seconds per wrk run
    reps: int
    connections: int
    senders: int  # senders per Create / Add and in the workload-3 pool
    deep_pools: int  # pools of the workload-6 account
    member_pools: int  # pools of ``senders`` members each in the workload-5 account
    mixed_seconds: int
    page_seconds: int  # seconds per wrk run of workloads 6, 9 and 10
    big_members: int  # members of the one pool of workloads 9 and 11
    removed: int  # senders removed from it (and added back) in workload 11
    resolve_senders: int  # senders in the pool of workload 12
    events_creates: int  # Creates with events on, and as many off, in workload 13 (at least 5 each)
    events_burst: int  # senders registered in bulk (one event each) per repetition of workload 13's throughput
    events_spaced: int  # single changes, 10 a second, for workload 13's latency
    list_pools: int = 60


FULL = Scale(duration=8, reps=3, connections=64, senders=10_000, deep_pools=1_000_000, member_pools=100,
             mixed_seconds=60, page_seconds=4, big_members=1_000_000, removed=10_000, resolve_senders=100_000,
             events_creates=11, events_burst=20_000, events_spaced=200)  # fmt: skip
QUICK = Scale(duration=2, reps=1, connections=64, senders=1_000, deep_pools=20_000, member_pools=3,
              mixed_seconds=4, page_seconds=1, big_members=20_000, removed=1_000, resolve_senders=20_000,
              events_creates=5, events_burst=5_000, events_spaced=50)  # fmt: skip

# The deep account's pools: one template per name, copied in equal shares and interleaved in time, so a
# name prefix or a tag matches a tenth of them, spread over the whole list (workload 10).
DEEP_NAMES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett")
SEARCHED_NAME, SEARCHED_PREFIX, SEARCHED_TAG = "charlie", "CHARL", ("tier", "2")
# The server runs with the per-account rate limit off: a 429 is cheaper than any answer and would
# inflate req/s (64 connections outrun the default 10,000/s on a quiet machine). Any run with non-2xx
# answers or socket errors is INVALID anyway (``Results.invalid``).
SERVER_OPTIONS = ("--rate-limit", "0")

# Workload 12's senders: numbers in mixed countries, as (prefix, first number, digits after the prefix).
RESOLVE_SENDER_RANGES = [
    ("+1415", 2_000_000, 7), ("+1212", 2_000_000, 7), ("+1310", 2_000_000, 7), ("+1617", 2_000_000, 7),
    ("+1512", 2_000_000, 7), ("+1416", 2_000_000, 7), ("+4420", 70_000_000, 8), ("+4930", 10_000_000, 8),
    ("+336", 10_000_000, 8), ("+612", 90_000_000, 8),
]  # fmt: skip
# Its recipients, drawn at random by bench/resolve.lua: (prefix, random digits after it). Brazil has no sender.
RESOLVE_RECIPIENT_RANGES = [
    ("+14155", 6), ("+12125", 6), ("+13105", 6), ("+16175", 6), ("+15125", 6), ("+13125", 6), ("+14165", 6),
    ("+44207", 7), ("+49301", 7), ("+33612", 6), ("+61290", 6), ("+551198", 7),
]  # fmt: skip
# Returning recipients: 2,000 numbers, each sticky after its first Resolve (the steady state of a campaign).
RESOLVE_RETURNING_RANGES = [("+14155550", 3), ("+44207946", 3)]
RESOLVE_OPTIONS = '"geoMatch":true,"stickiness":"ACCOUNT","skipUnhealthy":true'
RESOLVE_GEO_OPTIONS = '"geoMatch":true,"skipUnhealthy":true'  # the same without stickiness: nothing stored
# Workload 13's server may deliver to the receiver on loopback (otherwise its default configuration).
EVENTS_SERVER_ENV = {"SENDERPOOLS_WEBHOOK_ALLOW_PRIVATE": "true"}
EVENTS_SPACING = 0.1  # seconds between the changes of the latency phase


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def cli(*args: str) -> list[str]:
    """The ``senderpools`` command of this checkout."""
    return [sys.executable, "-c", "from senderpools.cli import main; main()", *args]


# -- processes -------------------------------------------------------------------------------------
def start_process(name: str, argv: list[str], workdir: Path, env: dict[str, str] | None = None) -> Process:
    return Process(name, argv, workdir, env or child_env(), ROOT)


def wait_until(check: Callable[[], bool], what: str, process: Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.check_alive()
        with contextlib.suppress(httpx.TransportError, OSError):
            if check():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s; see {process.log_path}")


def http_ok(url: str, headers: dict[str, str] | None = None) -> bool:
    return httpx.get(url, headers=headers, timeout=2).status_code < 500


# -- wrk -------------------------------------------------------------------------------------------
@dataclass
class Load:
    rps: float
    mb_per_s: float
    mean_ms: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    extra: Any = None
    cpu_us: float | None = None  # CPU time of the process under test per request
    db_cpu_us: float | None = None  # CPU time of the database (PostgreSQL: postmaster and children) per request

    @classmethod
    def parse(cls, output: str) -> Load:
        line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
        data = json.loads(line.removeprefix("BENCH_JSON "))
        seconds = data["duration_us"] / 1e6
        latency = data["latency_us"]
        return cls(
            rps=data["requests"] / seconds,
            mb_per_s=data["bytes"] / seconds / 1e6,
            mean_ms=latency["mean"] / 1000,
            p50_ms=latency["p50"] / 1000,
            p99_ms=latency["p99"] / 1000,
            requests=data["requests"],
            errors=sum(data["errors"].values()),  # socket errors, and answers >= 400 (wrk's "status")
            extra=data["extra"],
        )


class Wrk:
    def __init__(self, workdir: Path) -> None:
        self.exe = shutil.which("wrk")
        if self.exe is None:
            raise SystemExit("wrk is not installed: run `make bench` (it installs Debian's wrk) or apt-get install wrk")
        self.workdir = workdir
        self.report = BENCH / "report.lua"

    def script(self, workload: str | None) -> Path:
        if workload is None:
            return self.report
        path = self.workdir / f"{workload}.lua"
        path.write_text(self.report.read_text() + "\n" + (BENCH / f"{workload}.lua").read_text())
        return path

    def run(
        self,
        url: str,
        authorization: str,
        seconds: int,
        connections: int,
        workload: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Load:
        argv = [
            str(self.exe), "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
            "-H", f"Authorization: {authorization}", "-s", str(self.script(workload)), url,
        ]  # fmt: skip
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=seconds + 60, env={**os.environ, **(env or {})}
        )
        if done.returncode != 0 or "BENCH_JSON" not in done.stdout:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
        return Load.parse(done.stdout)


# -- the system under test -------------------------------------------------------------------------
@dataclass
class Target:
    """Something wrk loads: a process tree serving HTTP at ``base``, and the credentials to send."""

    process: Process
    base: str
    authorization: str
    database: int | None = None  # the database server's root process (PostgreSQL's postmaster), if any


@dataclass
class Account:
    sid: str
    token: str

    @property
    def authorization(self) -> str:
        return basic(self.sid, self.token)

    def client(self, base: str) -> httpx.Client:
        return httpx.Client(base_url=base, auth=(self.sid, self.token), timeout=120)


def create_account(database_url: str) -> Account:
    done = subprocess.run(
        cli("accounts", "create", "--database-url", database_url), capture_output=True, text=True, env=child_env()
    )
    if done.returncode != 0:
        raise RuntimeError(f"accounts create failed: {done.stdout}{done.stderr}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Account(data["accountSid"], data["authToken"])


def register_senders(client: httpx.Client, count: int, prefix: str = "+1666") -> list[str]:
    """``count`` SMS senders numbered from ``prefix`` + 0000000, 10,000 per request."""
    ids = []
    for start in range(0, count, 10_000):
        body = [{"address": f"{prefix}{i:07d}", "channel": "SMS"} for i in range(start, min(count, start + 10_000))]
        response = client.post("/v1/Senders", json=body)
        response.raise_for_status()
        ids += [s["id"] for s in response.json()["senders"]]
    return ids


def wait_completed(client: httpx.Client, location: str) -> dict[str, Any]:
    while True:
        operation: dict[str, Any] = client.get(location).json()
        if operation["status"] != "PROCESSING":
            return operation
        time.sleep(0.002)


def timed_operation(client: httpx.Client, path: str, body: Any, expected: int) -> tuple[float, str]:
    """Seconds from sending the POST to reading the operation COMPLETED, and the pool ID."""
    started = time.perf_counter()
    response = client.post(path, json=body)
    if response.status_code != 202:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:500]}")
    operation = wait_completed(client, response.headers["Operation-Location"])
    elapsed = time.perf_counter() - started
    if operation["status"] != "COMPLETED" or operation["stats"]["created"] != expected:
        raise RuntimeError(f"operation did not complete as expected: {operation}")
    pool_id = path.split("/")[3] if path.count("/") > 2 else _pool_of(client, operation["id"])
    return elapsed, pool_id


def _pool_of(client: httpx.Client, operation_id: str) -> str:
    pools = client.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"]
    return str(pools[0]["id"])


def create_pools(client: httpx.Client, count: int) -> list[str]:
    for i in range(count):
        body = {"name": f"pool-{i}", "tags": {"team": "bench", "tier": str(i % 3)}}
        client.post("/v1/SenderPools", json=body).raise_for_status()
    pools = client.get("/v1/SenderPools", params={"pageSize": 1000}).json()["senderPools"]
    return [p["id"] for p in pools]


# -- results ---------------------------------------------------------------------------------------
@dataclass
class Results:
    meta: dict[str, Any]
    runs: dict[str, list[Any]] = field(default_factory=dict)  # raw per-repetition figures
    notes: list[str] = field(default_factory=list)

    def add(self, key: str, value: Any) -> None:
        self.runs.setdefault(key, []).append(asdict(value) if isinstance(value, Load) else value)

    def values(self, key: str, attribute: str | None = None) -> list[float]:
        """The figure of every repetition that has it (``db_cpu_us`` is None without a database server)."""
        values = [run[attribute] if attribute else run for run in self.runs.get(key, [])]
        return [value for value in values if value is not None]

    def median(self, key: str, attribute: str | None = None) -> float | None:
        values = self.values(key, attribute)
        return statistics.median(values) if values else None

    def ratio(self, key: str, base: str, attribute: str) -> float | None:
        """Median over repetitions of key/base, each pair measured in the same repetition."""
        pairs = zip(self.values(key, attribute), self.values(base, attribute), strict=False)
        ratios = [a / b for a, b in pairs if b]
        return statistics.median(ratios) if ratios else None

    def errors(self, *keys: str) -> int:
        return sum(int(run["errors"]) for key in keys for run in self.runs.get(key, []))

    def invalid(self, keys: list[str]) -> str | None:
        """The one rule for every verdict: a wrk run with any non-2xx answer or socket error is INVALID,
        and so is every figure and target that uses it. What was invalid, or None."""
        bad = [f"{key} {self.errors(key):,}" for key in keys if self.errors(key)]
        return f"INVALID: non-2xx answers or socket errors in {', '.join(bad)}" if bad else None


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )

    def version(argv: list[str]) -> str:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            return (done.stdout or done.stderr).strip().splitlines()[0].split(" Copyright")[0]
        return "not found"

    import granian

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(int(memory) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "granian": granian.__version__,
        "sqlite": sqlite3.sqlite_version,
        "wrk": version(["wrk", "-v"]),
        "prism": version([str(PRISM), "--version"]) if PRISM.exists() else "not installed",
        "postgresql": version([str(_pg_bindir() / "postgres"), "--version"]) if _pg_bindir() else "not installed",
    }


def postmaster_pid(cluster: Any) -> int:
    """The root of a running PostgreSQL cluster's process tree (its backends and helpers are children)."""
    return int((cluster.data / "postmaster.pid").read_text().split()[0])


def _pg_bindir() -> Path | None:
    from tests.postgres_cluster import _bindir

    try:
        return _bindir()
    except RuntimeError:
        return None


# -- the workloads ---------------------------------------------------------------------------------
class Bench:
    def __init__(self, scale: Scale, workdir: Path, use_prism: bool, use_postgres: bool, workers: int) -> None:
        self.scale = scale
        self.workdir = workdir
        self.use_prism = use_prism
        self.use_postgres = use_postgres
        self.workers = workers
        self.wrk = Wrk(workdir)
        self.processes: list[Process] = []
        self.results = Results(
            meta={
                "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "commit": git_state(ROOT)[0],
                "uncommitted_changes": git_state(ROOT)[1],
                "rate_limit": "off (" + " ".join(SERVER_OPTIONS) + ")",
                "machine": machine(),
                "scale": asdict(scale),
                "server_workers": workers,
                "load_average_start": os.getloadavg(),
            }
        )

    def start(self, process: Process) -> Process:
        self.processes.append(process)
        return process

    def start_server(self, name: str, database_url: str, env: dict[str, str] | None = None) -> tuple[Process, str]:
        """``senderpools serve`` in its default configuration (but for ``env``), on a free loopback port."""
        port = free_port()
        argv = cli("serve", "--port", str(port), "--database-url", database_url, "--workers", str(self.workers))
        process = self.start(
            start_process(name, [*argv, *SERVER_OPTIONS], self.workdir, {**child_env(), **(env or {})})
        )
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_ok(base + "/healthz"), name, process)
        return process, base

    def stop(self, process: Process) -> None:
        process.stop()
        self.processes.remove(process)

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def load(self, key: str, target: Target, path: str, seconds: int | None = None, **kwargs: Any) -> Load:
        """One wrk run against ``target`` (whose CPU time per request is recorded too, and its database's)."""
        cpu = target.process.cpu_seconds()
        db_cpu = tree_cpu_seconds(target.database) if target.database else 0.0
        seconds = seconds or self.scale.duration
        connections = kwargs.pop("connections", self.scale.connections)
        result = self.wrk.run(target.base + path, target.authorization, seconds, connections, **kwargs)
        result.cpu_us = (target.process.cpu_seconds() - cpu) / max(result.requests, 1) * 1e6
        if target.database:
            result.db_cpu_us = (tree_cpu_seconds(target.database) - db_cpu) / max(result.requests, 1) * 1e6
        self.results.add(key, result)
        database = "" if result.db_cpu_us is None else f" + {result.db_cpu_us:,.0f} us database CPU"
        log(
            f"  {key}: {result.rps:,.0f} rps, p99 {result.p99_ms:.1f} ms, {result.mb_per_s:.1f} MB/s, "
            f"{result.cpu_us:,.0f} us CPU/request{database}, errors {result.errors}"
            + (" INVALID" if result.errors else "")
        )
        return result

    # -- the floor app and the peer ----------------------------------------------------------------
    def start_floor(self, authorization: str, body_bytes: int = FLOOR_BYTES, name: str = "floor") -> Target:
        """The floor app answering ``body_bytes`` of JSON (bench/floor_app.py)."""
        port = free_port()
        argv = [sys.executable, "-m", "bench.floor_app", "--port", str(port), "--workers", str(self.workers),
                "--authorization", authorization, "--body-bytes", str(body_bytes)]  # fmt: skip
        process = self.start(start_process(name, argv, self.workdir))
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_ok(base, {"Authorization": authorization}), "floor app", process)
        return Target(process, base, authorization)

    def start_floors(self, prefix: str, ours: Target, paths: dict[str, str]) -> dict[str, tuple[str, Target]]:
        """Workload -> (results key, floor): workload 1 (a pool, about as large) against the 301-byte floor
        every run has used; every other workload in ``paths`` against a floor answering exactly as many
        bytes as the server's answer at its path (measured now, recorded in the results' meta)."""
        sizes = {}
        for key, path in paths.items():
            response = httpx.get(ours.base + path, headers={"Authorization": ours.authorization}, timeout=60)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
            sizes[key] = len(response.content)
        self.results.meta[f"{prefix}body_bytes"] = sizes
        floors = {}
        for key, size in sizes.items():
            name, body = (f"{prefix}floor", FLOOR_BYTES) if key == "w1" else (f"{prefix}floor_{key}", size)
            floors[key] = (name, self.start_floor(ours.authorization, body, name))
            self.results.meta.setdefault("floor_sizes", {})[name] = body
        return floors

    def stop_sized_floors(self, floors: dict[str, tuple[str, Target]]) -> None:
        """Stop the floors of workloads 2 and 3 (nothing else uses them); workload 1's stays for workload 12."""
        for key, (_, target) in floors.items():
            if key != "w1":
                self.stop(target.process)

    def start_prism(self, server_base: str, authorization: str) -> Target | None:
        if not self.use_prism:
            return None
        if not PRISM.exists():
            raise SystemExit(f"{PRISM} is missing: run `make bench` (it installs Prism into bench/node_modules)")
        spec = self.workdir / "openapi.json"
        spec.write_bytes(httpx.get(server_base + "/openapi.json").content)
        port = free_port()
        argv = [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)]
        process = self.start(start_process("prism", argv, self.workdir, env=dict(os.environ)))
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: "Prism is listening" in process.log_path.read_text(errors="replace"), "Prism", process, 120)
        return Target(process, base, authorization)

    # -- SQLite --------------------------------------------------------------------------------------
    async def seed_sqlite(
        self, database_url: str, path: Path, deep: Account, members: Account, big: Account
    ) -> tuple[list[str], str, list[str]]:
        """1,000,000 pools for ``deep``; ``member_pools`` pools of ``senders`` members for ``members``; one
        pool of ``big_members`` members for ``big``. Returns the members' senders, the big pool and its senders."""
        scale = self.scale
        store = open_store(database_url)
        await store.migrate()
        database = seed.SQLiteDatabase(str(path))
        try:
            started = time.perf_counter()
            share = scale.deep_pools // len(DEEP_NAMES)
            for tier, name in enumerate(DEEP_NAMES):
                tags = {"bench": "seed", "tier": str(tier)}
                template = await seed.template_pool(store, database, deep.sid, name, [], tags)
                await seed.copy_pools(database, template, share - 1, step_ms=len(DEEP_NAMES))
                log(f"  deep pools: {(tier + 1) * share:,}")
            log(f"seeded {scale.deep_pools:,} pools in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            sender_ids = await seed.register_senders(store, members.sid, scale.senders)
            template = await seed.template_pool(store, database, members.sid, "members", sender_ids)
            await seed.copy_pools(database, template, scale.member_pools - 1, step_ms=1000)
            log(f"seeded {scale.member_pools * scale.senders:,} memberships in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            big_pool, big_senders = await seed.big_pool(
                store, big.sid, scale.big_members, lambda n: n % 200_000 == 0 and log(f"  big pool: {n:,} members")
            )
            big_seconds = time.perf_counter() - started
            log(f"seeded a pool of {scale.big_members:,} members in {big_seconds:.1f} s (service and worker)")
            self.results.meta["seeded"] = {
                "deep_account_pools": scale.deep_pools,
                "memberships": scale.member_pools * scale.senders,
                "big_pool_members": scale.big_members,
                "big_pool_seconds": round(big_seconds),
                "database_mb": round(path.stat().st_size / 1e6),
            }
            return sender_ids, big_pool, big_senders
        finally:
            await database.close()
            await store.close()

    def run_sqlite(self) -> None:
        scale, results = self.scale, self.results
        path = self.workdir / "bench.db"
        database_url = f"sqlite:///{path}"
        main, deep, members, big = (create_account(database_url) for _ in range(4))
        member_sender_ids, big_pool_id, big_senders = asyncio.run(
            self.seed_sqlite(database_url, path, deep, members, big)
        )
        server, base = self.start_server("server-sqlite", database_url)
        with main.client(base) as client:
            log("setup: senders and pools of the main account")
            sender_ids = register_senders(client, scale.senders)
            pool_ids = create_pools(client, scale.list_pools)
            refs = [{"senderId": s} for s in sender_ids]
            body = {"name": "big", "senders": refs}
            _, big_pool = timed_operation(client, "/v1/SenderPools", body, scale.senders + 1)  # also a warm-up
        one = f"/v1/SenderPools/{pool_ids[0]}"
        page = "/v1/SenderPools?pageSize=50"
        members_page = f"/v1/SenderPools/{big_pool}/Senders?pageSize=1000"
        ours = Target(server, base, main.authorization)
        floors = self.start_floors("", ours, {"w1": one, "w2": page, "w3": members_page})
        prism = self.start_prism(base, main.authorization)
        for rep in range(scale.reps):
            log(f"workloads 1-3, repetition {rep + 1}/{scale.reps}")
            for key, endpoint in (("w1", one), ("w2", page), ("w3", members_page)):
                self.load(floors[key][0], floors[key][1], "/v1/floor")
                self.load(key, ours, endpoint)
                if prism:
                    self.load(f"{key}_prism", prism, endpoint)
        if prism:
            self.stop(prism.process)
        self.stop_sized_floors(floors)
        floor = floors["w1"][1]

        log("workload 4: Create with senders, and the storage floor")
        with main.client(base) as client:
            for _ in range(scale.reps):
                results.add(
                    "w4_storage_floor",
                    asyncio.run(storage_floor(partial(seed.SQLiteDatabase.connect, str(path)), big_pool)),
                )
                elapsed, big_pool = timed_operation(client, "/v1/SenderPools", body, scale.senders + 1)
                results.add("w4", elapsed)
                log(
                    f"  create: {elapsed * 1000:.0f} ms; storage floor {results.values('w4_storage_floor')[-1] * 1000:.0f} ms"
                )

        log("workload 5: Add senders in a database of memberships")
        with members.client(base) as client:
            refs = [{"senderId": s} for s in member_sender_ids]
            for _ in range(scale.reps):
                response = client.post("/v1/SenderPools", json={"name": "added-to"})
                pool_id = _pool_of(client, response.json()["operationId"])
                elapsed, _ = timed_operation(client, f"/v1/SenderPools/{pool_id}/Senders", refs, scale.senders)
                results.add("w5", elapsed)
                log(f"  add: {elapsed * 1000:.0f} ms")

        log("workload 6: first page vs the page at depth")
        deep_page = page + "&pageToken=" + deep_token(path, deep.sid, scale.deep_pools)
        check = httpx.get(base + deep_page, headers={"Authorization": deep.authorization})
        if check.status_code != 200 or len(check.json()["senderPools"]) != 50:
            raise RuntimeError(f"deep page: {check.status_code} {check.text[:300]}")
        deep_account = Target(server, base, deep.authorization)
        searches = {
            "w10_name": deep_search(path, deep.sid, PoolFilters(name_prefix=SEARCHED_PREFIX), scale.deep_pools),
            "w10_tag": deep_search(path, deep.sid, PoolFilters(tag=":".join(SEARCHED_TAG)), scale.deep_pools),
        }
        for key, search in searches.items():
            check = httpx.get(base + search, headers={"Authorization": deep.authorization})
            found = check.json().get("senderPools", []) if check.status_code == 200 else []
            if len(found) != 50 or {p["name"] for p in found} != {SEARCHED_NAME}:
                raise RuntimeError(f"{key} page at depth: {check.status_code} {check.text[:300]}")
        for _ in range(scale.reps):
            self.load("w6_first", deep_account, page, scale.page_seconds, connections=4)
            self.load("w6_deep", deep_account, deep_page, scale.page_seconds, connections=4)
            for key, search in searches.items():
                self.load(key, deep_account, search, scale.page_seconds, connections=4)

        log(f"workload 9: the summary of a pool of {scale.big_members:,} members vs fetching the pool")
        big_account = Target(server, base, big.authorization)
        pool_path = f"/v1/SenderPools/{big_pool_id}"
        with big.client(base) as client:
            counted = client.get(f"{pool_path}/Summary").json()
            if counted["senderCount"] != scale.big_members:
                raise RuntimeError(f"the big pool's summary: {counted}")
        for _ in range(scale.reps):
            for key, read in (("w9_fetch", pool_path), ("w9_summary", f"{pool_path}/Summary")):
                self.load(key, big_account, read, scale.page_seconds, connections=4)

        log(f"workload 11: remove {scale.removed:,} senders from it, then add them back (the baseline)")
        with big.client(base) as client:
            for rep in range(scale.reps):
                chosen = big_senders[rep :: len(big_senders) // scale.removed][: scale.removed]
                refs = [{"senderId": s} for s in chosen]
                removed, _ = timed_operation(client, f"{pool_path}/Senders/Remove", refs, scale.removed)
                added, _ = timed_operation(client, f"{pool_path}/Senders", refs, scale.removed)
                results.add("w11_remove", removed)
                results.add("w11_add", added)
                log(f"  remove: {removed * 1000:.0f} ms; add back: {added * 1000:.0f} ms")
            if client.get(f"{pool_path}/Summary").json()["senderCount"] != scale.big_members:
                raise RuntimeError("the big pool did not end with every member back")

        log("workload 7: mixed reads and writes")
        data = self.workdir / "mixed.txt"
        lines = [f"auth {ours.authorization}", *(f"pool {p}" for p in [*pool_ids, big_pool])]
        data.write_text("\n".join([*lines, *(f"sender {s}" for s in sender_ids)]) + "\n")
        self.load("w7", ours, "/", scale.mixed_seconds, workload="mixed", env={"BENCH_MIXED_DATA": str(data)})

        results.meta["w8_rss_mb"] = server.rss_mb()
        log(f"workload 8: server RSS {results.meta['w8_rss_mb']['total']:.0f} MB")
        self.survive("w12", lambda: self.resolve_workload("w12", server, base, database_url, floor))
        results.meta["w12_rss_mb"] = server.rss_mb()
        results.meta["sqlite_database_mb_after"] = round(path.stat().st_size / 1e6)
        self.stop(server)

    def survive(self, key: str, run: Callable[[], None]) -> None:
        """Run one workload; if it fails, the run goes on and the report shows that row FAILED, with why."""
        try:
            run()
        except Exception as exc:
            log(f"  {key} FAILED: {exc!r}")
            traceback.print_exc()
            self.results.meta.setdefault("failed", {})[key] = f"{type(exc).__name__}: {exc}"[:300]

    def resolve_workload(
        self, key: str, server: Process, base: str, database_url: str, floor: Target, database: int | None = None
    ) -> None:
        """Workload 12: Resolve of 100 recipients (mixed countries, most never seen) against a pool of
        ``resolve_senders`` senders in mixed countries, one connection, so that latency is server time
        plus loopback (the floor's latency at one connection is the loopback's part)."""
        scale, results = self.scale, self.results
        log(f"workload 12: Resolve against a pool of {scale.resolve_senders:,} senders")
        account = create_account(database_url)
        started = time.perf_counter()
        pool_id = asyncio.run(seed_resolve_pool(database_url, account.sid, scale.resolve_senders))
        log(f"  seeded {scale.resolve_senders:,} senders and their pool in {time.perf_counter() - started:.1f} s")
        target = Target(server, base, account.authorization, database)
        with account.client(base) as client:  # the first Resolve after a change loads the candidates
            body = {"senderPoolId": pool_id, "recipientAddresses": [{"address": "+14155550100", "channel": "PHONE"}]}
            for name in ("cold", "warm"):
                began = time.perf_counter()
                client.post("/v1/Senders/Resolve", json=body).raise_for_status()
                results.add(f"{key}_{name}_ms", (time.perf_counter() - began) * 1000)
            log(f"  first Resolve (loads the candidates): {results.values(f'{key}_cold_ms')[-1]:.0f} ms")
        lines = [f"auth {account.authorization}", f"pool {pool_id}"]
        new = [f"prefix {prefix} {digits}" for prefix, digits in RESOLVE_RECIPIENT_RANGES]
        returning = [f"prefix {prefix} {digits}" for prefix, digits in RESOLVE_RETURNING_RANGES]
        variants = (
            ("stock", "", new),
            ("geo", RESOLVE_GEO_OPTIONS, new),
            ("smart", RESOLVE_OPTIONS, new),
            ("returning", RESOLVE_OPTIONS, returning),
        )
        for rep in range(scale.reps):
            log(f"  repetition {rep + 1}/{scale.reps}")
            self.load(f"{key}_floor", floor, "/v1/floor", connections=1)
            for variant, options, recipients in variants:
                data = self.workdir / f"resolve-{variant}.txt"
                data.write_text("\n".join([*lines, *recipients, f"options {options}"]) + "\n")
                self.load(f"{key}_{variant}", target, "/", connections=1, workload="resolve",
                          env={"BENCH_RESOLVE_DATA": str(data)})  # fmt: skip

    def run_resolve_only(self) -> None:
        """Workload 12 alone, on SQLite and (unless turned off) PostgreSQL: ``--only-resolve``."""
        from tests.postgres_cluster import PostgresCluster

        cluster = PostgresCluster() if self.use_postgres and _pg_bindir() is not None else None
        urls = [("w12", f"sqlite:///{self.workdir}/resolve.db")]
        if cluster is not None:
            cluster.start()
            urls.append(("pg_w12", cluster.new_database()))
        try:
            for key, database_url in urls:
                main = create_account(database_url)
                server, base = self.start_server(f"server-{key}", database_url)
                floor = self.start_floor(main.authorization)
                database = postmaster_pid(cluster) if cluster is not None and key == "pg_w12" else None
                self.survive(key, partial(self.resolve_workload, key, server, base, database_url, floor, database))
                self.results.meta[f"{key}_rss_mb"] = server.rss_mb()
                self.stop_all()
        finally:
            self.stop_all()
            if cluster is not None:
                cluster.stop()

    # -- workload 13: events ------------------------------------------------------------------------
    def run_events(self) -> None:
        """Workload 13 on SQLite and (unless turned off) PostgreSQL, each on a fresh database and a server of
        its own (with sinks on loopback allowed), delivering to one receiver process (bench/receiver.py)."""
        from tests.postgres_cluster import PostgresCluster

        cluster = PostgresCluster() if self.use_postgres and _pg_bindir() is not None else None
        urls = [("w13", f"sqlite:///{self.workdir}/events.db")]
        if cluster is not None:
            cluster.start()
            urls.append(("pg_w13", cluster.new_database()))
        try:
            port = free_port()
            argv = [sys.executable, "-m", "bench.receiver", "--port", str(port)]
            process = self.start(start_process("receiver", argv, self.workdir))
            receiver = Target(process, f"http://127.0.0.1:{port}", "Basic none")
            wait_until(lambda: http_ok(receiver.base + "/count"), "receiver", process)
            log("workload 13: the receiver's own capacity (wrk, 4 connections, delivery-sized POSTs)")
            self.load("w13_receiver", receiver, "/hook", connections=4, workload="receiver")
            for key, database_url in urls:
                database = postmaster_pid(cluster) if cluster is not None and key == "pg_w13" else None
                self.events_workload(key, database_url, receiver, database)
        finally:
            self.stop_all()
            if cluster is not None:
                cluster.stop()

    def events_workload(self, key: str, database_url: str, receiver: Target, database: int | None) -> None:
        """Create with events on (a sink of every type, the receiver taking its deliveries) vs off (no sink),
        interleaved; delivery throughput of a burst of events; latency from a change's acknowledgement to
        its delivery when idle."""
        scale, results = self.scale, self.results
        results.meta[f"{key}_load_average_start"] = os.getloadavg()
        on, off = create_account(database_url), create_account(database_url)
        server, base = self.start_server(f"server-{key}", database_url, EVENTS_SERVER_ENV)
        hook = receiver.base + "/hook"
        with on.client(base) as client, off.client(base) as other:
            clients = {"on": client, "off": other}
            bodies = {
                name: {"name": "events", "senders": [{"senderId": s} for s in register_senders(c, scale.senders)]}
                for name, c in clients.items()
            }  # registered before the sink exists: their events are not delivered
            response = client.post("/v1/EventSinks", json={"url": hook, "description": "bench"})
            response.raise_for_status()
            sink = response.json()["id"]
            for name, c in clients.items():  # warm-up
                timed_operation(c, "/v1/SenderPools", bodies[name], scale.senders + 1)
            drain(client, sink)
            log(f"{key}: Create with {scale.senders:,} senders, events on (sink + receiver) vs off, interleaved")
            for rep in range(scale.events_creates):
                for name in ("on", "off") if rep % 2 == 0 else ("off", "on"):
                    before = received(receiver.base)
                    elapsed, _ = timed_operation(clients[name], "/v1/SenderPools", bodies[name], scale.senders + 1)
                    drain(client, sink)
                    results.add(f"{key}_create_{name}", elapsed)
                    if name == "on":
                        results.add(f"{key}_create_events", received(receiver.base) - before)
                log(
                    f"  on {results.values(f'{key}_create_on')[-1] * 1000:.0f} ms, "
                    f"off {results.values(f'{key}_create_off')[-1] * 1000:.0f} ms"
                )

            log(f"{key}: throughput, {scale.events_burst:,} events (senders registered in bulk) per repetition")
            for rep in range(scale.reps):
                start = received(receiver.base)
                cpu = server.cpu_seconds()
                db_cpu = tree_cpu_seconds(database) if database else 0.0
                began = time.monotonic_ns()
                register_senders(client, scale.events_burst, prefix=f"+1{700 + rep}")
                posted = time.monotonic_ns()
                at, subjects = arrivals(receiver.base, start, scale.events_burst)
                n = len(at)
                low, high = at[n // 10], at[n * 9 // 10]
                burst = {
                    "events": n,
                    "distinct": len(set(subjects)),
                    "steady_per_s": (n * 9 // 10 - n // 10) / ((high - low) / 1e9),
                    "overall_per_s": n / ((at[-1] - began) / 1e9),
                    "posting_s": (posted - began) / 1e9,
                    "cpu_us": (server.cpu_seconds() - cpu) / n * 1e6,
                    "db_cpu_us": (tree_cpu_seconds(database) - db_cpu) / n * 1e6 if database else None,
                }
                results.add(f"{key}_burst", burst)
                log(
                    f"  {burst['steady_per_s']:,.0f} events/s steady (10th-90th percentile of arrivals), "
                    f"{burst['overall_per_s']:,.0f}/s from the first POST to the last delivery; "
                    f"{burst['distinct']:,} distinct of {n:,}"
                )
                drain(client, sink)

            log(f"{key}: latency, {scale.events_spaced} changes {1 / EVENTS_SPACING:.0f} a second")
            start = received(receiver.base)
            acked: dict[str, tuple[int, int]] = {}  # sender ID -> (sent, acknowledged), monotonic ns
            first = time.monotonic()
            for i in range(scale.events_spaced):
                time.sleep(max(0.0, first + i * EVENTS_SPACING - time.monotonic()))
                sent = time.monotonic_ns()
                response = client.post("/v1/Senders", json=[{"address": f"+1699{i:07d}", "channel": "SMS"}])
                done = time.monotonic_ns()
                response.raise_for_status()
                acked[response.json()["senders"][0]["id"]] = (sent, done)
            at, subjects = arrivals(receiver.base, start, scale.events_spaced)
            arrived: dict[str, int] = {}
            for t, subject in zip(at, subjects, strict=True):
                arrived.setdefault(subject, t)
            for subject, (sent, done) in acked.items():
                results.add(f"{key}_latency_ms", (arrived[subject] - done) / 1e6)
                results.add(f"{key}_latency_sent_ms", (arrived[subject] - sent) / 1e6)
            latencies = results.values(f"{key}_latency_ms")
            log(f"  p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms")
            failed = client.get(f"/v1/EventSinks/{sink}/Deliveries", params={"status": "FAILED"}).json()
            results.meta[f"{key}_failed_deliveries"] = len(failed["deliveries"])
        results.meta[f"{key}_rss_mb"] = server.rss_mb()
        results.meta[f"{key}_load_average_end"] = os.getloadavg()
        self.stop(server)

    # -- PostgreSQL ----------------------------------------------------------------------------------
    def run_postgres(self) -> None:
        if not self.use_postgres:
            return
        if _pg_bindir() is None:
            self.results.notes.append("PostgreSQL: server binaries not found (run `make postgres`); not measured.")
            log("PostgreSQL binaries not found; skipping")
            return
        from tests.postgres_cluster import PostgresCluster

        scale, results = self.scale, self.results
        cluster = PostgresCluster()
        cluster.start()
        try:
            database_url = cluster.new_database()
            main = create_account(database_url)
            server, base = self.start_server("server-postgres", database_url)
            with main.client(base) as client:
                sender_ids = register_senders(client, scale.senders)
                pool_ids = create_pools(client, scale.list_pools)
                body = {"name": "big", "senders": [{"senderId": s} for s in sender_ids]}
                _, big_pool = timed_operation(client, "/v1/SenderPools", body, scale.senders + 1)
            # The CPU time of PostgreSQL's whole process tree is measured per request beside the server's.
            postmaster = postmaster_pid(cluster)
            ours = Target(server, base, main.authorization, postmaster)
            paths = {
                "w1": f"/v1/SenderPools/{pool_ids[0]}",
                "w2": "/v1/SenderPools?pageSize=50",
                "w3": f"/v1/SenderPools/{big_pool}/Senders?pageSize=1000",
            }
            floors = self.start_floors("pg_", ours, paths)
            for rep in range(scale.reps):
                log(f"PostgreSQL workloads 1-3 and 9, repetition {rep + 1}/{scale.reps}")
                for key, path in paths.items():
                    self.load(floors[key][0], floors[key][1], "/v1/floor")
                    self.load(f"pg_{key}", ours, path)
                self.load("pg_w9_fetch", ours, f"/v1/SenderPools/{big_pool}", scale.page_seconds, connections=4)
                self.load(
                    "pg_w9_summary", ours, f"/v1/SenderPools/{big_pool}/Summary", scale.page_seconds, connections=4
                )
            self.stop_sized_floors(floors)
            with main.client(base) as client:
                for _ in range(scale.reps):
                    connect = partial(seed.PostgresDatabase.connect, database_url)
                    results.add("pg_w4_storage_floor", asyncio.run(storage_floor(connect, big_pool)))
                    elapsed, big_pool = timed_operation(client, "/v1/SenderPools", body, scale.senders + 1)
                    results.add("pg_w4", elapsed)
                    log(
                        f"  create: {elapsed * 1000:.0f} ms; storage floor {results.values('pg_w4_storage_floor')[-1] * 1000:.0f} ms"
                    )
            results.meta["pg_rss_mb"] = server.rss_mb()
            w12 = partial(self.resolve_workload, "pg_w12", server, base, database_url, floors["w1"][1], postmaster)
            self.survive("pg_w12", w12)
            self.stop(server)
        finally:
            self.stop_all()
            cluster.stop()


def received(base: str) -> int:
    """How many POSTs the receiver has taken."""
    return int(httpx.get(base + "/count", timeout=10).text)


def arrivals(base: str, start: int, count: int, timeout: float = 300.0) -> tuple[list[int], list[str]]:
    """Arrival times (monotonic ns) and subjects of the receiver's POSTs from the ``start``-th on, once
    ``count`` of them have arrived."""
    deadline = time.monotonic() + timeout
    while received(base) < start + count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the receiver took {received(base) - start} of {count} deliveries in {timeout:.0f} s")
        time.sleep(0.05)
    page = httpx.get(f"{base}/log?from={start}", timeout=60).json()
    return page["at"], page["subjects"]


def drain(client: httpx.Client, sink: str, timeout: float = 300.0) -> None:
    """Wait until no delivery of ``sink`` is pending (every one delivered, or dead-lettered)."""
    deadline = time.monotonic() + timeout
    path = f"/v1/EventSinks/{sink}/Deliveries"
    while client.get(path, params={"status": "PENDING", "pageSize": 1}).json()["deliveries"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"deliveries of {sink} still pending after {timeout:.0f} s")
        time.sleep(0.05)


def percentile(values: list[float], p: int) -> float:
    """The ``p``-th percentile (inclusive method: within the values measured)."""
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


async def seed_resolve_pool(database_url: str, account: str, count: int) -> str:
    """``count`` SMS senders in mixed countries (weights 1-5, 2% DEGRADED, 1% UNHEALTHY) registered through
    the service, and a pool of all of them made by the service and applied by the worker."""
    from senderpools.service.pools import SenderPoolService
    from senderpools.service.senders import NewSender, SenderService
    from senderpools.wire.fields import Channel, Health

    store = open_store(database_url)
    try:
        await store.migrate()
        service, sender_ids = SenderService(store), []
        for start in range(0, count, 10_000):
            new = []
            for i in range(start, min(count, start + 10_000)):
                prefix, first, digits = RESOLVE_SENDER_RANGES[i % len(RESOLVE_SENDER_RANGES)]
                health = Health.UNHEALTHY if i % 100 == 7 else Health.DEGRADED if i % 50 == 3 else Health.HEALTHY
                address = f"{prefix}{first + i // len(RESOLVE_SENDER_RANGES):0{digits}d}"
                new.append(NewSender(address=address, channel=Channel.SMS, weight=1 + i % 5, health=health))
            sender_ids += [s.id for s in await service.register(account, new)]
        operation = await SenderPoolService(store).create(account, "resolve", {}, sender_ids)
        await seed.wait_for_worker(store, account, operation.id)  # the running server's worker takes part
        done = await store.get_operation(account, operation.id)
        assert done is not None and done.stats.created == count + 1 and isinstance(done.sender_pool_id, str), done
        return done.sender_pool_id
    finally:
        await store.close()


async def storage_floor(connect: Callable[[], Awaitable[seed.Database]], pool_id: str) -> float:
    """Seconds to write one copy of a finished Create's rows (pool, operation, items, memberships) with
    raw executemany in one transaction: the least the database engine needs for the same work."""
    database = await connect()
    try:
        pool_rows = await database.tables()
        operation_ids = []
        for table, columns, text_columns in pool_rows:
            if table == "operations":
                rows = await database.rows_mentioning(table, columns, text_columns, [pool_id])
                operation_ids = [str(row[columns.index("id")]) for row in rows]
        template = await seed.Template.capture(database, pool_id, operation_ids, int(time.time() * 1000))
        step = 1000
        _, batches = next(template.copies(1, int(time.time() * 1000) + step, step))
        return await database.insert(batches)
    finally:
        await database.close()


def deep_search(path: Path, account: str, filters: PoolFilters, depth: int) -> str:
    """The path of a search's last page (50 pools) in the deep account, its page token signed with the
    server's key and bound as the server binds it (as walking every page before it would give)."""
    db = sqlite3.connect(path)
    try:
        key = bytes(db.execute("SELECT value FROM server_settings WHERE name = 'page_token_key'").fetchone()[0])
        if filters.name_prefix is not None:
            prefix = name_key(filters.name_prefix)
            rows = db.execute(
                "SELECT name_key, id FROM pools WHERE account_sid = ? AND deleted_at IS NULL AND name_key >= ?"
                " AND name_key < ? ORDER BY name_key, id",
                (account, prefix, prefix + "\U0010ffff"),
            ).fetchall()
            cursors = [name_cursor(k, i) for k, i in rows]
        else:
            assert filters.tag is not None
            tag_key, value = filters.tag.split(":")
            cursors = [
                row[0]
                for row in db.execute(
                    "SELECT pool_id FROM pool_tags WHERE account_sid = ? AND key = ? AND value = ? ORDER BY pool_id",
                    (account, tag_key, value),
                )
            ]
    finally:
        db.close()
    if len(cursors) < depth // len(DEEP_NAMES) - 1:
        raise RuntimeError(f"{filters}: {len(cursors)} matches")
    tokens = PageTokens(key)
    page = tokens.page(("pools", account, *filter_values(filters)), None, 50)
    query = "&".join(f"{k}={v}" for k, v in msgspec.to_builtins(filters).items() if v is not None)
    return f"/v1/SenderPools?pageSize=50&{query}&pageToken={tokens.encode(page.scope, cursors[-51])}"


def deep_token(path: Path, account: str, depth: int) -> str:
    """The page token a client holds after walking ``depth - 50`` pools of ``account``, signed with the
    server's key (as walking them page by page would give, without 20,000 requests)."""
    db = sqlite3.connect(path)
    try:
        key = bytes(db.execute("SELECT value FROM server_settings WHERE name = 'page_token_key'").fetchone()[0])
        after = db.execute(
            "SELECT id FROM pools WHERE account_sid = ? AND deleted_at IS NULL ORDER BY id LIMIT 1 OFFSET ?",
            (account, depth - 51),
        ).fetchone()[0]
    finally:
        db.close()
    tokens = PageTokens(key)
    page = tokens.page(("pools", account, None), None, 50)
    return tokens.encode(page.scope, after)


# -- the report ------------------------------------------------------------------------------------
def fmt(value: float | None, spec: str = ",.0f", unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def summarize(results: Results) -> dict[str, Any]:
    r = results
    m = r.median
    w1_floor, w1_prism = r.ratio("w1", "floor", "rps"), r.ratio("w1", "w1_prism", "rps")
    w2_floor, w3_floor = r.ratio("w2", "floor_w2", "rps"), r.ratio("w3", "floor_w3", "rps")
    sizes = r.meta.get("floor_sizes", {})

    def cpu(key: str, base: str) -> str:
        """Ours vs the floor by CPU time per request: the share of the floor's throughput a core
        would give us if nothing else ran on the machine."""
        return f"{fmt(m(key, 'cpu_us'), ',.0f')} vs {fmt(m(base, 'cpu_us'), ',.0f')} us CPU/request = {fmt(r.ratio(base, key, 'cpu_us'), '.0%')}"

    def floor(key: str) -> str:
        return f"{sizes[key]:,}-byte floor" if key in sizes else "floor"

    w4_ratio = r.ratio("w4", "w4_storage_floor", None) if r.runs.get("w4") else None
    w6 = r.ratio("w6_deep", "w6_first", "mean_ms")
    w9 = r.ratio("w9_summary", "w9_fetch", "mean_ms")
    w10_name, w10_tag = r.ratio("w10_name", "w6_first", "mean_ms"), r.ratio("w10_tag", "w6_first", "mean_ms")
    rss = r.meta.get("w8_rss_mb", {}).get("total")
    w7 = r.runs.get("w7", [{}])[0] if r.runs.get("w7") else None
    # "runs": the wrk runs a row's figures come from (results keys); see Results.invalid.
    rows = [
        {
            "id": "1", "workload": "GET /v1/SenderPools/{id}, Basic auth, 64 connections", "runs": ["floor", "w1", "w1_prism"],
            "ours": f"{fmt(m('w1', 'rps'))} rps, p99 {fmt(m('w1', 'p99_ms'), '.1f')} ms",
            "baseline": f"{floor('floor')} {fmt(m('floor', 'rps'))} rps, p99 {fmt(m('floor', 'p99_ms'), '.1f')} ms; Prism {fmt(m('w1_prism', 'rps'))} rps, p99 {fmt(m('w1_prism', 'p99_ms'), '.0f')} ms",
            "ratio": f"{fmt(w1_floor, '.0%')} of floor ({cpu('w1', 'floor')}); {fmt(w1_prism, '.1f')}x Prism",
            "target": ">= 50% of floor; p99 <= 25 ms; >= 3x Prism",
            "met": None if w1_floor is None else w1_floor >= 0.5 and (m("w1", "p99_ms") or 1e9) <= 25 and (w1_prism is None or w1_prism >= 3),
        },
        {
            "id": "2", "workload": "GET /v1/SenderPools?pageSize=50", "runs": ["floor_w2", "w2", "w2_prism", "floor"],
            "ours": f"{fmt(m('w2', 'rps'))} rps, p99 {fmt(m('w2', 'p99_ms'), '.1f')} ms, {fmt(m('w2', 'mb_per_s'), '.1f')} MB/s",
            "baseline": f"{floor('floor_w2')} (the same size) {fmt(m('floor_w2', 'rps'))} rps; Prism {fmt(m('w2_prism', 'rps'))} rps",
            "ratio": f"{fmt(w2_floor, '.0%')} of the same-size floor ({cpu('w2', 'floor_w2')}); {fmt(r.ratio('w2', 'floor', 'rps'), '.0%')} of the {floor('floor')}; {fmt(r.ratio('w2', 'w2_prism', 'rps'), '.1f')}x Prism",
            "target": ">= 25% of the same-size floor", "met": None if w2_floor is None else w2_floor >= 0.25,
        },
        {
            "id": "3", "workload": f"GET /v1/SenderPools/{{id}}/Senders?pageSize=1000 ({r.meta['scale']['senders']:,} members)", "runs": ["floor_w3", "w3", "w3_prism", "floor"],
            "ours": f"{fmt(m('w3', 'rps'))} rps, {fmt(m('w3', 'mb_per_s'), '.1f')} MB/s, p99 {fmt(m('w3', 'p99_ms'), '.0f')} ms",
            "baseline": f"{floor('floor_w3')} (the same size) {fmt(m('floor_w3', 'rps'))} rps, {fmt(m('floor_w3', 'mb_per_s'), '.1f')} MB/s; Prism {fmt(m('w3_prism', 'rps'))} rps (1 example item)",
            "ratio": f"{fmt(w3_floor, '.0%')} of the same-size floor ({cpu('w3', 'floor_w3')}); {fmt(r.ratio('w3', 'floor', 'rps'), '.1%')} of the {floor('floor')}",
            "target": "report rps and MB/s", "met": None,
        },
        {
            "id": "4", "workload": f"Create with {r.meta['scale']['senders']:,} senders: POST -> COMPLETED", "runs": [],
            "ours": f"{fmt(_ms(m('w4')), ',.0f')} ms",
            "baseline": f"storage floor {fmt(_ms(m('w4_storage_floor')), ',.0f')} ms",
            "ratio": f"{fmt(w4_ratio, '.1f')}x storage floor", "target": "<= 1.0 s; <= 5x storage floor",
            "met": None if w4_ratio is None else (m("w4") or 1e9) <= 1.0 and w4_ratio <= 5,
        },
        {
            "id": "5", "workload": f"Add {r.meta['scale']['senders']:,} senders, database of {r.meta.get('seeded', {}).get('memberships', 0):,} memberships", "runs": [],
            "ours": f"{fmt(_ms(m('w5')), ',.0f')} ms", "baseline": "-", "ratio": "-", "target": "<= 1.5 s",
            "met": None if m("w5") is None else (m("w5") or 1e9) <= 1.5,
        },
        {
            "id": "6", "workload": f"List pools: page at depth {r.meta['scale']['deep_pools']:,} vs first page", "runs": ["w6_first", "w6_deep"],
            "ours": f"{fmt(m('w6_deep', 'mean_ms'), '.2f')} ms mean (p99 {fmt(m('w6_deep', 'p99_ms'), '.1f')})",
            "baseline": f"first page {fmt(m('w6_first', 'mean_ms'), '.2f')} ms mean (p99 {fmt(m('w6_first', 'p99_ms'), '.1f')})",
            "ratio": f"{fmt(w6, '.2f')}", "target": "ratio <= 1.3", "met": None if w6 is None else w6 <= 1.3,
        },
        {
            "id": "7", "workload": f"Mixed 90% reads / 10% creates+adds, {r.meta['scale']['mixed_seconds']} s, 64 connections", "runs": ["w7"],
            "ours": "n/a" if w7 is None else f"{w7['rps']:,.0f} rps, p99 {w7['p99_ms']:.1f} ms, {w7['errors']} errors",
            "baseline": "-", "ratio": "-", "target": "no errors; report rps, p99",
            "met": None if w7 is None else not (w7.get("extra") or {}).get("statuses"),
        },
        {
            "id": "9", "workload": f"Summary of a pool of {r.meta['scale']['big_members']:,} members vs fetching it (4 connections)", "runs": ["w9_summary", "w9_fetch"],
            "ours": f"{fmt(m('w9_summary', 'mean_ms'), '.2f')} ms mean (p99 {fmt(m('w9_summary', 'p99_ms'), '.1f')}), {fmt(m('w9_summary', 'cpu_us'))} us CPU/request",
            "baseline": f"fetch {fmt(m('w9_fetch', 'mean_ms'), '.2f')} ms mean (p99 {fmt(m('w9_fetch', 'p99_ms'), '.1f')}), {fmt(m('w9_fetch', 'cpu_us'))} us CPU/request",
            "ratio": f"{fmt(w9, '.2f')} (CPU {fmt(r.ratio('w9_summary', 'w9_fetch', 'cpu_us'), '.2f')})",
            "target": "<= 5 ms; ratio <= 1.2",
            "met": None if w9 is None else w9 <= 1.2 and (m("w9_summary", "mean_ms") or 1e9) <= 5,
        },
        {
            "id": "10", "workload": f"Search at depth in {r.meta['scale']['deep_pools']:,} pools: last page of namePrefix={SEARCHED_PREFIX} / tag={':'.join(SEARCHED_TAG)} (a tenth each) vs the first page",
            "runs": ["w10_name", "w10_tag", "w6_first"],
            "ours": f"namePrefix {fmt(m('w10_name', 'mean_ms'), '.2f')} ms, tag {fmt(m('w10_tag', 'mean_ms'), '.2f')} ms mean",
            "baseline": f"first page of the list {fmt(m('w6_first', 'mean_ms'), '.2f')} ms mean",
            "ratio": f"{fmt(w10_name, '.2f')} / {fmt(w10_tag, '.2f')}", "target": "ratio <= 1.3",
            "met": None if w10_name is None or w10_tag is None else max(w10_name, w10_tag) <= 1.3,
        },
        {
            "id": "11", "workload": f"Remove {r.meta['scale']['removed']:,} senders from a pool of {r.meta['scale']['big_members']:,} -> COMPLETED", "runs": [],
            "ours": f"{fmt(_ms(m('w11_remove')), ',.0f')} ms",
            "baseline": f"adding them back {fmt(_ms(m('w11_add')), ',.0f')} ms",
            "ratio": f"{fmt(r.ratio('w11_remove', 'w11_add', None), '.2f')}", "target": "<= 1.5 s",
            "met": None if m("w11_remove") is None else (m("w11_remove") or 1e9) <= 1.5,
        },
        {
            "id": "8", "workload": "Server RSS after workloads 1-7, 9-11 (all server processes)", "runs": [],
            "ours": f"{fmt(rss, '.0f')} MB", "baseline": "-", "ratio": "-", "target": "<= 200 MB",
            "met": None if rss is None else rss <= 200,
        },
    ]  # fmt: skip
    failed = r.meta.get("failed", {})
    for key, backend in (("w12", "SQLite"), ("pg_w12", "PostgreSQL")):
        if key in failed:
            rows.append({
                "id": "12" if key == "w12" else "12 (PostgreSQL)", "runs": [],
                "workload": f"{backend}: Resolve 100 recipients against a pool of "
                f"{r.meta['scale']['resolve_senders']:,} senders",
                "ours": f"**FAILED**: {failed[key]}", "baseline": "-", "ratio": "-",
                "target": "p50 <= 10 ms, p99 <= 30 ms", "met": False,
            })  # fmt: skip
            continue
        if not r.runs.get(f"{key}_smart"):
            continue
        smart_p50, smart_p99 = m(f"{key}_smart", "p50_ms"), m(f"{key}_smart", "p99_ms")
        database = (
            ""
            if m(f"{key}_smart", "db_cpu_us") is None
            else f" + {fmt(m(f'{key}_smart', 'db_cpu_us'), ',.0f')} us PostgreSQL"
        )
        rows.append({
            "id": "12" if key == "w12" else "12 (PostgreSQL)",
            "runs": [f"{key}_{variant}" for variant in ("floor", "stock", "geo", "smart", "returning")],
            "workload": f"{backend}: Resolve 100 recipients (mixed countries, mostly new) against a pool of "
            f"{r.meta['scale']['resolve_senders']:,} senders; geoMatch, stickiness ACCOUNT, skipUnhealthy; 1 connection",
            "ours": f"p50 {fmt(smart_p50, '.1f')} ms, p99 {fmt(smart_p99, '.1f')} ms ({fmt(m(f'{key}_smart', 'rps'))} rps); "
            f"{fmt(m(f'{key}_smart', 'cpu_us'), ',.0f')} us CPU/request{database}; the same without stickiness (nothing stored) "
            f"p50 {fmt(m(f'{key}_geo', 'p50_ms'), '.1f')} ms, p99 {fmt(m(f'{key}_geo', 'p99_ms'), '.1f')} ms; returning (sticky) recipients p50 "
            f"{fmt(m(f'{key}_returning', 'p50_ms'), '.1f')} ms, p99 {fmt(m(f'{key}_returning', 'p99_ms'), '.1f')} ms; "
            f"without options p50 {fmt(m(f'{key}_stock', 'p50_ms'), '.1f')} ms, p99 {fmt(m(f'{key}_stock', 'p99_ms'), '.1f')} ms",
            "baseline": f"floor p50 {fmt(m(f'{key}_floor', 'p50_ms'), '.2f')} ms, p99 {fmt(m(f'{key}_floor', 'p99_ms'), '.2f')} ms; "
            f"first Resolve after a change (loads the candidates) {fmt(m(f'{key}_cold_ms'), ',.0f')} ms",
            "ratio": "-", "target": "p50 <= 10 ms, p99 <= 30 ms",
            "met": None if smart_p50 is None else smart_p50 <= 10 and (smart_p99 or 1e9) <= 30,
        })  # fmt: skip
    for key, backend in (("w13", "SQLite"), ("pg_w13", "PostgreSQL")):
        rows += events_rows(r, key, backend)
    rows.sort(key=lambda row: int(row["id"].split()[0]))
    for row in rows:  # the same rule for every row
        invalid = r.invalid(row.pop("runs"))
        if invalid:
            row["ours"] = f"**{invalid}**; {row['ours']}"
            row["met"] = False
    pg = None
    if r.runs.get("pg_w1"):

        def both(name: str, sqlite: str, postgres: str, keys: list[str]) -> tuple[str, str, str]:
            """A side-by-side row; each side INVALID (by the same rule) if a run it comes from is."""
            cells = []
            for cell, prefix in ((sqlite, ""), (postgres, "pg_")):
                invalid = r.invalid([prefix + key for key in keys])
                cells.append(f"**{invalid}**; {cell}" if invalid else cell)
            return name, cells[0], cells[1]

        def db_cpu(key: str) -> str:
            return f"{fmt(m(key, 'cpu_us'))} + {fmt(m(key, 'db_cpu_us'))} us"

        pg = [
            both("1 rps (p99)", f"{fmt(m('w1', 'rps'))} ({fmt(m('w1', 'p99_ms'), '.1f')} ms)", f"{fmt(m('pg_w1', 'rps'))} ({fmt(m('pg_w1', 'p99_ms'), '.1f')} ms)", ["w1"]),
            both("1 vs the 301-byte floor", fmt(w1_floor, ".0%"), fmt(r.ratio("pg_w1", "pg_floor", "rps"), ".0%"), ["w1", "floor"]),
            both("1 CPU/request: server (SQLite: in the server's process) + PostgreSQL (postmaster and all its children)", f"{fmt(m('w1', 'cpu_us'))} us", db_cpu("pg_w1"), ["w1"]),
            both("2 rps", fmt(m("w2", "rps")), fmt(m("pg_w2", "rps")), ["w2"]),
            both("2 vs the same-size floor", fmt(w2_floor, ".0%"), fmt(r.ratio("pg_w2", "pg_floor_w2", "rps"), ".0%"), ["w2", "floor_w2"]),
            both("2 CPU/request: server + PostgreSQL", f"{fmt(m('w2', 'cpu_us'))} us", db_cpu("pg_w2"), ["w2"]),
            both("3 rps (MB/s)", f"{fmt(m('w3', 'rps'))} ({fmt(m('w3', 'mb_per_s'), '.1f')})", f"{fmt(m('pg_w3', 'rps'))} ({fmt(m('pg_w3', 'mb_per_s'), '.1f')})", ["w3"]),
            both("3 vs the same-size floor", fmt(w3_floor, ".0%"), fmt(r.ratio("pg_w3", "pg_floor_w3", "rps"), ".0%"), ["w3", "floor_w3"]),
            both("3 CPU/request: server + PostgreSQL", f"{fmt(m('w3', 'cpu_us'))} us", db_cpu("pg_w3"), ["w3"]),
            both("4 Create, ms", fmt(_ms(m("w4"))), fmt(_ms(m("pg_w4"))), []),
            both("4 storage floor, ms", fmt(_ms(m("w4_storage_floor"))), fmt(_ms(m("pg_w4_storage_floor"))), []),
            both("4 vs storage floor", fmt(w4_ratio, ".1f") + "x", fmt(r.ratio("pg_w4", "pg_w4_storage_floor", None), ".1f") + "x", []),
            both("9 summary / fetch, mean latency (PostgreSQL: a pool of " + f"{r.meta['scale']['senders']:,} members)", fmt(w9, ".2f"), fmt(r.ratio("pg_w9_summary", "pg_w9_fetch", "mean_ms"), ".2f"), ["w9_summary", "w9_fetch"]),
            both("9 summary, ms mean", fmt(m("w9_summary", "mean_ms"), ".2f"), fmt(m("pg_w9_summary", "mean_ms"), ".2f"), ["w9_summary"]),
        ]  # fmt: skip
    return {"rows": rows, "postgres": pg}


def events_rows(r: Results, key: str, backend: str) -> list[dict[str, Any]]:
    """Workload 13's three rows on one backend (none if it did not run)."""
    m = r.median
    if not r.runs.get(f"{key}_create_on"):
        return []
    ident = "13" if key == "w13" else "13 (PostgreSQL)"
    load = " / ".join(
        " ".join(f"{x:.1f}" for x in r.meta.get(f"{key}_load_average_{when}", ())) for when in ("start", "end")
    )
    create = r.ratio(f"{key}_create_on", f"{key}_create_off", None)
    bursts = r.runs.get(f"{key}_burst", [])
    steady = statistics.median([b["steady_per_s"] for b in bursts]) if bursts else None
    overall = statistics.median([b["overall_per_s"] for b in bursts]) if bursts else None
    cpu = statistics.median([b["cpu_us"] for b in bursts]) if bursts else None
    db_cpu = [b["db_cpu_us"] for b in bursts if b.get("db_cpu_us") is not None]
    duplicates = sum(b["events"] - b["distinct"] for b in bursts)
    latencies = r.values(f"{key}_latency_ms")
    p50, p99 = (percentile(latencies, 50), percentile(latencies, 99)) if latencies else (None, None)
    sent = r.values(f"{key}_latency_sent_ms")
    failed = r.meta.get(f"{key}_failed_deliveries")
    scale = r.meta["scale"]
    return [
        {
            "id": ident, "runs": [],
            "workload": f"{backend}: Events: Create with {scale['senders']:,} senders with events on (a sink of "
            f"every type, the receiver taking its deliveries) vs off (no sink), {scale['events_creates']} each, interleaved; "
            f"load average {load}",
            "ours": f"on {fmt(_ms(m(f'{key}_create_on')))} ms ({fmt(m(f'{key}_create_events'))} events delivered per Create)",
            "baseline": f"off {fmt(_ms(m(f'{key}_create_off')))} ms",
            "ratio": fmt(create, ".2f"), "target": "ratio <= 1.10",
            "met": None if create is None else create <= 1.10,
        },
        {
            "id": ident, "runs": ["w13_receiver"],
            "workload": f"{backend}: Events: delivery of {scale['events_burst']:,} events (senders registered in bulk, "
            f"10,000 a request) to a local receiver, one sink; median of {len(bursts)}",
            "ours": f"{fmt(steady)} events/s steady (10th to 90th percentile of arrivals; repetitions: "
            f"{', '.join(fmt(b['steady_per_s']) for b in bursts)}); {fmt(overall)}/s from the "
            f"first POST to the last delivery; {fmt(cpu)} us server CPU per event (registering it included)"
            + ("" if not db_cpu else f" + {fmt(statistics.median(db_cpu))} us PostgreSQL")
            + f"; {duplicates} duplicates; {fmt(failed)} dead-lettered",
            "baseline": f"the receiver alone: {fmt(m('w13_receiver', 'rps'))} POSTs/s (wrk, 4 connections, "
            f"{fmt(m('w13_receiver', 'cpu_us'))} us CPU each)",
            "ratio": "-", "target": ">= 1,000 events/s",
            "met": None if steady is None else steady >= 1000 and not failed,
        },
        {
            "id": ident, "runs": [],
            "workload": f"{backend}: Events: latency from a change acknowledged (client) to its delivery (receiver), "
            f"{len(latencies)} changes (a sender registered) {1 / EVENTS_SPACING:.0f} a second",
            "ours": f"p50 {fmt(p50, '.1f')} ms, p99 {fmt(p99, '.1f')} ms, max {fmt(max(latencies, default=None), '.1f')} ms",
            "baseline": f"from the request sent: p50 {fmt(percentile(sent, 50) if sent else None, '.1f')} ms, "
            f"p99 {fmt(percentile(sent, 99) if sent else None, '.1f')} ms",
            "ratio": "-", "target": "p99 <= 200 ms",
            "met": None if p99 is None else p99 <= 200,
        },
    ]  # fmt: skip


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def markdown(results: Results, summary: dict[str, Any]) -> str:
    meta = results.meta
    mach = meta["machine"]
    scale = meta["scale"]
    dirty = meta.get("uncommitted_changes")
    lines = [
        "# Benchmark results",
        "",
        *(
            [
                f"**Measured with uncommitted changes to {len(dirty)} tracked files (`--allow-dirty`): these figures "
                f"are of no commit.** Changed: {', '.join(f'`{path}`' for path in dirty)}.",
                "",
            ]
            if dirty
            else []
        ),
        f"- Date: {meta['date']}; commit: `{meta['commit']}`{' + uncommitted changes' if dirty else ' (clean tree)'}; mode: {meta['mode']}",
        f"- Machine: {mach['cpu']}, {mach['cores']} cores, {mach['memory_gb']} GB; Linux {mach['kernel']}; "
        f"Python {mach['python']}, granian {mach['granian']}, SQLite {mach['sqlite']}, {mach['postgresql']}; "
        f"{mach['wrk']}; Prism {mach['prism']}",
        f"- Load average at start / end (other work on the machine): "
        f"{' '.join(f'{x:.1f}' for x in meta['load_average_start'])} / {' '.join(f'{x:.1f}' for x in meta['load_average_end'])}",
        f"- Server: `senderpools serve`, default configuration (auth, validation) except the per-account rate "
        f"limit, which is {meta['rate_limit']}, so that no cheap 429 counts as throughput; "
        f"{meta['server_workers']} worker process; wrk 1 thread, {scale['connections']} connections, "
        f"{scale['duration']} s per run; {scale['reps']} repetitions, interleaved; figures are medians, "
        "ratios the median of per-repetition ratios. Method and caveats: bench/README.md.",
        "- Validity: a wrk run with any non-2xx answer or socket error is INVALID; every row and figure using it "
        "says so, and its target is not met.",
        f"- Floors (bare ASGI app, same server program): {', '.join(f'{k} {v:,} bytes' for k, v in meta.get('floor_sizes', {}).items())}; "
        f"server answers measured for workloads 1-3: {meta.get('body_bytes')} bytes (PostgreSQL: {meta.get('pg_body_bytes')}).",
        f"- Data: {meta.get('seeded', {}).get('deep_account_pools', 0):,} pools in one account (workload 6), "
        f"{meta.get('seeded', {}).get('memberships', 0):,} memberships in another (workload 5), seeded through "
        f"bench/seed.py; database {meta.get('sqlite_database_mb_after', '?')} MB at the end.",
        "",
        *readme.table(summary),
    ]
    if summary["postgres"]:
        lines += [
            "",
            "## SQLite and PostgreSQL side by side",
            "",
            "| workload | SQLite | PostgreSQL |",
            "|---|---|---|",
        ]
        lines += [f"| {name} | {a} | {b} |" for name, a, b in summary["postgres"]]
        lines += [
            "",
            "PostgreSQL: a throwaway local cluster (tests/postgres_cluster.py: fsync and synchronous_commit off).",
        ]
    if results.notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in results.notes)]
    w7 = results.runs.get("w7")
    if w7:
        lines += ["", f"Workload 7 mix (requests issued): {json.dumps(w7[0].get('extra'))}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="every workload, briefly (smoke-tests the instrument)")
    parser.add_argument("--reps", type=int, help="repetitions (default 3; quick 1)")
    parser.add_argument("--duration", type=int, help="seconds per wrk run")
    parser.add_argument(
        "--workers", type=int, default=1, help="server worker processes (default: the server's default, 1)"
    )
    parser.add_argument("--no-prism", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", type=Path, help="where to write the Markdown (JSON beside it)")
    parser.add_argument("--only-resolve", action="store_true", help="workload 12 (Resolve) alone, on both backends")
    parser.add_argument("--only-events", action="store_true", help="workload 13 (Events) alone, on both backends")
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="measure a tree with uncommitted changes to tracked files (the results then say so at the top)",
    )
    args = parser.parse_args()
    commit, changed = git_state(ROOT)
    if changed and not args.allow_dirty:
        raise SystemExit(
            f"bench: tracked files have uncommitted changes ({', '.join(changed)}): the results would name commit "
            f"{commit}, which is not what runs. Commit (or stash) them first, or pass --allow-dirty to measure "
            "anyway (the results then say so at the top)."
        )
    scale = QUICK if args.quick else FULL
    overrides = {k: v for k, v in (("reps", args.reps), ("duration", args.duration)) if v}
    scale = Scale(**{**asdict(scale), **overrides})
    part = "resolve" if args.only_resolve else "events" if args.only_events else None
    if part is not None:  # a part of the run: never over the full run's results
        default = BENCH / "results" / f"{part}{'-quick' if args.quick else ''}.md"
    else:
        default = BENCH / "results" / "quick.md" if args.quick else BENCH / "RESULTS.md"
    out = args.out or default
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops every process started
    workdir = Path(tempfile.mkdtemp(prefix="senderpools-bench-"))
    bench = Bench(scale, workdir, not args.no_prism, not args.no_postgres, args.workers)
    bench.results.meta["mode"] = "quick" if args.quick else "full"
    started = time.monotonic()
    try:
        if args.only_resolve:
            bench.run_resolve_only()
        elif args.only_events:
            bench.run_events()
        else:
            bench.run_sqlite()
            bench.stop_all()
            bench.run_postgres()
            bench.stop_all()
            bench.run_events()
    finally:
        bench.stop_all()
        bench.results.meta["load_average_end"] = os.getloadavg()
        bench.results.meta["seconds"] = round(time.monotonic() - started)
        # Every figure measured so far, even if the run failed: nothing measured is lost.
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(json.dumps(asdict(bench.results), indent=1, default=str))
        keep = os.environ.get("BENCH_KEEP_WORKDIR")
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    summary = summarize(bench.results)
    out.write_text(markdown(bench.results, summary))
    out.with_suffix(".json").write_text(
        json.dumps({"summary": summary, **asdict(bench.results)}, indent=1, default=str)
    )
    log(f"done in {bench.results.meta['seconds']} s: {out} and {out.with_suffix('.json')}")
    print(out.read_text())


if __name__ == "__main__":
    main()
