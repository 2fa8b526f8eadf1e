"""Tenant isolation: another account's IDs behave exactly like IDs that never existed, on every endpoint."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from senderpools import ids
from tests.conftest import Account, Server
from tests.test_senders import expect_error

SEED = 20240115
CHANNELS = ["SMS", "RCS", "WHATSAPP", "EMAIL", "PUSH"]


@dataclass
class Tenant:
    """One account, an API key of it, and what it owns."""

    account: Account
    key: Account
    senders: list[dict[str, Any]] = field(default_factory=list)
    pools: dict[str, list[str]] = field(default_factory=dict)  # pool id -> member ids
    operations: dict[str, str] = field(default_factory=dict)  # operation id -> pool id

    def client(self, rng: random.Random) -> Account:
        return rng.choice([self.account, self.key])


def build_tenant(server: Server, rng: random.Random, number: int) -> Tenant:
    account = server.new_account()
    tenant = Tenant(account, server.new_api_key(account))
    for channel in rng.sample(CHANNELS, 3):
        owner = tenant.client(rng)
        tenant.senders += owner.register_senders(rng.randint(2, 4), channel=channel, start=number * 1000)
    sender_ids = [s["id"] for s in tenant.senders]
    for i in range(rng.randint(2, 3)):
        members = rng.sample(sender_ids, rng.randint(1, len(sender_ids) - 1))
        pool_id, operation = tenant.client(rng).create_pool(
            name=f"pool-{number}-{i}", tags={"tenant": str(number)}, senders=[{"senderId": m} for m in members]
        )
        assert operation["status"] == "COMPLETED", operation
        tenant.pools[pool_id] = members
        tenant.operations[operation["id"]] = pool_id
    pool_id = rng.choice(list(tenant.pools))
    extra = [m for m in sender_ids if m not in tenant.pools[pool_id]][:2]
    response = tenant.client(rng).post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": m} for m in extra])
    assert response.status_code == 202, response.text
    operation = tenant.account.wait_operation(response.json()["operationId"])
    assert operation["status"] == "COMPLETED", operation
    tenant.pools[pool_id] += extra
    tenant.operations[operation["id"]] = pool_id
    return tenant


def snapshot(tenant: Tenant) -> dict[str, Any]:
    """Everything the account can see, through every read endpoint."""
    client = tenant.account
    pools = client.walk("/v1/SenderPools", "senderPools", page_size=2)
    return {
        "pools": pools,
        "senders": client.walk("/v1/Senders", "senders", page_size=3),
        "operations": client.walk("/v1/SenderPools/Operations", "operations", page_size=2),
        "members": {p["id"]: client.walk(f"/v1/SenderPools/{p['id']}/Senders", "senders") for p in pools},
        "fetched": [client.get(f"/v1/SenderPools/{p['id']}").json() for p in pools]
        + [client.get(f"/v1/Senders/{s['id']}").json() for s in tenant.senders]
        + [client.get(f"/v1/SenderPools/Operations/{o}").json() for o in tenant.operations],
    }


# A probe takes the acting client and a set of IDs; "pool", "sender", "member" (a member of "pool") and
# "operation" (about "pool") belong to the target; "own_pool" and "own_sender" belong to the actor.
Probe = Callable[[Account, dict[str, str]], httpx.Response]

PROBES: dict[str, Probe] = {
    "fetch pool": lambda c, i: c.get(f"/v1/SenderPools/{i['pool']}"),
    "patch pool": lambda c, i: c.patch(f"/v1/SenderPools/{i['pool']}", json={"name": "taken", "tags": {"x": "y"}}),
    "patch pool, empty body": lambda c, i: c.patch(f"/v1/SenderPools/{i['pool']}", json={}),
    "delete pool": lambda c, i: c.delete(f"/v1/SenderPools/{i['pool']}"),
    "list members": lambda c, i: c.get(f"/v1/SenderPools/{i['pool']}/Senders"),
    "list members, filtered": lambda c, i: c.get(
        f"/v1/SenderPools/{i['pool']}/Senders", params={"channel": "SMS", "status": "ACTIVATED", "pageSize": 1}
    ),
    "add their sender to their pool": lambda c, i: c.post(
        f"/v1/SenderPools/{i['pool']}/Senders", json=[{"senderId": i["sender"]}]
    ),
    "add own sender to their pool": lambda c, i: c.post(
        f"/v1/SenderPools/{i['pool']}/Senders", json={"senderId": i["own_sender"]}
    ),
    "remove member": lambda c, i: c.delete(f"/v1/SenderPools/{i['pool']}/Senders/{i['member']}"),
    "remove their sender from own pool": lambda c, i: c.delete(
        f"/v1/SenderPools/{i['own_pool']}/Senders/{i['sender']}"
    ),
    "fetch operation": lambda c, i: c.get(f"/v1/SenderPools/Operations/{i['operation']}"),
    "fetch operation via its pool": lambda c, i: c.get(
        f"/v1/SenderPools/{i['pool']}/Senders/Operations/{i['operation']}"
    ),
    "fetch operation via own pool": lambda c, i: c.get(
        f"/v1/SenderPools/{i['own_pool']}/Senders/Operations/{i['operation']}"
    ),
    "fetch sender": lambda c, i: c.get(f"/v1/Senders/{i['sender']}"),
    "patch sender": lambda c, i: c.patch(f"/v1/Senders/{i['sender']}", json={"status": "DEACTIVATED", "tags": {}}),
    "patch sender, null name": lambda c, i: c.patch(f"/v1/Senders/{i['sender']}", json={"displayName": None}),
    "delete sender": lambda c, i: c.delete(f"/v1/Senders/{i['sender']}"),
    "resolve in their pool": lambda c, i: c.post(
        "/v1/Senders/Resolve",
        json={"recipientAddresses": [{"address": "+16505550100", "channel": "PHONE"}], "senderPoolId": i["pool"]},
    ),
}

# What each probe answers when an account uses its own IDs (the control for the 404s).
OWN_STATUS = {
    "fetch pool": 200,
    "patch pool": 202,
    "patch pool, empty body": 400,
    "delete pool": 202,
    "list members": 200,
    "list members, filtered": 200,
    "add their sender to their pool": 202,
    "add own sender to their pool": 202,
    "remove member": 202,
    "remove their sender from own pool": 202,
    "fetch operation": 200,
    "fetch operation via its pool": 200,
    "fetch operation via own pool": 200,
    "fetch sender": 200,
    "patch sender": 200,
    "patch sender, null name": 200,
    "delete sender": 204,
    "resolve in their pool": 200,
}


def fresh_ids() -> dict[str, str]:
    """IDs of the same shapes that were never issued."""
    now = ids.now_ms()
    return {
        "pool": ids.new_id(ids.POOL_PREFIX, now),
        "sender": ids.new_id(ids.SENDER_PREFIX, now),
        "member": ids.new_id(ids.SENDER_PREFIX, now),
        "operation": ids.new_id(ids.OPERATION_PREFIX, now),
    }


def target_ids(rng: random.Random, actor: Tenant, owner: Tenant) -> dict[str, str]:
    operation, pool = rng.choice(sorted(owner.operations.items()))
    return {
        "pool": pool,
        "sender": rng.choice(owner.senders)["id"],
        "member": rng.choice(owner.pools[pool]),
        "operation": operation,
        "own_pool": rng.choice(sorted(actor.pools)),
        "own_sender": rng.choice(actor.senders)["id"],
    }


def assert_same_as_never_existing(name: str, probe: Probe, client: Account, target: dict[str, str]) -> None:
    """The answer for the other account's IDs equals the one for fresh IDs, once the IDs are swapped."""
    swap: dict[str, str] = {}  # the same foreign ID always becomes the same fresh one
    for key, new_id in fresh_ids().items():
        swap.setdefault(target[key], new_id)
    fresh = {key: swap.get(value, value) for key, value in target.items()}
    foreign, absent = probe(client, target), probe(client, fresh)
    expect_error(foreign, 404, 20404)
    assert absent.status_code == 404, f"{name}: {absent.text}"
    text = foreign.text
    for old_id, new_id in swap.items():
        text = text.replace(old_id, new_id)
    assert text == absent.text, name
    assert foreign.headers.get("content-type") == absent.headers.get("content-type")
    assert "location" not in foreign.headers


def test_other_accounts_ids_are_indistinguishable_from_unknown_ones(server: Server) -> None:
    rng = random.Random(SEED)
    tenants = [build_tenant(server, rng, n) for n in range(3)]
    before = [snapshot(t) for t in tenants]
    for _ in range(3):
        for actor in tenants:
            for owner in tenants:
                if owner is actor:
                    continue
                names = list(PROBES)
                rng.shuffle(names)
                for name in names:
                    target = target_ids(rng, actor, owner)
                    assert_same_as_never_existing(name, PROBES[name], actor.client(rng), target)
    assert [snapshot(t) for t in tenants] == before


def test_list_filters_with_other_accounts_ids_find_nothing(server: Server) -> None:
    rng = random.Random(SEED + 1)
    tenants = [build_tenant(server, rng, n) for n in range(3)]
    before = [snapshot(t) for t in tenants]
    for actor in tenants:
        for owner in tenants:
            if owner is actor:
                continue
            for operation in owner.operations:
                found = actor.client(rng).get("/v1/SenderPools", params={"operationId": operation})
                assert found.status_code == 200, found.text
                assert found.json()["senderPools"] == [] and found.json()["pagination"]["next"] is None
            for sender in owner.senders:
                channel = "PHONE" if sender["channel"] in ("SMS", "RCS", "WHATSAPP") else sender["channel"]
                searched = actor.client(rng).post(
                    "/v1/Senders/Search", json={"address": sender["address"], "channel": channel}
                )
                assert searched.status_code == 200, searched.text
                assert searched.json()["senders"] == []
            addresses = [s["address"] for s in owner.senders]
            recipients = [
                {"address": "+16505550100", "channel": "PHONE"},
                {"address": "r@example.org", "channel": "EMAIL"},
                {"address": "device", "channel": "PUSH"},
            ]
            resolved = actor.client(rng).post(
                "/v1/Senders/Resolve", json={"recipientAddresses": recipients, "senderAddresses": addresses}
            )
            assert resolved.status_code == 200, resolved.text
            assert resolved.json()["results"] == []
    assert [snapshot(t) for t in tenants] == before


def test_other_accounts_senders_fail_when_added_to_own_pool(server: Server, account: Account) -> None:
    other = server.new_account()
    theirs = other.register_senders(2, channel="EMAIL")
    (mine,) = account.register_senders(1)
    before = snapshot(Tenant(other, other, theirs))
    pool_id, created = account.create_pool(senders=[{"senderId": theirs[0]["id"]}, {"senderId": mine["id"]}])
    assert created["stats"] == {"total": 3, "queued": 0, "created": 2, "failed": 1}
    response = account.post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": theirs[1]["id"]}])
    assert response.status_code == 202, response.text
    added = account.wait_operation(response.json()["operationId"])
    assert added["stats"] == {"total": 1, "queued": 0, "created": 0, "failed": 1}
    assert [m["id"] for m in account.walk(f"/v1/SenderPools/{pool_id}/Senders", "senders")] == [mine["id"]]
    assert snapshot(Tenant(other, other, theirs)) == before


def test_probes_reach_real_endpoints(account: Account) -> None:
    """Control: with its own IDs an account gets each endpoint's normal answer, so the 404s above are earned."""
    assert set(OWN_STATUS) == set(PROBES)
    for n, (name, probe) in enumerate(PROBES.items()):
        sender, member = account.register_senders(2, start=10 * n)
        pool_id, operation = account.create_pool(senders=[{"senderId": sender["id"]}, {"senderId": member["id"]}])
        own = {
            "pool": pool_id,
            "sender": sender["id"],
            "member": member["id"],
            "operation": operation["id"],
            "own_pool": pool_id,
            "own_sender": sender["id"],
        }
        response = probe(account, own)
        assert response.status_code == OWN_STATUS[name], f"{name}: {response.text}"
