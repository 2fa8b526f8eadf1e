"""Random sequences of pool and sender changes, checked after every step against a simple in-memory model."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from starlette.testclient import TestClient

from senderpools import ids
from senderpools.composition import create_app
from tests.conftest import Account, Server, make_settings

TAG_TEXT = st.from_regex(r"[a-zA-Z0-9._~-]{1,12}", fullmatch=True)
TAGS = st.dictionaries(TAG_TEXT, TAG_TEXT, max_size=3)
NAMES = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=24
)  # U+0000 is refused (PostgreSQL text)


class PoolModel:
    def __init__(self, name: str, tags: dict[str, str], members: set[str]) -> None:
        self.name = name
        self.tags = tags
        self.members = members


class SenderPoolsMachine(RuleBasedStateMachine):
    """One server per run; the model is the set of live senders, live pools with their members, and
    the expected final stats of every operation."""

    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory()
        config = make_settings(Path(self._tmp.name))
        self._client = TestClient(create_app(config), base_url="http://testserver", raise_server_exceptions=False)
        self._client.__enter__()
        self.account: Account = Server(self._client, config).new_account()
        self.live: list[str] = []  # senders, in creation (= id) order
        self.gone: list[str] = []  # deleted senders
        self.pools: dict[str, PoolModel] = {}  # in creation (= id) order
        self.deleted_pools: list[str] = []
        self.operations: dict[str, dict[str, int]] = {}  # id -> expected final stats
        self.next_address = 0

    def teardown(self) -> None:
        try:
            self._client.__exit__(None, None, None)
        finally:
            self._tmp.cleanup()

    # -- helpers -----------------------------------------------------------------------------------
    def _pick_senders(self, data: st.DataObject, unknown: int, at_least: int = 0) -> list[str]:
        """A shuffled mix of live senders, deleted senders and never-registered (well-formed) IDs."""
        live = data.draw(st.lists(st.sampled_from(self.live), unique=True, max_size=5)) if self.live else []
        gone = data.draw(st.lists(st.sampled_from(self.gone), unique=True, max_size=2)) if self.gone else []
        fresh = [ids.new_id(ids.SENDER_PREFIX, ids.now_ms()) for _ in range(unknown)]
        chosen = live + gone + fresh
        if len(chosen) < at_least:
            chosen.append(ids.new_id(ids.SENDER_PREFIX, ids.now_ms()))
        return data.draw(st.permutations(chosen))

    def _expect_stats(self, operation: dict[str, Any], pool_item: int, sender_ids: list[str]) -> None:
        known = sum(1 for s in sender_ids if s in self.live)
        expected = {
            "total": pool_item + len(sender_ids),
            "queued": 0,
            "created": pool_item + known,
            "failed": len(sender_ids) - known,
        }
        assert operation["status"] == "COMPLETED", operation
        assert operation["stats"] == expected, (operation, sender_ids)
        self.operations[operation["id"]] = expected

    def _pick_pool(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(list(self.pools)), label="pool")

    # -- rules -------------------------------------------------------------------------------------
    @rule(count=st.integers(1, 4))
    def register_senders(self, count: int) -> None:
        body = [{"address": f"+1415{self.next_address + i:07d}", "channel": "SMS"} for i in range(count)]
        self.next_address += count
        response = self.account.post("/v1/Senders", json=body if count > 1 else body[0])
        assert response.status_code == 201, response.text
        created = response.json()["senders"] if count > 1 else [response.json()]
        self.live += [s["id"] for s in created]

    @rule(data=st.data(), name=NAMES, tags=TAGS, unknown=st.integers(0, 2))
    def create_pool(self, data: st.DataObject, name: str, tags: dict[str, str], unknown: int) -> None:
        sender_ids = self._pick_senders(data, unknown)
        pool_id, operation = self.account.create_pool(
            name=name, tags=tags, senders=[{"senderId": s} for s in sender_ids]
        )
        self._expect_stats(operation, 1, sender_ids)
        self.pools[pool_id] = PoolModel(name, tags, {s for s in sender_ids if s in self.live})

    @precondition(lambda self: self.pools)
    @rule(data=st.data(), unknown=st.integers(0, 2), as_object=st.booleans())
    def add_senders(self, data: st.DataObject, unknown: int, as_object: bool) -> None:
        pool_id = self._pick_pool(data)
        sender_ids = self._pick_senders(data, unknown, at_least=1)
        single = as_object and len(sender_ids) == 1
        body: Any = {"senderId": sender_ids[0]} if single else [{"senderId": s} for s in sender_ids]
        response = self.account.post(f"/v1/SenderPools/{pool_id}/Senders", json=body)
        assert response.status_code == 202, response.text
        reference = response.json()
        assert reference["operationLocation"].endswith(
            f"/v1/SenderPools/{pool_id}/Senders/Operations/{reference['operationId']}"
        )
        assert response.headers["Location"] == reference["operationLocation"]
        operation = self.account.wait_operation(reference["operationId"])
        self._expect_stats(operation, 0, sender_ids)
        assert self.account.get(reference["operationLocation"]).json() == operation  # the pool-scoped alias
        self.pools[pool_id].members |= {s for s in sender_ids if s in self.live}

    @precondition(lambda self: self.pools and self.live)
    @rule(data=st.data())
    def remove_sender(self, data: st.DataObject) -> None:
        pool_id = self._pick_pool(data)
        sender_id = data.draw(st.sampled_from(self.live + self.gone), label="sender")
        response = self.account.delete(f"/v1/SenderPools/{pool_id}/Senders/{sender_id}")
        if sender_id in self.pools[pool_id].members:
            assert response.status_code == 202, response.text
            assert response.json()["resourceId"] == sender_id
            assert response.json()["resourceLocation"].endswith(f"/v1/Senders/{sender_id}")
            self.pools[pool_id].members.discard(sender_id)
        else:
            assert response.status_code == 404, response.text
            assert response.json()["errors"][0]["code"] == 20404

    @precondition(lambda self: self.pools)
    @rule(data=st.data())
    def delete_pool(self, data: st.DataObject) -> None:
        pool_id = self._pick_pool(data)
        response = self.account.delete(f"/v1/SenderPools/{pool_id}")
        assert response.status_code == 202, response.text
        assert response.json()["resourceId"] == pool_id
        del self.pools[pool_id]
        self.deleted_pools.append(pool_id)

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def delete_sender(self, data: st.DataObject) -> None:
        sender_id = data.draw(st.sampled_from(self.live), label="sender")
        response = self.account.delete(f"/v1/Senders/{sender_id}")
        assert response.status_code == 204, response.text
        self.live.remove(sender_id)
        self.gone.append(sender_id)
        for pool in self.pools.values():
            pool.members.discard(sender_id)

    @precondition(lambda self: self.pools)
    @rule(data=st.data(), name=st.none() | NAMES, tags=st.none() | TAGS)
    def patch_pool(self, data: st.DataObject, name: str | None, tags: dict[str, str] | None) -> None:
        pool_id = self._pick_pool(data)
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if tags is not None or name is None:
            body["tags"] = tags or {}
        response = self.account.patch(f"/v1/SenderPools/{pool_id}", json=body)
        assert response.status_code == 202, response.text
        assert response.json()["resourceId"] == pool_id
        pool = self.pools[pool_id]
        pool.name = body.get("name", pool.name)
        pool.tags = body.get("tags", pool.tags)

    @precondition(lambda self: self.deleted_pools)
    @rule(data=st.data())
    def touch_deleted_pool(self, data: st.DataObject) -> None:
        pool_id = data.draw(st.sampled_from(self.deleted_pools), label="deleted pool")
        sender = self.live[0] if self.live else ids.new_id(ids.SENDER_PREFIX, ids.now_ms())
        for response in (
            self.account.patch(f"/v1/SenderPools/{pool_id}", json={"name": "x"}),
            self.account.post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": sender}]),
            self.account.delete(f"/v1/SenderPools/{pool_id}/Senders/{sender}"),
            self.account.delete(f"/v1/SenderPools/{pool_id}"),
        ):
            assert response.status_code == 404, response.text

    # -- invariants --------------------------------------------------------------------------------
    @invariant()
    def pools_and_members_match_the_model(self) -> None:
        listed = self.account.walk("/v1/SenderPools", "senderPools", page_size=4)
        assert [p["id"] for p in listed] == list(self.pools)
        for pool in listed:
            model = self.pools[pool["id"]]
            assert (pool["name"], pool["tags"]) == (model.name, model.tags)
            members = self.account.walk(f"/v1/SenderPools/{pool['id']}/Senders", "senders", page_size=4)
            assert [m["id"] for m in members] == sorted(model.members)

    @invariant()
    def deleted_pools_are_not_found(self) -> None:
        for pool_id in self.deleted_pools:
            assert self.account.get(f"/v1/SenderPools/{pool_id}").status_code == 404
            assert self.account.get(f"/v1/SenderPools/{pool_id}/Senders").status_code == 404

    @invariant()
    def operations_keep_their_final_stats(self) -> None:
        listed = self.account.walk("/v1/SenderPools/Operations", "operations", page_size=20)
        assert [o["id"] for o in listed] == list(self.operations)  # oldest first
        assert {o["id"]: o["stats"] for o in listed} == self.operations
        assert {o["status"] for o in listed} <= {"COMPLETED"}


def test_random_sequences_agree_with_the_model() -> None:
    run_state_machine_as_test(
        SenderPoolsMachine,
        settings=settings(
            max_examples=25, stateful_step_count=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        ),
    )
