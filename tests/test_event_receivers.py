"""Receivers that never answer or close the connection (issue 16): each attempt fails with what went
wrong recorded (no status code), is retried on schedule with the same webhook-id, then dead-lettered;
a healthy sink beside it gets its deliveries all the while. (500 and 503 are in tests/test_events.py.)

On SQLite and PostgreSQL (the ``server`` fixture); the receivers are real HTTP servers on loopback.
"""

from __future__ import annotations

import socket
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from senderpools.config import Settings
from tests.conftest import Account, Server, make_settings
from tests.test_events import deliveries, new_sink, wait_until
from tests.webhook_receiver import CLOSE, HANG, Receiver, receiving

TIMEOUT = 1.0  # seconds an attempt may take (SENDERPOOLS_WEBHOOK_TIMEOUT)
RETRY_BASE = 0.05  # retries after 50 ms and 100 ms (+-20%), then dead-lettered: three attempts
SENDERS = 3  # events per test: one registration each


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(
        tmp_path,
        database_url=database_url,
        webhook_allow_private=True,
        webhook_timeout=TIMEOUT,
        webhook_retry_base=RETRY_BASE,
        webhook_retry_window=0.15,
    )


def dead_lettered(account: Account, sink_id: str) -> list[dict[str, Any]]:
    """The sink's deliveries once all SENDERS of them are FAILED (they are not FAILED before their last try)."""

    def failed() -> list[dict[str, Any]]:
        found = deliveries(account, sink_id)
        return found if len(found) == SENDERS and all(d["status"] == "FAILED" for d in found) else []

    found: list[dict[str, Any]] = wait_until(failed, timeout=30.0)
    return found


def assert_retried_then_dead_lettered(receiver: Receiver, history: list[dict[str, Any]], gap: float) -> None:
    """Three attempts per event, each a ``gap`` (at least) after the one before, with one webhook-id."""
    attempts: dict[str, list[float]] = {}
    for got in receiver.snapshot():
        attempts.setdefault(got.headers["webhook-id"], []).append(got.at)
    assert sorted(attempts) == sorted(d["eventId"] for d in history)
    for times in attempts.values():
        assert len(times) == 3, attempts
        assert all(later - earlier >= gap for earlier, later in pairwise(times)), times
    for delivery in history:
        assert delivery["attempts"] == 3 and delivery["lastStatusCode"] is None and delivery["nextAttemptAt"] is None


def assert_healthy_sink_unaffected(account: Account, receiver: Receiver, sink_id: str) -> None:
    got = receiver.wait_for(SENDERS)
    assert len({r.headers["webhook-id"] for r in got}) == SENDERS == len(got)  # each once, none retried
    history = wait_until(lambda: [d for d in deliveries(account, sink_id) if d["status"] == "DELIVERED"])
    assert len(history) == SENDERS and all(d["attempts"] == 1 and d["lastStatusCode"] == 200 for d in history)


def test_a_receiver_that_never_answers_times_out_is_retried_then_dead_lettered(
    server: Server, account: Account
) -> None:
    with receiving(answer=lambda n: HANG) as silent, receiving() as healthy:
        silent_sink = new_sink(account, silent.url)
        healthy_sink = new_sink(account, healthy.url)
        account.register_senders(SENDERS)
        # The healthy sink has everything while the silent one still holds its first attempts open.
        got = healthy.wait_for(SENDERS)
        first_tries = silent.wait_for(SENDERS)
        assert max(r.at for r in got) < min(r.at for r in first_tries) + TIMEOUT
        history = dead_lettered(account, silent_sink["id"])
        # A timed out attempt is retried no sooner than its timeout plus its backoff (50 ms -20%).
        assert_retried_then_dead_lettered(silent, history, gap=TIMEOUT + 0.8 * RETRY_BASE)
        assert {d["lastError"] for d in history} == {f"timed out after {TIMEOUT:g} s"}
        assert all(d["lastLatencyMs"] >= TIMEOUT * 1000 for d in history)
        assert_healthy_sink_unaffected(account, healthy, healthy_sink["id"])


def test_a_receiver_that_closes_the_connection_is_retried_then_dead_lettered(server: Server, account: Account) -> None:
    with receiving(answer=lambda n: CLOSE) as closing, receiving() as healthy:
        closing_sink = new_sink(account, closing.url)
        healthy_sink = new_sink(account, healthy.url)
        refused_sink = new_sink(account, f"http://127.0.0.1:{unused_port()}/hook")  # nothing listens there
        account.register_senders(SENDERS)
        history = dead_lettered(account, closing_sink["id"])
        assert_retried_then_dead_lettered(closing, history, gap=0.8 * RETRY_BASE)
        for delivery in history:
            assert "closed the connection without answering" in delivery["lastError"], delivery
        refused = dead_lettered(account, refused_sink["id"])
        for delivery in refused:
            assert delivery["attempts"] == 3 and delivery["lastStatusCode"] is None
            assert delivery["lastError"].startswith("ConnectionRefusedError"), delivery
        assert_healthy_sink_unaffected(account, healthy, healthy_sink["id"])


def unused_port() -> int:
    """A loopback port with no listener: bound, then closed (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
