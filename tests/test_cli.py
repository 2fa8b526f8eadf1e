"""The installed ``senderpools`` command: serve, worker, accounts and keys, run as real subprocesses."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.procs import (
    Process,
    ServerProcess,
    bootstrap_credentials,
    clean_env,
    database_url,
    free_port,
    open_readonly,
    run_cli,
    serving,
    start_server,
    wait_operation,
    walk,
)

ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
API_KEY_SID = re.compile(r"SK[0-9a-f]{32}")


class Served:
    """One ``senderpools serve`` shared by the tests that only need a served database."""

    def __init__(self, server: ServerProcess, db: Path) -> None:
        self.server = server
        self.db = db
        self.url = database_url(db)

    def status(self, sid: str, secret: str) -> int:
        """The status of an authenticated request: 200 when the credential works, 401 when not."""
        with self.server.client(sid, secret) as client:
            return client.get("/v1/SenderPools").status_code


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("served")
    db = tmp / "senderpools.db"
    # No verification cache, so a key revoked by the CLI (another process) is refused at once.
    server = start_server(tmp / "logs", db, env=clean_env(SENDERPOOLS_AUTH_CACHE_TTL="0"))
    try:
        yield Served(server, db)
    finally:
        server.stop()


def _json_line(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The single JSON line a successful command printed."""
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    parsed: dict[str, Any] = json.loads(lines[0])
    return parsed


def _new_account(url: str) -> tuple[str, str]:
    created = _json_line(run_cli("accounts", "create", "--database-url", url))
    return created["accountSid"], created["authToken"]


# -- accounts create -------------------------------------------------------------------------------
def test_accounts_create_prints_one_json_line_that_authenticates(served: Served) -> None:
    created = _json_line(run_cli("accounts", "create", "--database-url", served.url))
    assert set(created) == {"accountSid", "authToken"}
    assert ACCOUNT_SID.fullmatch(created["accountSid"])
    assert created["authToken"]
    assert served.status(created["accountSid"], created["authToken"]) == 200
    assert served.status(created["accountSid"], created["authToken"] + "x") == 401


def test_accounts_create_with_sid_and_token_creates_exactly_that_account(served: Served) -> None:
    sid, token = "AC" + "1" * 32, "my-chosen-token"
    args = ("accounts", "create", "--database-url", served.url, "--sid", sid, "--auth-token", token)
    assert _json_line(run_cli(*args)) == {"accountSid": sid, "authToken": token}
    assert served.status(sid, token) == 200


def test_accounts_create_with_sid_is_idempotent(served: Served) -> None:
    sid, token = "AC" + "2" * 32, "same-token-twice"
    args = ("accounts", "create", "--database-url", served.url, "--sid", sid, "--auth-token", token)
    first, second = run_cli(*args), run_cli(*args)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    assert json.loads(second.stdout) == {"accountSid": sid, "authToken": token}
    assert served.status(sid, token) == 200


def test_accounts_create_same_sid_with_another_token_fails_and_keeps_the_first(served: Served) -> None:
    sid = "AC" + "3" * 32
    base = ("accounts", "create", "--database-url", served.url, "--sid", sid, "--auth-token")
    assert run_cli(*base, "the-first-token").returncode == 0
    clash = run_cli(*base, "another-token")
    assert clash.returncode != 0
    assert clash.stdout == ""
    assert sid in clash.stderr
    assert served.status(sid, "the-first-token") == 200
    assert served.status(sid, "another-token") == 401


@pytest.mark.parametrize(
    "args",
    [
        ["--sid", "AC123", "--auth-token", "t"],
        ["--sid", "AC" + "A" * 32, "--auth-token", "t"],  # hex must be lowercase
        ["--sid", "SK" + "1" * 32, "--auth-token", "t"],
        ["--sid", "AC" + "4" * 32],  # a SID without its token
        ["--auth-token", "t"],
    ],
)
def test_accounts_create_rejects_bad_options_as_usage_error(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "senderpools.db"
    result = run_cli("accounts", "create", "--database-url", database_url(db), *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert not db.exists()  # refused before touching the database


def test_accounts_create_reads_database_url_from_environment(served: Served) -> None:
    result = run_cli("accounts", "create", env=clean_env(SENDERPOOLS_DATABASE_URL=served.url))
    created = _json_line(result)
    assert served.status(created["accountSid"], created["authToken"]) == 200


# -- keys ------------------------------------------------------------------------------------------
def test_keys_create_prints_a_key_that_authenticates_as_the_account(served: Served) -> None:
    account_sid, token = _new_account(served.url)
    key = _json_line(run_cli("keys", "create", "--account", account_sid, "--database-url", served.url))
    assert set(key) == {"sid", "secret"}
    assert API_KEY_SID.fullmatch(key["sid"])
    with served.server.client(account_sid, token) as owner:
        created = owner.post("/v1/SenderPools", json={"name": "seen-by-key"})
        assert created.status_code == 202, created.text
    with served.server.client(key["sid"], key["secret"]) as as_key:
        listed = as_key.get("/v1/SenderPools")
        assert listed.status_code == 200
        assert [p["name"] for p in listed.json()["senderPools"]] == ["seen-by-key"]
    assert served.status(key["sid"], key["secret"] + "x") == 401


def test_keys_create_for_unknown_account_exits_1(tmp_path: Path) -> None:
    result = run_cli("keys", "create", "--account", "AC" + "9" * 32, "--database-url", database_url(tmp_path / "db"))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "AC" + "9" * 32 in result.stderr


def test_keys_revoke_stops_the_key_authenticating(served: Served) -> None:
    account_sid, token = _new_account(served.url)
    key = _json_line(run_cli("keys", "create", "--account", account_sid, "--database-url", served.url))
    assert served.status(key["sid"], key["secret"]) == 200
    revoked = _json_line(run_cli("keys", "revoke", key["sid"], "--database-url", served.url))
    assert revoked == {"sid": key["sid"], "revoked": True}
    assert served.status(key["sid"], key["secret"]) == 401
    assert served.status(account_sid, token) == 200  # the account's own token is unaffected


def test_keys_revoke_twice_or_unknown_exits_1(served: Served) -> None:
    account_sid, _ = _new_account(served.url)
    key = _json_line(run_cli("keys", "create", "--account", account_sid, "--database-url", served.url))
    assert run_cli("keys", "revoke", key["sid"], "--database-url", served.url).returncode == 0
    again = run_cli("keys", "revoke", key["sid"], "--database-url", served.url)
    assert again.returncode == 1
    assert again.stdout == ""
    assert run_cli("keys", "revoke", "SK" + "0" * 32, "--database-url", served.url).returncode == 1


# -- serve -----------------------------------------------------------------------------------------
def test_serve_prints_bootstrap_account_on_first_start_only(tmp_path: Path) -> None:
    db = tmp_path / "senderpools.db"
    first = start_server(tmp_path / "logs", db)
    try:
        credentials = bootstrap_credentials(first.stdout)
        assert credentials is not None, first.describe()
        assert f"  export TWILIO_ACCOUNT_SID={credentials[0]}\n" in first.stdout  # lines to paste into a shell
        base = first.base_url
        assert f"serving {base} (console {base}/console, API docs {base}/docs), database {db} (new)" in first.stdout
        assert httpx.get(f"{first.base_url}/healthz").json() == {"status": "ok"}
        with first.client(*credentials) as client:
            assert client.get("/v1/SenderPools").status_code == 200
    finally:
        first.stop()
    assert first.popen.returncode == 0, first.describe()  # SIGTERM is a clean shutdown
    second = start_server(tmp_path / "logs", db)
    try:
        assert "TWILIO_AUTH_TOKEN" not in second.stdout
        assert bootstrap_credentials(second.stdout) is None
        assert f"database {db} (existing)" in second.stdout
        with second.client(*credentials) as client:
            assert client.get("/v1/SenderPools").status_code == 200  # the first account is still there
    finally:
        second.stop()


def test_the_access_log_is_off_by_default_and_never_shows_credentials(tmp_path: Path) -> None:
    for args, logged in (((), False), (("--access-log",), True)):
        with serving(tmp_path / "logs", tmp_path / f"{len(args)}.db", *args) as (server, (sid, token)):
            with server.client(sid, token) as client:
                assert client.get("/v1/SenderPools", params={"pageSize": 7}).status_code == 200
            server.stop()
            output = server.stdout + server.stderr
            assert ('"GET /v1/SenderPools' in output) is logged, output
            assert output.count(token) == 1  # in the first-start lines only: never in a logged request
            if logged:
                assert re.search(r'"GET /v1/SenderPools\S* HTTP/1.1" 200 ', output), output


def test_make_run_takes_the_port_from_port(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    dry = subprocess.run(["make", "-n", "-C", str(root), "run", "PORT=9123"], capture_output=True, text=True)
    assert "senderpools serve --host 127.0.0.1 --port 9123 " in dry.stdout, dry.stdout + dry.stderr
    default = subprocess.run(["make", "-n", "-C", str(root), "run"], capture_output=True, text=True).stdout
    assert "senderpools serve" in default and "--port" not in default  # then SENDERPOOLS_PORT, else 8080


def test_serve_prints_no_bootstrap_account_when_one_exists(tmp_path: Path) -> None:
    db = tmp_path / "senderpools.db"
    account_sid, token = _new_account(database_url(db))
    server = start_server(tmp_path / "logs", db)
    try:
        assert bootstrap_credentials(server.stdout) is None
        with server.client(account_sid, token) as client:
            assert client.get("/v1/SenderPools").status_code == 200
    finally:
        server.stop()


def test_serve_reads_database_url_and_port_from_environment(tmp_path: Path) -> None:
    db, port = tmp_path / "from-env.db", free_port()
    env = clean_env(SENDERPOOLS_DATABASE_URL=database_url(db), SENDERPOOLS_PORT=str(port))
    server = ServerProcess(tmp_path / "logs", port, env=env)  # no command-line options at all
    try:
        server.wait_healthy()
        credentials = bootstrap_credentials(server.stdout)
        assert credentials is not None, server.describe()
        with server.client(*credentials) as client:
            assert client.get("/v1/SenderPools").status_code == 200
        with open_readonly(db) as conn:
            assert conn.execute("SELECT sid FROM accounts").fetchall() == [(credentials[0],)]
    finally:
        server.stop()


def test_serve_public_url_prefixes_every_location(tmp_path: Path) -> None:
    server = start_server(
        tmp_path / "logs", tmp_path / "senderpools.db", env=clean_env(SENDERPOOLS_PUBLIC_URL="https://example.test")
    )
    try:
        credentials = bootstrap_credentials(server.stdout)
        assert credentials is not None, server.describe()
        with server.client(*credentials) as client:
            created = client.post("/v1/SenderPools", json={"name": "located"})
            assert created.status_code == 202, created.text
            operation_id = created.json()["operationId"]
            location = f"https://example.test/v1/SenderPools/Operations/{operation_id}"
            assert created.json()["operationLocation"] == location
            assert created.headers["Location"] == location
            pool_id = client.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"][0]["id"]

            sender = client.post("/v1/Senders", json={"address": "+14155550100", "channel": "SMS"})
            assert sender.headers["Location"].startswith("https://example.test/v1/Senders/")
            added = client.post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": sender.json()["id"]}])
            assert added.status_code == 202
            assert added.headers["Location"] == added.json()["operationLocation"]
            assert added.json()["operationLocation"].startswith(f"https://example.test/v1/SenderPools/{pool_id}/")

            patched = client.patch(f"/v1/SenderPools/{pool_id}", json={"name": "renamed"})
            assert patched.status_code == 202
            assert patched.json()["resourceLocation"] == f"https://example.test/v1/SenderPools/{pool_id}"
            assert patched.headers["Location"] == patched.json()["resourceLocation"]
    finally:
        server.stop()


# -- serve --no-worker + worker --------------------------------------------------------------------
def test_serve_without_worker_leaves_operations_to_a_worker_process(tmp_path: Path) -> None:
    db = tmp_path / "senderpools.db"
    server = start_server(tmp_path / "logs", db, "--no-worker")
    worker: Process | None = None
    try:
        credentials = bootstrap_credentials(server.stdout)
        assert credentials is not None, server.describe()
        with server.client(*credentials) as client:
            body = [{"address": f"+1415555{i:04d}", "channel": "SMS"} for i in range(3)]
            senders = [s["id"] for s in client.post("/v1/Senders", json=body).json()["senders"]]
            created = client.post("/v1/SenderPools", json={"senders": [{"senderId": s} for s in senders]})
            operation_id = created.json()["operationId"]

            deadline = time.monotonic() + 1.0  # the server alone never applies it, however long we look
            while time.monotonic() < deadline:
                pending = client.get(f"/v1/SenderPools/Operations/{operation_id}").json()
                assert pending["status"] == "PROCESSING"
                assert pending["stats"] == {"total": 4, "queued": 3, "created": 1, "failed": 0}
                time.sleep(0.1)

            worker = Process(["worker", "--database-url", database_url(db)], tmp_path / "logs")
            done = wait_operation(client, operation_id, timeout=30)
            assert done["status"] == "COMPLETED"
            assert done["stats"] == {"total": 4, "queued": 0, "created": 4, "failed": 0}
            pool_id = client.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"][0]["id"]
            members = walk(client, f"/v1/SenderPools/{pool_id}/Senders", "senders")
            assert [m["id"] for m in members] == senders
    finally:
        server.stop()
        if worker is not None:
            worker.stop()
    assert worker.popen.returncode == 0, worker.describe()  # SIGTERM stops the worker cleanly
