"""Time from POST /v1/SenderPools with 10,000 senders to the operation reading COMPLETED.

Starts a real server (granian, SQLite default configuration) on a free loopback port in a temp
directory, registers the senders once, then runs the Create N times and reports each and the median.
Usage: .venv/bin/python bench/create_10k.py [--runs 5] [--senders 10000]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--senders", type=int, default=10_000)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(sys.executable).with_name("senderpools")
        proc = subprocess.Popen(
            [str(exe), "serve", "--port", str(port), "--database-url", f"sqlite:///{tmp}/bench.db"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            assert proc.stdout is not None
            text = ""
            while "AUTH_TOKEN" not in text:
                text += proc.stdout.readline()
            sid = re.search(r"TWILIO_ACCOUNT_SID=(\w+)", text)[1]  # type: ignore[index]
            token = re.search(r"TWILIO_AUTH_TOKEN=(\w+)", text)[1]  # type: ignore[index]
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, auth=(sid, token), timeout=60) as client:
                for _ in range(100):
                    try:
                        client.get("/healthz")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                body = [{"address": f"+1555{i:07d}", "channel": "SMS"} for i in range(args.senders)]
                senders = client.post("/v1/Senders", json=body).json()["senders"]
                refs = [{"senderId": s["id"]} for s in senders]
                timings = []
                for run in range(args.runs):
                    started = time.perf_counter()
                    response = client.post("/v1/SenderPools", json={"name": f"bench-{run}", "senders": refs})
                    accepted = time.perf_counter() - started
                    operation_id = response.json()["operationId"]
                    while True:
                        operation = client.get(f"/v1/SenderPools/Operations/{operation_id}").json()
                        if operation["status"] != "PROCESSING":
                            break
                        time.sleep(0.005)
                    elapsed = time.perf_counter() - started
                    assert operation["stats"]["created"] == args.senders + 1, operation
                    timings.append(elapsed)
                    print(f"run {run + 1}: 202 after {accepted * 1000:.0f} ms, COMPLETED after {elapsed * 1000:.0f} ms")
                print(f"median: {statistics.median(timings) * 1000:.0f} ms for {args.senders} senders")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
