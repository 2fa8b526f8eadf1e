"""The campaigns app's tests, run against senderpools by the senderpools pytest plugin.

``senderpools_env`` points the app's TWILIO_* and COMMS_BASE_URL variables at a senderpools server the
plugin started for this test run (its account reset for each test); ``senderpools`` drives its test
controls (seed, faults, pacing); ``senderpools_client`` checks the outcome through the SDK.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import campaigns
import pytest

from senderpools.client import Client
from senderpools.pytest_plugin import Senderpools

NUMBERS = ["+14155550100", "+14155550101", "+14155550102"]


@pytest.fixture
def comms(senderpools_env: Senderpools) -> Iterator[campaigns.Comms]:
    """The app's own client, configured from the environment, as in production."""
    comms = campaigns.Comms.from_env()
    yield comms
    comms.http.close()


@pytest.fixture
def inventory(senderpools: Senderpools) -> dict[str, str]:
    """The account's SMS senders (on Twilio they come from your numbers): sender ID by address."""
    seeded = senderpools.seed({"senders": [{"address": n, "channel": "SMS"} for n in NUMBERS]})
    return {s.address: s.id for s in seeded.senders}


def test_set_up_creates_the_campaign_pool_once(
    comms: campaigns.Comms, inventory: dict[str, str], senderpools_client: Client
) -> None:
    pool_id = campaigns.set_up_campaign(comms, "spring", NUMBERS)
    pool = senderpools_client.sender_pools.fetch(pool_id)
    assert (pool.name, pool.tags) == ("spring", {"campaign": "spring"})
    members = {s.id for s in senderpools_client.sender_pools.list_senders(pool_id)}
    assert members == set(inventory.values())
    assert campaigns.set_up_campaign(comms, "spring", NUMBERS) == pool_id  # a second run finds it
    assert [p.id for p in senderpools_client.sender_pools.list()] == [pool_id]


def test_set_up_stops_at_a_missing_sender(comms: campaigns.Comms, senderpools_client: Client) -> None:
    with pytest.raises(campaigns.CampaignError, match=r"no SMS sender with address \+14155550100"):
        campaigns.set_up_campaign(comms, "spring", NUMBERS)
    assert list(senderpools_client.sender_pools.list()) == []


def test_the_app_retries_429_and_503_and_creates_one_pool(
    comms: campaigns.Comms, inventory: dict[str, str], senderpools: Senderpools, senderpools_client: Client
) -> None:
    senderpools.fault(method="POST", path="/v1/SenderPools", status=429, retry_after=1, count=1)
    senderpools.fault(method="POST", path="/v1/SenderPools", status=503, retry_after=0, count=1)
    started = time.monotonic()
    pool_id = campaigns.set_up_campaign(comms, "spring", NUMBERS)
    assert time.monotonic() - started >= 1.0  # it waited the 429's Retry-After
    assert senderpools.faults() == []  # both answers were served: the app really retried
    assert [p.id for p in senderpools_client.sender_pools.list()] == [pool_id]


def test_the_app_gives_up_after_its_attempts(
    comms: campaigns.Comms, inventory: dict[str, str], senderpools: Senderpools, senderpools_client: Client
) -> None:
    senderpools.fault(method="POST", path="/v1/SenderPools", status=503, retry_after=0, count=10)
    with pytest.raises(campaigns.CampaignError, match="503"):
        campaigns.set_up_campaign(comms, "spring", NUMBERS)
    assert [f.remaining for f in senderpools.faults()] == [10 - comms.max_attempts]
    assert list(senderpools_client.sender_pools.list()) == []


def test_the_app_polls_a_held_operation_until_it_completes(
    comms: campaigns.Comms, inventory: dict[str, str], senderpools: Senderpools
) -> None:
    senderpools.pacing(hold=True)  # operations stay PROCESSING until released
    body = {"name": "held", "senders": [{"senderId": i} for i in inventory.values()]}
    accepted = comms.call("POST", "/v1/SenderPools", body)
    polls: list[dict[str, Any]] = []
    polled_thrice = threading.Event()

    def on_poll(operation: dict[str, Any]) -> None:
        polls.append(operation)
        if len(polls) >= 3:
            polled_thrice.set()

    finished: list[dict[str, Any]] = []
    waiter = threading.Thread(target=lambda: finished.append(comms.wait(accepted["operationId"], 30, on_poll)))
    waiter.start()
    assert polled_thrice.wait(10)
    assert waiter.is_alive()  # still polling: the operation is held
    assert {p["status"] for p in polls[:3]} == {"PROCESSING"}
    assert polls[0]["stats"] == {"total": 4, "queued": 3, "created": 1, "failed": 0}
    senderpools.pacing()  # release
    waiter.join(10)
    assert finished and finished[0]["status"] == "COMPLETED"
    assert finished[0]["stats"] == {"total": 4, "queued": 0, "created": 4, "failed": 0}


def test_the_app_times_out_waiting_for_a_held_operation(
    comms: campaigns.Comms, inventory: dict[str, str], senderpools: Senderpools
) -> None:
    senderpools.pacing(hold=True)
    with pytest.raises(campaigns.CampaignError, match=r"still PROCESSING after 0\.5 s"):
        campaigns.set_up_campaign(comms, "spring", NUMBERS, timeout=0.5)
