"""``senderpools plan|apply|export`` against a live server (granian on loopback) on SQLite and PostgreSQL:
the diff, exit codes, drift, --prune, --register-missing, ambiguous names, interrupted applies, and
that only the Comms API's own endpoints are used."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import yaml
from jsonschema import Draft202012Validator
from rich.progress import Progress
from typer.testing import CliRunner, Result

from senderpools.cli import app
from senderpools.cli.remote import poolfile, reconcile
from senderpools.cli.remote.execute import Execution
from senderpools.client import Client, NewSender, Sender, SenderPoolsError
from senderpools.config import Settings
from senderpools.pytest_plugin import LiveServer, Senderpools
from senderpools.wire import endpoints
from senderpools.wire.fields import Channel

runner = CliRunner()


@pytest.fixture
def live(settings: Settings) -> Iterator[Senderpools]:
    """senderpools with test controls on a fresh database of the backend under test, and an account."""
    with LiveServer(msgspec.structs.replace(settings, test_controls=True)) as server:
        sid, token = server.create_account()
        key, secret = server.create_api_key(sid)
        yield Senderpools(server.base_url, sid, token, key, secret)


@pytest.fixture
def sdk(live: Senderpools) -> Iterator[Client]:
    with live.client() as client:
        yield client


def sp(live: Senderpools, *args: str, input: str | None = None) -> Result:
    """Run ``senderpools ARGS`` in this process against the live server."""
    env = {
        "SENDERPOOLS_BASE_URL": live.base_url,
        "TWILIO_ACCOUNT_SID": live.account_sid,
        "TWILIO_AUTH_TOKEN": live.auth_token,
        "TWILIO_API_KEY": None,
        "TWILIO_API_SECRET": None,
        "COLUMNS": "200",
    }
    return runner.invoke(app, list(args), env=env, input=input)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def phone(i: int) -> str:
    return f"+1415{i:07d}"


def register(client: Client, numbers: range) -> list[Sender]:
    senders: list[Sender] = []
    for start in range(numbers.start, numbers.stop, 1000):
        batch = [NewSender(address=phone(i), channel="SMS") for i in range(start, min(start + 1000, numbers.stop))]
        senders += client.senders.create_many(batch)
    return senders


def state(client: Client) -> dict[str, tuple[dict[str, str], set[str]]]:
    """Every pool by name: its tags and its members' addresses (names must be unique here)."""
    pools = list(client.sender_pools.list(page_size=1000))
    assert len({p.name for p in pools}) == len(pools), [p.name for p in pools]
    return {
        p.name: (p.tags, {s.address for s in client.sender_pools.list_senders(p.id, page_size=1000)}) for p in pools
    }


def members_yaml(numbers: range, indent: str = "      ") -> str:
    return "".join(f'{indent}- {{channel: SMS, address: "{phone(i)}"}}\n' for i in numbers)


def pool_id(client: Client, name: str) -> str:
    (pool,) = [p for p in client.sender_pools.list() if p.name == name]
    return pool.id


# -- plan and apply --------------------------------------------------------------------------------------
def test_plan_shows_the_diff_apply_makes_it_and_a_second_apply_is_a_no_op(
    live: Senderpools, sdk: Client, tmp_path: Path
) -> None:
    senders = register(sdk, range(0, 5))
    sdk.sender_pools.create("sales", tags={"env": "prod"}, senders=[senders[0], senders[1]], wait=True)
    pools = write(
        tmp_path / "pools.yaml",
        f"""\
# yaml-language-server: $schema=pools.schema.json
pools:
  - name: support
    tags: {{team: care}}
    senders:
      - {{channel: SMS, address: "{phone(0)}"}}
      - {{senderId: {senders[2].id}}}
  - name: sales
    tags: {{env: staging}}
    senders:
{members_yaml(range(0, 4))}""",
    )
    planned = sp(live, "plan", "-f", str(pools))
    assert planned.exit_code == 2, planned.output
    out = planned.stdout
    assert "+ support  (new pool)\n    tags: team=care\n    + 2 members\n" in out
    assert f"      + {senders[0].id} (SMS {phone(0)})\n" in out
    assert "~ sales  comms_senderpool_" in out
    assert "    tags: env=prod -> env=staging\n    + 2 members\n" in out
    assert "    members: 2 -> 4\n" in out
    assert "Plan: 1 pool(s) to create, 1 to update; 4 member(s) to add, 0 to remove." in out

    as_json = sp(live, "plan", "-f", str(pools), "--json")
    assert as_json.exit_code == 2
    plan = msgspec.json.decode(as_json.stdout, type=reconcile.Plan)
    assert [(p.name, p.action, len(p.add)) for p in plan.pools] == [("support", "create", 2), ("sales", "update", 2)]

    applied = sp(live, "apply", "-f", str(pools), "--yes")
    assert applied.exit_code == 0, applied.output
    assert "Applied: 1 pool(s) created, 1 retagged; 4 member(s) added, 0 removed" in applied.stdout
    assert "Adding members" in applied.stderr and "4/4" in applied.stderr
    assert state(sdk) == {
        "support": ({"team": "care"}, {phone(0), phone(2)}),
        "sales": ({"env": "staging"}, {phone(i) for i in range(4)}),
    }

    before = ([o.id for o in sdk.sender_pools.list_operations()], list(sdk.sender_pools.list()))
    again = sp(live, "plan", "-f", str(pools))
    assert again.exit_code == 0, again.output
    assert "No changes: the server matches the file." in again.stdout
    second = sp(live, "apply", "-f", str(pools))  # no --yes: nothing to ask
    assert second.exit_code == 0, second.output
    assert "No changes" in second.stdout
    assert ([o.id for o in sdk.sender_pools.list_operations()], list(sdk.sender_pools.list())) == before


def test_drift_is_planned_and_repaired_and_only_prune_removes(live: Senderpools, sdk: Client, tmp_path: Path) -> None:
    register(sdk, range(0, 6))
    pools = write(
        tmp_path / "pools.yaml",
        f"pools:\n  - name: support\n    tags: {{team: care}}\n    senders:\n{members_yaml(range(0, 3))}",
    )
    assert sp(live, "apply", "-f", str(pools), "--yes").exit_code == 0
    support = pool_id(sdk, "support")
    by_address = {s.address: s.id for s in sdk.senders.list()}
    # Someone changes the pool behind the file's back: new tags, a member gone, two extra members.
    sdk.sender_pools.update(support, tags={"team": "other"})
    sdk.sender_pools.remove_sender(support, by_address[phone(1)])
    sdk.sender_pools.add_senders(support, [by_address[phone(4)], by_address[phone(5)]], wait=True)

    drift = sp(live, "plan", "-f", str(pools))
    assert drift.exit_code == 2, drift.output
    assert "    tags: team=other -> team=care\n" in drift.stdout
    assert f"      + {by_address[phone(1)]} (SMS {phone(1)})\n" in drift.stdout
    assert "    2 members not in the file stay (--prune removes them)\n" in drift.stdout

    repaired = sp(live, "apply", "-f", str(pools), "--yes")
    assert repaired.exit_code == 0, repaired.output
    assert state(sdk) == {"support": ({"team": "care"}, {phone(i) for i in (0, 1, 2, 4, 5)})}

    pruning = sp(live, "plan", "-f", str(pools), "--prune")
    assert pruning.exit_code == 2
    assert "    - 2 members\n" in pruning.stdout and "    members: 5 -> 3\n" in pruning.stdout
    assert f"      - {by_address[phone(4)]} (SMS {phone(4)})\n" in pruning.stdout
    pruned = sp(live, "apply", "-f", str(pools), "--prune", "--yes")
    assert pruned.exit_code == 0, pruned.output
    assert "0 member(s) added, 2 removed" in pruned.stdout
    assert state(sdk) == {"support": ({"team": "care"}, {phone(i) for i in range(3)})}
    assert sp(live, "plan", "-f", str(pools), "--prune").exit_code == 0


def test_a_pool_without_senders_or_tags_in_the_file_keeps_them_even_with_prune(
    live: Senderpools, sdk: Client, tmp_path: Path
) -> None:
    senders = register(sdk, range(0, 2))
    sdk.sender_pools.create("ops", tags={"a": "b"}, senders=senders, wait=True)
    pools = write(tmp_path / "pools.yaml", "pools:\n  - name: ops\n  - name: empty\n    senders: []\n")
    result = sp(live, "apply", "-f", str(pools), "--prune", "--yes")
    assert result.exit_code == 0, result.output
    assert state(sdk) == {"ops": ({"a": "b"}, {phone(0), phone(1)}), "empty": ({}, set())}


def test_apply_asks_first(live: Senderpools, sdk: Client, tmp_path: Path) -> None:
    pools = write(tmp_path / "pools.yaml", "pools:\n  - name: asked\n")
    declined = sp(live, "apply", "-f", str(pools), input="n\n")
    assert declined.exit_code == 1
    assert "Apply these changes? [y/N]" in declined.stderr and "nothing was changed" in declined.stderr
    closed = sp(live, "apply", "-f", str(pools))  # no answer at all (stdin closed): no
    assert closed.exit_code == 1
    assert list(sdk.sender_pools.list()) == []
    accepted = sp(live, "apply", "-f", str(pools), input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert [p.name for p in sdk.sender_pools.list()] == ["asked"]


def test_register_missing_registers_addresses_the_account_lacks(live: Senderpools, sdk: Client, tmp_path: Path) -> None:
    register(sdk, range(0, 1))
    pools = write(
        tmp_path / "pools.yaml",
        "pools:\n  - name: support\n    senders:\n"
        + members_yaml(range(0, 3))
        + '      - {channel: EMAIL, address: "care@example.com"}\n',
    )
    refused = sp(live, "plan", "-f", str(pools))
    assert refused.exit_code == 1
    assert f"pools.yaml:5:9: $.pools[0].senders[1]: the account has no SMS sender {phone(1)}" in refused.stderr
    assert "pools.yaml:6:9: $.pools[0].senders[2]" in refused.stderr
    assert "pools.yaml:7:9: $.pools[0].senders[3]: the account has no EMAIL sender care@example.com" in refused.stderr

    planned = sp(live, "plan", "-f", str(pools), "--register-missing")
    assert planned.exit_code == 2, planned.output
    assert "+ register 3 new sender(s) first\n" in planned.stdout
    assert f"      + SMS {phone(1)} (to register)\n" in planned.stdout
    applied = sp(live, "apply", "-f", str(pools), "--register-missing", "--yes")
    assert applied.exit_code == 0, applied.output
    assert "3 sender(s) registered" in applied.stdout
    assert state(sdk) == {"support": ({}, {phone(0), phone(1), phone(2), "care@example.com"})}
    assert sp(live, "plan", "-f", str(pools)).exit_code == 0


def test_problems_of_the_file_against_the_server_are_all_reported_with_their_lines(
    live: Senderpools, sdk: Client, tmp_path: Path
) -> None:
    senders = register(sdk, range(0, 2))
    twin_a = sdk.sender_pools.create("twin", wait=True).pool
    twin_b = sdk.sender_pools.create("twin", wait=True).pool
    assert twin_a is not None and twin_b is not None
    unknown = "comms_sender_01h9krwprkeee8fzqspvwy6nq8"
    pools = write(
        tmp_path / "pools.yaml",
        f"""\
pools:
  - name: twin
  - name: one
    senders:
      - {{senderId: {unknown}}}
      - {{channel: SMS, address: "{phone(0)}"}}
      - {{senderId: {senders[0].id}}}
      - {{channel: SMS, address: "not-a-phone"}}
  - name: one
""",
    )
    result = sp(live, "plan", "-f", str(pools))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {pools}:2:5: $.pools[0].name: 2 pools on the server are named 'twin' ({twin_a.id}, {twin_b.id}): "
        "the file cannot tell which one it means. Rename or delete all but one of them.",
        f"error: {pools}:5:9: $.pools[1].senders[0]: the account has no sender {unknown}",
        f"error: {pools}:7:9: $.pools[1].senders[2]: the same sender as line 6",
        f"error: {pools}:8:9: $.pools[1].senders[3]: address must be an E.164 phone number: '+' and 2 to 15 digits",
        f"error: {pools}:9:5: $.pools[2].name: pool 'one' is also on line 3",
    ]
    assert sp(live, "apply", "-f", str(pools), "--yes").exit_code == 1
    assert sorted(p.name for p in sdk.sender_pools.list()) == ["twin", "twin"]


# -- interrupted applies -----------------------------------------------------------------------------------
def test_an_apply_that_fails_half_way_is_completed_by_the_next(live: Senderpools, sdk: Client, tmp_path: Path) -> None:
    register(sdk, range(0, 2600))
    later = sdk.sender_pools.create("later", wait=True).pool
    assert later is not None
    pools = write(
        tmp_path / "pools.yaml",
        f"""\
pools:
  - name: big
    tags: {{size: large}}
    senders:
{members_yaml(range(0, 2500))}  - name: later
    tags: {{step: two}}
    senders:
{members_yaml(range(2500, 2600))}  - name: fresh
    senders:
{members_yaml(range(0, 10))}""",
    )
    # The server fails the first Add Senders to "later": pools are created and retagged, "big" is filled
    # (3 requests of at most 1,000), then apply stops with the error.
    live.fault(method="POST", path=f"/v1/SenderPools/{later.id}/Senders", status=500, count=1)
    failed = sp(live, "apply", "-f", str(pools), "--yes")
    assert failed.exit_code == 1, failed.output
    assert "HTTP 500" in failed.stderr and "run apply again to finish" in failed.stderr
    halfway = state(sdk)
    assert halfway["later"] == ({"step": "two"}, set())
    assert set(halfway) == {"big", "later", "fresh"}

    rerun = sp(live, "plan", "-f", str(pools))
    assert rerun.exit_code == 2
    assert "Plan: 0 pool(s) to create" in rerun.stdout
    completed = sp(live, "apply", "-f", str(pools), "--yes")
    assert completed.exit_code == 0, completed.output
    assert state(sdk) == {
        "big": ({"size": "large"}, {phone(i) for i in range(2500)}),
        "later": ({"step": "two"}, {phone(i) for i in range(2500, 2600)}),
        "fresh": ({}, {phone(i) for i in range(10)}),
    }
    assert sp(live, "plan", "-f", str(pools)).exit_code == 0


def test_an_apply_that_gives_up_waiting_is_completed_by_the_next(
    live: Senderpools, sdk: Client, tmp_path: Path
) -> None:
    register(sdk, range(0, 20))
    pools = write(tmp_path / "pools.yaml", f"pools:\n  - name: held\n    senders:\n{members_yaml(range(0, 20))}")
    live.pacing(hold=True)  # the operations stay PROCESSING
    stopped = sp(live, "apply", "-f", str(pools), "--yes", "--timeout", "0.5")
    assert stopped.exit_code == 1, stopped.output
    assert "still PROCESSING" in stopped.stderr and "run apply again to finish" in stopped.stderr
    live.pacing()
    completed = sp(live, "apply", "-f", str(pools), "--yes")
    assert completed.exit_code == 0, completed.output
    assert state(sdk) == {"held": ({}, {phone(i) for i in range(20)})}  # one pool: the rerun found it by name


# -- export ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("by_id", [False, True])
def test_export_writes_a_file_that_plans_no_changes(
    live: Senderpools, sdk: Client, tmp_path: Path, by_id: bool
) -> None:
    senders = register(sdk, range(0, 3))
    sdk.sender_pools.create("a", tags={"k": "v", "n": "1"}, senders=senders, wait=True)
    sdk.sender_pools.create("yes", wait=True)  # a name YAML would read as a boolean unless quoted
    out = tmp_path / "exported.yaml"
    result = sp(live, "export", "-o", str(out), *(["--by-id"] if by_id else []))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("# senderpools pools file: 2 pool(s) exported from http://127.0.0.1:")
    if by_id:
        assert f"      - {{senderId: {senders[0].id}}}\n" in text
    else:
        assert f"      - {{channel: SMS, address: '{phone(0)}'}}\n" in text
    assert "  - name: 'yes'\n    tags: {}\n    senders: []\n" in text
    planned = sp(live, "plan", "-f", str(out), "--prune")
    assert planned.exit_code == 0, planned.output


# -- what goes over the wire ------------------------------------------------------------------------------
STOCK = (  # the Comms API's own endpoints (the contract's table), which plan and apply limit themselves to
    endpoints.list_sender_pools,
    endpoints.create_sender_pool,
    endpoints.fetch_sender_pool,
    endpoints.update_sender_pool,
    endpoints.list_pool_senders,
    endpoints.add_senders,
    endpoints.remove_sender,
    endpoints.list_operations,
    endpoints.fetch_operation,
    endpoints.fetch_pool_operation,
    endpoints.list_senders,
    endpoints.fetch_sender,
    endpoints.search_senders,
)


def stock_endpoint(method: str, path: str) -> Any:
    for endpoint in STOCK:
        pattern = re.sub(r"\{\w+\}", r"[^/]+", endpoint.path)
        if endpoint.method == method and re.fullmatch(pattern, path) and not path.endswith("/Operations"):
            return endpoint
    if method == "GET" and path == "/v1/SenderPools/Operations":
        return endpoints.list_operations
    return None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # what the client sends is backend-independent
def test_plan_and_apply_use_only_the_comms_api_and_send_at_most_1000_senders_per_request(
    live: Senderpools, sdk: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    senders = register(sdk, range(0, 2300))
    sdk.sender_pools.create("old", senders=senders[2200:2300], wait=True)
    pools = write(
        tmp_path / "pools.yaml",
        "pools:\n  - name: big\n    senders:\n"
        + members_yaml(range(0, 2050))  # past 100 unknown addresses and IDs, the inventory is read once
        + "".join(f"      - {{senderId: {s.id}}}\n" for s in senders[2050:2200])
        + f"  - name: old\n    senders:\n{members_yaml(range(2200, 2210))}"
        + f"  - name: small\n    senders:\n{members_yaml(range(0, 3))}",
    )
    sent: list[httpx.Request] = []
    real_send = httpx.Client.send

    def record(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        sent.append(request)
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", record)
    assert sp(live, "plan", "-f", str(pools), "--prune").exit_code == 2
    result = sp(live, "apply", "-f", str(pools), "--prune", "--yes")
    assert result.exit_code == 0, result.output
    monkeypatch.undo()

    unknown = [f"{r.method} {r.url.path}" for r in sent if stock_endpoint(r.method, r.url.path) is None]
    assert unknown == []
    assert not [r for r in sent if "senderpools-extensions" in r.headers]
    adds = [
        msgspec.json.decode(r.content) for r in sent if stock_endpoint(r.method, r.url.path) is endpoints.add_senders
    ]
    assert sorted(len(a) for a in adds) == [3, 200, 1000, 1000]  # big: 2,200 in three requests; small: 3
    lookups = [
        r for r in sent if stock_endpoint(r.method, r.url.path) in (endpoints.fetch_sender, endpoints.search_senders)
    ]
    assert lookups == []  # the inventory was listed instead of 2,200 lookups
    removals = [r for r in sent if stock_endpoint(r.method, r.url.path) is endpoints.remove_sender]
    assert len(removals) == 90  # one DELETE per member, the Comms API's way
    assert state(sdk)["old"] == ({}, {phone(i) for i in range(2200, 2210)})
    assert len(state(sdk)["big"][1]) == 2200


# -- the file itself -----------------------------------------------------------------------------------------
BAD_FILES = [
    ("pools:\n  - name: a\n    tags: {team: care, 'bad key': x}\n", "3:5: $.pools[0].tags: a key: Expected `str` matching"),
    ("pools:\n  - name: a\n    senders:\n      - {channel: SMS, address: +14155550100}\n", "4:24: $.pools[0].senders[0].address: Expected `str`, got `int` (quote it"),
    ("pools:\n  - name: a\n    tagz: {}\n", "3:5: $.pools[0].tagz: Object contains unknown field `tagz`"),
    ("pools:\n  - name: a\n    name: b\n", "3:5: $.pools[0]: `name` is given twice (first on line 2)"),
    ("pools:\n  - tags: {}\n", "2:5: $.pools[0]: Object missing required field `name`"),
    ("pools:\n  - name: a\n    senders:\n      - {channel: SMS}\n", "4:9: $.pools[0].senders[0]: a member given by address needs both channel and address"),
    ("pools:\n  - name: a\n    senders:\n      - {senderId: nope}\n", "4:10: $.pools[0].senders[0].senderId: Expected `str` matching regex"),
    ("pools:\n  - name: a\n    senders:\n      - {senderId: comms_sender_01h9krwprkeee8fzqspvwy6nq8, channel: SMS}\n", "4:9: $.pools[0].senders[0]: a member is either"),
    ("pools:\n  - name: [\n", "3:1: not valid YAML"),
    ("", "1:1: the file is empty"),
    ("pools:\n  - name: a\n    tags: {team: no}\n", "3:5: $.pools[0].tags[...]: Expected `str`, got `bool`"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), BAD_FILES)
def test_file_problems_name_the_line_before_any_request(tmp_path: Path, text: str, expected: str) -> None:
    pools = write(tmp_path / "pools.yaml", text)
    env = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "t", "TWILIO_API_KEY": None}
    for command in ("plan", "apply"):  # the server does not exist: the file is checked first
        result = runner.invoke(app, [command, "-f", str(pools), "--base-url", "http://127.0.0.1:9"], env=env)
        assert result.exit_code == 1, result.output
        assert f"error: {pools}:{expected}" in result.stderr


def test_plan_exits_1_on_usage_errors_since_2_means_changes(tmp_path: Path) -> None:
    assert runner.invoke(app, ["plan"]).exit_code == 1  # no --file
    assert runner.invoke(app, ["plan", "-f", str(tmp_path / "pools.yaml"), "--bogus"]).exit_code == 1
    no_credentials = {
        n: None for n in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET")
    }
    result = runner.invoke(app, ["plan", "-f", str(tmp_path / "pools.yaml")], env=no_credentials)
    assert result.exit_code == 1 and "no credentials" in result.stderr
    assert runner.invoke(app, ["pools", "list", "--bogus"]).exit_code == 2  # the other commands keep 2


def test_unreachable_server_is_an_error(tmp_path: Path) -> None:
    pools = write(tmp_path / "pools.yaml", "pools: []\n")
    env = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "t", "TWILIO_API_KEY": None}
    result = runner.invoke(app, ["plan", "-f", str(pools), "--base-url", "http://127.0.0.1:9"], env=env)
    assert result.exit_code == 1, result.output


GOOD_FILE = """\
pools:
  - name: support
    tags: {team: care}
    senders:
      - {channel: SMS, address: "+14155550100"}
      - {senderId: comms_sender_01h9krwprkeee8fzqspvwy6nq8}
  - name: ops
"""


def test_the_json_schema_accepts_and_refuses_what_plan_does(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "pools-file"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert validator.is_valid(yaml.safe_load(GOOD_FILE))
    assert poolfile.read(write(tmp_path / "good.yaml", GOOD_FILE)).content.pools[1].name == "ops"
    for text, expected in BAD_FILES:
        if "given twice" in expected or "not valid YAML" in expected:
            continue  # what the YAML parser sees, before any schema
        assert not validator.is_valid(yaml.safe_load(text)), text


def test_register_missing_on_the_comms_api_says_it_needs_senderpools() -> None:
    def comms(request: httpx.Request) -> httpx.Response:  # Twilio's API has no POST /v1/Senders
        assert (request.method, request.url.path) == ("POST", "/v1/Senders")
        return httpx.Response(404, json={"errors": [{"code": 20404, "message": "Not found", "context": "null"}]})

    http = httpx.Client(transport=httpx.MockTransport(comms))
    with Client("AC" + "0" * 32, "token", base_url="https://comms.example", http_client=http) as client:
        plan = reconcile.Plan(register=[reconcile.NewSenderRef(channel=Channel.SMS, address=phone(0))], pools=[])
        with pytest.raises(SenderPoolsError, match="--register-missing needs a senderpools server"):
            Execution(client, Progress(disable=True), 10.0).run(plan)
