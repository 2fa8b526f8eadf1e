"""Random sequences of pool and sender changes, checked after every step against a simple in-memory model:
pools, members, operation stats (also of operations started together and left to interleave), and the
pool-management extensions (summaries, name and tag search,
newest first, Remove Senders, deletion protection)."""

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


CHANNELS = ["SMS", "RCS", "EMAIL", "WHATSAPP", "PUSH"]
STATUSES = ["ACTIVATED", "DEACTIVATED"]
EXTENDED = {"Senderpools-Extensions": "true"}


class PoolModel:
    def __init__(self, name: str, tags: dict[str, str], members: set[str]) -> None:
        self.name = name
        self.tags = tags
        self.members = members
        self.protected = False


class SenderPoolsMachine(RuleBasedStateMachine):
    """One server per run; the model is the set of live senders, live pools with their members, and
    the expected final stats of every operation. Each run has an account of its own on the database
    ``database_url`` (runs share it, as accounts see nothing of each other)."""

    database_url = "sqlite:///senderpools.db"  # replaced per test (see below)

    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory()
        config = make_settings(Path(self._tmp.name), database_url=self.database_url)
        self._client = TestClient(create_app(config), base_url="http://testserver", raise_server_exceptions=False)
        self._client.__enter__()
        self.account: Account = Server(self._client, config).new_account()
        self.live: list[str] = []  # senders, in creation (= id) order
        self.kinds: dict[str, tuple[str, str]] = {}  # live sender -> (channel, status)
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

    def _address(self, channel: str) -> str:
        self.next_address += 1
        if channel == "EMAIL":
            return f"user{self.next_address}@example.com"
        return f"token-{self.next_address}" if channel == "PUSH" else f"+1415{self.next_address:07d}"

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
    @rule(kinds=st.lists(st.tuples(st.sampled_from(CHANNELS), st.sampled_from(STATUSES)), min_size=1, max_size=4))
    def register_senders(self, kinds: list[tuple[str, str]]) -> None:
        body = [{"address": self._address(c), "channel": c, "status": s} for c, s in kinds]
        response = self.account.post("/v1/Senders", json=body if len(body) > 1 else body[0])
        assert response.status_code == 201, response.text
        created = response.json()["senders"] if len(body) > 1 else [response.json()]
        self.live += [s["id"] for s in created]
        self.kinds.update({s["id"]: kind for s, kind in zip(created, kinds, strict=True)})

    @precondition(lambda self: self.live)
    @rule(data=st.data(), status=st.sampled_from(STATUSES))
    def set_sender_status(self, data: st.DataObject, status: str) -> None:
        sender_id = data.draw(st.sampled_from(self.live), label="sender")
        response = self.account.patch(f"/v1/Senders/{sender_id}", json={"status": status})
        assert response.status_code == 200, response.text
        self.kinds[sender_id] = (self.kinds[sender_id][0], status)

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

    @precondition(lambda self: self.pools)
    @rule(data=st.data(), unknown=st.integers(0, 1))
    def remove_senders(self, data: st.DataObject, unknown: int) -> None:
        pool_id = self._pick_pool(data)
        sender_ids = self._pick_senders(data, unknown, at_least=1)
        response = self.account.post(
            f"/v1/SenderPools/{pool_id}/Senders/Remove", json=[{"senderId": s} for s in sender_ids]
        )
        assert response.status_code == 202, response.text
        operation_id = response.json()["operationId"]
        self._expect_stats(self.account.wait_operation(operation_id), 0, sender_ids)
        members = self.pools[pool_id].members
        outcomes = self.account.walk(f"/v1/SenderPools/Operations/{operation_id}/Items", "items", page_size=10)
        expected = [
            ("REMOVED" if s in members else "NOT_A_MEMBER") if s in self.live else "SENDER_NOT_FOUND"
            for s in sender_ids
        ]
        assert [i["outcome"] for i in outcomes] == expected
        members -= set(sender_ids)

    @precondition(lambda self: len(self.pools) >= 2)
    @rule(data=st.data(), status=st.sampled_from(STATUSES))
    def interleaved_operations(self, data: st.DataObject, status: str) -> None:
        """Adds and removes on 2-3 pools started together (none awaited before the next starts), and a
        sender's status changed while they run: each pool ends as if its operation had run alone."""
        pool_ids = data.draw(st.lists(st.sampled_from(list(self.pools)), unique=True, min_size=2, max_size=3))
        started = []
        for pool_id in pool_ids:
            remove = data.draw(st.booleans(), label="remove")
            sender_ids = self._pick_senders(data, data.draw(st.integers(0, 1)), at_least=1)
            path = f"/v1/SenderPools/{pool_id}/Senders" + ("/Remove" if remove else "")
            response = self.account.post(path, json=[{"senderId": s} for s in sender_ids])
            assert response.status_code == 202, response.text
            started.append((pool_id, remove, sender_ids, response.json()["operationId"]))
        if self.live:
            sender_id = data.draw(st.sampled_from(self.live), label="sender")
            assert self.account.patch(f"/v1/Senders/{sender_id}", json={"status": status}).status_code == 200
            self.kinds[sender_id] = (self.kinds[sender_id][0], status)
        for pool_id, remove, sender_ids, operation_id in started:
            self._expect_stats(self.account.wait_operation(operation_id), 0, sender_ids)
            if remove:
                self.pools[pool_id].members -= set(sender_ids)
            else:
                self.pools[pool_id].members |= {s for s in sender_ids if s in self.live}

    @precondition(lambda self: self.pools)
    @rule(data=st.data(), protected=st.booleans())
    def protect_pool(self, data: st.DataObject, protected: bool) -> None:
        pool_id = self._pick_pool(data)
        response = self.account.patch(f"/v1/SenderPools/{pool_id}", json={"deletionProtection": protected})
        assert response.status_code == 202, response.text
        self.pools[pool_id].protected = protected

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
        if self.pools[pool_id].protected:
            assert response.status_code == 409, response.text
            return
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
        del self.kinds[sender_id]
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
    def summaries_count_the_members(self) -> None:
        for pool_id, model in self.pools.items():
            found = self.account.get(f"/v1/SenderPools/{pool_id}/Summary").json()
            kinds = [self.kinds[s] for s in model.members]
            assert found["senderCount"] == len(model.members)
            assert found["byChannel"] == {c: sum(1 for k in kinds if k[0] == c) for c in CHANNELS}
            assert found["byStatus"] == {s: sum(1 for k in kinds if k[1] == s) for s in STATUSES}
            assert found["processingOperations"] == 0

    @invariant()
    def searches_and_newest_first_agree_with_the_model(self) -> None:
        pools = self.account.walk("/v1/SenderPools", "senderPools", page_size=3, order="newest")
        assert [p["id"] for p in pools] == list(reversed(self.pools))
        extended = self.account.get("/v1/SenderPools", params={"pageSize": 1000}, headers=EXTENDED).json()
        assert {p["id"]: p["deletionProtection"] for p in extended["senderPools"]} == {
            i: m.protected for i, m in self.pools.items()
        }
        for prefix in {m.name[:2] for m in self.pools.values() if m.name[:2]}:
            found = self.account.walk("/v1/SenderPools", "senderPools", page_size=2, namePrefix=prefix)
            key = prefix.casefold()
            expected = sorted(
                (i for i, m in self.pools.items() if m.name.casefold().startswith(key)),
                key=lambda i: (self.pools[i].name.casefold(), i),
            )
            assert [p["id"] for p in found] == expected, prefix
        for tag in {f"{k}:{v}" for m in self.pools.values() for k, v in m.tags.items()}:
            found = self.account.walk("/v1/SenderPools", "senderPools", page_size=2, tag=tag)
            key, value = tag.split(":")
            assert [p["id"] for p in found] == [i for i, m in self.pools.items() if m.tags.get(key) == value], tag

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


def test_random_sequences_agree_with_the_model(database_url: str) -> None:
    machine = type("Machine", (SenderPoolsMachine,), {"database_url": database_url})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25, stateful_step_count=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        ),
    )
