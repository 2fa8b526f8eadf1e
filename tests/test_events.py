"""Events (issue 16): the durable event log, webhook sinks, signed deliveries with retries.

Every test here runs on SQLite and PostgreSQL (the ``server`` fixture). Webhook receivers are real HTTP
servers on loopback (``tests/webhook_receiver.py``); signatures are verified with the ``standardwebhooks``
package, as a user's receiver would. Retry waits are shortened through settings, never slept out.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks

from senderpools import ids
from senderpools.config import Settings
from senderpools.records import Pacing
from senderpools.service.webhooks import refusal
from senderpools.worker import OperationWorker
from tests.conftest import Account, Server, make_settings
from tests.webhook_receiver import receiving

SECRET = "whsec_" + base64.b64encode(b"k" * 24).decode()
COMPLETED = "com.twilio.comms-api.operation.completed"
PROCESSING = "com.twilio.comms-api.operation.processing"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(
        tmp_path,
        database_url=database_url,
        webhook_allow_private=True,  # the receivers listen on loopback
        webhook_retry_base=0.05,  # retries after 50 ms, 100 ms, 200 ms...
        webhook_retry_window=0.15,  # ...then dead-lettered (the third failure: 50 + 100 ms waited)
        webhook_timeout=2.0,
        test_controls=True,  # pacing holds an operation while the test deletes its pool
    )


def events(account: Account, **filters: Any) -> list[dict[str, Any]]:
    return account.walk("/v1/Events", "events", page_size=1000, **filters)


def types(found: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in found]


def wait_until(check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


# -- the log ------------------------------------------------------------------------------------------------
def test_every_change_is_logged_with_who_made_it(server: Server, account: Account) -> None:
    key = server.new_api_key(account)
    senders = key.register_senders(3)
    sender_ids = [s["id"] for s in senders]
    pool_id, operation = key.create_pool(name="Support", senders=[{"senderId": sid} for sid in sender_ids[:2]])
    assert key.patch(f"/v1/SenderPools/{pool_id}", json={"name": "Help"}).status_code == 202
    added = key.post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": sender_ids[2]}]).json()
    key.wait_operation(added["operationId"])
    assert key.delete(f"/v1/SenderPools/{pool_id}/Senders/{sender_ids[0]}").status_code == 202
    assert account.patch(f"/v1/Senders/{sender_ids[1]}", json={"status": "DEACTIVATED"}).status_code == 200
    assert account.delete(f"/v1/Senders/{sender_ids[1]}").status_code == 204
    assert account.delete(f"/v1/SenderPools/{pool_id}").status_code == 202

    log = events(account)
    assert types(log) == [
        "io.senderpools.apikey.created",
        *["io.senderpools.sender.registered"] * 3,
        "io.senderpools.senderpool.created",
        PROCESSING,
        "io.senderpools.senderpool.members.added",
        COMPLETED,
        "io.senderpools.senderpool.updated",
        PROCESSING,
        "io.senderpools.senderpool.members.added",
        COMPLETED,
        "io.senderpools.senderpool.members.removed",
        "io.senderpools.sender.updated",
        "io.senderpools.sender.deleted",
        "io.senderpools.senderpool.deleted",
    ]
    by_type = {e["type"]: e for e in log}
    # Who: the API key for what it did (background work included), the account for the rest.
    assert {e["actor"] for e in log[1:13]} == {key.sid}
    assert {e["actor"] for e in log[13:]} == {account.sid}
    assert log[0]["actor"] == account.sid and log[0]["resourceId"] == key.sid
    assert {e["accountSid"] for e in log} == {account.sid}
    assert key.secret not in str(log) and account.secret not in str(log)  # never a secret
    # What: small data objects.
    created = by_type["io.senderpools.senderpool.created"]
    assert created["resourceId"] == pool_id and created["data"] == {"name": "Support", "operationId": operation["id"]}
    first_batch = log[6]
    assert first_batch["resourceId"] == pool_id
    assert first_batch["data"] == {"operationId": operation["id"], "changed": 2, "unchanged": 0, "notFound": 0}
    done = log[7]
    assert done["resourceId"] == operation["id"]
    assert done["data"]["status"] == "COMPLETED" and done["data"]["stats"] == operation["stats"]
    assert done["data"]["senderPoolId"] == pool_id and done["data"]["type"] == "CREATE"
    assert by_type["io.senderpools.senderpool.updated"]["data"] == {"changed": ["name"]}
    assert by_type["io.senderpools.sender.updated"]["data"] == {"changed": ["status"]}
    removed = by_type["io.senderpools.senderpool.members.removed"]["data"]
    assert removed == {"operationId": None, "senderIds": [sender_ids[0]], "changed": 1, "unchanged": 0, "notFound": 0}
    # IDs order the log by time, and times are milliseconds.
    assert [e["id"] for e in log] == sorted(e["id"] for e in log)
    assert all(e["id"].startswith("event_") and e["time"].endswith("Z") and len(e["time"]) == 24 for e in log)


def test_an_operation_of_many_senders_logs_one_event_per_batch(server: Server, account: Account) -> None:
    senders = account.register_senders(2500)
    pool_id, operation = account.create_pool(senders=[{"senderId": s["id"]} for s in senders])
    added = events(account, type="io.senderpools.senderpool.members.added", resourceId=pool_id)
    batch = server.settings.worker_batch_size
    assert len(added) == -(-2500 // batch)  # one per batch of the worker, not one per sender
    assert sum(e["data"]["changed"] for e in added) == 2500
    assert types(events(account, resourceId=operation["id"])) == [PROCESSING, COMPLETED]


def test_canceled_operations_and_removals_are_logged(server: Server, account: Account) -> None:
    senders = account.register_senders(2)
    pool_id, _ = account.create_pool(senders=[{"senderId": s["id"]} for s in senders])
    removal = account.post(f"/v1/SenderPools/{pool_id}/Senders/Remove", json=[{"senderId": s["id"]} for s in senders])
    operation_id = removal.json()["operationId"]
    account.wait_operation(operation_id)
    found = events(account, resourceId=pool_id, type="io.senderpools.senderpool.members.removed")
    assert [e["data"]["changed"] for e in found] == [2]
    assert found[0]["data"]["operationId"] == operation_id
    # A pool deleted while its operation runs: the operation's cancellation is logged with the deletion.
    server.call(server.store.set_pacing, account.sid, Pacing(hold=True))
    pool_id, operation = account.create_pool(wait=False, senders=[{"senderId": senders[0]["id"]}])
    assert account.delete(f"/v1/SenderPools/{pool_id}").status_code == 202
    canceled = events(account, resourceId=operation["id"])
    assert types(canceled) == [PROCESSING, "io.senderpools.operation.canceled"]
    assert canceled[1]["data"]["status"] == "CANCELED"


def test_the_log_is_filtered_paged_and_per_account(server: Server, account: Account, other_account: Account) -> None:
    senders = account.register_senders(5)
    other_account.register_senders(2)
    registered = events(account, type="io.senderpools.sender.registered")
    assert [e["resourceId"] for e in registered] == [s["id"] for s in senders]
    assert [e["resourceId"] for e in events(account, resourceId=senders[3]["id"])] == [senders[3]["id"]]
    assert len(events(other_account)) == 2  # nothing of the other account's
    # Pages: keyset tokens bound to the filters.
    first = account.get("/v1/Events", params={"type": "io.senderpools.sender.registered", "pageSize": 2}).json()
    assert [e["id"] for e in first["events"]] == [e["id"] for e in registered[:2]]
    token = first["pagination"]["next"]
    second = account.get(
        "/v1/Events", params={"type": "io.senderpools.sender.registered", "pageSize": 2, "pageToken": token}
    )
    assert [e["id"] for e in second.json()["events"]] == [e["id"] for e in registered[2:4]]
    assert account.get("/v1/Events", params={"pageToken": token}).status_code == 400  # other filters
    assert (
        other_account.get("/v1/Events", params={"type": registered[0]["type"], "pageToken": token}).status_code == 400
    )
    newest = account.get("/v1/Events", params={"order": "newest", "pageSize": 1}).json()["events"]
    assert newest[0]["id"] == registered[-1]["id"]
    # Dates: a range of times (inclusive start, exclusive end).
    later = events(account, startDate="2999-01-01T00:00:00Z")
    assert later == []
    assert len(events(account, endDate="2999-01-01T00:00:00Z")) == 5
    # Bad filters: the documented envelope.
    bad = account.get("/v1/Events", params={"type": "nope"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["context"] == "$.type"


def test_a_pools_events_are_found_by_its_id_with_its_members_and_operations(server: Server, account: Account) -> None:
    senders = account.register_senders(3)
    pool_id, create = account.create_pool(name="audited", senders=[{"senderId": s["id"]} for s in senders[:2]])
    other_id, _ = account.create_pool(name="other", senders=[{"senderId": senders[2]["id"]}])
    assert account.patch(f"/v1/SenderPools/{pool_id}", json={"name": "renamed"}).status_code == 202
    assert account.delete(f"/v1/SenderPools/{pool_id}/Senders/{senders[0]['id']}").status_code == 202
    assert account.delete(f"/v1/SenderPools/{pool_id}").status_code == 202

    found = events(account, senderPoolId=pool_id)
    assert types(found) == [
        "io.senderpools.senderpool.created",
        PROCESSING,
        "io.senderpools.senderpool.members.added",
        COMPLETED,
        "io.senderpools.senderpool.updated",
        "io.senderpools.senderpool.members.removed",
        "io.senderpools.senderpool.deleted",
    ]
    assert {e["resourceId"] for e in found} == {pool_id, create["id"]}  # the operation's events: its own ID
    assert pool_id not in str(events(account, senderPoolId=other_id))
    newest = account.get("/v1/Events", params={"senderPoolId": pool_id, "order": "newest", "pageSize": 2}).json()
    assert [e["id"] for e in newest["events"]] == [e["id"] for e in reversed(found[-2:])]
    token = newest["pagination"]["next"]
    assert account.get("/v1/Events", params={"senderPoolId": other_id, "pageToken": token}).status_code == 400
    bad = account.get("/v1/Events", params={"senderPoolId": "nope"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["context"] == "$.senderPoolId"


def test_migration_0010_finds_the_pool_of_events_logged_before_it(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    from starlette.testclient import TestClient

    from senderpools.composition import create_app
    from senderpools.records import NewEvent
    from senderpools.wire.fields import EventType
    from tests.nodes import empty_database, execute, old_schema, query

    url = (
        empty_database(request.getfixturevalue("postgres"))
        if backend == "postgresql"
        else f"sqlite:///{tmp_path}/old.db"
    )
    assert "0010" not in old_schema(url, "0010")
    now = ids.now_ms()
    pool_id, operation_id = ids.new_id(ids.POOL_PREFIX, now), ids.new_id(ids.OPERATION_PREFIX, now)
    account = "AC" + "1" * 32
    logged = [  # as the code before 0010 wrote them: no pool_id
        NewEvent.of(EventType.POOL_CREATED, account, None, pool_id, now, name="p", operationId=operation_id),
        NewEvent.of(EventType.OPERATION_COMPLETED, account, None, operation_id, now, senderPoolId=pool_id),
        NewEvent.of(EventType.SENDER_REGISTERED, account, None, ids.new_id(ids.SENDER_PREFIX, now), now),
    ]
    insert = "INSERT INTO events (id, account_sid, type, resource_id, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)"
    execute(url, [(insert, (e.id, account, str(e.type), e.resource_id, now, e.doc())) for e in logged])
    with TestClient(create_app(make_settings(tmp_path, database_url=url))):  # migrates
        pass
    rows = {row[0]: row[1] for row in query(url, "SELECT id, pool_id FROM events")}
    assert rows == {logged[0].id: pool_id, logged[1].id: pool_id, logged[2].id: None}
    assert [e.pool_id for e in logged] == [pool_id, pool_id, None]  # what the code since writes


def test_old_events_are_purged_by_the_worker(server: Server, account: Account) -> None:
    account.register_senders(3)
    assert len(events(account)) == 3
    keeping = OperationWorker(server.store, event_retention=3600.0)
    server.call(keeping.run_once)
    assert len(events(account)) == 3
    purging = OperationWorker(server.store, event_retention=0.0)
    time.sleep(0.01)
    server.call(purging.run_once)
    assert events(account) == []


# -- sinks --------------------------------------------------------------------------------------------------
def test_sinks_are_created_listed_changed_and_deleted(server: Server, account: Account, other_account: Account) -> None:
    created = account.post(
        "/v1/EventSinks", json={"url": "http://127.0.0.1:9/hook", "types": [COMPLETED], "description": "ops"}
    )
    assert created.status_code == 201, created.text
    sink = created.json()
    sink_id = sink["id"]
    assert created.headers["location"].endswith(f"/v1/EventSinks/{sink_id}")
    assert sink["secret"].startswith("whsec_") and len(base64.b64decode(sink["secret"][6:])) == 24
    assert sink["types"] == [COMPLETED] and sink["description"] == "ops"
    fetched = account.get(f"/v1/EventSinks/{sink_id}").json()
    assert "secret" not in fetched and fetched == {k: v for k, v in sink.items() if k != "secret"}
    assert [s["id"] for s in account.walk("/v1/EventSinks", "eventSinks")] == [sink_id]
    assert other_account.get(f"/v1/EventSinks/{sink_id}").status_code == 404
    assert other_account.walk("/v1/EventSinks", "eventSinks") == []

    changed = account.patch(f"/v1/EventSinks/{sink_id}", json={"types": [], "description": None})
    assert changed.status_code == 200 and changed.json()["types"] == [] and changed.json()["description"] is None
    assert account.patch(f"/v1/EventSinks/{sink_id}", json={}).status_code == 400
    assert account.delete(f"/v1/EventSinks/{sink_id}").status_code == 204
    assert account.get(f"/v1/EventSinks/{sink_id}").status_code == 404
    assert account.delete(f"/v1/EventSinks/{sink_id}").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/hook", "hooks.example.com", "http://", "https://a b", "https://user:secret@example.com/h"],
)
def test_a_sink_url_must_be_http_or_https(server: Server, account: Account, url: str) -> None:
    response = account.post("/v1/EventSinks", json={"url": url})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["context"] == "$.url"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_loopback_and_link_local_targets_are_refused_by_default(url: str) -> None:
    refused = asyncio.run(refusal(url, allow_private=False))
    assert refused is not None and "SENDERPOOLS_WEBHOOK_ALLOW_PRIVATE" in refused
    assert asyncio.run(refusal(url, allow_private=True)) is None


def test_a_public_address_is_accepted() -> None:
    assert asyncio.run(refusal("https://8.8.8.8/hook", allow_private=False)) is None


def test_a_delivery_connects_only_to_the_addresses_it_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is made as the connection is made, on the addresses it connects to: a name that answered
    with a public address when the sink was created and a loopback one now (DNS rebinding) is refused, and
    nothing reaches the loopback receiver."""
    from senderpools.service.webhooks import Sender

    with receiving() as receiver:
        port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
        answers = {"rebound.example": ["8.8.8.8", "127.0.0.1"], "loopback.example": ["127.0.0.1"]}
        real, resolved = asyncio.BaseEventLoop.getaddrinfo, []

        async def resolve(loop: asyncio.AbstractEventLoop, host: str, *args: Any, **kwargs: Any) -> Any:
            if host in answers:
                resolved.append(host)
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers[host]]
            return await real(loop, host, *args, **kwargs)

        monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", resolve)

        async def send(url: str, allow_private: bool) -> Any:
            sender = Sender(timeout=2.0, allow_private=allow_private)
            try:
                return await sender.send(url, SECRET, "event_x", b"{}")
            finally:
                await sender.close()

        for host in answers:
            outcome = asyncio.run(send(f"http://{host}:{port}/hook", allow_private=False))
            assert not outcome.delivered and outcome.status_code is None
            assert outcome.error is not None and "private, loopback or link-local" in outcome.error
        assert receiver.received == []
        assert resolved == list(answers)  # once per attempt: the addresses checked are the ones connected to
        allowed = asyncio.run(send(receiver.url, allow_private=True))  # the same receiver, when allowed
        assert allowed.delivered and len(receiver.received) == 1


def test_a_delivery_over_https_verifies_the_certificate_for_the_sinks_host_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """HTTPS: the receiver's certificate must be trusted (the system's store, or SSL_CERT_FILE) and name the
    sink's host; the connection goes to the checked address, the TLS handshake names the host."""
    import ssl

    import trustme

    from senderpools.service import webhooks as sending

    ca = trustme.CA()
    monkeypatch.setattr(sending, "blocked_address", lambda address: False)  # the checked path, to loopback
    real = asyncio.BaseEventLoop.getaddrinfo

    async def resolve(loop: asyncio.AbstractEventLoop, host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host.endswith(".example"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return await real(loop, host, port, *args, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", resolve)

    def deliver(named: str, trusted: bool) -> Any:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(named).configure_cert(context)
        if trusted:
            ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
            monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        else:
            monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        with receiving(tls=context) as receiver:
            port = receiver.url.rsplit(":", 1)[1].split("/")[0]

            async def send() -> Any:
                sender = sending.Sender(timeout=5.0, allow_private=False)
                try:
                    return await sender.send(f"https://hooks.example:{port}/hook", SECRET, "event_tls", b"{}")
                finally:
                    await sender.close()

            return asyncio.run(send()), list(receiver.received)

    outcome, received = deliver("hooks.example", trusted=True)
    assert outcome.delivered and outcome.status_code == 200, outcome
    assert [r.headers["webhook-id"] for r in received] == ["event_tls"]
    for named, trusted in (("other.example", True), ("hooks.example", False)):  # wrong name; unknown CA
        outcome, received = deliver(named, trusted)
        assert not outcome.delivered and outcome.status_code is None and received == []
        assert outcome.error is not None and "CERTIFICATE_VERIFY_FAILED" in outcome.error, outcome


def test_the_server_refuses_a_private_sink_unless_allowed(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from senderpools.composition import create_app

    with TestClient(create_app(make_settings(tmp_path))) as client:
        server = Server(client, make_settings(tmp_path))
        account = server.new_account()
        response = account.post("/v1/EventSinks", json={"url": "http://127.0.0.1:3000/hook"})
        assert response.status_code == 400
        assert "SENDERPOOLS_WEBHOOK_ALLOW_PRIVATE=true" in response.text


# -- deliveries ---------------------------------------------------------------------------------------------
def new_sink(account: Account, url: str, **body: Any) -> dict[str, Any]:
    response = account.post("/v1/EventSinks", json={"url": url, **body})
    assert response.status_code == 201, response.text
    sink: dict[str, Any] = response.json()
    return sink


def deliveries(account: Account, sink_id: str, **filters: Any) -> list[dict[str, Any]]:
    return account.walk(f"/v1/EventSinks/{sink_id}/Deliveries", "deliveries", **filters)


def test_events_are_delivered_as_signed_cloudevents(server: Server, account: Account) -> None:
    with receiving() as receiver:
        sink = new_sink(account, receiver.url, types=[PROCESSING, COMPLETED])
        senders = account.register_senders(2)  # not a type the sink takes
        _, operation = account.create_pool(senders=[{"senderId": s["id"]} for s in senders])
        got = receiver.wait_for(2)
    verifier = standardwebhooks.Webhook(sink["secret"])
    bodies = [verifier.verify(r.body.decode(), r.headers) for r in got]
    assert [b["type"] for b in bodies] == [PROCESSING, COMPLETED]
    log = {e["id"]: e for e in events(account, resourceId=operation["id"])}
    for received, body in zip(got, bodies, strict=True):
        assert received.headers["content-type"] == "application/cloudevents+json"
        assert received.headers["webhook-id"] == body["id"] and body["id"] in log
        event = log[body["id"]]
        assert body == {
            "specversion": "1.0",
            "id": event["id"],
            "source": "/v1/Events",
            "type": event["type"],
            "time": event["time"],
            "subject": operation["id"],
            "datacontenttype": "application/json",
            "accountsid": account.sid,
            "actor": account.sid,
            "data": event["data"],
        }
    with pytest.raises(standardwebhooks.WebhookVerificationError):  # another secret does not verify
        standardwebhooks.Webhook("whsec_" + base64.b64encode(b"x" * 24).decode()).verify(
            got[0].body.decode(), got[0].headers
        )

    def delivered() -> list[dict[str, Any]]:
        found = deliveries(account, sink["id"])
        return found if [d["status"] for d in found] == ["DELIVERED", "DELIVERED"] else []

    history = wait_until(delivered)
    assert [(d["eventId"], d["attempts"], d["lastStatusCode"]) for d in history] == [(b["id"], 1, 200) for b in bodies]
    assert all(d["lastLatencyMs"] is not None and d["nextAttemptAt"] is None for d in history)


def test_a_failed_delivery_is_retried_with_the_same_webhook_id(server: Server, account: Account) -> None:
    with receiving(answer=lambda n: 500 if n == 0 else 200) as receiver:
        sink = new_sink(account, receiver.url)
        account.register_senders(1)
        got = receiver.wait_for(2)
    assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
    assert got[0].body == got[1].body
    assert got[1].at - got[0].at >= 0.04  # the backoff (50 ms +-20%)
    [delivery] = wait_until(lambda: [d for d in deliveries(account, sink["id"]) if d["status"] == "DELIVERED"])
    assert delivery["attempts"] == 2 and delivery["lastStatusCode"] == 200 and delivery["lastError"] is None


def test_a_delivery_that_keeps_failing_is_dead_lettered_then_redelivered(server: Server, account: Account) -> None:
    healthy = False
    with receiving(answer=lambda n: 200 if healthy else 503) as receiver:
        sink = new_sink(account, receiver.url)
        [sender] = account.register_senders(1)
        [failed] = wait_until(lambda: deliveries(account, sink["id"], status="FAILED"))
        assert failed["attempts"] == 3 and failed["lastStatusCode"] == 503 and failed["lastError"] == "ok"
        assert len(receiver.received) == 3
        assert deliveries(account, sink["id"], status="PENDING") == []
        healthy = True
        path = f"/v1/EventSinks/{sink['id']}/Deliveries/{failed['eventId']}/Redeliver"
        assert account.post(path).status_code == 202
        got = receiver.wait_for(4)
    assert got[3].headers["webhook-id"] == got[0].headers["webhook-id"] == failed["eventId"]
    [delivered] = wait_until(lambda: deliveries(account, sink["id"], status="DELIVERED"))
    assert delivered["eventId"] == failed["eventId"] and delivered["attempts"] == 1
    assert sender["id"] in str(events(account, resourceId=sender["id"]))
    unknown = ids.new_id(ids.EVENT_PREFIX, ids.now_ms())
    assert account.post(f"/v1/EventSinks/{sink['id']}/Deliveries/{unknown}/Redeliver").status_code == 404


def test_a_slow_receiver_does_not_hold_up_another_sink(server: Server, account: Account) -> None:
    with receiving(delay=1.5) as slow, receiving() as fast:
        new_sink(account, slow.url)
        new_sink(account, fast.url)
        started = time.monotonic()
        account.register_senders(20)
        fast.wait_for(20, timeout=10)
        took = time.monotonic() - started
        # The slow sink has at most `webhook_concurrency` (4) attempts in flight: 20 would take 7.5 s there.
        assert took < 5.0, took
        assert len(slow.received) <= 8


def test_a_sink_receives_only_its_types_and_only_after_it_exists(server: Server, account: Account) -> None:
    account.register_senders(1)  # before the sink: not delivered
    with receiving() as receiver:
        sink = new_sink(account, receiver.url, types=["io.senderpools.sender.deleted"])
        [sender] = account.register_senders(1, start=1)
        account.delete(f"/v1/Senders/{sender['id']}")
        [got] = receiver.wait_for(1)
        time.sleep(0.3)
        assert len(receiver.received) == 1
    body = standardwebhooks.Webhook(sink["secret"]).verify(got.body.decode(), got.headers)
    assert body["type"] == "io.senderpools.sender.deleted" and body["subject"] == sender["id"]


def test_the_test_endpoint_sends_a_signed_event_now(server: Server, account: Account) -> None:
    with receiving(answer=lambda n: 204) as receiver:
        sink = new_sink(account, receiver.url)
        result = account.post(f"/v1/EventSinks/{sink['id']}/Test")
        assert result.status_code == 200, result.text
        [got] = receiver.wait_for(1)
    assert result.json()["delivered"] is True and result.json()["statusCode"] == 204
    body = standardwebhooks.Webhook(sink["secret"]).verify(got.body.decode(), got.headers)
    assert body["type"] == "io.senderpools.eventsink.test" and body["subject"] == sink["id"]
    assert deliveries(account, sink["id"]) == []  # not recorded
    # A receiver that is not there: answered, not raised.
    sink = new_sink(account, "http://127.0.0.1:9/nothing-listens")
    failed = account.post(f"/v1/EventSinks/{sink['id']}/Test").json()
    assert failed["delivered"] is False and failed["statusCode"] is None and failed["error"]


# -- SDK ----------------------------------------------------------------------------------------------------
def test_the_sdk_lists_events_manages_sinks_and_verifies_deliveries(server: Server, account: Account) -> None:
    from senderpools.client import Client, EventType, WebhookVerificationError, verify_webhook

    client = Client(account.sid, account.secret, base_url="http://testserver", http_client=server.client)
    with receiving() as receiver:
        sink = client.event_sinks.create(receiver.url, types=[EventType.SENDER_REGISTERED], description="sdk")
        assert sink.secret.startswith("whsec_") and sink.types == [EventType.SENDER_REGISTERED]
        [sender] = account.register_senders(1)
        [got] = receiver.wait_for(1)
    event = verify_webhook(got.headers, got.body, sink.secret)
    assert event["subject"] == sender["id"] and event["type"] == "io.senderpools.sender.registered"
    with pytest.raises(WebhookVerificationError):
        verify_webhook({**got.headers, "webhook-id": "event_forged"}, got.body, sink.secret)
    with pytest.raises(WebhookVerificationError):  # a replay long after: refused by its timestamp
        verify_webhook({**got.headers, "webhook-timestamp": str(int(time.time()) - 3600)}, got.body, sink.secret)

    listed = list(client.events.list(type="io.senderpools.sender.registered"))
    assert [e.resource_id for e in listed] == [sender["id"]] and listed[0].actor == account.sid
    assert [e.id for e in client.events.list(resource_id=sender["id"], order="newest")] == [listed[0].id]
    assert [s.id for s in client.event_sinks.list()] == [sink.id]
    history = wait_until(lambda: [d for d in client.event_sinks.deliveries(sink.id) if d.status == "DELIVERED"])
    assert history[0].event_id == event["id"] == listed[0].id
    assert client.event_sinks.update(sink.id, description=None).description is None
    assert client.event_sinks.redeliver(sink.id, event["id"]).resource_id == event["id"]
    client.event_sinks.delete(sink.id)
    assert list(client.event_sinks.list()) == []


# -- the schedule and the documentation --------------------------------------------------------------------
def test_the_default_schedule_retries_for_at_least_24_hours_with_jitter() -> None:
    from senderpools.deliveries import RetrySchedule

    schedule = RetrySchedule()  # the defaults of the settings
    assert (Settings().webhook_retry_base, Settings().webhook_retry_window) == (schedule.base, schedule.window)
    attempts, waited = 1, 0.0
    while (due := schedule.next_ms(attempts, 0)) is not None:
        assert 0.8 * schedule.wait(attempts) * 1000 <= due <= 1.2 * schedule.wait(attempts) * 1000
        waited += schedule.wait(attempts)
        attempts += 1
    assert attempts == 34 and 86_400 <= waited < 86_400 + 3600  # retried for 24 h, then dead-lettered
    assert [schedule.wait(n) for n in (1, 2, 3, 11, 12)] == [5, 10, 20, 3600, 3600]


def test_docs_name_every_event_type() -> None:
    from senderpools.wire.fields import EventType

    text = (Path(__file__).resolve().parent.parent / "docs" / "events.md").read_text()
    assert [t.value for t in EventType if f"`{t.value}`" not in text] == []


def test_events_about_one_resource_reach_a_sink_in_order(server: Server, account: Account) -> None:
    with receiving(answer=lambda n: 500 if n == 0 else 200) as receiver:  # the first attempt fails
        sink = new_sink(
            account, receiver.url, types=["io.senderpools.sender.registered", "io.senderpools.sender.updated"]
        )
        [sender] = account.register_senders(1)
        for name in ("one", "two", "three"):
            assert account.patch(f"/v1/Senders/{sender['id']}", json={"displayName": name}).status_code == 200
        got = receiver.wait_for(5)
    verifier = standardwebhooks.Webhook(sink["secret"])
    arrived = [verifier.verify(r.body.decode(), r.headers)["id"] for r in got]
    # The registration failed once and was retried before any update went out: each event after the
    # one before it was delivered.
    assert arrived[0] == arrived[1]
    assert arrived[1:] == sorted(arrived[1:]) and len(set(arrived)) == 4


def test_an_attempt_left_waiting_for_a_slot_past_its_lease_is_not_started() -> None:
    """A claim round takes more deliveries than a sink has free slots; one that waited so long that its
    lease could run out mid-attempt is not sent (another node may have claimed it by then): it is due
    again once the lease ends. Here: one slot, attempts that take the whole timeout, ten claimed."""
    import msgspec

    from senderpools.deliveries import DeliveryLoop, RetrySchedule
    from senderpools.records import Attempt, DueDelivery
    from senderpools.service.webhooks import Outcome
    from senderpools.wire.fields import EventType
    from senderpools.wire.resources import Event

    timeout = 0.1
    claimed: list[DueDelivery] = []
    for n in range(10):
        event_id = ids.new_id(ids.EVENT_PREFIX, ids.now_ms() + n)
        event = Event(
            id=event_id, type=EventType.SENDER_DELETED, time="2026-12-01T00:00:00.000Z",
            account_sid="AC" + "0" * 32, actor="AC" + "0" * 32, resource_id=f"comms_sender_{n}", data={},
        )  # fmt: skip
        claimed.append(
            DueDelivery("sink", event_id, 0, "http://127.0.0.1:9/hook", "whsec_x", msgspec.json.encode(event))
        )
    sent: list[str] = []
    recorded: list[str] = []

    class OneClaim:
        async def claim_deliveries(self, now_ms: int, limit: int, lease_ms: int, busy: Any = ()) -> list[DueDelivery]:
            found, claimed[:] = list(claimed), []
            return found

        async def record_attempts(self, attempts: list[tuple[str, str, Attempt]]) -> None:
            recorded.extend(event_id for _, event_id, _ in attempts)

    class SlowReceiver:
        async def send(self, url: str, secret: str, msg_id: str, body: bytes) -> Outcome:
            sent.append(msg_id)
            await asyncio.sleep(timeout)
            return Outcome(True, 200, int(timeout * 1000), None)

        async def close(self) -> None:
            pass

    order = [d.event_id for d in claimed]
    store: Any = OneClaim()  # the two calls the loop makes of a store, and of a sender
    sender: Any = SlowReceiver()
    loop = DeliveryLoop(store, sender, RetrySchedule(), timeout, concurrency=1)

    async def run() -> None:
        running = asyncio.create_task(loop.run())
        await asyncio.sleep(12 * timeout)
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running

    asyncio.run(run())
    # The k-th attempt starts k timeouts after the claim: those due to start past two timeouts never do.
    assert 1 <= len(sent) <= 3 and sent == order[: len(sent)], sent
    assert recorded == sent
