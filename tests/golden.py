"""Golden wire recording: a fixed script of stock requests and the server's exact answers.

A client written against the public docs must get byte-identical answers from every release, so
``record`` drives one deterministic script of documented requests (every endpoint of the contract
and its documented errors, plus the protocol-level errors) over real HTTP and returns each exchange::

    {"request": {"method", "path" (with query), "headers" (the ones the script set), "body"},
     "status": 202, "headers": ["location: ...", ...], "body": "<raw response text>"}

Response headers kept (lowercase, sorted): see ``KEPT_HEADERS``; date, server and content-length are
not (content-length follows placeholder lengths; the body is compared instead). Bodies are never
re-serialized: key order, whitespace and escapes are compared too. Credentials are shown as
``Basic <account credentials>``. Operations are always polled (unrecorded) until they leave
PROCESSING before anything they produce is read, so every answer is determined.
``tests/test_wire_golden.py`` compares a recording of the current code with ``tests/golden/stock.json``.

Only what differs from run to run is normalized away, each distinct value numbered in order of
first appearance so that *which* resource an answer names is still compared:

- resource IDs and account SIDs -> ``<pool#1>``, ``<sender#2>``, ``<operation#3>``, ``<account#1>``
  (IDs the script itself makes up, for "unknown resource" requests, stay as they are);
- page tokens (opaque, MAC'd with a per-database key) -> ``<token#n>``;
- the server's ``host:port`` -> ``<host>``;
- timestamps in the contract's exact shape (``2024-01-15T09:30:00Z``) that fall within the
  recording's wall-clock window -> ``<time>``. Fixed dates the script sends, or the server quotes,
  stay; a timestamp in any other shape is left alone, so a format change shows up as a difference.

Re-recording (only when a wire change is intended and reviewed; run from the repository root):

    .venv/bin/python -m tests.golden --serve > tests/golden/stock.json

starts the ``senderpools serve`` of the venv whose python runs it (so another tree's venv python,
run from this root, records that tree's code) on a fresh SQLite database in a temporary directory.
Against a server that is already running (``--rate-limit 0``, a fresh database with one account):

    .venv/bin/python -m tests.golden --record http://127.0.0.1:PORT ACCOUNT_SID AUTH_TOKEN > tests/golden/stock.json

``--commit`` names the recorded code in the file's header (default: ``git describe --always --dirty``).
Record twice and compare the files before committing one: they must be identical.
"""

from __future__ import annotations

import argparse
import base64
import difflib
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

Exchange = dict[str, Any]

# Response headers a client may act on; date/server/content-length vary or follow from the body.
KEPT_HEADERS = frozenset(
    {
        "content-type",
        "location",
        "operation-id",
        "operation-location",
        "resource-location",
        "retry-after",
        "www-authenticate",
        "allow",
        "idempotent-replayed",
    }
)

# IDs the script makes up: well-formed but never issued, so they are kept verbatim.
UNKNOWN_POOL = "comms_senderpool_01aaaaaaaaaaaaaaaaaaaaaaaa"
UNKNOWN_SENDER = "comms_sender_01aaaaaaaaaaaaaaaaaaaaaaaa"
UNKNOWN_OPERATION = "comms_operation_01aaaaaaaaaaaaaaaaaaaaaaaa"
LITERAL_IDS = frozenset({UNKNOWN_POOL, UNKNOWN_SENDER, UNKNOWN_OPERATION})
# Valid base64url, long enough to be a token, but its MAC is wrong.
FORGED_TOKEN = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
WRONG_TOKEN = "0" * 32  # a wrong auth token of the usual shape

_ID = re.compile(r"comms_(senderpool|sender|operation)_[0-7][0-9a-hjkmnp-tv-z]{25,34}|AC[0-9a-f]{32}")
_ID_KIND = {"senderpool": "pool", "sender": "sender", "operation": "operation"}
_TIME = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_POLL_TIMEOUT = 60.0
_MAX_PAGES = 20


def _json(value: Any) -> bytes:
    """The request body bytes, fixed here (not left to httpx's serializer, which may change)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _query(*pairs: tuple[str, str]) -> str:
    """``?a=1&b=2`` with values percent-encoded by us ('+' in an offset must not become a space)."""
    return "?" + "&".join(f"{name}={quote(value, safe='')}" for name, value in pairs)


class _Session:
    """Sends requests and keeps the raw exchanges (before normalization)."""

    def __init__(self, client: httpx.Client, account_sid: str, auth_token: str) -> None:
        self.client = client
        self.credentials = {
            "account": (account_sid, auth_token),
            "wrong": (account_sid, WRONG_TOKEN),
        }
        self.exchanges: list[Exchange] = []

    def _authorization(self, auth: str) -> tuple[str, str] | None:
        """(header value sent, what the recording shows): secrets never reach the recording."""
        if auth == "none":
            return None
        if auth == "bearer":
            return "Bearer not-a-basic-credential", "Bearer not-a-basic-credential"
        sid, secret = self.credentials[auth]
        encoded = base64.b64encode(f"{sid}:{secret}".encode()).decode()
        return f"Basic {encoded}", f"Basic <{auth} credentials>"

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        auth: str = "account",
        keep: bool = True,
    ) -> httpx.Response:
        """One request; ``body`` is JSON-encoded, ``raw`` sent as is. Recorded unless ``keep`` is false."""
        content = _json(body) if body is not None else raw
        sent = dict(headers or {})
        if content is not None and content_type != "":  # "" sends the body without any Content-Type
            sent["content-type"] = content_type or "application/json"
        shown = dict(sent)
        authorization = self._authorization(auth)
        if authorization is not None:
            sent["authorization"], shown["authorization"] = authorization
        response = self.client.request(method, path, content=content, headers=sent)
        if keep:
            self.exchanges.append(
                {
                    "request": {
                        "method": method,
                        "path": response.request.url.raw_path.decode("ascii"),
                        "headers": dict(sorted(shown.items())),
                        "body": None if content is None else content.decode("utf-8", "backslashreplace"),
                    },
                    "status": response.status_code,
                    "headers": sorted(
                        f"{name.lower()}: {value}"
                        for name, value in response.headers.multi_items()
                        if name.lower() in KEPT_HEADERS
                    ),
                    "body": response.content.decode("utf-8", "backslashreplace"),
                }
            )
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.send("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.send("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.send("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.send("DELETE", path, **kwargs)

    def expect(self, response: httpx.Response, status: int) -> Any:
        """The parsed body of a step the rest of the script builds on (which must have succeeded)."""
        if response.status_code != status:
            raise AssertionError(
                f"{response.request.method} {response.request.url}: expected {status}, got "
                f"{response.status_code}: {response.text}"
            )
        return response.json() if response.content else None

    def wait(self, operation_id: str) -> None:
        """Poll (unrecorded: the number of polls varies) until the operation leaves PROCESSING, so
        whatever it produces is settled before the script reads it."""
        deadline = time.monotonic() + _POLL_TIMEOUT
        while True:
            operation = self.expect(self.get(f"/v1/SenderPools/Operations/{operation_id}", keep=False), 200)
            if operation["status"] != "PROCESSING":
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"operation {operation_id} still PROCESSING after {_POLL_TIMEOUT}s")
            time.sleep(0.02)

    def create_pool(self, body: Any = None, **kwargs: Any) -> tuple[str, str]:
        """Create a pool, wait for its operation, find the pool by operationId: (pool id, operation id)."""
        operation_id = self.expect(self.post("/v1/SenderPools", body, **kwargs), 202)["operationId"]
        self.wait(operation_id)
        listed = self.expect(self.get("/v1/SenderPools" + _query(("operationId", operation_id))), 200)
        return listed["senderPools"][0]["id"], operation_id

    def walk(self, path: str, *filters: tuple[str, str], page_size: int) -> None:
        """Follow ``next`` to the end, resending the filters; then re-read the second page by ``self``."""
        token: str | None = None
        second_self: str | None = None
        pages = 0
        while True:
            pairs = [*filters, ("pageSize", str(page_size)), *([("pageToken", token)] if token else [])]
            page = self.expect(self.get(path + _query(*pairs)), 200)
            pages += 1
            if pages > _MAX_PAGES:  # a token that never runs out must fail the test, not hang it
                raise AssertionError(f"{path}: still a next page after {_MAX_PAGES} pages")
            if pages == 2:
                second_self = page["pagination"]["self"]
            token = page["pagination"]["next"]
            if token is None:
                break
        if second_self is not None:
            self.get(path + _query(*filters, ("pageSize", str(page_size)), ("pageToken", second_self)))


def _script(s: _Session) -> None:
    """The stock requests, in an order whose every answer is determined (operations are waited for)."""
    # -- health and authentication ----------------------------------------------------------------
    s.get("/healthz", auth="none")
    s.get("/v1/SenderPools", auth="none")
    s.get("/v1/SenderPools", auth="wrong")
    s.get("/v1/SenderPools", auth="bearer")
    s.post("/v1/SenderPools", {"name": "never"}, auth="none")

    # -- the Senders inventory: register --------------------------------------------------------------
    main = s.expect(
        s.post(
            "/v1/Senders",
            {"address": "+14155550100", "channel": "SMS", "displayName": "Main line", "tags": {"team": "ops"}},
        ),
        201,
    )["id"]
    registered = s.expect(
        s.post(
            "/v1/Senders",
            [
                {"address": "+14155550101", "channel": "SMS", "displayName": "Support"},
                {"address": "+14155550101", "channel": "RCS"},
                {"address": "+14155550101", "channel": "WHATSAPP", "displayName": 'Café "Le Bistro"\t☕ </b>'},
                {"address": "alerts@example.com", "channel": "EMAIL", "displayName": "Alerts"},
                {"address": "push-token-alpha", "channel": "PUSH"},
                {"address": "+14155550102", "channel": "SMS", "status": "DEACTIVATED", "tags": {"legacy": "true"}},
                {"address": "+14155550103", "channel": "SMS", "status": "ACTIVATED"},
                {"address": "news@example.com", "channel": "EMAIL", "tags": {"a.b": "c~d", "k-1": "v_2"}},
            ],
        ),
        201,
    )["senders"]
    sms101, rcs101, wa101, email, push, sms102, sms103, news = (sender["id"] for sender in registered)
    # 409: the channel+address is taken (alone, then inside an array), and repeated within one request.
    s.post("/v1/Senders", {"address": "+14155550100", "channel": "SMS"})
    s.post(
        "/v1/Senders", [{"address": "+14155550199", "channel": "SMS"}, {"address": "+14155550100", "channel": "SMS"}]
    )
    s.post(
        "/v1/Senders", [{"address": "+14155550199", "channel": "RCS"}, {"address": "+14155550199", "channel": "RCS"}]
    )
    # 400: several field errors in one answer, a bad address per channel and bad tags among them.
    s.post(
        "/v1/Senders",
        [
            {"address": "555", "channel": "SMS"},
            {"address": "+1", "channel": "RCS"},
            {"address": "whatsapp:+14155550101", "channel": "WHATSAPP"},
            {"address": "not-an-email", "channel": "EMAIL"},
            {"address": "", "channel": "PUSH"},
            {"address": "+14155550104", "channel": "FAX"},
            {"address": "+14155550105", "channel": "SMS", "status": "PAUSED"},
            {"address": "+14155550106", "channel": "SMS", "tags": {"bad key": "v", "k": "", "ok": "bad/value"}},
            {"address": "+14155550107", "channel": "SMS", "tags": {f"k{i}": "v" for i in range(11)}},
            {"channel": "SMS"},
            {"address": "+14155550108", "channel": "SMS", "displayName": 42},
        ],
    )
    s.post("/v1/Senders", {"address": "12", "channel": "SMS", "tags": {"": "x"}})
    s.post("/v1/Senders", [])
    s.post("/v1/Senders", "+14155550100")

    # -- list, fetch, search, resolve -------------------------------------------------------------------
    s.get("/v1/Senders")
    s.get("/v1/Senders" + _query(("channel", "SMS")))
    s.get("/v1/Senders" + _query(("channel", "SMS"), ("status", "ACTIVATED")))
    s.get("/v1/Senders" + _query(("status", "DEACTIVATED")))
    s.get("/v1/Senders" + _query(("startDate", "2000-01-01T00:00:00+02:00"), ("endDate", "2999-01-01T00:00:00Z")))
    s.get("/v1/Senders" + _query(("endDate", "2000-01-01T00:00:00Z")))
    s.get("/v1/Senders" + _query(("channel", "FAX"), ("status", "PAUSED"), ("pageSize", "0")))
    s.walk("/v1/Senders", ("channel", "SMS"), page_size=2)
    s.get(f"/v1/Senders/{main}")
    s.get(f"/v1/Senders/{wa101}")
    s.get("/v1/Senders/not-a-sender-id")
    s.get(f"/v1/Senders/{UNKNOWN_SENDER}")
    s.post("/v1/Senders/Search", {"address": "+14155550101", "channel": "SMS"})
    s.post("/v1/Senders/Search", {"address": "+14155550101", "channel": "PHONE"})
    s.post("/v1/Senders/Search", {"address": "+14155550102", "channel": "SMS", "status": "ACTIVATED"})
    s.post("/v1/Senders/Search", {"address": "alerts@example.com", "channel": "EMAIL", "status": "ACTIVATED"})
    first = s.expect(s.post("/v1/Senders/Search", {"address": "+14155550101", "channel": "PHONE", "pageSize": 2}), 200)
    token = first["pagination"]["next"]
    s.post("/v1/Senders/Search", {"address": "+14155550101", "channel": "PHONE", "pageSize": 2, "pageToken": token})
    s.post("/v1/Senders/Search", {"address": "+14155550101", "channel": "SMS", "pageToken": token})
    s.post("/v1/Senders/Search", {"address": "+14155550101", "channel": "PHONE", "pageToken": FORGED_TOKEN})
    s.post("/v1/Senders/Search", {"address": "", "channel": "FAX", "pageSize": 1001})
    s.post("/v1/Senders/Search", {})
    phone = {"address": "+14155559999", "channel": "PHONE"}
    s.post(
        "/v1/Senders/Resolve",
        {"recipientAddresses": [phone, {"address": "someone@example.org", "channel": "EMAIL"}]},
    )
    s.post(
        "/v1/Senders/Resolve",
        {
            "recipientAddresses": [phone, {"address": "device-123", "channel": "PUSH"}],
            "senderAddresses": ["+14155550101", "push-token-alpha"],
        },
    )
    s.post(
        "/v1/Senders/Resolve",
        {
            "recipientAddresses": [{"address": "someone@example.org", "channel": "EMAIL"}],
            "senderAddresses": [{"address": "news@example.com"}],
        },
    )
    s.post(
        "/v1/Senders/Resolve",
        {"recipientAddresses": [phone], "channels": {"filterIn": ["SMS", "WHATSAPP"], "priority": ["WHATSAPP"]}},
    )
    s.post("/v1/Senders/Resolve", {"recipientAddresses": [phone], "channels": {"priority": ["RCS", "SMS"]}})
    s.post("/v1/Senders/Resolve", {"recipientAddresses": [phone], "channels": {"filterIn": ["EMAIL"]}})
    s.post("/v1/Senders/Resolve", {"recipientAddresses": [{"address": "+14155550102", "channel": "SMS"}]})
    s.post("/v1/Senders/Resolve", {"recipientAddresses": [phone], "senderPoolId": UNKNOWN_POOL})
    s.post(
        "/v1/Senders/Resolve",
        {
            "recipientAddresses": [
                {"address": "555", "channel": "PHONE"},
                {"address": "nobody", "channel": "EMAIL"},
                {"address": "x", "channel": "PIGEON"},
            ],
            "senderPoolId": "not-a-pool",
        },
    )
    s.post("/v1/Senders/Resolve", {"recipientAddresses": []})

    # -- update and delete a sender -------------------------------------------------------------------
    s.patch(f"/v1/Senders/{sms103}", {"displayName": "Renamed"})
    s.patch(f"/v1/Senders/{sms103}", {"status": "DEACTIVATED", "tags": {"state": "retired"}})
    s.patch(f"/v1/Senders/{sms103}", {"displayName": None})
    s.patch(f"/v1/Senders/{sms103}", {})
    s.patch(f"/v1/Senders/{sms103}", {"status": "PAUSED", "tags": {"bad key": "x"}})
    s.patch(f"/v1/Senders/{UNKNOWN_SENDER}", {"status": "PAUSED"})

    # -- create pools -----------------------------------------------------------------------------------
    empty_pool, _ = s.create_pool()  # no body at all
    braces_pool, _ = s.create_pool({})
    marketing, marketing_op = s.create_pool(
        {
            "name": "Marketing",
            "tags": {"region": "us-east", "tier": "gold"},
            "senders": [{"senderId": sender} for sender in (main, sms101, rcs101, email, UNKNOWN_SENDER)],
        }
    )
    s.get(f"/v1/SenderPools/Operations/{marketing_op}")
    support, _ = s.create_pool(
        {"name": "Support", "senders": [{"senderId": wa101}, {"senderId": push}, {"senderId": sms102}]}
    )
    temporary, _ = s.create_pool({"name": "Temporary", "unknownField": True})
    s.post(
        "/v1/SenderPools",
        {
            "name": "n" * 257,
            "tags": {"bad key": "v", "k": "", **{f"k{i}": "v" for i in range(10)}},
            "senders": [{"senderId": "nope"}, {}, {"senderId": main}, "x"],
        },
    )
    s.post(
        "/v1/SenderPools", {"name": "Dup", "senders": [{"senderId": main}, {"senderId": sms101}, {"senderId": main}]}
    )
    s.post("/v1/SenderPools", {"name": 7, "tags": [], "senders": {}})
    s.post("/v1/SenderPools", [])

    # -- list pools -----------------------------------------------------------------------------------------
    s.get("/v1/SenderPools")
    s.walk("/v1/SenderPools", page_size=2)
    page = s.expect(s.get("/v1/SenderPools" + _query(("pageSize", "2"))), 200)
    s.get("/v1/SenderPools" + _query(("pageSize", "4"), ("pageToken", page["pagination"]["next"])))
    s.get("/v1/SenderPools" + _query(("startDate", "2000-01-01T00:00:00Z"), ("pageSize", "3")))
    s.get("/v1/SenderPools" + _query(("startDate", "2999-01-01T00:00:00Z")))
    s.get("/v1/SenderPools" + _query(("endDate", "2000-01-01T00:00:00-05:00")))
    s.get("/v1/SenderPools" + _query(("startDate", "yesterday"), ("endDate", "2024-01-15")))
    s.get("/v1/SenderPools" + _query(("startDate", "2024-01-15T09:30:00Z"), ("endDate", "2024-01-15T09:30:00Z")))
    s.get("/v1/SenderPools" + _query(("startDate", "2024-01-15T10:30:00+01:00"), ("endDate", "2024-01-15T09:00:00Z")))
    s.get("/v1/SenderPools" + _query(("operationId", marketing_op)))
    s.get("/v1/SenderPools" + _query(("operationId", UNKNOWN_OPERATION)))
    s.get("/v1/SenderPools" + _query(("operationId", "op-1")))
    s.get(
        "/v1/SenderPools"
        + _query(("startDate", "2000-01-01T00:00:00Z"), ("pageToken", page["pagination"]["next"]), ("pageSize", "2"))
    )
    s.get("/v1/SenderPools" + _query(("pageToken", FORGED_TOKEN)))
    s.get("/v1/SenderPools" + _query(("pageToken", "not a token!")))
    s.get("/v1/SenderPools" + _query(("pageSize", "1"), ("pageSize", "2")))
    s.get("/v1/SenderPools" + _query(("pageSize", "0")))
    s.get("/v1/SenderPools" + _query(("pageSize", "1001")))
    s.get("/v1/SenderPools" + _query(("pageSize", "ten"), ("startDate", "2024-13-01T00:00:00Z")))

    # -- fetch and update a pool ------------------------------------------------------------------------
    s.get(f"/v1/SenderPools/{marketing}")
    s.get(f"/v1/SenderPools/{empty_pool}")
    s.get("/v1/SenderPools/not-a-pool-id")
    s.get(f"/v1/SenderPools/{UNKNOWN_POOL}")
    s.patch(f"/v1/SenderPools/{support}", {"name": "Support desk"})
    s.get(f"/v1/SenderPools/{support}")
    s.patch(f"/v1/SenderPools/{support}", {"tags": {"queue": "priority"}})
    s.get(f"/v1/SenderPools/{support}")
    s.patch(f"/v1/SenderPools/{support}", {"name": "", "tags": {}})
    s.get(f"/v1/SenderPools/{support}")
    s.patch(f"/v1/SenderPools/{support}", {})
    s.patch(f"/v1/SenderPools/{support}")
    s.patch(f"/v1/SenderPools/{support}", {"name": None, "tags": {"bad key": "v"}})
    s.patch(f"/v1/SenderPools/{UNKNOWN_POOL}", {"name": 1})
    s.patch("/v1/SenderPools/not-a-pool-id", {"name": "x"})

    # -- members: list, add, remove -----------------------------------------------------------------------
    s.get(f"/v1/SenderPools/{marketing}/Senders")
    s.get(f"/v1/SenderPools/{marketing}/Senders" + _query(("channel", "SMS")))
    s.get(f"/v1/SenderPools/{support}/Senders" + _query(("status", "DEACTIVATED")))
    s.get(f"/v1/SenderPools/{support}/Senders" + _query(("channel", "WHATSAPP"), ("status", "ACTIVATED")))
    s.get(f"/v1/SenderPools/{marketing}/Senders" + _query(("channel", "FAX"), ("status", "OFF")))
    s.walk(f"/v1/SenderPools/{marketing}/Senders", page_size=3)
    s.get(f"/v1/SenderPools/{UNKNOWN_POOL}/Senders")
    s.get(f"/v1/SenderPools/{empty_pool}/Senders")
    add = s.expect(s.post(f"/v1/SenderPools/{empty_pool}/Senders", [{"senderId": sms101}, {"senderId": sms103}]), 202)
    s.wait(add["operationId"])
    s.get(f"/v1/SenderPools/{empty_pool}/Senders/Operations/{add['operationId']}")
    s.get(f"/v1/SenderPools/{braces_pool}/Senders/Operations/{add['operationId']}")
    s.get(f"/v1/SenderPools/{UNKNOWN_POOL}/Senders/Operations/{add['operationId']}")
    s.get(f"/v1/SenderPools/{empty_pool}/Senders/Operations/{UNKNOWN_OPERATION}")
    single = s.expect(s.post(f"/v1/SenderPools/{empty_pool}/Senders", {"senderId": push}), 202)
    s.wait(single["operationId"])
    s.get(urlsplit(single["operationLocation"]).path)  # the URL the 202 pointed at
    mixed = s.expect(
        s.post(
            f"/v1/SenderPools/{empty_pool}/Senders",
            [{"senderId": sms101}, {"senderId": UNKNOWN_SENDER}, {"senderId": sms102}],
        ),
        202,
    )
    s.wait(mixed["operationId"])
    s.get(f"/v1/SenderPools/Operations/{mixed['operationId']}")
    s.get(f"/v1/SenderPools/{empty_pool}/Senders")
    s.post(f"/v1/SenderPools/{empty_pool}/Senders", [{"senderId": sms101}, {"senderId": news}, {"senderId": sms101}])
    s.post(f"/v1/SenderPools/{empty_pool}/Senders", [])
    s.post(f"/v1/SenderPools/{empty_pool}/Senders", [{"senderId": "nope"}, {"sender": news}])
    s.post(f"/v1/SenderPools/{empty_pool}/Senders", {"senderIds": [news]})
    s.post(f"/v1/SenderPools/{UNKNOWN_POOL}/Senders", [{"senderId": news}])
    s.post(f"/v1/SenderPools/{UNKNOWN_POOL}/Senders", "garbage")
    s.delete(f"/v1/SenderPools/{marketing}/Senders/{email}")
    s.delete(f"/v1/SenderPools/{marketing}/Senders/{email}")
    s.delete(f"/v1/SenderPools/{marketing}/Senders/{push}")
    s.delete(f"/v1/SenderPools/{marketing}/Senders/{UNKNOWN_SENDER}")
    s.delete(f"/v1/SenderPools/{UNKNOWN_POOL}/Senders/{main}")
    s.delete(f"/v1/SenderPools/{marketing}/Senders/not-a-sender-id")
    s.get(f"/v1/SenderPools/{marketing}/Senders")
    # Resolve within a pool: only its ACTIVATED members are candidates.
    s.post("/v1/Senders/Resolve", {"recipientAddresses": [phone], "senderPoolId": marketing})
    s.post("/v1/Senders/Resolve", {"recipientAddresses": [phone], "senderPoolId": empty_pool})

    # -- deleting a sender also takes it out of every pool ------------------------------------------------
    s.delete(f"/v1/Senders/{sms103}")
    s.get(f"/v1/Senders/{sms103}")
    s.delete(f"/v1/Senders/{sms103}")
    s.delete("/v1/Senders/not-a-sender-id")
    s.get(f"/v1/SenderPools/{empty_pool}/Senders")

    # -- operations ---------------------------------------------------------------------------------------------
    s.get("/v1/SenderPools/Operations")
    s.get("/v1/SenderPools/Operations" + _query(("status", "COMPLETED")))
    s.get("/v1/SenderPools/Operations" + _query(("status", "PROCESSING")))
    s.get("/v1/SenderPools/Operations" + _query(("status", "CANCELED")))
    s.get("/v1/SenderPools/Operations" + _query(("status", "DONE")))
    s.get("/v1/SenderPools/Operations" + _query(("startDate", "2999-01-01T00:00:00Z")))
    s.walk("/v1/SenderPools/Operations", ("status", "COMPLETED"), page_size=3)
    s.get(f"/v1/SenderPools/Operations/{add['operationId']}")
    s.get(f"/v1/SenderPools/Operations/{UNKNOWN_OPERATION}")
    s.get("/v1/SenderPools/Operations/not-an-operation-id")

    # -- delete a pool: gone, its operations stay readable ---------------------------------------------------
    added = s.expect(s.post(f"/v1/SenderPools/{temporary}/Senders", [{"senderId": main}, {"senderId": news}]), 202)
    s.wait(added["operationId"])
    s.delete(f"/v1/SenderPools/{temporary}")
    s.get(f"/v1/SenderPools/{temporary}")
    s.delete(f"/v1/SenderPools/{temporary}")
    s.patch(f"/v1/SenderPools/{temporary}", {"name": "again"})
    s.get(f"/v1/SenderPools/{temporary}/Senders")
    s.post(f"/v1/SenderPools/{temporary}/Senders", [{"senderId": main}])
    s.delete(f"/v1/SenderPools/{temporary}/Senders/{main}")
    s.get(f"/v1/SenderPools/Operations/{added['operationId']}")
    s.get(f"/v1/SenderPools/{temporary}/Senders/Operations/{added['operationId']}")
    s.get(f"/v1/Senders/{main}")
    s.delete(f"/v1/SenderPools/{UNKNOWN_POOL}")
    s.delete("/v1/SenderPools/not-a-pool-id")
    s.get("/v1/SenderPools")
    s.get("/v1/SenderPools/Operations")

    # -- protocol-level errors -----------------------------------------------------------------------------------
    s.send("PUT", "/v1/SenderPools", {"name": "x"})
    s.post("/v1/SenderPools/Operations", {})
    s.delete("/v1/SenderPools/Operations")  # routed as a pool ID, though the 405 above lists DELETE in Allow
    s.send("PUT", f"/v1/SenderPools/{marketing}", {"name": "x"})
    s.send("POST", f"/v1/Senders/{main}", {})
    s.delete("/healthz")
    s.get("/v1/Unknown")
    s.get("/v1/SenderPools/")
    s.get(f"/v1/SenderPools/{marketing}/Members")
    s.get("/v2/SenderPools")
    s.post("/v1/SenderPools", raw=b"name=Plain", content_type="text/plain")
    s.post("/v1/Senders", raw=b"address=+14155550110&channel=SMS", content_type="application/x-www-form-urlencoded")
    s.post("/v1/SenderPools", raw=b'{"name": "broken",', content_type="application/json")
    s.post("/v1/Senders", raw=b"[{]", content_type="application/json; charset=utf-8")
    s.post("/v1/SenderPools", raw=b'{"name": "caf\xe9"}', content_type="application/json")
    s.patch(f"/v1/SenderPools/{marketing}", raw=b'{"name": "\xff\xfe"}')
    s.post("/v1/Senders/Search", {"address": "+14155550100", "channel": "SMS"}, content_type="")  # no Content-Type

    # -- idempotent retries -----------------------------------------------------------------------------------------
    once = {"name": "Idempotent", "tags": {"retry": "yes"}}
    first_try = s.expect(s.post("/v1/SenderPools", once, headers={"idempotency-key": "golden-create-1"}), 202)
    s.wait(first_try["operationId"])
    s.post("/v1/SenderPools", once, headers={"idempotency-key": "golden-create-1"})
    s.post("/v1/SenderPools", {"name": "Different"}, headers={"idempotency-key": "golden-create-1"})
    s.patch(f"/v1/SenderPools/{marketing}", {"name": "Marketing 2"}, headers={"i-twilio-idempotency-token": "golden-p"})
    s.patch(f"/v1/SenderPools/{marketing}", {"name": "Marketing 2"}, headers={"i-twilio-idempotency-token": "golden-p"})
    s.get("/v1/SenderPools" + _query(("operationId", first_try["operationId"])))
    s.get("/v1/SenderPools")
    # A 4xx is stored and replayed like a success; so is a 204 without a body.
    s.post("/v1/SenderPools", {"senders": [{"senderId": "x"}]}, headers={"idempotency-key": "golden-bad"})
    s.post("/v1/SenderPools", {"senders": [{"senderId": "x"}]}, headers={"idempotency-key": "golden-bad"})
    s.delete(f"/v1/Senders/{news}", headers={"idempotency-key": "golden-delete"})
    s.delete(f"/v1/Senders/{news}", headers={"idempotency-key": "golden-delete"})
    s.delete(f"/v1/Senders/{news}")


def _times(text: str, window: tuple[datetime, datetime]) -> str:
    """Server-made timestamps (in the recording's window) become ``<time>``; fixed dates stay."""

    def replace(match: re.Match[str]) -> str:
        try:
            moment = datetime.strptime(match.group(0), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return match.group(0)
        return "<time>" if window[0] <= moment <= window[1] else match.group(0)

    return _TIME.sub(replace, text)


class _Normalizer:
    """Placeholders numbered in order of first appearance across the whole recording."""

    def __init__(self, host: str, tokens: set[str], window: tuple[datetime, datetime]) -> None:
        self.host = host
        self.window = window
        self.names: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        # Tokens are opaque: only the ones the server issued (found in ``pagination``) are replaced.
        # Tokens first: an ID-shaped run of characters inside a token must not be taken for an ID.
        alternatives = [*(re.escape(t) for t in sorted(tokens, key=len, reverse=True)), _ID.pattern]
        self.pattern = re.compile("|".join(f"(?:{a})" for a in alternatives))

    def _name(self, value: str) -> str:
        if value in LITERAL_IDS:
            return value
        if value not in self.names:
            match = _ID.fullmatch(value)
            kind = "token" if match is None else _ID_KIND.get(match.group(1) or "", "account")
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.names[value] = f"<{kind}#{self.counts[kind]}>"
        return self.names[value]

    def text(self, value: str) -> str:
        value = value.replace(self.host, "<host>")
        value = self.pattern.sub(lambda m: self._name(m.group(0)), value)
        return _times(value, self.window)

    def exchange(self, raw: Exchange) -> Exchange:
        request = raw["request"]
        return {
            "request": {
                "method": request["method"],
                "path": self.text(request["path"]),
                "headers": {k: self.text(v) for k, v in request["headers"].items()},
                "body": None if request["body"] is None else self.text(request["body"]),
            },
            "status": raw["status"],
            "headers": [self.text(header) for header in raw["headers"]],
            "body": self.text(raw["body"]),
        }


def _issued_tokens(exchanges: list[Exchange]) -> set[str]:
    tokens: set[str] = set()
    for exchange in exchanges:
        try:
            body = json.loads(exchange["body"])
        except ValueError:
            continue
        pagination = body.get("pagination") if isinstance(body, dict) else None
        if isinstance(pagination, dict):
            tokens.update(v for v in pagination.values() if isinstance(v, str) and v)
    return tokens


def normalize(exchanges: list[Exchange], host: str, window: tuple[datetime, datetime]) -> list[Exchange]:
    normalizer = _Normalizer(host, _issued_tokens(exchanges), window)
    return [normalizer.exchange(exchange) for exchange in exchanges]


class ScriptAborted(AssertionError):
    """A step the rest of the script builds on failed; ``exchanges`` holds what was recorded up to it
    (normalized), so the caller can still show where the answers first differ."""

    def __init__(self, reason: str, exchanges: list[Exchange]) -> None:
        super().__init__(reason)
        self.exchanges = exchanges


def record(base_url: str, account_sid: str, auth_token: str) -> list[dict[str, Any]]:
    """Run the script against the server at ``base_url`` (a fresh database holding this account,
    rate limit off) and return the normalized exchanges."""
    # The server stamps to the second; an hour's margin either side covers any clock rounding.
    started = datetime.now(UTC) - timedelta(hours=1)
    failure: Exception | None = None
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        session = _Session(client, account_sid, auth_token)
        try:
            _script(session)
        except Exception as exc:  # an unexpected answer, a missing field, a dropped connection
            failure = exc
    window = (started, datetime.now(UTC) + timedelta(hours=1))
    exchanges = normalize(session.exchanges, urlsplit(base_url).netloc, window)
    if failure is not None:
        raise ScriptAborted(f"{type(failure).__name__}: {failure}", exchanges) from failure
    return exchanges


def serve_and_record(workdir: Path) -> list[Exchange]:
    """Start this venv's ``senderpools serve`` on a fresh SQLite database under ``workdir`` (one
    account, rate limit off, no SENDERPOOLS_* settings inherited) and record the script against it."""
    from tests import procs  # here, not at the top: ``record`` alone needs nothing but httpx

    db = workdir / "golden.sqlite"
    created = procs.run_cli("accounts", "create", "--database-url", procs.database_url(db))
    if created.returncode != 0:
        raise RuntimeError(f"senderpools accounts create failed: {created.stderr}")
    account = json.loads(created.stdout.strip().splitlines()[-1])
    server = procs.start_server(workdir / "logs", db, "--rate-limit", "0")
    try:
        return record(server.base_url, account["accountSid"], account["authToken"])
    finally:
        server.stop()


# -- the golden file ----------------------------------------------------------------------------------------------

GOLDEN = Path(__file__).parent / "golden" / "stock.json"
HOW_TO_RECORD = (
    "only for a reviewed, intended wire change; from the repository root: "
    ".venv/bin/python -m tests.golden --serve > tests/golden/stock.json (see tests/golden.py)"
)


def dumps(exchanges: list[Exchange], commit: str) -> str:
    """The golden file: a header, then one exchange per entry, pretty-printed for readable diffs."""
    document = {"recordedFrom": commit, "howToRecord": HOW_TO_RECORD, "exchanges": exchanges}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load(path: Path = GOLDEN) -> list[Exchange]:
    exchanges: list[Exchange] = json.loads(path.read_text(encoding="utf-8"))["exchanges"]
    return exchanges


def render(exchange: Exchange) -> list[str]:
    """An exchange as lines for a unified diff; the body is broken before each member, which adds
    line breaks but changes no byte of it, so any difference (even whitespace) still shows."""
    request = exchange["request"]
    lines = [f"{request['method']} {request['path']}"]
    lines += [f"> {name}: {value}" for name, value in request["headers"].items()]
    if request["body"] is not None:
        lines.append(f"> {request['body']}")
    lines.append(f"< {exchange['status']}")
    lines += [f"< {header}" for header in exchange["headers"]]
    lines += ["< " + part for part in re.split(r"(?<=,)(?=\")", exchange["body"])]
    return lines


def differences(expected: list[Exchange], actual: list[Exchange], shown: int = 3) -> str:
    """Empty if equal; else a summary and unified diffs of the first ``shown`` differing exchanges."""
    if expected == actual:
        return ""
    differing = [
        i
        for i in range(max(len(expected), len(actual)))
        if i >= len(expected) or i >= len(actual) or expected[i] != actual[i]
    ]
    report = [
        f"{len(differing)} of {len(expected)} recorded exchanges differ (this run made {len(actual)}); "
        f"first at #{differing[0]}. Placeholders are numbered by first appearance, so one extra or missing "
        "ID shifts the numbers in every later exchange: read the first diff first."
    ]
    for i in differing[:shown]:
        before = render(expected[i]) if i < len(expected) else []
        after = render(actual[i]) if i < len(actual) else []
        report += difflib.unified_diff(before, after, f"golden #{i}", f"this run #{i}", n=50, lineterm="")
    return "\n".join(report)


def _describe_code() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden", description="Record the golden wire script.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--record", nargs=3, metavar=("URL", "ACCOUNT_SID", "AUTH_TOKEN"), help="a running server")
    mode.add_argument("--serve", action="store_true", help="start this venv's server on a fresh database")
    parser.add_argument("--commit", help="the code named as recorded in the header (default: git describe)")
    args = parser.parse_args(argv)
    if args.record:
        exchanges = record(*args.record)
    else:
        with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
            exchanges = serve_and_record(Path(tmp))
    sys.stdout.write(dumps(exchanges, args.commit or _describe_code()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
