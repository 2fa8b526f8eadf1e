"""The HTTP-edge benchmark: the server's read paths against bare-ASGI floors on the same server program.

What runs, all on loopback:

- ``senderpools serve`` of a chosen source tree (``--tree``) as a new user would start it (1 worker,
  SQLite in a temp directory), except ``--rate-limit 0`` so that no 429 inflates a figure;
- the floors, bench/floor_app.py (the same app bench/run.py measures against): a bare ASGI app on granian
  with the server options of ``senderpools serve`` (``senderpools.cli.server.granian_server``) that returns a
  fixed JSON body. ``floor`` does no auth and returns 301 bytes (the headline floor); ``floor-auth`` also checks
  the Basic auth header; ``floor-list`` and ``floor-senders`` return as many bytes as the real
  list-50-pools and 1000-senders pages (measured from the server first);
- optionally a second server node on a throwaway PostgreSQL cluster (``tests/postgres_cluster.py``).

Load is wrk (1 thread, 64 connections, ``--latency``). Repetitions are interleaved (every floor and
workload once, then the next repetition) and a ratio is the median over repetitions of ours / floor
in the same repetition. Each run records req/s, MB/s (bytes as wrk counts them, headers included,
1 MB = 10^6 bytes), latency percentiles, wrk's error counts (a run with socket errors or HTTP status
>= 400 is INVALID; every URL is checked for a 200 before the runs), and the CPU time (utime + stime
from /proc) of the process tree under test per request, and for PostgreSQL that of the cluster.

Usage (from the repository root, with a Python that has the server's dependencies and httpx)::

    python bench/edge.py --tree /work/baseline --reps 3 --duration 6 --out edge.json
    python bench/edge.py --no-postgres --reps 1 --duration 2          # a quick smoke run
    python bench/edge.py --profile-dir prof --py-spy /tmp/pyspy/bin/py-spy   # + py-spy profiles
    python bench/edge.py --profile-dir prof --profile-native    # py-spy with C and Rust frames

A full run (3 repetitions of 6 s, PostgreSQL included) takes about 3 minutes 10 seconds on 2 cores; the
floors run with the same ``--python`` (so the same granian) as the server.

The server runs as ``PYTHON -c "from senderpools.cli import main; main()" serve`` with PYTHONPATH set
to the tree; the script checks that this imports the tree's own package (an editable install of
another tree can shadow it: then give ``--python`` of a venv for that tree).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent

# This directory is on the path when run as a file (its modules do not import senderpools, so the
# --tree's package is the only one the server and the floors see).
from floor_app import DEFAULT_BYTES as BARE_FLOOR_BYTES  # noqa: E402
from processes import Process, basic, cpu_ticks, free_port, git_commit, process_tree, tree_cpu_seconds  # noqa: E402


# -- processes -------------------------------------------------------------------------------------
def log(message: str) -> None:
    print(f"[edge {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine_cpu_seconds() -> tuple[float, float]:
    """CPU time of the whole machine so far (all cores): busy (user, nice, system, irq, softirq) and steal."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


class Service(Process):
    """A process tree serving HTTP at ``base``."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], workdir: Path, cwd: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        super().__init__(name, [arg.replace("{port}", str(self.port)) for arg in argv], workdir, env, cwd)

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.base + path, timeout=2).status_code < 500:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s; see {self.log_path}")

    def busiest_descendant(self) -> int:
        """The process of the tree that has used the most CPU (granian's worker, after some load)."""
        return max(process_tree(self.popen.pid), key=cpu_ticks)


class Tree:
    """How to run the server of one source tree."""

    def __init__(self, tree: Path, python: str) -> None:
        self.tree = tree
        self.python = python
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SENDERPOOLS_")}
        self.env["PYTHONPATH"] = str(tree)
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave the tree as it was

    def check(self) -> dict[str, str]:
        """The versions this tree's server runs with; fails if another tree's package would be imported."""
        code = "import json, granian, senderpools; print(json.dumps([senderpools.__file__, granian.__version__]))"
        done = subprocess.run(
            [self.python, "-c", code], capture_output=True, text=True, env=self.env, cwd=self.tree, check=True
        )
        module, granian_version = json.loads(done.stdout)
        if not Path(module).resolve().is_relative_to(self.tree.resolve()):
            raise SystemExit(
                f"{self.python} imports senderpools from {module}, not from {self.tree}: give --python of a"
                f" venv for that tree (python3 -m venv {self.tree}/.venv && {self.tree}/.venv/bin/pip install"
                f" -e '{self.tree}[dev]')"
            )
        return {"senderpools": module, "granian": granian_version, "commit": git_commit(self.tree)}

    def cli(self, *args: str) -> list[str]:
        return [self.python, "-c", "from senderpools.cli import main; main()", *args]

    def create_account(self, database_url: str) -> tuple[str, str]:
        done = subprocess.run(
            self.cli("accounts", "create", "--database-url", database_url),
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.tree,
        )
        if done.returncode != 0:
            raise RuntimeError(f"accounts create failed: {done.stdout}{done.stderr}")
        data = json.loads(done.stdout.strip().splitlines()[-1])
        return str(data["accountSid"]), str(data["authToken"])

    def serve(self, name: str, database_url: str, workdir: Path) -> Service:
        argv = self.cli(
            "serve", "--host", "127.0.0.1", "--port", "{port}", "--database-url", database_url, "--rate-limit", "0"
        )
        return Service(name, argv, self.env, workdir, self.tree)


# -- data ------------------------------------------------------------------------------------------
TAGS = {"team": "bench", "tier": "1"}


def wait_operation(client: Any, operation_id: str) -> dict[str, Any]:
    while True:
        operation: dict[str, Any] = client.get(f"/v1/SenderPools/Operations/{operation_id}").json()
        if operation["status"] != "PROCESSING":
            if operation["status"] != "COMPLETED":
                raise RuntimeError(f"operation {operation_id} ended {operation['status']}: {operation}")
            return operation
        time.sleep(0.01)


def create_pool(client: Any, name: str, sender_ids: list[str] | None = None) -> str:
    """Create a pool and wait for its operation; its ID."""
    body: dict[str, Any] = {"name": name, "tags": TAGS}
    if sender_ids:
        body["senders"] = [{"senderId": s} for s in sender_ids]
    response = client.post("/v1/SenderPools", json=body)
    if response.status_code != 202:
        raise RuntimeError(f"POST /v1/SenderPools: {response.status_code} {response.text[:500]}")
    operation_id = response.json()["operationId"]
    wait_operation(client, operation_id)
    pools = client.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"]
    return str(pools[0]["id"])


def register_senders(client: Any, count: int) -> list[str]:
    ids: list[str] = []
    for start in range(0, count, 10_000):
        body = [{"address": f"+1666{i:07d}", "channel": "SMS"} for i in range(start, min(count, start + 10_000))]
        response = client.post("/v1/Senders", json=body)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"POST /v1/Senders: {response.status_code} {response.text[:500]}")
        ids.extend(s["id"] for s in response.json()["senders"])
    return ids


@dataclass
class Data:
    pool: str  # a pool with two tags, for GET /v1/SenderPools/{id}
    members_pool: str  # a pool of ``members`` senders
    pools: int
    members: int


def seed(base: str, sid: str, token: str, pools: int, members: int) -> Data:
    import httpx

    with httpx.Client(base_url=base, auth=(sid, token), timeout=120) as client:
        members_pool = create_pool(client, "bench-members", register_senders(client, members)) if members else ""
        ids = [create_pool(client, f"bench-{i}") for i in range(pools)]
    return Data(pool=ids[0], members_pool=members_pool, pools=pools, members=members)


def body_size(base: str, path: str, authorization: str) -> int:
    """The size of the response body at ``path``; fails on anything but a 200."""
    import httpx

    response = httpx.get(base + path, headers={"Authorization": authorization}, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
    return len(response.content)


# -- wrk -------------------------------------------------------------------------------------------
@dataclass
class Run:
    workload: str
    rep: int
    rps: float
    mb_per_s: float
    bytes_per_response: float
    requests: int
    seconds: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    cpu_us: float  # CPU time of the server's process tree per request
    db_cpu_us: float | None  # CPU time of the PostgreSQL cluster per request
    wrk_cpu_pct: float  # wrk's own CPU use, % of one core
    other_cpu_pct: float  # busy CPU of the machine outside server, database and wrk, % of one core: noise
    steal_pct: float  # CPU stolen by the hypervisor, % of one core

    @property
    def valid(self) -> bool:
        return self.requests > 0 and not any(self.errors.values())


class Wrk:
    def __init__(self, workdir: Path, connections: int) -> None:
        exe = shutil.which("wrk")
        if exe is None:
            raise SystemExit("wrk is not installed: apt-get install -y wrk")
        self.exe = exe
        self.connections = connections
        self.script = HERE / "report.lua"  # bench/run.py's too: one JSON summary line per run

    def version(self) -> str:
        done = subprocess.run([self.exe, "-v"], capture_output=True, text=True)
        return (done.stdout or done.stderr).strip().splitlines()[0].split(" Copyright")[0]

    def run(self, url: str, authorization: str, seconds: float) -> dict[str, Any]:
        argv = [
            self.exe, "-t1", f"-c{self.connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
            "-H", f"Authorization: {authorization}", "-s", str(self.script), url,
        ]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
        data: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
        data["wrk_cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return data


# -- workloads -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    key: str
    service: str
    path: str
    size_floor: str | None = None  # the floor whose body has this workload's size
    floor: bool = False


def measure(
    wrk: Wrk, workload: Workload, rep: int, service: Service, authorization: str, seconds: float, db_root: int | None
) -> Run:
    cpu0 = service.cpu_seconds()
    db0 = tree_cpu_seconds(db_root) if db_root else 0.0
    busy0, steal0 = machine_cpu_seconds()
    wall0 = time.monotonic()
    data = wrk.run(service.base + workload.path, authorization, seconds)
    wall = time.monotonic() - wall0
    busy1, steal1 = machine_cpu_seconds()
    cpu = service.cpu_seconds() - cpu0
    db = tree_cpu_seconds(db_root) - db0 if db_root else None
    other = (busy1 - busy0) - cpu - (db or 0.0) - data["wrk_cpu_s"]
    service.check_alive()
    requests = int(data["requests"])
    elapsed = data["duration_us"] / 1e6
    latency = data["latency_us"]
    per = max(requests, 1)
    return Run(
        workload=workload.key,
        rep=rep,
        rps=requests / elapsed,
        mb_per_s=data["bytes"] / elapsed / 1e6,
        bytes_per_response=data["bytes"] / per,
        requests=requests,
        seconds=elapsed,
        mean_ms=latency["mean"] / 1000,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        errors={k: int(v) for k, v in data["errors"].items()},
        cpu_us=cpu / per * 1e6,
        db_cpu_us=None if db is None else db / per * 1e6,
        wrk_cpu_pct=data["wrk_cpu_s"] / elapsed * 100,
        other_cpu_pct=other / wall * 100,
        steal_pct=(steal1 - steal0) / wall * 100,
    )


# -- profiles --------------------------------------------------------------------------------------
def profile(
    py_spy: str,
    wrk: Wrk,
    service: Service,
    url: str,
    authorization: str,
    seconds: int,
    out: Path,
    native: bool = False,
) -> dict[str, Any]:
    """py-spy on the busiest process of ``service`` (its HTTP worker) under wrk load: self time by thread and
    frame. Samples are py-spy's non-idle ones at 100 Hz per thread; a thread with no Python frame on its
    stack (granian's own threads, unless ``native``) counts as "(no Python frame)"."""
    time.sleep(1)  # requests still queued from an earlier run drain
    pid = service.busiest_descendant()
    argv = [py_spy, "record", "--format", "raw", "--threads", "--nolineno", "-r", "100", "-d", str(seconds)]
    argv += ["--native"] if native else []
    spy = subprocess.Popen(
        [*argv, "-o", str(out), "-p", str(pid)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    time.sleep(0.5)  # py-spy attaches
    load = wrk.run(url, authorization, seconds + 1)
    spy_output, _ = spy.communicate(timeout=seconds + 60)
    if spy.returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed ({spy.returncode}): {spy_output}")
    own: Counter[tuple[str, str]] = Counter()
    threads: Counter[str] = Counter()
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        thread, *frames = stack.split(";")  # "thread (1234): MainThread" or "thread (1235)"
        name = thread.partition(": ")[2] or thread.removeprefix("thread ").strip("()") + " (unnamed)"
        threads[name] += int(count)
        own[name, frames[-1] if frames else "(no Python frame)"] += int(count)
    total = sum(threads.values())
    return {
        "pid": pid,
        "file": str(out),
        "native": native,
        "samples": total,
        "seconds": seconds,
        "rps_under_profiler": load["requests"] / (load["duration_us"] / 1e6),
        "threads": {name: n for name, n in threads.most_common()},
        "top_self": [
            {"thread": thread, "frame": frame, "samples": n, "pct": n / total * 100}
            for (thread, frame), n in own.most_common(15)
        ],
    }


# -- the run ---------------------------------------------------------------------------------------
def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(runs: dict[str, list[Run]], key: str, base: str, attribute: str) -> float | None:
    """Median over repetitions of key / base, each pair from the same repetition."""
    pairs = zip(runs.get(key, []), runs.get(base, []), strict=False)
    return median([getattr(a, attribute) / getattr(b, attribute) for a, b in pairs if getattr(b, attribute)])


def load_postgres_cluster() -> Any:
    """``tests/postgres_cluster.py`` of this repository (it imports senderpools: the tree's, first on sys.path)."""
    spec = importlib.util.spec_from_file_location("edge_postgres_cluster", ROOT / "tests" / "postgres_cluster.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("tests/postgres_cluster.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PostgresCluster


def machine() -> dict[str, Any]:
    cpu = next(
        (x.split(":", 1)[1].strip() for x in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in x),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
    }


@contextlib.contextmanager
def stopping(services: list[Service]) -> Iterator[None]:
    try:
        yield
    finally:
        for service in reversed(services):
            service.stop()


def bench(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    tree = Tree(args.tree.resolve(), args.python)
    versions = tree.check()
    workdir = Path(tempfile.mkdtemp(prefix="senderpools-edge-"))
    wrk = Wrk(workdir, args.connections)
    meta: dict[str, Any] = {
        **machine(),
        "tree": str(tree.tree),
        "server_python": args.python,
        **versions,
        "wrk": wrk.version(),
        "reps": args.reps,
        "duration_s": args.duration,
        "connections": args.connections,
        "wrk_threads": 1,
        "workdir": str(workdir),
    }
    log(f"tree {tree.tree} ({versions['commit']}), senderpools from {versions['senderpools']}; logs in {workdir}")
    services: list[Service] = []
    cluster: Any = None
    try:
        with stopping(services):
            sqlite_url = f"sqlite:///{workdir / 'senderpools.db'}"
            sid, token = tree.create_account(sqlite_url)
            authorization = basic(sid, token)
            ours = tree.serve("ours", sqlite_url, workdir)
            services.append(ours)
            ours.wait_ready("/healthz")
            log(f"seeding {args.pools} pools and one of {args.members} senders")
            t0 = time.monotonic()
            data = seed(ours.base, sid, token, args.pools, args.members)
            meta["seed_s"] = time.monotonic() - t0
            paths = {
                "healthz": "/healthz",
                "get-pool": f"/v1/SenderPools/{data.pool}",
                "list-pools": "/v1/SenderPools?pageSize=50",
                "senders-1000": f"/v1/SenderPools/{data.members_pool}/Senders?pageSize=1000",
            }
            sizes = {key: body_size(ours.base, path, authorization) for key, path in paths.items()}
            meta["body_bytes"] = sizes
            meta["data"] = asdict(data)
            log(f"body sizes: {sizes}")

            floors = {
                "floor": (BARE_FLOOR_BYTES, ""),
                "floor-auth": (BARE_FLOOR_BYTES, authorization),
                "floor-list": (sizes["list-pools"], ""),
                "floor-senders": (sizes["senders-1000"], ""),
            }
            by_name: dict[str, Service] = {"ours": ours}
            for name, (size, check) in floors.items():
                argv = [args.python, str(HERE / "floor_app.py"), "--port", "{port}"]
                argv += ["--body-bytes", str(size), "--authorization", check]
                env = {**tree.env, "PYTHONPATH": str(HERE)}
                by_name[name] = Service(name, argv, env, workdir, HERE)
                services.append(by_name[name])
            for name in floors:
                by_name[name].wait_ready("/")

            workloads = [
                Workload("floor", "floor", "/", floor=True),
                Workload("floor-auth", "floor-auth", "/", floor=True),
                Workload("healthz", "ours", paths["healthz"]),
                Workload("get-pool", "ours", paths["get-pool"]),
                Workload("floor-list", "floor-list", "/", floor=True),
                Workload("list-pools", "ours", paths["list-pools"], size_floor="floor-list"),
                Workload("floor-senders", "floor-senders", "/", floor=True),
                Workload("senders-1000", "ours", paths["senders-1000"], size_floor="floor-senders"),
            ]
            db_root: int | None = None
            pg_auth = authorization
            if not args.no_postgres:
                sys.path.insert(0, str(tree.tree))  # postgres_cluster imports senderpools: the tree's
                cluster = load_postgres_cluster()()
                cluster.start()
                subprocess.run(
                    [str(cluster.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                     "edge"],
                    check=True, capture_output=True,
                )  # fmt: skip
                pg_url = cluster.url("edge")
                pg_sid, pg_token = tree.create_account(pg_url)  # migrates with the tree's code
                pg = tree.serve("ours-pg", pg_url, workdir)
                services.append(pg)
                by_name["ours-pg"] = pg
                pg.wait_ready("/healthz")
                pg_data = seed(pg.base, pg_sid, pg_token, 1, 0)
                pg_auth = basic(pg_sid, pg_token)
                body_size(pg.base, f"/v1/SenderPools/{pg_data.pool}", pg_auth)
                db_root = int((cluster.data / "postmaster.pid").read_text().split()[0])
                meta["postgresql"] = subprocess.run(
                    [str(cluster.bindir / "postgres"), "--version"], capture_output=True, text=True
                ).stdout.strip()
                workloads.append(Workload("pg-get-pool", "ours-pg", f"/v1/SenderPools/{pg_data.pool}"))
            auth_of = {w.key: pg_auth if w.service == "ours-pg" else authorization for w in workloads}
            for w in workloads:  # every URL answers 200 before any run counts
                body_size(by_name[w.service].base, w.path, auth_of[w.key])

            # Idle CPU of the servers (the operation worker polls): context for the per-request figures.
            idle0 = {name: s.cpu_seconds() for name, s in by_name.items()}
            db_idle0 = tree_cpu_seconds(db_root) if db_root else 0.0
            time.sleep(3)
            meta["idle_cpu_ms_per_s"] = {
                name: (s.cpu_seconds() - idle0[name]) / 3 * 1000 for name, s in by_name.items()
            }
            if db_root:
                meta["idle_cpu_ms_per_s"]["postgresql"] = (tree_cpu_seconds(db_root) - db_idle0) / 3 * 1000

            log(f"warm-up: {args.warmup} s per workload")
            for w in workloads:
                wrk.run(by_name[w.service].base + w.path, auth_of[w.key], args.warmup)

            runs: dict[str, list[Run]] = {w.key: [] for w in workloads}
            for rep in range(1, args.reps + 1):
                for w in workloads:
                    db = db_root if w.service == "ours-pg" else None
                    run = measure(wrk, w, rep, by_name[w.service], auth_of[w.key], args.duration, db)
                    runs[w.key].append(run)
                    log(
                        f"rep {rep} {w.key:14} {run.rps:10.1f} req/s {run.mb_per_s:8.2f} MB/s p99 {run.p99_ms:7.2f} ms"
                        f" cpu {run.cpu_us:7.1f} us/req" + ("" if run.valid else f" INVALID {run.errors}")
                    )

            profiles: dict[str, Any] = {}
            if args.profile_dir:
                args.profile_dir.mkdir(parents=True, exist_ok=True)
                for key in ("get-pool", "list-pools"):
                    out = args.profile_dir / f"{key}.txt"
                    log(f"py-spy: {key} -> {out}")
                    profiles[key] = profile(
                        args.py_spy,
                        wrk,
                        ours,
                        ours.base + paths[key],
                        authorization,
                        args.profile_seconds,
                        out,
                        args.profile_native,
                    )
    finally:
        if cluster is not None:
            cluster.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    meta["elapsed_s"] = time.monotonic() - started
    meta["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    return {
        "meta": meta,
        "workloads": [asdict(w) for w in workloads],
        "runs": {key: [{**asdict(r), "valid": r.valid} for r in rs] for key, rs in runs.items()},
        "summary": summarize(workloads, runs),
        "profiles": profiles,
    }


def summarize(workloads: list[Workload], runs: dict[str, list[Run]]) -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for w in workloads:
        rs = runs[w.key]
        db = [r.db_cpu_us for r in rs if r.db_cpu_us is not None]
        summary[w.key] = {
            "rps": median([r.rps for r in rs]),
            "mb_per_s": median([r.mb_per_s for r in rs]),
            "p50_ms": median([r.p50_ms for r in rs]),
            "p99_ms": median([r.p99_ms for r in rs]),
            "p99_ms_worst": max(r.p99_ms for r in rs),
            "ratio_vs_floor": ratio(runs, w.key, "floor", "rps"),
            "ratio_vs_size_floor": ratio(runs, w.key, w.size_floor, "rps") if w.size_floor else None,
            "cpu_us": median([r.cpu_us for r in rs]),
            "cpu_ratio_vs_floor": ratio(runs, w.key, "floor", "cpu_us"),
            "cpu_ratio_vs_size_floor": ratio(runs, w.key, w.size_floor, "cpu_us") if w.size_floor else None,
            "db_cpu_us": median(db),
            "wrk_cpu_pct": median([r.wrk_cpu_pct for r in rs]),
            "other_cpu_pct_max": max(r.other_cpu_pct for r in rs),
            "valid": all(r.valid for r in rs),
            "invalid_runs": [r.rep for r in rs if not r.valid],
        }
    return summary


# -- report ----------------------------------------------------------------------------------------
def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def targets(summary: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, bool | None]]:
    def get(key: str, field: str) -> float | None:
        value = summary.get(key, {}).get(field)
        return None if value is None else float(value)

    def check(value: float | None, ok: Callable[[float], bool], keys: list[str]) -> bool | None:
        """Not met if any run the figure comes from is INVALID (the rule of bench/run.py too)."""
        if value is None:
            return None
        return ok(value) and all(summary.get(key, {}).get("valid", True) for key in keys)

    # (target, goal, figure, test, the runs the figure comes from)
    rows = [
        ("`/healthz` / bare floor", "≥ 0.90", get("healthz", "ratio_vs_floor"), lambda v: v >= 0.90, ["healthz", "floor"]),
        ("GET pool / bare floor", "≥ 0.60", get("get-pool", "ratio_vs_floor"), lambda v: v >= 0.60, ["get-pool", "floor"]),
        ("GET pool p99 (median of reps)", "≤ 15 ms", get("get-pool", "p99_ms"), lambda v: v <= 15, ["get-pool"]),
        ("GET pool p99 (worst rep)", "≤ 15 ms", get("get-pool", "p99_ms_worst"), lambda v: v <= 15, ["get-pool"]),
        ("list 50 pools / bare floor", "≥ 0.35", get("list-pools", "ratio_vs_floor"), lambda v: v >= 0.35, ["list-pools", "floor"]),
        ("1000 senders MB/s", "≥ 150", get("senders-1000", "mb_per_s"), lambda v: v >= 150, ["senders-1000"]),
        ("PostgreSQL GET pool / bare floor", "≥ 0.30", get("pg-get-pool", "ratio_vs_floor"), lambda v: v >= 0.30, ["pg-get-pool", "floor"]),
        ("CPU/request GET pool / floor", "≤ 1.7", get("get-pool", "cpu_ratio_vs_floor"), lambda v: v <= 1.7, ["get-pool", "floor"]),
    ]  # fmt: skip
    return [(name, goal, fmt(value, 3), check(value, ok, keys)) for name, goal, value, ok, keys in rows]


def markdown(result: dict[str, Any]) -> str:
    meta, summary, runs = result["meta"], result["summary"], result["runs"]
    lines = [
        f"# Edge benchmark: {meta['tree']} ({meta['commit']})",
        "",
        f"{meta['cpu']}, {meta['cores']} cores, kernel {meta['kernel']}; granian {meta['granian']}; {meta['wrk']};"
        f" {meta.get('postgresql', 'no PostgreSQL')}. wrk -t1 -c{meta['connections']} -d{meta['duration_s']}s,"
        f" {meta['reps']} interleaved repetitions; medians, ratios are medians of per-repetition ratios."
        f" Elapsed {meta['elapsed_s']:.1f} s. Body bytes: {meta['body_bytes']}.",
        "",
        "| workload | req/s | MB/s | p50 ms | p99 ms | vs bare floor | vs size floor | CPU µs/req | CPU vs floor"
        " | CPU vs size floor | PG CPU µs/req | wrk CPU % | valid? |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for key, s in summary.items():
        lines.append(
            f"| {key} | {fmt(s['rps'], 1)} | {fmt(s['mb_per_s'])} | {fmt(s['p50_ms'])} | {fmt(s['p99_ms'])}"
            f" | {fmt(s['ratio_vs_floor'], 3)} | {fmt(s['ratio_vs_size_floor'], 3)} | {fmt(s['cpu_us'], 1)}"
            f" | {fmt(s['cpu_ratio_vs_floor'], 3)} | {fmt(s['cpu_ratio_vs_size_floor'], 3)} | {fmt(s['db_cpu_us'], 1)}"
            f" | {fmt(s['wrk_cpu_pct'], 0)} | {'yes' if s['valid'] else 'INVALID reps ' + str(s['invalid_runs'])} |"
        )
    lines += ["", "| target | goal | measured | met? |", "|---|---|---:|---|"]
    for name, goal, value, met in targets(summary):
        lines.append(f"| {name} | {goal} | {value} | {'-' if met is None else 'yes' if met else 'NO'} |")
    lines += [
        "",
        "Every run (other CPU: the machine's busy CPU from /proc/stat less that of the server, PostgreSQL and wrk,"
        " in % of one core; the two clocks differ, so a quiet machine reads a few % either side of 0, and more"
        " than about 10 % means something else ran):",
        "",
        "| rep | workload | req/s | MB/s | B/resp | p50 ms | p90 ms | p99 ms | max ms | CPU µs/req | PG CPU µs/req"
        " | wrk CPU % | other CPU % | steal % | errors |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    flat = sorted((r for rs in runs.values() for r in rs), key=lambda r: r["rep"])
    order = list(summary)
    for r in sorted(flat, key=lambda r: (r["rep"], order.index(r["workload"]))):
        errors = ", ".join(f"{k} {v}" for k, v in r["errors"].items() if v) or "0"
        lines.append(
            f"| {r['rep']} | {r['workload']} | {fmt(r['rps'], 1)} | {fmt(r['mb_per_s'])} | {fmt(r['bytes_per_response'], 0)}"
            f" | {fmt(r['p50_ms'])} | {fmt(r['p90_ms'])} | {fmt(r['p99_ms'])} | {fmt(r['max_ms'])}"
            f" | {fmt(r['cpu_us'], 1)} | {fmt(r['db_cpu_us'], 1)} | {fmt(r['wrk_cpu_pct'], 0)}"
            f" | {fmt(r['other_cpu_pct'], 1)} | {fmt(r['steal_pct'], 1)} | {errors if r['valid'] else 'INVALID: ' + errors} |"
        )
    idle = ", ".join(f"{k} {v:.2f}" for k, v in meta["idle_cpu_ms_per_s"].items())
    lines += ["", f"Idle CPU before the runs, ms per s: {idle}."]
    for key, p in result["profiles"].items():
        threads = ", ".join(f"{name} {n}" for name, n in p["threads"].items())
        lines += [
            "",
            f"py-spy{' --native' if p['native'] else ''}, {key}: pid {p['pid']}, {p['samples']} non-idle samples"
            f" in {p['seconds']} s at 100 Hz per thread ({threads}); {p['rps_under_profiler']:.1f} req/s under the"
            " profiler. Top self time:",
            "",
            "| thread | frame | samples | % |",
            "|---|---|---:|---:|",
        ]
        lines += [f"| {t['thread']} | `{t['frame']}` | {t['samples']} | {t['pct']:.1f} |" for t in p["top_self"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tree", type=Path, default=ROOT, help="source tree of the server (default: this one)")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs the server and the floors")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unrecorded load per workload first")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--pools", type=int, default=60, help="pools with two tags")
    parser.add_argument("--members", type=int, default=1200, help="senders in the member pool (>= 1000)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", type=Path, help="write every figure as JSON here")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown report here")
    parser.add_argument("--profile-dir", type=Path, help="after the runs, py-spy the server under GET pool and list")
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    parser.add_argument("--profile-seconds", type=int, default=6)
    parser.add_argument("--profile-native", action="store_true", help="py-spy --native (C and Rust frames too)")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory (logs, database)")
    args = parser.parse_args()
    if args.members < 1000:
        parser.error("--members must be at least 1000 (the workload reads a page of 1000)")
    result = bench(args)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    report = markdown(result)
    if args.markdown:
        args.markdown.write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
