"""Contract fuzzing: schemathesis drives every documented operation of a real server; no 5xx, every answer as documented."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from senderpools.http.openapi import document
from senderpools.wire.endpoints import ENDPOINTS
from tests.procs import ServerProcess, bootstrap_credentials, clean_env, open_readonly, start_server, wait_operation

# Cases per operation and credential kind; `make fuzz` raises it (20 operations x 2 kinds x this).
EXAMPLES = int(os.environ.get("SENDERPOOLS_FUZZ_EXAMPLES", "30"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("SENDERPOOLS_FUZZ_RANDOM") is None,  # reproducible in `make test`
    suppress_health_check=list(HealthCheck),
)

SCHEMA = schemathesis.openapi.from_dict(document(ENDPOINTS))
SCHEMA.config.generation.update(modes=["positive", "negative"])


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


class FuzzTarget:
    """A ``senderpools serve`` subprocess on loopback, its account, and a few senders and pools to hit."""

    def __init__(self, server: ServerProcess, sid: str, token: str) -> None:
        self.server = server
        self.sid = sid
        self.token = token
        self.broken = 0
        self.pool_id = self.sender_id = ""
        self.db = Path()
        self.calls = 0  # requests sent, printed at the end (`-s`) for docs/reliability.md

    def good_auth(self) -> str:
        return _basic(f"{self.sid}:{self.token}".encode())

    def next_broken_auth(self) -> str | None:
        """Each case gets the next kind of broken Authorization header, round robin."""
        self.broken += 1
        kinds: list[str | None] = [
            None,  # no header at all
            "",
            "Basic",
            "Basic !!!not-base64!!!",
            _basic(b"no-colon"),
            _basic(f"{self.sid}:".encode()),
            _basic(f"{self.sid}:wrong-token".encode()),
            _basic(b"AC00000000000000000000000000000000:" + self.token.encode()),
            _basic("ACé:tökén".encode()),
            _basic(b"\xff\xfe:\x00"),
            "Bearer " + self.token,
        ]
        return kinds[self.broken % len(kinds)]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    tmp = tmp_path_factory.mktemp("fuzz")
    # Failed-auth throttling off: the broken-credential run must see every 401 it provokes.
    env = clean_env(SENDERPOOLS_AUTH_FAILURE_LIMIT="0")
    server = start_server(tmp / "logs", tmp / "senderpools.db", env=env)
    try:
        credentials = bootstrap_credentials(server.stdout)
        assert credentials is not None, server.describe()
        fuzz = FuzzTarget(server, *credentials)
        fuzz.db = tmp / "senderpools.db"
        with server.client(*credentials) as client:
            body = [{"address": f"+1415555{i:04d}", "channel": "SMS"} for i in range(5)]
            senders = client.post("/v1/Senders", json=body)
            assert senders.status_code == 201, senders.text
            members = [{"senderId": s["id"]} for s in senders.json()["senders"][:3]]
            created = client.post("/v1/SenderPools", json={"name": "fuzzed", "senders": members})
            assert created.status_code == 202, created.text
            wait_operation(client, created.json()["operationId"])
            fuzz.pool_id = client.get("/v1/SenderPools").json()["senderPools"][0]["id"]
            fuzz.sender_id = senders.json()["senders"][0]["id"]
        yield fuzz
        print(f"\nfuzzed {fuzz.calls} requests ({EXAMPLES} examples per operation and credential kind)")
        assert server.popen.poll() is None, server.describe()  # the fuzzing never took the server down
    finally:
        server.stop()


SQL = "x' OR '1'='1'; DROP TABLE senders;--"
# Fields each body-reading endpoint checks (a string where an enum, ID, map or list belongs): every endpoint gets a 400.
CHECKED_FIELDS = ["channel", "status", "tags", "senderId", "senderPoolId", "recipientAddresses", "pageToken"]


def _dump(db: Path) -> list[str]:
    """Every row of the database file as SQL, as an operator's backup would hold it."""
    with open_readonly(db) as conn:
        return list(conn.iterdump())


def _hostile_corpus(target: FuzzTarget) -> list[tuple[str, str, dict[str, str], bytes | None, set[int]]]:
    """(method, path, headers, body, allowed statuses): the requests no fuzzer is guaranteed to try."""
    pool, sender = target.pool_id, target.sender_id
    body_paths = [
        ("POST", "/v1/SenderPools"),
        ("PATCH", f"/v1/SenderPools/{pool}"),
        ("POST", f"/v1/SenderPools/{pool}/Senders"),
        ("POST", "/v1/Senders"),
        ("PATCH", f"/v1/Senders/{sender}"),
        ("POST", "/v1/Senders/Search"),
        ("POST", "/v1/Senders/Resolve"),
    ]
    good = {"Authorization": target.good_auth()}
    json_ct = {**good, "Content-Type": "application/json"}
    cases: list[tuple[str, str, dict[str, str], bytes | None, set[int]]] = []
    bodies = {
        "invalid UTF-8": b'{"name": "\xff\xfe", "address": "\xc3\x28"}'.decode("unicode_escape").encode("latin-1"),
        "raw NUL": b'{"name": "a\x00b"}'.decode("unicode_escape").encode(),
        "truncated": b'{"senders": [{"senderId": "',
        "deep": b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
        "huge string": b'{"name": "' + b"x" * 2_000_000 + b'"}',
        "SQL in every checked field": json.dumps(
            {f: SQL for f in CHECKED_FIELDS} | {"senders": [{"senderId": SQL}]}
        ).encode(),
        "path traversal in IDs": json.dumps(
            {f: "../../etc/passwd" for f in CHECKED_FIELDS} | {"senders": [{"senderId": "../../../etc/passwd"}]}
        ).encode(),
    }
    for method, path in body_paths:
        for body in bodies.values():
            cases.append((method, path, json_ct, body, {400}))
        for content_type in (
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/json-patch",
            "application/jsonx",
        ):
            cases.append((method, path, {**good, "Content-Type": content_type}, b"{}", {415}))
    for traversal in ("..%2F..%2Fetc%2Fpasswd", "%2e%2e", "comms_sender_01' OR '1'='1", "%00", "%ff%fe", "x" * 5000):
        cases.append(("GET", f"/v1/Senders/{traversal}", good, None, {404}))
        cases.append(("DELETE", f"/v1/SenderPools/{traversal}", good, None, {404}))
        cases.append(("DELETE", f"/v1/SenderPools/{pool}/Senders/{traversal}", good, None, {404}))
    for query in (
        "pageSize=1&pageSize=2",
        "status=ACTIVATED&status=ACTIVATED",
        "pageToken=" + "A" * 20_000,
        "channel=SMS%00",
        "status=%ff",
        "startDate=2024-01-01T00:00:00Z%00",
        "pageSize=1e9",
    ):
        cases.append(("GET", f"/v1/Senders?{query}", good, None, {400}))
    for auth in ("", "Basic", "Basic ====", "Basic " + "A" * 10_000, "Basic w6k6w6k=", "Digest abc", "basic"):
        cases.append(("DELETE", f"/v1/Senders/{sender}", {"Authorization": auth}, None, {401}))
    cases.append(("GET", "/v1/Senders", {**good, "X-Overlong": "y" * 60_000}, None, {200, 400, 431}))
    return cases


def test_hostile_corpus_gets_documented_4xx_and_leaves_the_database_unchanged(target: FuzzTarget) -> None:
    before = _dump(target.db)
    with httpx.Client(base_url=target.server.base_url, timeout=30.0) as client:
        for method, path, headers, body, allowed in _hostile_corpus(target):
            response = client.request(method, path, headers=headers, content=body)
            assert response.status_code in allowed, (
                method,
                path[:80],
                headers.get("Content-Type"),
                response.text[:300],
            )
            if response.status_code >= 400 and response.status_code != 431:
                assert response.headers["content-type"].startswith("application/json")
                assert (
                    response.json()["errors"][0]["code"]
                    == {400: 20001, 401: 20003, 404: 20404, 415: 20415}[response.status_code]
                )
    assert _dump(target.db) == before


def test_fuzzed_document_is_the_served_one(target: FuzzTarget) -> None:
    response = httpx.get(f"{target.server.base_url}/openapi.json")
    assert response.status_code == 200
    assert response.json() == SCHEMA.raw_schema


@SCHEMA.parametrize()
@FUZZ_SETTINGS
def test_operation_with_valid_credentials_answers_as_documented(case: schemathesis.Case, target: FuzzTarget) -> None:
    case.headers = {**(case.headers or {}), "Authorization": target.good_auth()}
    response = case.call(base_url=target.server.base_url)
    target.calls += 1
    case.validate_response(response, checks=CHECKS)


@SCHEMA.parametrize()
@FUZZ_SETTINGS
def test_operation_with_broken_credentials_answers_401_as_documented(
    case: schemathesis.Case, target: FuzzTarget
) -> None:
    auth = target.next_broken_auth()
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    if auth is not None:
        headers["Authorization"] = auth
    case.headers = headers
    response = case.call(base_url=target.server.base_url)
    target.calls += 1
    if case.method.upper() != case.operation.method.upper():  # coverage phase: a method the path does not serve
        assert response.status_code in (401, 405), (case.method, response.status_code, response.text)
    else:
        assert response.status_code == 401, (auth, response.status_code, response.text)
        assert response.headers["www-authenticate"] == ['Basic realm="senderpools"']
        assert {e["code"] for e in response.json()["errors"]} == {20003}
    case.validate_response(response, checks=CHECKS)
