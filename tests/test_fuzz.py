"""Contract fuzzing: schemathesis drives every documented operation of a real server; no 5xx, every answer as documented."""

from __future__ import annotations

import base64
import copy
import itertools
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import PositiveDataAcceptanceConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from senderpools import ids
from senderpools.clock import parse_rfc3339
from senderpools.http.idempotency import KEY_HEADERS
from senderpools.http.openapi import document
from senderpools.wire.endpoints import ENDPOINTS
from tests.nodes import query as sql_query
from tests.procs import (
    ServerProcess,
    bootstrap_credentials,
    clean_env,
    database_url,
    free_port,
    open_readonly,
    wait_operation,
)

# Cases per operation and credential kind; `make fuzz` raises it (20 operations x 2 kinds x this).
EXAMPLES = int(os.environ.get("SENDERPOOLS_FUZZ_EXAMPLES", "30"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,  # schema-violating input is never accepted (2xx)
    positive_data_acceptance,  # schema-valid input is accepted (2xx, or 404/409 for state it names)
    ignored_auth,  # no operation answers without credentials
]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("SENDERPOOLS_FUZZ_RANDOM") is None,  # reproducible in `make test`
    suppress_health_check=list(HealthCheck),
)

DOCUMENT = document(ENDPOINTS)
SCHEMA = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT))  # schemathesis mutates what it is given
SCHEMA.config.generation.update(modes=["positive", "negative"])
# The coverage phase (boundary values: 10,000-item bodies of unique senders, unexpected methods, missing and
# extra parameters) generates its cases at collection, minutes of it: `make fuzz` runs it, `make test` not.
SCHEMA.config.phases.coverage.enabled = os.environ.get("SENDERPOOLS_FUZZ_COVERAGE") is not None
# A valid request may still find the state it names changed: 404 and 409, and 412 for an If-Match.
SCHEMA.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=[*SCHEMA.config.checks.positive_data_acceptance.expected_statuses, "412"]
)


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


class FuzzTarget:
    """A ``senderpools serve --test-controls`` subprocess, its account, and live resources to aim at.

    Generated path IDs would name nothing (404 every time), so each case is aimed at resources that
    exist: a shared pool, sender and finished operation, or fresh ones for cases that delete or cancel
    (the account's operations are held by the test controls, so a fresh one is still PROCESSING)."""

    def __init__(self, server: ServerProcess, sid: str, token: str, backend: str) -> None:
        self.server = server
        self.sid = sid
        self.token = token
        self.backend = backend
        self.broken = 0
        self.pool_id = self.sender_id = self.operation_id = self.sink_id = self.event_id = ""
        self.db = ""  # the database URL
        self.calls = 0  # requests sent, printed at the end (`-s`) for docs/reliability.md
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)  # "METHOD path" -> statuses, valid credentials
        self.client = httpx.Client(base_url=server.base_url, auth=(sid, token), timeout=30.0)
        self._unique = itertools.count()

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

    def unique_phone(self) -> str:
        return f"+1212{next(self._unique):09d}"

    def seed(self, senders: int, in_pool: bool) -> tuple[str, list[str]]:
        """Fresh senders (in a fresh pool when asked), at once through the test controls' seed."""
        phones = [self.unique_phone() for _ in range(senders)]
        members = [{"channel": "SMS", "address": a} for a in phones] if in_pool else []
        body = {
            "senders": [{"channel": "SMS", "address": a} for a in phones],
            "senderPools": [{"name": "fuzz-fresh", "senders": members}] if in_pool else [],
        }
        seeded = self.client.post("/_test/Seed", json=body)
        assert seeded.status_code == 201, seeded.text
        pools = seeded.json()["senderPools"]
        return (pools[0]["id"] if pools else ""), [s["id"] for s in seeded.json()["senders"]]

    def sink(self) -> str:
        """A fresh webhook sink (nothing listens there: its deliveries fail and are retried, harmlessly)."""
        created = self.client.post("/v1/EventSinks", json={"url": "http://127.0.0.1:9/fuzz"})
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def held_operation(self) -> str:
        """A fresh Create that stays PROCESSING (the account's operations are held)."""
        _, (sender,) = self.seed(1, in_pool=False)
        created = self.client.post("/v1/SenderPools", json={"senders": [{"senderId": sender}]})
        assert created.status_code == 202, created.text
        return str(created.json()["operationId"])

    def aim(self, case: schemathesis.Case) -> set[ParameterLocation]:
        """Point the case's path IDs at live resources, give it a key of its own, and make true what the
        schema cannot say (``_known_state``, ``_make_valid``). A part the fuzzer made invalid on purpose
        (a negative component) is left as it is; a changed part is marked for schemathesis to judge again.
        Returns the locations where this may have undone a negation (an invalid idempotency key replaced,
        unknown query parameters dropped)."""
        meta = case.meta
        negative = {loc for loc in ParameterLocation if meta is not None and meta.is_negative_at(loc)}
        changed: set[ParameterLocation] = set()
        route, method = case.operation.path, case.operation.method.upper()
        params = dict(case.path_parameters or {})
        if params and ParameterLocation.PATH not in negative:
            live = {
                "senderPoolId": self.pool_id,
                "senderId": self.sender_id,
                "operationId": self.operation_id,
                "eventSinkId": self.sink_id,
                "eventId": self.event_id,
            }
            params.update((name, live[name]) for name in params if name in live)
            if (method, route) == ("DELETE", "/v1/SenderPools/{senderPoolId}"):
                params["senderPoolId"], _ = self.seed(1, in_pool=True)
            elif (method, route) == ("DELETE", "/v1/SenderPools/{senderPoolId}/Senders/{senderId}"):
                params["senderPoolId"], (params["senderId"],) = self.seed(1, in_pool=True)
            elif (method, route) == ("DELETE", "/v1/Senders/{senderId}"):
                _, (params["senderId"],) = self.seed(1, in_pool=False)
            elif (method, route) == ("DELETE", "/v1/EventSinks/{eventSinkId}"):
                params["eventSinkId"] = self.sink()
            elif route.endswith("/Cancel"):
                params["operationId"] = self.held_operation()
            case.path_parameters = params
            _changed(case, ParameterLocation.PATH)
        headers = dict(case.headers or {})
        keys = [headers[h] for h in KEY_HEADERS if h in headers]
        valid = all(isinstance(k, str) and 1 <= len(k) <= 255 and k.isascii() and k.isprintable() for k in keys)
        if keys and valid:  # an invalid key is sent as generated (a 400); a valid one gets a key of its own,
            key = f"fuzz-{next(self._unique)}"  # since a reused key answers 409 by design
            headers.update((h, key) for h in KEY_HEADERS if h in headers)
            case.headers = headers
            _changed(case, ParameterLocation.HEADER)
            if ParameterLocation.HEADER in negative:
                changed.add(ParameterLocation.HEADER)  # whatever was negated in the headers may be gone
        if case.query:
            # Unknown query parameters are ignored by design (a README decision), like unknown JSON fields:
            # not a case worth sending.
            declared = {p["name"] for p in DOCUMENT["paths"][route][method.lower()].get("parameters", ())}
            before = dict(case.query)
            case.query = {k: v for k, v in case.query.items() if k in declared}
            _known_state(case)
            if case.query != before:
                _changed(case, ParameterLocation.QUERY)
                if ParameterLocation.QUERY in negative:
                    changed.add(ParameterLocation.QUERY)
        if case.body is not None and ParameterLocation.BODY not in negative:
            _make_valid(case, self)
            _changed(case, ParameterLocation.BODY)
        return changed


def _changed(case: schemathesis.Case, location: ParameterLocation) -> None:
    if case.meta is not None:
        case.meta.mark_dirty(location)


def _known_state(case: schemathesis.Case) -> None:
    """Query parameters whose validity the schema cannot judge: a page token is one the server issued
    (a made-up one is refused, whatever its shape), and ``endDate`` comes after ``startDate`` (the
    document says so in prose)."""
    query = dict(case.query or {})
    query.pop("pageToken", None)
    dates = [query.get("startDate"), query.get("endDate")]
    if all(isinstance(d, str) and parse_rfc3339(d) is not None for d in dates):  # not a negated date
        query["startDate"], query["endDate"] = "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"
    case.query = query


def _make_valid(case: schemathesis.Case, target: FuzzTarget) -> None:
    """Body rules the schema cannot say: an address suits its channel (and is new to the account),
    Search's page token is one the server issued (none), and a sink's URL parses."""
    body, route = case.body, case.operation.path
    if route == "/v1/Senders" and case.operation.method.upper() == "POST":
        for item in body if isinstance(body, list) else [body]:
            if isinstance(item, dict) and isinstance(item.get("channel"), str):
                item["address"] = _valid_address(item["channel"], target)
    if route == "/v1/Senders/Search" and isinstance(body, dict):
        body.pop("pageToken", None)
    refs = body.get("senders") if isinstance(body, dict) and route == "/v1/SenderPools" else body
    if route.startswith("/v1/SenderPools") and isinstance(refs, list):  # each sender once (uniqueItems
        seen: set[object] = set()  # compares whole objects; extra members make repeats look distinct)
        for item in refs:
            if isinstance(item, dict):
                if item.get("senderId") in seen:
                    item["senderId"] = ids.new_id(ids.SENDER_PREFIX, ids.now_ms())
                seen.add(item.get("senderId"))
    if route.startswith("/v1/EventSinks") and isinstance(body, dict) and isinstance(body.get("url"), str):
        body["url"] = "http://127.0.0.1:9/fuzz"  # a URL the server can parse (the pattern admits any host text)
    if route == "/v1/Senders/Resolve" and isinstance(body, dict) and isinstance(body.get("recipientAddresses"), list):
        for item in body["recipientAddresses"]:
            if isinstance(item, dict) and isinstance(item.get("channel"), str):
                item["address"] = _valid_address(item["channel"], target)


def _valid_address(channel: str, target: FuzzTarget) -> str:
    if channel == "EMAIL":
        return f"fuzz{next(target._unique)}@example.com"
    if channel == "PUSH":
        return f"push-{next(target._unique)}"
    return target.unique_phone()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    tmp = tmp_path_factory.mktemp("fuzz")
    backend = str(request.param)
    url = (
        database_url(tmp / "senderpools.db")
        if backend == "sqlite"
        else request.getfixturevalue("postgres").new_database()
    )
    # Failed-auth throttling off: the broken-credential run must see every 401 it provokes.
    # Webhook sinks on any address (generated URLs name anything), with short delivery attempts.
    env = clean_env(
        SENDERPOOLS_AUTH_FAILURE_LIMIT="0",
        SENDERPOOLS_WEBHOOK_ALLOW_PRIVATE="true",
        SENDERPOOLS_WEBHOOK_TIMEOUT="1",
        SENDERPOOLS_WEBHOOK_RETRY_BASE="3600",  # failed deliveries wait: the database stays still between requests
    )
    port = free_port()
    server = ServerProcess(tmp / "logs", port, ["--port", str(port), "--database-url", url, "--test-controls"], env)
    try:
        server.wait_healthy()
        credentials = bootstrap_credentials(server.stdout)
        assert credentials is not None, server.describe()
        fuzz = FuzzTarget(server, *credentials, backend)
        fuzz.db = url
        fuzz.pool_id, senders = fuzz.seed(5, in_pool=False)
        members = [{"senderId": s} for s in senders[:3]]
        created = fuzz.client.post("/v1/SenderPools", json={"name": "fuzzed", "senders": members})
        assert created.status_code == 202, created.text
        fuzz.operation_id = created.json()["operationId"]
        wait_operation(fuzz.client, fuzz.operation_id)
        fuzz.pool_id = fuzz.client.get("/v1/SenderPools", params={"operationId": fuzz.operation_id}).json()[
            "senderPools"
        ][0]["id"]
        fuzz.sender_id = senders[0]
        fuzz.sink_id = fuzz.sink()  # then an event it is sent (a sender registered), for Deliveries and Redeliver
        assert fuzz.client.post("/v1/Senders", json={"address": fuzz.unique_phone(), "channel": "SMS"}).is_success
        deliveries = fuzz.client.get(f"/v1/EventSinks/{fuzz.sink_id}/Deliveries").json()["deliveries"]
        fuzz.event_id = deliveries[0]["eventId"]
        while not deliveries[0]["attempts"]:  # its first attempt fails at once; the next is an hour away
            time.sleep(0.05)
            deliveries = fuzz.client.get(f"/v1/EventSinks/{fuzz.sink_id}/Deliveries").json()["deliveries"]
        assert fuzz.client.put("/_test/Pacing", json={"hold": True}).status_code == 200
        yield fuzz
        print(f"\nfuzzed {fuzz.calls} requests on {backend} ({EXAMPLES} examples per operation and credential kind)")
        for operation, counts in sorted(fuzz.statuses.items()):
            print(
                f"  {operation}: {sum(counts.values())} cases, {sum(n for s, n in counts.items() if s < 300)} 2xx,"
                f" statuses {dict(sorted(counts.items()))}"
            )
        assert server.popen.poll() is None, server.describe()  # the fuzzing never took the server down
        unreached = [op for op, counts in fuzz.statuses.items() if not any(200 <= s < 300 for s in counts)]
        assert unreached == [], f"operations the fuzzing never got past validation with: {unreached}"
    finally:
        server.stop()


SQL = "x' OR '1'='1'; DROP TABLE senders;--"
# Fields each body-reading endpoint checks (a string where an enum, ID, map or list belongs): every endpoint gets a 400.
CHECKED_FIELDS = ["channel", "status", "tags", "senderId", "senderPoolId", "recipientAddresses", "pageToken"]


def _dump(url: str) -> list[str]:
    """Every row of the database, as an operator's backup would hold it."""
    if url.startswith("sqlite"):
        with open_readonly(Path(url.removeprefix("sqlite://").removeprefix("/"))) as conn:
            return list(conn.iterdump())
    tables = [
        row[0] for row in sql_query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    ]
    return [f"{t}: {row}" for t in tables for row in sql_query(url, f"SELECT t::text FROM {t} t ORDER BY 1")]


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
    served = response.json()  # with the test controls' endpoints too: the server runs with them
    assert {p: served["paths"][p] for p in DOCUMENT["paths"]} == DOCUMENT["paths"]
    assert served["components"]["schemas"].items() >= DOCUMENT["components"]["schemas"].items()


@SCHEMA.parametrize()
@FUZZ_SETTINGS
def test_operation_with_valid_credentials_answers_as_documented(case: schemathesis.Case, target: FuzzTarget) -> None:
    altered = target.aim(case)
    # A negated part that aiming altered (unknown query parameters dropped) may be valid now: then only
    # the other checks apply to the case.
    # A case that negates nothing, or only the credentials (they are the test's, given below), is not negative.
    about = str(getattr(case.meta.phase.data, "description", "") or "") if case.meta is not None else ""
    unnegated = "positive" in about.lower() or "Authorization" in about
    checks = [c for c in CHECKS if c is not negative_data_rejection] if altered or unnegated else CHECKS
    # Credentials given to the call, not generated into the case: ignored_auth then knows they are
    # valid, and probes the operation again without them and with made-up ones.
    response = case.call(base_url=target.server.base_url, headers={"Authorization": target.good_auth()})
    target.calls += 1
    target.statuses[f"{case.operation.method.upper()} {case.operation.path}"][response.status_code] += 1
    case.validate_response(response, checks=checks)


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
