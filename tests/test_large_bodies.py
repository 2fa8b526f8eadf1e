"""Limits apply before per-item work: 16 MiB bodies of millions of tiny items (or one huge map) are
refused with a 400 in well under a second, the server's memory grows by what the body takes to read,
not by millions of decoded objects, and other clients keep being answered meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.procs import ServerProcess, serving, the_worker

LIMIT = 16 * 1024 * 1024  # the default body limit
MB = 1024 * 1024


def array_of(item: bytes, prefix: bytes = b"[", suffix: bytes = b"]") -> bytes:
    """The longest body under the limit: ``prefix`` + ``item,item,...`` + ``suffix``."""
    count = (LIMIT - len(prefix) - len(suffix)) // (len(item) + 1)
    return prefix + b",".join([item] * count) + suffix


def map_of(count: int) -> bytes:
    return b"{" + b",".join(b'"k%d":"v"' % i for i in range(count)) + b"}"


BODIES = {
    "register [1,1,...]": ("/v1/Senders", array_of(b"1")),
    "resolve [1,1,...]": ("/v1/Senders/Resolve", array_of(b"1", b'{"recipientAddresses":[', b"]}")),
    "register [{},{},...]": ("/v1/Senders", array_of(b"{}")),
    "register [[],[],...]": ("/v1/Senders", array_of(b"[]")),
    "resolve [{},{},...]": ("/v1/Senders/Resolve", array_of(b"{}", b'{"recipientAddresses":[', b"]}")),
    "register, valid items": ("/v1/Senders", array_of(b'{"address":"+14155550100","channel":"SMS"}')),
    "create, senders": ("/v1/SenderPools", array_of(b'{"senderId":"x"}', b'{"senders":[', b"]}")),
    "register, a 1.1M-entry tags map": (
        "/v1/Senders",
        b'[{"address":"+14155550100","channel":"SMS","tags":' + map_of(1_100_000) + b"}]",
    ),
}


def memory(pid: int) -> tuple[float, float]:
    """(resident, peak resident since the last reset) in MiB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak resident size starts again from now


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[ServerProcess, tuple[str, str]]]:
    with serving(tmp_path / "logs", database_url) as served:
        yield served


class Prober:
    """Another client calling /healthz all along; records how long each answer took."""

    def __init__(self, base_url: str) -> None:
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(base_url,))

    def _run(self, base_url: str) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                self.latencies.append(time.perf_counter() - started)
                time.sleep(0.01)

    def __enter__(self) -> Prober:
        self._thread.start()
        while not self.latencies:  # answering already
            time.sleep(0.005)
        return self

    def __exit__(self, *exc: object) -> None:
        seen = len(self.latencies)
        while len(self.latencies) == seen:  # one more answer, begun during the request or after it
            time.sleep(0.005)
        self._stop.set()
        self._thread.join()


def test_huge_bodies_are_refused_fast_with_bounded_memory(served: tuple[ServerProcess, tuple[str, str]]) -> None:
    server, credentials = served
    worker = the_worker(server)
    figures = []
    with httpx.Client(base_url=server.base_url, auth=credentials, timeout=120) as client:
        client.post("/v1/Senders", json={"address": "+14155550199", "channel": "SMS"})  # warm up
        for case, (path, body) in BODIES.items():
            assert len(body) <= LIMIT
            reset_peak(worker)
            before, _ = memory(worker)
            with Prober(server.base_url) as prober:
                started = time.perf_counter()
                response = client.post(path, content=body, headers={"content-type": "application/json"})
                took = time.perf_counter() - started
            after, peak = memory(worker)
            figures.append(
                f"{case}: {response.status_code} in {took:.2f} s, peak +{peak - before:.0f} MiB,"
                f" kept +{after - before:.0f} MiB, /healthz max {max(prober.latencies) * 1000:.0f} ms"
            )
            assert response.status_code == 400, (case, response.text[:300])
            assert took < 1.0, (case, took)
            assert peak - before < 100, (case, before, peak)
            assert max(prober.latencies) < 1.0, (case, max(prober.latencies))
    print("\n" + "\n".join(figures))
