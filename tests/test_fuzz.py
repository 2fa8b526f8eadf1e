"""Contract fuzzing: schemathesis drives every documented operation of a real server; no 5xx, every answer as documented."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

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
from tests.procs import ServerProcess, bootstrap_credentials, clean_env, start_server

# Cases per operation and credential kind; `make fuzz` raises it (20 operations x 2 kinds x this).
EXAMPLES = int(os.environ.get("SENDERPOOLS_FUZZ_EXAMPLES", "40"))
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

SCHEMA = schemathesis.openapi.from_dict(document())
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
        with server.client(*credentials) as client:
            body = [{"address": f"+1415555{i:04d}", "channel": "SMS"} for i in range(5)]
            senders = client.post("/v1/Senders", json=body)
            assert senders.status_code == 201, senders.text
            members = [{"senderId": s["id"]} for s in senders.json()["senders"][:3]]
            created = client.post("/v1/SenderPools", json={"name": "fuzzed", "senders": members})
            assert created.status_code == 202, created.text
        yield fuzz
        print(f"\nfuzzed {fuzz.calls} requests ({EXAMPLES} examples per operation and credential kind)")
        assert server.popen.poll() is None, server.describe()  # the fuzzing never took the server down
    finally:
        server.stop()


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
