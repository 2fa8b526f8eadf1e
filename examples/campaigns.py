"""A small app built on Twilio's Comms API: it sets up the sender pool of a marketing campaign.

It talks HTTP with httpx (no senderpools code), reads its configuration from the environment as apps
usually do, and does what a careful Comms client does:

- finds the campaign's senders by address (``POST /v1/Senders/Search``) and creates the pool with them,
  or reuses the pool if one with the campaign's name exists;
- sends every write with an ``Idempotency-Key`` and retries 429 and 503 answers, waiting ``Retry-After``;
- polls the 202's operation until it leaves ``PROCESSING``, backing off between polls.

Its tests (``test_campaigns.py``) run it against senderpools through the senderpools pytest plugin.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

RETRIED = (429, 503)


class CampaignError(Exception):
    pass


@dataclass
class Comms:
    """The Comms API, as this app uses it."""

    http: httpx.Client
    max_attempts: int = 4

    @classmethod
    def from_env(cls) -> Comms:
        """``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN``; ``COMMS_BASE_URL`` (default: Twilio's)."""
        auth = (os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
        base_url = os.environ.get("COMMS_BASE_URL", "https://comms.twilio.com")
        return cls(httpx.Client(base_url=base_url, auth=auth, timeout=30.0))

    def call(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        """One API call; retried on 429/503 after ``Retry-After``. Writes carry one idempotency key
        for all their attempts, so a retry never does the work twice."""
        headers = {} if method == "GET" else {"Idempotency-Key": uuid.uuid4().hex}
        for attempt in range(1, self.max_attempts + 1):
            response = self.http.request(method, path, json=body, params=params or None, headers=headers)
            if response.status_code not in RETRIED or attempt == self.max_attempts:
                break
            time.sleep(float(response.headers.get("Retry-After", "1")))
        if response.is_error:
            raise CampaignError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def sender_ids(self, channel: str, addresses: list[str]) -> list[str]:
        found = []
        for address in addresses:
            senders = self.call("POST", "/v1/Senders/Search", {"address": address, "channel": channel})["senders"]
            if not senders:
                raise CampaignError(f"no {channel} sender with address {address}")
            found.append(senders[0]["id"])
        return found

    def pool_named(self, name: str) -> dict[str, Any] | None:
        params: dict[str, str] = {"pageSize": "1000"}
        while True:
            page = self.call("GET", "/v1/SenderPools", **params)
            for pool in page["senderPools"]:
                if pool["name"] == name:
                    return dict(pool)
            if not page["pagination"]["next"]:
                return None
            params["pageToken"] = page["pagination"]["next"]

    def wait(
        self, operation_id: str, timeout: float = 60.0, on_poll: Callable[[dict[str, Any]], None] | None = None
    ) -> dict[str, Any]:
        """Poll the operation until it leaves PROCESSING (0.1 s, then 1.5x longer each time, at most 2 s)."""
        deadline, delay = time.monotonic() + timeout, 0.1
        while True:
            operation: dict[str, Any] = self.call("GET", f"/v1/SenderPools/Operations/{operation_id}")
            if on_poll is not None:
                on_poll(operation)
            if operation["status"] != "PROCESSING":
                return operation
            if time.monotonic() + delay > deadline:
                raise CampaignError(f"operation {operation_id} still PROCESSING after {timeout} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)


def set_up_campaign(comms: Comms, name: str, phone_numbers: list[str], timeout: float = 60.0) -> str:
    """The campaign's pool (tagged ``campaign=<name>``) with its SMS senders: created, or found. Its ID."""
    existing = comms.pool_named(name)
    if existing is not None:
        return str(existing["id"])
    ids = comms.sender_ids("SMS", phone_numbers)
    body = {"name": name, "tags": {"campaign": name}, "senders": [{"senderId": i} for i in ids]}
    accepted = comms.call("POST", "/v1/SenderPools", body)
    operation = comms.wait(accepted["operationId"], timeout)
    if operation["stats"]["failed"]:
        raise CampaignError(f"{operation['stats']['failed']} sender(s) could not join the pool")
    (pool,) = comms.call("GET", "/v1/SenderPools", operationId=accepted["operationId"])["senderPools"]
    return str(pool["id"])
