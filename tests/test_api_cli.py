"""The ``senderpools pools|senders|operations`` commands against a real server process (granian on loopback)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from senderpools.cli import app
from senderpools.client import Client
from tests.procs import ServerProcess, bootstrap_credentials, clean_env, database_url, run_cli, start_server

runner = CliRunner()


@dataclass(frozen=True)
class Login:
    base_url: str
    sid: str
    token: str

    def env(self) -> dict[str, str | None]:
        return {
            "SENDERPOOLS_BASE_URL": self.base_url,
            "TWILIO_ACCOUNT_SID": self.sid,
            "TWILIO_AUTH_TOKEN": self.token,
            "TWILIO_API_KEY": None,
            "TWILIO_API_SECRET": None,
            "COLUMNS": "220",
        }

    def sdk(self) -> Client:
        return Client(self.sid, self.token, base_url=self.base_url)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Path]]:
    directory = tmp_path_factory.mktemp("api-cli")
    db = directory / "senderpools.db"
    process = start_server(directory / "logs", db)
    try:
        assert bootstrap_credentials(process.stdout) is not None, process.describe()
        yield process, db
    finally:
        process.stop()


@pytest.fixture
def login(served: tuple[ServerProcess, Path]) -> Login:
    """A fresh account on the running server."""
    process, db = served
    result = runner.invoke(app, ["accounts", "create", "--database-url", database_url(db)])
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    return Login(process.base_url, created["accountSid"], created["authToken"])


def sp(login: Login, *args: str, **env: str | None) -> Result:
    """Run ``senderpools ARGS`` in-process as ``login``."""
    return runner.invoke(app, list(args), env={**login.env(), **env})


def sp_json(login: Login, *args: str) -> Any:
    result = sp(login, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def phone(i: int) -> str:
    return f"+1415{i:07d}"


def register(login: Login, tmp_path: Path, count: int) -> list[dict[str, Any]]:
    """Import ``count`` SMS senders through the CLI; returns them as listed."""
    source = write_csv(tmp_path / "inventory.csv", ["address", "channel"], [[phone(i), "SMS"] for i in range(count)])
    result = sp(login, "senders", "import", str(source))
    assert result.exit_code == 0, result.output
    senders: list[dict[str, Any]] = sp_json(login, "senders", "list")
    return senders


# -- senders import --------------------------------------------------------------------------------------
def test_import_of_10000_rows_registers_in_chunks_with_progress_and_writes_failed_rows(
    login: Login, tmp_path: Path
) -> None:
    rows = [[phone(i), "SMS", f"Sender {i}", f"batch=b{i // 1000};kind=test"] for i in range(10_000)]
    rows[1500][0] = phone(10)  # repeats a row of an earlier chunk: skipped, never sent
    rows[2600][0] = phone(2599)  # repeats a row of the same chunk: skipped too
    rows[7000][0] = "not-a-phone"  # invalid: never sent
    source = write_csv(tmp_path / "big.csv", ["address", "channel", "displayName", "tags"], rows)
    env = clean_env(TWILIO_ACCOUNT_SID=login.sid, TWILIO_AUTH_TOKEN=login.token, COLUMNS="160")
    done = run_cli("senders", "import", str(source), "--base-url", login.base_url, env=env, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Registering senders" in done.stderr and "10000/10000" in done.stderr
    failed_file = tmp_path / "big.failed-import.csv"
    assert f"9997 created, 2 skipped (repeated row), 1 failed (written to {failed_file})" in done.stdout
    failed = read_csv(failed_file)
    assert [(r["address"], r["line"]) for r in failed] == [("not-a-phone", "7002")]
    assert "E.164" in failed[0]["error"]
    with login.sdk() as client:
        senders = list(client.senders.list(page_size=1000))
    assert len(senders) == 9997
    assert senders[0].display_name == "Sender 0" and senders[0].tags == {"batch": "b0", "kind": "test"}


def test_import_of_a_clean_file_exits_0_with_a_json_summary(login: Login, tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "few.csv",
        ["address", "channel", "displayName", "tags"],
        [["+14155550100", "SMS", "Main", "team=care"], ["ops@example.com", "email", "", ""], ["tok-1", "PUSH", "", ""]],
    )
    summary = sp_json(login, "senders", "import", str(source))
    assert summary == {"total": 3, "created": 3, "skipped": 0, "failed": 0, "failedFile": None}
    listed = sp_json(login, "senders", "list")
    assert [(s["address"], s["channel"], s["displayName"], s["tags"]) for s in listed] == [
        ("+14155550100", "SMS", "Main", {"team": "care"}),
        ("ops@example.com", "EMAIL", None, {}),
        ("tok-1", "PUSH", None, {}),
    ]


def test_a_rerun_with_skip_existing_skips_what_is_registered_and_keeps_earlier_failure_files(
    login: Login, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "again.csv", ["address", "channel"], [[phone(i), "SMS"] for i in range(30)])
    assert sp_json(login, "senders", "import", str(source))["created"] == 30
    rerun = sp(login, "senders", "import", str(source))  # without the flag every row fails: all exist
    assert rerun.exit_code == 1
    assert "0 created, 30 failed" in rerun.stdout
    first_failures = tmp_path / "again.failed-import.csv"
    assert len(read_csv(first_failures)) == 30
    again = sp(login, "senders", "import", str(source))
    assert "again.failed-import.2.csv" in again.stdout  # the first failures file is kept
    assert len(read_csv(first_failures)) == 30 and len(read_csv(tmp_path / "again.failed-import.2.csv")) == 30
    skipping = write_csv(
        tmp_path / "more.csv", ["address", "channel"], [[phone(i), "SMS"] for i in range(25, 40)]
    )  # 25-29 registered already, 30-39 new
    result = sp(login, "senders", "import", str(skipping), "--skip-existing")
    assert result.exit_code == 0, result.output
    assert "10 created, 5 skipped (already registered), 0 failed." in result.stdout
    assert len(sp_json(login, "senders", "list")) == 40


def test_import_needs_address_and_channel_columns(login: Login, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "bad.csv", ["address"], [["+14155550100"]])
    result = sp(login, "senders", "import", str(source))
    assert result.exit_code == 2
    assert "channel" in result.output


# -- pools -----------------------------------------------------------------------------------------------
def test_pools_add_from_csv_adds_members_with_progress_and_reports_unknown_rows(login: Login, tmp_path: Path) -> None:
    register(login, tmp_path, 50)
    pool = sp_json(login, "pools", "create", "--name", "campaign")["pool"]
    rows = [[phone(i), "SMS"] for i in range(52)]  # the last two were never registered
    source = write_csv(tmp_path / "members.csv", ["address", "channel"], rows)
    result = sp(login, "pools", "add", pool["id"], "--from-csv", str(source), "--chunk-size", "20")
    assert result.exit_code == 1, result.output
    assert "Adding senders" in result.stderr and "50/50" in result.stderr and "created 50, failed 0" in result.stderr
    assert f"Added to {pool['id']}: 50 created, 2 failed" in result.stdout
    failed = read_csv(tmp_path / "members.failed-add.csv")
    assert [r["address"] for r in failed] == [phone(50), phone(51)]
    assert all("no SMS sender with this address" in r["error"] for r in failed)
    members = sp_json(login, "pools", "members", pool["id"])
    assert [m["address"] for m in members] == [phone(i) for i in range(50)]
    assert len(sp_json(login, "operations", "list")) == 1 + 3  # the Create, then one Add per chunk of 20


def test_pools_add_counts_a_repeated_row_once(login: Login, tmp_path: Path) -> None:
    register(login, tmp_path, 5)
    pool = sp_json(login, "pools", "create", "--name", "dupes")["pool"]
    rows = [[phone(i), "SMS"] for i in range(5)] + [[phone(2), "SMS"]]  # line 7 repeats line 4
    source = write_csv(tmp_path / "dupes.csv", ["address", "channel"], rows)
    result = sp(login, "pools", "add", pool["id"], "--from-csv", str(source))
    assert result.exit_code == 0, result.output
    assert f"Added to {pool['id']}: 5 created, 1 skipped (repeated row), 0 failed." in result.stdout
    assert len(sp_json(login, "pools", "members", pool["id"])) == 5


def test_pools_add_by_sender_id_exits_0(login: Login, tmp_path: Path) -> None:
    senders = register(login, tmp_path, 3)
    pool = sp_json(login, "pools", "create")["pool"]
    result = sp(login, "pools", "add", pool["id"], senders[0]["id"], senders[2]["id"])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 failed" in result.stdout
    assert [m["id"] for m in sp_json(login, "pools", "members", pool["id"])] == [senders[0]["id"], senders[2]["id"]]


def test_pool_lifecycle_create_list_show_update_delete(login: Login, tmp_path: Path) -> None:
    senders = register(login, tmp_path, 2)
    created = sp_json(login, "pools", "create", "--name", "first", "--tag", "env=prod", "--sender", senders[0]["id"])
    pool, operation = created["pool"], created["operation"]
    assert (pool["name"], pool["tags"]) == ("first", {"env": "prod"})
    assert (operation["status"], operation["stats"]) == (
        "COMPLETED",
        {"total": 2, "queued": 0, "created": 2, "failed": 0},
    )
    assert [p["id"] for p in sp_json(login, "pools", "list")] == [pool["id"]]
    assert [p["id"] for p in sp_json(login, "pools", "list", "--operation-id", operation["id"])] == [pool["id"]]
    shown = sp_json(login, "pools", "show", pool["id"])
    assert shown["pool"] == pool
    assert (shown["summary"]["senderCount"], shown["summary"]["byChannel"]["SMS"]) == (1, 1)
    updated = sp_json(login, "pools", "update", pool["id"], "--name", "second", "--tag", "a=1", "--tag", "b=2")
    assert (updated["name"], updated["tags"]) == ("second", {"a": "1", "b": "2"})
    assert sp_json(login, "pools", "update", pool["id"], "--clear-tags")["tags"] == {}
    assert sp_json(login, "pools", "delete", pool["id"])["resourceId"] == pool["id"]
    assert sp(login, "pools", "show", pool["id"]).exit_code == 1


def test_pools_members_filters_and_remove(login: Login, tmp_path: Path) -> None:
    senders = register(login, tmp_path, 3)
    pool = sp_json(login, "pools", "create", *(a for s in senders for a in ("--sender", s["id"])))["pool"]
    assert len(sp_json(login, "pools", "members", pool["id"], "--limit", "2")) == 2
    assert sp_json(login, "pools", "members", pool["id"], "--channel", "EMAIL") == []
    removed = sp(login, "pools", "remove", pool["id"], senders[1]["id"])
    assert removed.exit_code == 0 and f"Removed {senders[1]['id']}" in removed.stdout
    assert [m["id"] for m in sp_json(login, "pools", "members", pool["id"])] == [senders[0]["id"], senders[2]["id"]]
    assert sp(login, "pools", "remove", pool["id"], senders[1]["id"]).exit_code == 1


def test_pools_show_prints_the_summary(login: Login, tmp_path: Path) -> None:
    senders = register(login, tmp_path, 3)
    pool = sp_json(login, "pools", "create", "--name", "sized", *(a for s in senders for a in ("--sender", s["id"])))
    shown = sp(login, "pools", "show", pool["pool"]["id"])
    assert shown.exit_code == 0, shown.output
    assert "SenderPoolSummary" in shown.stdout and "senderCount" in shown.stdout and "SMS=3" in shown.stdout


def test_pools_list_searches_by_name_and_tag_newest_first(login: Login) -> None:
    made = [
        sp_json(login, "pools", "create", "--name", name, "--tag", tag)["pool"]["id"]
        for name, tag in (("Alpha", "team=a"), ("beta", "team=b"), ("alpha 2", "team=a"))
    ]
    assert [p["name"] for p in sp_json(login, "pools", "list", "--name-prefix", "ALP")] == ["Alpha", "alpha 2"]
    assert [p["id"] for p in sp_json(login, "pools", "list", "--tag", "team=a")] == [made[0], made[2]]
    assert [p["id"] for p in sp_json(login, "pools", "list", "--tag", "team:a", "--newest")] == [made[2], made[0]]
    assert [p["id"] for p in sp_json(login, "pools", "list", "--newest", "--limit", "2")] == made[:0:-1]
    assert sp(login, "pools", "list", "--tag", "team").exit_code == 2
    table = sp(login, "operations", "list", "--type", "CREATE", "--pool", made[1])
    assert table.exit_code == 0 and "CREATE" in table.stdout and made[1] in table.stdout


def test_pools_remove_from_csv_in_operations_and_reports_unknown_rows(login: Login, tmp_path: Path) -> None:
    senders = register(login, tmp_path, 30)
    pool = sp_json(login, "pools", "create", *(a for s in senders for a in ("--sender", s["id"])))["pool"]
    rows = [[s["id"]] for s in senders[:25]] + [["comms_sender_" + "0" * 26], ["not-an-id"]]
    source = write_csv(tmp_path / "leaving.csv", ["senderId"], rows)
    result = sp(login, "pools", "remove", pool["id"], "--from-csv", str(source), "--chunk-size", "10")
    assert result.exit_code == 1, result.output
    assert "Removing senders" in result.stderr and "26/26" in result.stderr and "removed 25, failed 1" in result.stderr
    assert f"Removed from {pool['id']}: 25 removed, 2 failed" in result.stdout
    failed = read_csv(tmp_path / "leaving.failed-remove.csv")
    assert [(r["senderId"], r["error"].split(":")[0]) for r in failed] == [
        ("comms_sender_" + "0" * 26, "not removed"),
        ("not-an-id", "not a sender ID (comms_sender_...)"),
    ]
    assert [m["id"] for m in sp_json(login, "pools", "members", pool["id"])] == [s["id"] for s in senders[25:]]
    types = [o["type"] for o in sp_json(login, "operations", "list", "--pool", pool["id"])]
    assert types == ["CREATE", "REMOVE_SENDERS", "REMOVE_SENDERS", "REMOVE_SENDERS"]
    many = sp(login, "pools", "remove", pool["id"], senders[25]["id"], senders[26]["id"])
    assert many.exit_code == 0 and "2 removed, 0 failed" in many.stdout
    assert sp_json(login, "pools", "show", pool["id"])["summary"]["senderCount"] == 3


def test_pools_protect_and_unprotect(login: Login) -> None:
    pool = sp_json(login, "pools", "create", "--name", "prod", "--protect")["pool"]
    assert pool["deletionProtection"] is True
    refused = sp(login, "pools", "delete", pool["id"])
    assert refused.exit_code == 1 and "deletionProtection" in refused.stderr
    assert sp_json(login, "pools", "unprotect", pool["id"])["deletionProtection"] is False
    assert sp_json(login, "pools", "protect", pool["id"])["deletionProtection"] is True
    assert sp(login, "pools", "delete", pool["id"]).exit_code == 1
    assert sp_json(login, "pools", "unprotect", pool["id"])["deletionProtection"] is False
    assert sp(login, "pools", "delete", pool["id"]).exit_code == 0


# -- operations ------------------------------------------------------------------------------------------
def test_create_without_wait_then_operations_list_show_wait(login: Login, tmp_path: Path) -> None:
    senders = register(login, tmp_path, 2)
    reference = sp_json(
        login, "pools", "create", "--no-wait", "--sender", senders[0]["id"], "--sender", senders[1]["id"]
    )
    operation_id = reference["operationId"]
    assert reference["operationLocation"].endswith(f"/v1/SenderPools/Operations/{operation_id}")
    waited = sp(login, "operations", "wait", operation_id)
    assert waited.exit_code == 0, waited.output
    assert "Operation" in waited.stderr and "3/3" in waited.stderr
    assert "COMPLETED" in waited.stdout
    shown = sp_json(login, "operations", "show", operation_id)
    assert (shown["id"], shown["status"], shown["stats"]["created"]) == (operation_id, "COMPLETED", 3)
    assert [o["id"] for o in sp_json(login, "operations", "list", "--status", "COMPLETED")] == [operation_id]
    assert sp_json(login, "operations", "list", "--status", "PROCESSING") == []


# -- senders ---------------------------------------------------------------------------------------------
def test_senders_show_update_search_and_delete(login: Login, tmp_path: Path) -> None:
    sender = register(login, tmp_path, 2)[0]
    assert sp_json(login, "senders", "show", sender["id"]) == sender
    updated = sp_json(
        login, "senders", "update", sender["id"], "--display-name", "Main", "--status", "DEACTIVATED", "--tag", "x=y"
    )
    assert (updated["displayName"], updated["status"], updated["tags"]) == ("Main", "DEACTIVATED", {"x": "y"})
    cleared = sp_json(login, "senders", "update", sender["id"], "--clear-display-name", "--clear-tags")
    assert (cleared["displayName"], cleared["tags"]) == (None, {})
    found = sp_json(login, "senders", "list", "--address", sender["address"], "--channel", "PHONE")
    assert [s["id"] for s in found] == [sender["id"]]
    assert [s["status"] for s in sp_json(login, "senders", "list", "--status", "DEACTIVATED")] == ["DEACTIVATED"]
    assert sp_json(login, "senders", "delete", sender["id"]) == {"deleted": sender["id"]}
    assert sp(login, "senders", "show", sender["id"]).exit_code == 1


def test_senders_resolve_shows_a_candidate_per_recipient(login: Login, tmp_path: Path) -> None:
    senders = register(login, tmp_path, 1)
    resolved = sp_json(login, "senders", "resolve", "+14155559999", "EMAIL:bob@example.com")
    assert [(r["to"], r["from"]["senderId"], r["priority"]) for r in resolved["results"]] == [
        ({"address": "+14155559999", "channel": "PHONE"}, senders[0]["id"], 1)
    ]
    table = sp(login, "senders", "resolve", "SMS:+14155559999")
    assert table.exit_code == 0 and senders[0]["id"] in table.stdout and "SMS:+14155559999" in table.stdout


def test_senders_resolve_explains_and_sticky_senders_are_listed_and_cleared(login: Login, tmp_path: Path) -> None:
    (sender,) = register(login, tmp_path, 1)
    updated = sp_json(login, "senders", "update", sender["id"], "--weight", "3", "--health", "DEGRADED")
    assert updated["id"] == sender["id"]
    options = ["--geo-match", "--stickiness", "ACCOUNT", "--skip-unhealthy", "--explain"]
    dry = sp_json(login, "senders", "resolve", "SMS:+14155559999", *options, "--dry-run")
    assert [r["reasons"][-1]["code"] for r in dry["results"]] == ["STICKY_DRY_RUN"]
    assert dry["recipients"][0]["candidates"] == 1
    assert sp_json(login, "senders", "sticky", "+14155559999") == {"mappings": []}
    table = sp(login, "senders", "resolve", "SMS:+14155559999", *options)
    assert table.exit_code == 0 and "Why" in table.stdout and "STICKY_CREATED" in table.stdout
    (mapping,) = sp_json(login, "senders", "sticky", "+14155559999")["mappings"]
    assert (mapping["senderId"], mapping["scope"], mapping["expiresAt"]) == (sender["id"], "ACCOUNT", None)
    assert "1 sticky sender(s)" in sp(login, "senders", "sticky", "+14155559999").stdout
    assert sp_json(login, "senders", "sticky", "+14155559999", "--clear") == {"deleted": 1}
    plain = sp_json(login, "senders", "resolve", "SMS:+14155559999")
    assert list(plain) == ["results"] and "reasons" not in plain["results"][0]


# -- output, errors and exit codes -----------------------------------------------------------------------
def test_tables_are_the_default_output(login: Login, tmp_path: Path) -> None:
    sender = register(login, tmp_path, 1)[0]
    sp_json(login, "pools", "create", "--name", "visible-pool")
    listed = sp(login, "pools", "list")
    assert listed.exit_code == 0
    assert "1 sender pool(s)" in listed.stdout and "Name" in listed.stdout and "visible-pool" in listed.stdout
    shown = sp(login, "senders", "show", sender["id"])
    assert "displayName" in shown.stdout and sender["address"] in shown.stdout


def test_api_errors_exit_1_with_the_error_envelope(login: Login) -> None:
    missing = "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"
    result = sp(login, "pools", "show", missing)
    assert result.exit_code == 1
    assert "HTTP 404" in result.stderr and "20404" in result.stderr
    as_json = sp(login, "pools", "show", missing, "--json")
    assert as_json.exit_code == 1 and as_json.stdout == ""
    assert json.loads(as_json.stderr)["errors"][0]["code"] == 20404
    invalid = sp(login, "pools", "list", "--start-date", "yesterday")
    assert invalid.exit_code == 1 and "$.startDate" in invalid.stderr
    wrong = sp(login, "pools", "list", TWILIO_AUTH_TOKEN="wrong")
    assert wrong.exit_code == 1 and "20003" in wrong.stderr


def test_usage_errors_exit_2(login: Login) -> None:
    assert sp(login, "pools", "show").exit_code == 2  # missing argument
    assert sp(login, "pools", "create", "--tag", "no-equals-sign").exit_code == 2
    assert sp(login, "pools", "update", "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8").exit_code == 2
    assert sp(login, "senders", "list", "--address", "+14155550100").exit_code == 2  # --address needs --channel
    assert sp(login, "operations", "list", "--status", "DONE").exit_code == 2
    no_credentials = sp(login, "pools", "list", TWILIO_ACCOUNT_SID=None, TWILIO_AUTH_TOKEN=None)
    assert no_credentials.exit_code == 2 and "no credentials" in no_credentials.stderr


def test_account_flags_beat_an_api_key_in_the_environment(login: Login) -> None:
    result = runner.invoke(
        app,
        [
            "pools",
            "list",
            "--json",
            "--base-url",
            login.base_url,
            "--account-sid",
            login.sid,
            "--auth-token",
            login.token,
        ],
        env={
            "SENDERPOOLS_BASE_URL": None,
            "TWILIO_ACCOUNT_SID": None,
            "TWILIO_AUTH_TOKEN": None,
            "TWILIO_API_KEY": "SK" + "0" * 32,
            "TWILIO_API_SECRET": "not-the-secret",
        },
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_an_api_key_from_the_environment_authenticates(served: tuple[ServerProcess, Path], login: Login) -> None:
    made = runner.invoke(app, ["keys", "create", "--account", login.sid, "--database-url", database_url(served[1])])
    assert made.exit_code == 0, made.output
    key = json.loads(made.stdout)
    result = sp(
        login,
        "pools",
        "list",
        "--json",
        TWILIO_ACCOUNT_SID=None,
        TWILIO_AUTH_TOKEN=None,
        TWILIO_API_KEY=key["sid"],
        TWILIO_API_SECRET=key["secret"],
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("columns", ["80", "120"])
def test_ids_never_wrap_in_tables(login: Login, tmp_path: Path, columns: str) -> None:
    senders = register(login, tmp_path, 2)
    pool = sp_json(login, "pools", "create", "--name", "a name long enough to need folding " * 3)["pool"]
    listed = sp(login, "pools", "list", COLUMNS=columns)
    members = sp(login, "senders", "list", COLUMNS=columns)
    shown = sp(login, "pools", "show", pool["id"], COLUMNS=columns)
    assert listed.exit_code == members.exit_code == shown.exit_code == 0
    assert pool["id"] in listed.stdout and pool["id"] in shown.stdout  # whole, on one line
    assert all(s["id"] in members.stdout for s in senders)


# -- events ------------------------------------------------------------------------------------------------
def test_events_list_shows_the_log_filtered(login: Login, tmp_path: Path) -> None:
    senders = register(login, tmp_path, 2)
    listed = sp_json(login, "events", "list", "--type", "io.senderpools.sender.registered")
    assert [e["resourceId"] for e in listed] == [s["id"] for s in senders]
    assert all(e["actor"] == login.sid and e["accountSid"] == login.sid for e in listed)
    one = sp_json(login, "events", "list", "--resource", senders[1]["id"], "--newest", "--limit", "1")
    assert [e["id"] for e in one] == [listed[1]["id"]]
    table = sp(login, "events", "list", "--type", "io.senderpools.sender.registered")
    assert table.exit_code == 0, table.output
    assert "2 event(s)" in table.stdout and senders[0]["id"] in table.stdout
    bad = sp(login, "events", "list", "--type", "nope")
    assert bad.exit_code == 2


def test_events_listen_prints_new_events_and_forwards_them_signed(login: Login) -> None:
    import base64
    import threading
    import time

    import standardwebhooks

    from tests.webhook_receiver import receiving

    secret = "whsec_" + base64.b64encode(b"listen-test-secret-24byte").decode()
    outcome: dict[str, Result] = {}
    with receiving() as receiver:
        args = (
            "events",
            "listen",
            "--forward-to",
            receiver.url,
            "--secret",
            secret,
            "--limit",
            "2",
            "--interval",
            "0.1",
        )
        listener = threading.Thread(target=lambda: outcome.setdefault("result", sp(login, *args)))
        listener.start()
        registered: list[str] = []
        with login.sdk() as client:
            deadline = time.monotonic() + 30
            while listener.is_alive() and time.monotonic() < deadline:  # events made before it listens are skipped
                registered.append(client.senders.create(phone(9000 + len(registered)), "SMS").id)
                listener.join(0.3)
        got = receiver.wait_for(2)
    result = outcome["result"]
    assert result.exit_code == 0, result.output
    verifier = standardwebhooks.Webhook(secret)
    forwarded = [verifier.verify(r.body.decode(), r.headers) for r in got]
    assert [e["type"] for e in forwarded] == ["io.senderpools.sender.registered"] * 2
    subjects = [e["subject"] for e in forwarded]
    start = registered.index(subjects[0])
    assert subjects == registered[start : start + 2]  # new events, in order
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and all("-> 200" in line for line in lines)
    assert [e["subject"] for e in forwarded] == [line.split()[2] for line in lines]


def test_events_listen_prints_each_event_once_also_when_commits_come_out_of_order() -> None:
    """Concurrent writers commit events out of ID order: an event may be listed after a later-numbered
    one. The listener's tail looks back a settle window and remembers the IDs seen there."""
    from senderpools.cli.remote.events import Tail
    from senderpools.wire.fields import EventType
    from senderpools.wire.resources import Event

    def event(n: int, second: int) -> Event:
        return Event(
            id=f"event_{n:026d}",
            type=EventType.SENDER_REGISTERED,
            time=f"2026-12-01T10:00:{second:02d}.000Z",
            account_sid="AC" + "0" * 32,
            actor="AC" + "0" * 32,
            resource_id=None,
            data={},
        )

    tail = Tail()
    assert tail.start() is None
    assert [e.id for e in tail.new([event(1, 0), event(3, 2)])] == [event(1, 0).id, event(3, 2).id]
    start = tail.start()
    assert start is not None and start.isoformat() == "2026-12-01T09:59:57+00:00"  # 5 s before the newest
    # The next look lists the window again: event 2 (numbered before 3, committed after it) is new.
    assert [e.id for e in tail.new([event(1, 0), event(2, 1), event(3, 2)])] == [event(2, 1).id]
    assert tail.new([event(2, 1), event(3, 2)]) == []
    assert [e.id for e in tail.new([event(4, 30)])] == [event(4, 30).id]
    # Long past the window: forgotten (a look never starts that far back).
    assert tail.new([event(1, 0)]) == [event(1, 0)]
