"""HTTP Basic authentication: rejections, API keys, revocation and how secrets are stored."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from senderpools import ids
from senderpools.composition import create_app
from senderpools.wire.endpoints import ENDPOINTS
from tests.conftest import Account, Server, make_settings
from tests.test_senders import expect_error

NEVER_POOL = "comms_senderpool_01hzzzzzzzzzzzzzzzzzzzzzzz"
NEVER_SENDER = "comms_sender_01hzzzzzzzzzzzzzzzzzzzzzzz"
NEVER_OPERATION = "comms_operation_01hzzzzzzzzzzzzzzzzzzzzzzz"

NEVER = {
    "senderPoolId": NEVER_POOL,
    "senderId": NEVER_SENDER,
    "operationId": NEVER_OPERATION,
    "eventSinkId": "eventsink_01hzzzzzzzzzzzzzzzzzzzzzzz",
    "eventId": "event_01hzzzzzzzzzzzzzzzzzzzzzzz",
}
# Every declared endpoint (the same list the server mounts and documents), with IDs that never existed.
EVERY_ENDPOINT = [(e.method, e.path.format(**NEVER)) for e in ENDPOINTS]


def basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode("ascii")


def expect_401(response: httpx.Response, case: object = "") -> None:
    expect_error(response, 401, 20003, ["null"], case=case)
    assert response.headers["www-authenticate"] == 'Basic realm="senderpools"', case


def as_header(client: TestClient, authorization: str | bytes | None, path: str = "/v1/Senders") -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return client.get(path, headers=headers)


def test_every_endpoint_needs_credentials(server: Server) -> None:
    for method, path in EVERY_ENDPOINT:
        response = server.client.request(method, path, content=b"{ not json", headers={"content-type": "text/plain"})
        expect_401(response, case=(method, path))


MALFORMED: list[str | bytes | None] = [
    None,
    "",
    "Bearer abcdef",
    "Digest username=x",
    "Basic",
    "Basic ",
    "Basic !!!not-base64!!!",
    "Basic QUM",  # truncated base64
    basic(b"no-colon-at-all"),
    basic(b":secret-only"),
    basic(b"ACsid-only:"),
    basic(b":"),
    basic(b"\xff\xfe:\x80"),  # not UTF-8
    basic("ACé0000000000000000000000000000000:tökén".encode()),
    b"Basic \xc3\xa9\xc3\xa9",  # non-ASCII header bytes
]


def test_malformed_credentials_are_401(server: Server) -> None:
    for authorization in MALFORMED:
        expect_401(as_header(server.client, authorization), case=authorization)


def test_wrong_token_unknown_sid_and_swapped_secrets_are_401(server: Server, account: Account) -> None:
    key = server.new_api_key(account)
    client = server.client
    expect_401(as_header(client, basic(f"{account.sid}:{account.secret}x".encode())))
    expect_401(as_header(client, basic(f"{account.sid}:{account.secret.upper()}".encode())))
    expect_401(as_header(client, basic(f"AC{os.urandom(16).hex()}:{account.secret}".encode())))
    expect_401(as_header(client, basic(f"SK{os.urandom(16).hex()}:{key.secret}".encode())))
    expect_401(as_header(client, basic(f"{account.sid}:{key.secret}".encode())))
    expect_401(as_header(client, basic(f"{key.sid}:{account.secret}".encode())))
    expect_401(as_header(client, basic(f"{account.sid.upper()}:{account.secret}".encode())))


def test_auth_is_checked_before_the_resource_or_body(server: Server, account: Account) -> None:
    (sender,) = account.register_senders(1)
    wrong = httpx.BasicAuth(account.sid, "wrong")
    expect_401(server.client.get(f"/v1/Senders/{sender['id']}", auth=wrong))
    expect_401(server.client.get(f"/v1/Senders/{NEVER_SENDER}", auth=wrong))
    expect_401(server.client.post("/v1/Senders", content=b"[[[", auth=wrong))
    assert account.get(f"/v1/Senders/{sender['id']}").json() == sender


def test_account_credentials_work_with_any_scheme_case(server: Server, account: Account) -> None:
    token = basic(f"{account.sid}:{account.secret}".encode())
    for scheme in ("Basic", "basic", "BASIC"):
        assert as_header(server.client, scheme + token[5:]).status_code == 200


def test_api_key_acts_for_its_account(server: Server, account: Account, other_account: Account) -> None:
    key = server.new_api_key(account)
    assert key.sid.startswith("SK") and len(key.sid) == 34
    (via_key,) = key.register_senders(1)
    (via_token,) = account.register_senders(1, start=1)
    assert account.walk("/v1/Senders", "senders") == [via_key, via_token]
    assert key.walk("/v1/Senders", "senders") == [via_key, via_token]
    pool_id, _ = key.create_pool(senders=[{"senderId": via_token["id"]}])
    assert account.get(f"/v1/SenderPools/{pool_id}").status_code == 200
    assert other_account.walk("/v1/Senders", "senders") == []
    expect_error(other_account.get(f"/v1/SenderPools/{pool_id}"), 404, 20404)
    other_key = server.new_api_key(other_account)
    expect_error(other_key.get(f"/v1/Senders/{via_key['id']}"), 404, 20404)


def test_revoked_api_key_stops_working(server: Server, account: Account) -> None:
    key, spare = server.new_api_key(account), server.new_api_key(account)
    assert key.get("/v1/Senders").status_code == 200  # now also in the verification cache
    assert server.call(server.store.revoke_api_key, key.sid, ids.now_ms()) is True
    server.client.app.parts.services.credentials.forget_all()  # type: ignore[attr-defined]
    expect_401(key.get("/v1/Senders"))
    expect_401(key.post("/v1/Senders", json={"address": "+14155550100", "channel": "SMS"}))
    assert spare.get("/v1/Senders").status_code == 200
    assert account.get("/v1/Senders").json()["senders"] == []
    assert server.call(server.store.revoke_api_key, key.sid, ids.now_ms()) is False


def test_stored_secrets_are_scrypt_hashes(server: Server, account: Account) -> None:
    key = server.new_api_key(account)
    for credential in (account, key):
        stored = server.call(server.store.find_credential, credential.sid)
        assert stored.account_sid == account.sid
        assert stored.secret_hash.startswith("scrypt$")
        assert len(stored.secret_hash.split("$")) == 6
        assert credential.secret not in stored.secret_hash


def test_sqlite_file_holds_no_plaintext_secret(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings), base_url="http://testserver", raise_server_exceptions=False) as client:
        server = Server(client, settings)
        account = server.new_account()
        key = server.new_api_key(account)
        key.register_senders(2)
        assert account.get("/v1/Senders").status_code == 200
        expect_401(server.client.get("/v1/Senders", auth=httpx.BasicAuth(account.sid, "not-" + account.secret)))
        database = Path(settings.database_url.removeprefix("sqlite:///"))
        stored = b"".join(p.read_bytes() for p in (database, Path(f"{database}-wal")) if p.exists())
    assert account.sid.encode() in stored and key.sid.encode() in stored  # the right file, WAL included
    for secret in (account.secret, key.secret):
        assert secret.encode() not in stored
        assert secret.upper().encode() not in stored
        assert base64.b64encode(secret.encode()) not in stored
    assert basic(f"{account.sid}:{account.secret}".encode())[6:].encode() not in stored


def test_healthz_needs_no_credentials(server: Server) -> None:
    for authorization in (None, "Basic garbage"):
        response = as_header(server.client, authorization, "/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
