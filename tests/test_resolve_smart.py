"""Resolve's senderpools options: geo-match, durable sticky senders, weights, health, pool selection,
explanations and dry runs; the sender and pool fields they use; the sticky-sender endpoints."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from starlette.testclient import TestClient

from senderpools import ids
from senderpools.composition import create_app
from senderpools.store import open_store
from tests.conftest import Account, Server, make_settings
from tests.nodes import query
from tests.test_rate_limit_shared import empty_url, only_first_migration, populate_at_0001
from tests.test_resolve import resolve
from tests.test_senders import expect_error

__all__ = ["empty_url"]  # a fixture, shared with the other upgrade tests

EXTENDED = {"Senderpools-Extensions": "true"}
STICKY = "/v1/Senders/StickySenders"


def register(account: Account, *senders: dict[str, Any]) -> list[dict[str, Any]]:
    response = account.post("/v1/Senders", json=list(senders), headers=EXTENDED)
    assert response.status_code == 201, response.text
    found: list[dict[str, Any]] = response.json()["senders"]
    return found


def sms(address: str, **fields: Any) -> dict[str, Any]:
    return {"address": address, "channel": "SMS", **fields}


def to(address: str, channel: str = "SMS") -> dict[str, str]:
    return {"address": address, "channel": channel}


def answer(account: Account, recipients: list[dict[str, str]], **options: Any) -> dict[str, Any]:
    response = resolve(account, recipients, **options)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def chosen(account: Account, recipients: list[dict[str, str]], **options: Any) -> list[str]:
    """The chosen sender's address per result."""
    return [r["from"]["address"] for r in answer(account, recipients, **options)["results"]]


def pool_of(account: Account, senders: list[dict[str, Any]], **body: Any) -> str:
    pool_id, operation = account.create_pool(senders=[{"senderId": s["id"]} for s in senders], **body)
    assert operation["status"] == "COMPLETED"
    return pool_id


def codes(result: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in result["reasons"]]


# -- sender fields ---------------------------------------------------------------------------------
def test_senders_get_their_place_and_weight_and_health_as_extensions(account: Account) -> None:
    (local, toll_free, email) = register(
        account,
        sms("+14155550100", weight=3, health="DEGRADED"),
        sms("+18005550100"),
        {"address": "news@example.com", "channel": "EMAIL"},
    )
    assert (local["country"], local["areaCode"], local["timeZone"], local["senderType"]) == (
        "US", "415", "America/Los_Angeles", "LONG_CODE"
    )  # fmt: skip
    assert (local["weight"], local["health"]) == (3, "DEGRADED")
    assert (toll_free["senderType"], toll_free["areaCode"], toll_free["weight"], toll_free["health"]) == (
        "TOLL_FREE", None, 1, "HEALTHY"
    )  # fmt: skip
    assert email["country"] is None and email["senderType"] is None
    stock = account.get(f"/v1/Senders/{local['id']}").json()
    assert set(stock) == {"id", "displayName", "address", "channel", "status", "tags", "createdAt", "updatedAt"}
    patched = account.patch(f"/v1/Senders/{local['id']}", json={"weight": 7, "health": "UNHEALTHY"}, headers=EXTENDED)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["weight"], patched.json()["health"], patched.json()["areaCode"]) == (7, "UNHEALTHY", "415")
    listed = account.get("/v1/Senders", headers=EXTENDED).json()["senders"]
    assert [s["weight"] for s in listed] == [7, 1, 1]


def test_bad_weights_and_healths_are_400(account: Account) -> None:
    (sender,) = register(account, sms("+14155550100"))
    for body, context in (
        ([sms("+14155550101", weight=0)], "$[0].weight"),
        ([sms("+14155550101", weight=101)], "$[0].weight"),
        ([sms("+14155550101", health="SICK")], "$[0].health"),
    ):
        expect_error(account.post("/v1/Senders", json=body), 400, 20001, [context], case=body)
    expect_error(account.patch(f"/v1/Senders/{sender['id']}", json={"weight": "3"}), 400, 20001, ["$.weight"])


def test_pool_selection_is_an_extension_set_at_create_and_patch(account: Account) -> None:
    selection = {"channelPriority": ["WHATSAPP"], "senderTypePriority": ["TOLL_FREE"]}
    pool_id = pool_of(account, [], selection=selection)
    assert account.get(f"/v1/SenderPools/{pool_id}", headers=EXTENDED).json()["selection"] == selection
    assert "selection" not in account.get(f"/v1/SenderPools/{pool_id}").json()
    assert account.patch(f"/v1/SenderPools/{pool_id}", json={"selection": {}}).status_code == 202
    cleared = account.get(f"/v1/SenderPools/{pool_id}", headers=EXTENDED).json()["selection"]
    assert cleared == {"channelPriority": [], "senderTypePriority": []}
    bad = account.patch(f"/v1/SenderPools/{pool_id}", json={"selection": {"senderTypePriority": ["SHORT"]}})
    expect_error(bad, 400, 20001, ["$.selection.senderTypePriority[0]"])


# -- geo-match -------------------------------------------------------------------------------------
@pytest.fixture
def places(account: Account) -> dict[str, dict[str, Any]]:
    """SMS senders in San Francisco (415), Los Angeles (310), New York (212) and London, by address."""
    senders = register(account, sms("+14155550100"), sms("+13105550100"), sms("+12125550100"), sms("+442079460001"))
    return {s["address"]: s for s in senders}


def test_geo_match_prefers_area_code_then_time_zone_then_country(account: Account, places: dict[str, Any]) -> None:
    cases = {
        "+14155550123": ("+14155550100", "SAME_AREA_CODE"),  # San Francisco: same area code
        "+16505550123": ("+13105550100", "SAME_TIME_ZONE"),  # 650 has no sender: Los Angeles shares its zone
        "+13125550123": (None, "SAME_COUNTRY"),  # Chicago: any US sender
        "+442071838750": ("+442079460001", "SAME_AREA_CODE"),  # London
        "+33612345678": (None, "NO_SAME_COUNTRY"),  # France: no sender there, any country
    }
    for recipient, (expected, code) in cases.items():
        (result,) = answer(account, [to(recipient)], geoMatch=True, explain=True)["results"]
        assert code in codes(result), (recipient, result)
        if expected is not None:
            assert result["from"]["address"] == expected, recipient
        elif code == "SAME_COUNTRY":
            assert result["from"]["address"].startswith("+1"), recipient


def test_without_geo_match_the_choice_is_the_stock_one(account: Account, places: dict[str, Any]) -> None:
    recipients = [to(f"+1415555{n:04d}") for n in range(40)]
    stock = chosen(account, recipients)
    assert chosen(account, recipients, geoMatch=False, stickiness="NONE", explain=False) == stock
    assert len(set(stock)) > 1  # the hash spreads them; geo-matching would send all to 415
    assert set(chosen(account, recipients, geoMatch=True)) == {"+14155550100"}


def test_explanations_account_for_every_losing_candidate(account: Account, places: dict[str, Any]) -> None:
    body = answer(account, [to("+14155550123"), to("+14155550123", "PHONE")], geoMatch=True, explain=True)
    assert [codes(r) for r in body["results"]] == [["CHANNEL_PRIORITY", "SAME_AREA_CODE", "WEIGHTED"]] * 2
    (explained, _) = body["recipients"]
    assert explained["to"] == to("+14155550123") and explained["candidates"] == 4
    lost = {loss["reason"]: loss for loss in explained["lost"]}
    assert lost["OTHER_COUNTRY"]["senderIds"] == [places["+442079460001"]["id"]]
    assert lost["OTHER_AREA_CODE"]["count"] == 2
    assert sum(loss["count"] for loss in explained["lost"]) == explained["candidates"] - 1
    assert "recipients" not in answer(account, [to("+14155550123")], geoMatch=True)


# -- weights, types, health ------------------------------------------------------------------------
def test_weights_share_recipients_among_equals(account: Account) -> None:
    heavy, _light = register(account, sms("+14155550100", weight=9), sms("+14155550101", weight=1))
    recipients = [to(f"+1212555{n:04d}") for n in range(1000)]
    picks = [a for start in range(0, 1000, 100) for a in chosen(account, recipients[start : start + 100])]
    share = picks.count(heavy["address"]) / len(picks)
    assert 0.87 <= share <= 0.93, share  # 0.9 expected; 3 standard deviations is ±0.028
    assert picks == [a for start in range(0, 1000, 100) for a in chosen(account, recipients[start : start + 100])]
    (result,) = answer(account, [recipients[0]], explain=True)["results"]
    weight = 9 if result["from"]["address"] == heavy["address"] else 1
    assert f"Weight {weight} of 10 among 2 equally good senders" in result["reasons"][-1]["message"]


def test_pool_sender_type_priority_and_channel_priority(account: Account) -> None:
    local, toll_free = register(account, sms("+14155550100"), sms("+18005550100"))
    (whatsapp,) = register(account, {"address": "+14155550100", "channel": "WHATSAPP"})
    selection = {"channelPriority": ["WHATSAPP"], "senderTypePriority": ["TOLL_FREE"]}
    pool_id = pool_of(account, [local, toll_free, whatsapp], selection=selection)
    recipients = [to(f"+1212555{n:04d}", "PHONE") for n in range(20)]
    found = answer(account, recipients, senderPoolId=pool_id)["results"]
    assert {(r["from"]["channel"], r["priority"]) for r in found} == {("WHATSAPP", 1), ("SMS", 2)}
    assert {r["from"]["address"] for r in found if r["from"]["channel"] == "SMS"} == {toll_free["address"]}
    # The request's own priority comes first; geo-matching comes before the sender type.
    mine = answer(account, [to("+14155550123", "PHONE")], senderPoolId=pool_id, geoMatch=True,
                  channels={"priority": ["SMS"]})["results"]  # fmt: skip
    assert [(r["from"]["channel"], r["from"]["address"]) for r in mine] == [
        ("SMS", local["address"]), ("WHATSAPP", whatsapp["address"])
    ]  # fmt: skip


def test_skip_unhealthy_never_picks_unhealthy_and_prefers_healthy(account: Account) -> None:
    sick, tired, fine = register(
        account, sms("+14155550100", health="UNHEALTHY"), sms("+14155550101", health="DEGRADED"), sms("+14155550102")
    )
    recipients = [to(f"+1212555{n:04d}") for n in range(60)]
    assert sick["address"] in chosen(account, recipients)  # health is ignored unless asked
    assert set(chosen(account, recipients, skipUnhealthy=True)) == {fine["address"]}
    account.patch(f"/v1/Senders/{fine['id']}", json={"health": "UNHEALTHY"})
    assert set(chosen(account, recipients, skipUnhealthy=True)) == {tired["address"]}
    account.patch(f"/v1/Senders/{tired['id']}", json={"health": "UNHEALTHY"})
    assert answer(account, recipients, skipUnhealthy=True, explain=True)["results"] == []


# -- stickiness ------------------------------------------------------------------------------------
def sticky_of(account: Account, address: str, **params: str) -> list[dict[str, Any]]:
    response = account.get(STICKY, params={"address": address, **params})
    assert response.status_code == 200, response.text
    mappings: list[dict[str, Any]] = response.json()["mappings"]
    return mappings


def test_account_stickiness_survives_across_pools(account: Account) -> None:
    senders = register(account, *(sms(f"+1415555{n:04d}") for n in range(6)))
    first = pool_of(account, senders[:4])
    recipient = to("+12125550123")
    (picked,) = chosen(account, [recipient], senderPoolId=first, stickiness="ACCOUNT")
    # A second pool holding the sticky sender among others: the recipient keeps it, whatever the hash says.
    others = [s for s in senders if s["address"] != picked]
    second = pool_of(account, [*others[:3], next(s for s in senders if s["address"] == picked)])
    for _ in range(3):
        (result,) = answer(account, [recipient], senderPoolId=second, stickiness="ACCOUNT", explain=True)["results"]
        assert result["from"]["address"] == picked and codes(result)[1] == "STICKY"
    (mapping,) = sticky_of(account, recipient["address"])
    assert (mapping["scope"], mapping["channel"], mapping["expiresAt"]) == ("ACCOUNT", "SMS", None)
    # A pool without it: another sender, and the mapping stays.
    third = pool_of(account, others[3:])
    (result,) = answer(account, [recipient], senderPoolId=third, stickiness="ACCOUNT", explain=True)["results"]
    assert result["from"]["address"] != picked and "STICKY_NOT_ELIGIBLE" in codes(result)
    assert sticky_of(account, recipient["address"]) == [mapping]


def test_pool_stickiness_needs_a_pool_and_is_per_pool(account: Account) -> None:
    senders = register(account, *(sms(f"+1415555{n:04d}") for n in range(4)))
    expect_error(resolve(account, [to("+12125550123")], stickiness="POOL"), 400, 20001, ["$.stickiness"])
    expect_error(resolve(account, [to("+12125550123")], stickiness="SOMETIMES"), 400, 20001, ["$.stickiness"])
    one, two = pool_of(account, senders), pool_of(account, senders)
    chosen(account, [to("+12125550123")], senderPoolId=one, stickiness="POOL")
    chosen(account, [to("+12125550123")], senderPoolId=two, stickiness="POOL")
    assert sorted(m["scope"] for m in sticky_of(account, "+12125550123")) == sorted([one, two])
    assert [m["scope"] for m in sticky_of(account, "+12125550123", scope=one)] == [one]


def test_a_sticky_sender_is_kept_until_released(account: Account) -> None:
    senders = register(account, *(sms(f"+1415555{n:04d}") for n in range(5)))
    by_address = {s["address"]: s for s in senders}
    pool_id = pool_of(account, senders)
    recipient = to("+12125550123")

    def pick() -> str:
        (address,) = chosen(account, [recipient], senderPoolId=pool_id, stickiness="POOL")
        return address

    first = pick()
    # New members change the hash's answer for many recipients, never a sticky one.
    more = register(account, *(sms(f"+1415556{n:04d}") for n in range(20)))
    account.post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": s["id"]} for s in more])
    time.sleep(0.5)
    assert pick() == first
    # Released by each of: deactivation, removal from the pool, deletion.
    account.patch(f"/v1/Senders/{by_address[first]['id']}", json={"status": "DEACTIVATED"})
    assert sticky_of(account, recipient["address"]) == []
    second = pick()
    assert second != first
    assert account.delete(f"/v1/SenderPools/{pool_id}/Senders/{_id_of(account, second)}").status_code == 202
    assert sticky_of(account, recipient["address"]) == []
    third = pick()
    assert third not in (first, second)
    assert account.delete(f"/v1/Senders/{_id_of(account, third)}").status_code == 204
    assert sticky_of(account, recipient["address"]) == []
    assert pick() not in (first, second, third)


def _id_of(account: Account, address: str) -> str:
    found = account.post("/v1/Senders/Search", json={"address": address, "channel": "SMS"}).json()["senders"]
    return str(found[0]["id"])


def test_dry_run_stores_nothing_and_clearing_forgets(account: Account) -> None:
    register(account, *(sms(f"+1415555{n:04d}") for n in range(3)))
    recipients = [to("+12125550123"), to("+12125550124", "PHONE")]
    dry = answer(account, recipients, stickiness="ACCOUNT", dryRun=True, explain=True)["results"]
    assert all(codes(r)[-1] == "STICKY_DRY_RUN" for r in dry)
    assert sticky_of(account, "+12125550123") == [] and sticky_of(account, "+12125550124") == []
    made = answer(account, recipients, stickiness="ACCOUNT", explain=True)["results"]
    assert [r["from"] for r in made] == [r["from"] for r in dry]
    assert all(codes(r)[-1] == "STICKY_CREATED" for r in made)
    assert len(sticky_of(account, "+12125550123")) == 1
    cleared = account.delete(STICKY, params={"address": "+12125550123", "scope": "ACCOUNT"})
    assert cleared.status_code == 200 and cleared.json() == {"deleted": 1}
    assert sticky_of(account, "+12125550123") == []
    expect_error(account.get(STICKY), 400, 20001, ["$.address"])
    expect_error(account.delete(STICKY, params={"address": "x", "scope": "pool"}), 400, 20001, ["$.scope"])


def test_sticky_senders_are_per_account(account: Account, other_account: Account) -> None:
    register(account, sms("+14155550100"))
    chosen(account, [to("+12125550123")], stickiness="ACCOUNT")
    assert sticky_of(other_account, "+12125550123") == []
    assert other_account.delete(STICKY, params={"address": "+12125550123"}).json() == {"deleted": 0}
    assert len(sticky_of(account, "+12125550123")) == 1


def test_deleted_pools_take_their_sticky_senders(server: Server, account: Account) -> None:
    senders = register(account, sms("+14155550100"))
    pool_id = pool_of(account, senders)
    chosen(account, [to("+12125550123")], senderPoolId=pool_id, stickiness="POOL")
    assert account.delete(f"/v1/SenderPools/{pool_id}").status_code == 202
    assert sticky_of(account, "+12125550123") == []  # hidden at once, purged in the background
    deadline = time.monotonic() + 10
    while server.call(server.store.sticky_senders, account.account_sid, pool_id, ["+12125550123"]):
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.fixture
def short_lived(tmp_path: Path, database_url: str) -> Iterator[Account]:
    settings = make_settings(tmp_path, database_url=database_url, sticky_ttl=1.0)
    with TestClient(create_app(settings), base_url="http://testserver", raise_server_exceptions=False) as client:
        yield Server(client, settings).new_account()


def test_sticky_senders_expire_after_the_ttl(short_lived: Account) -> None:
    account = short_lived
    register(account, *(sms(f"+1415555{n:04d}") for n in range(3)))
    chosen(account, [to("+12125550123")], stickiness="ACCOUNT")
    (mapping,) = sticky_of(account, "+12125550123")
    assert mapping["expiresAt"] is not None
    time.sleep(2.1)
    assert sticky_of(account, "+12125550123") == []
    (result,) = answer(account, [to("+12125550123")], stickiness="ACCOUNT", explain=True)["results"]
    assert codes(result)[-1] == "STICKY_CREATED"  # the expired mapping was replaced
    (renewed,) = sticky_of(account, "+12125550123")
    assert renewed["createdAt"] > mapping["createdAt"]
    # The worker purges expired ones (about once a minute): here, by hand.
    server = Server(account.client, make_settings(Path("."), sticky_ttl=1.0))
    assert server.call(server.store.purge_sticky_senders, ids.now_ms() + 1, 1000) == 1
    assert sticky_of(account, "+12125550123") == []


# -- migration 0008 --------------------------------------------------------------------------------
def test_senders_registered_before_0008_get_their_place_on_upgrade(
    tmp_path: Path, empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        only_first_migration(tmp_path, patched)
        sid, token, sender_ids, operation_id = asyncio.run(populate_at_0001(empty_url))
    settings = make_settings(tmp_path, database_url=empty_url)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        account = Account(client, sid, token)
        account.wait_operation(operation_id)
        sender = account.get(f"/v1/Senders/{sender_ids[0]}", headers=EXTENDED).json()
        assert (sender["country"], sender["areaCode"], sender["weight"], sender["health"]) == (
            "US",
            "415",
            1,
            "HEALTHY",
        )
        assert "country" not in account.get(f"/v1/Senders/{sender_ids[0]}").json()
        (pool,) = account.get("/v1/SenderPools", headers=EXTENDED).json()["senderPools"]
        assert pool["selection"] == {"channelPriority": [], "senderTypePriority": []}
        found = answer(account, [to("+14155559999")], senderPoolId=pool["id"], geoMatch=True, explain=True)
        assert "SAME_AREA_CODE" in codes(found["results"][0])


def test_every_resolve_option_is_documented_with_an_example(server: Server) -> None:
    document = server.client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    options = schemas["ResolveSendersRequest"]["properties"]
    for name in ("geoMatch", "stickiness", "skipUnhealthy", "explain", "dryRun"):
        assert options[name]["description"] and options[name]["examples"], name
        assert name in schemas["ResolveSendersRequest"]["examples"][0] or name == "dryRun", name
    for struct in ("RegisterSenderRequest", "UpdateSenderRequest"):
        assert {"weight", "health"} <= set(schemas[struct]["properties"]), struct
    assert set(schemas["Sender"]["properties"]) >= {"weight", "health", "country", "areaCode", "timeZone", "senderType"}
    assert "selection" in schemas["SenderPool"]["properties"]
    resolve = document["paths"]["/v1/Senders/Resolve"]["post"]
    assert resolve["requestBody"]["content"]["application/json"]["example"]["geoMatch"] is True
    assert {"get", "delete"} <= set(document["paths"]["/v1/Senders/StickySenders"])


# -- indexes -----------------------------------------------------------------------------------------
STICKY_LOOKUPS = {  # the store's statements on sticky_senders, by what they serve
    "resolve": "SELECT sender_id FROM sticky_senders WHERE account_sid = {0} AND scope = {1} AND recipient IN ({2}, {3})",
    "release": "SELECT 1 FROM sticky_senders WHERE sender_id = {0}",
    "recipient": "SELECT 1 FROM sticky_senders WHERE account_sid = {0} AND recipient = {1}",
    "expiry": "SELECT 1 FROM sticky_senders WHERE created_at < 5 LIMIT 10",
}


def test_sticky_sender_lookups_use_an_index_never_a_scan(backend: str, database_url: str) -> None:
    asyncio.run(_migrate(database_url))
    for name, sql in STICKY_LOOKUPS.items():
        statement = sql.format("'AC1'", "'x'", "'y'", "'z'")
        if backend == "sqlite":
            plan = " ".join(str(row[-1]) for row in query(database_url, "EXPLAIN QUERY PLAN " + statement))
            assert plan.startswith("SEARCH") and "SCAN" not in plan, (name, plan)
        else:  # with sequential scans priced out, the planner must find an index for the lookup
            plan = asyncio.run(_postgres_plan(database_url, statement))
            assert "Index" in plan and "Seq Scan" not in plan, (name, plan)


async def _migrate(url: str) -> None:
    store = open_store(url)
    try:
        await store.migrate()
    finally:
        await store.close()


async def _postgres_plan(url: str, statement: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("SET enable_seqscan = off")
        return " ".join(row[0] for row in await connection.fetch("EXPLAIN " + statement))
    finally:
        await connection.close()
