"""What every benchmark script needs about processes and the source tree: start a process tree on a free
loopback port, read its CPU time and memory from /proc, stop it; name the commit measured. No import of
``senderpools``: bench/edge.py measures other source trees with it.
"""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import subprocess
from pathlib import Path

# What the benchmarks themselves write into the tree: not a change to what they measure.
OUTPUTS = (
    "bench/RESULTS.md",
    "bench/RESULTS.json",
    "bench/EDGE.md",
    "bench/EDGE.json",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def basic(sid: str, secret: str) -> str:
    """The Authorization header of HTTP Basic auth."""
    return "Basic " + base64.b64encode(f"{sid}:{secret}".encode()).decode()


def _stat_fields(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                children.setdefault(int(_stat_fields(int(entry.name))[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_ticks(pid: int, reaped: bool = False) -> int:
    """CPU time of the process (utime + stime), and with ``reaped`` that of its children that have exited
    and been waited for (cutime + cstime)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = _stat_fields(pid)  # fields 14-17 of stat: utime, stime, cutime, cstime
        return int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return 0


def tree_cpu_seconds(root: int) -> float:
    """CPU time used so far by ``root`` and its descendants (user + system), those that have exited
    included: a PostgreSQL backend or autovacuum worker that exits leaves the tree, and its time moves
    to its parent's reaped-children counters, so the sum never goes back. Unlike throughput, it does not
    depend on how much of the machine other work leaves to them."""
    return sum(cpu_ticks(pid, reaped=True) for pid in process_tree(root)) / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(root: int) -> dict[str, float]:
    """Resident memory of each process in the tree (MB) and their sum."""
    sizes = {}
    for pid in process_tree(root):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[str(pid)] = int(line.split()[1]) / 1024
    return {"processes": sizes, "total": sum(sizes.values())}  # type: ignore[dict-item]


class Process:
    """A process tree in its own session, its output in ``workdir/NAME.log``."""

    def __init__(self, name: str, argv: list[str], workdir: Path, env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.log_path = workdir / f"{name}.log"
        with self.log_path.open("wb") as out:
            self.popen = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
            )

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{tail}")

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.popen.pid)

    def rss_mb(self) -> dict[str, float]:
        return tree_rss_mb(self.popen.pid)

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=15)


def git_state(tree: Path) -> tuple[str, list[str]]:
    """The short commit of ``tree`` and its tracked files with uncommitted changes (the benchmarks' own
    output files aside)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=tree).stdout

    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line]
    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    return commit, [path for path in changed if path not in OUTPUTS]


def git_commit(tree: Path) -> str:
    commit, changed = git_state(tree)
    return commit + (" + uncommitted changes" if changed else "")
