"""Migration 0007 on a database written by the code before it, on both backends: counts, tags, name keys,
the extended JSON and the operation types of existing rows are derived once, and then kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from senderpools import ids
from senderpools.clock import to_datetime
from senderpools.composition import create_app
from senderpools.service.credentials import hash_secret
from senderpools.store.rows import encode_tags, sender_row
from senderpools.wire.encoding import encode
from senderpools.wire.fields import Channel, SenderStatus
from senderpools.wire.resources import Sender, SenderPool
from tests.conftest import Account, make_settings
from tests.nodes import empty_database, execute, old_schema

BEFORE = "0007"  # the schema as it was before this version
EXTENDED = {"Senderpools-Extensions": "true"}


Statements = list[tuple[str, tuple[Any, ...]]]


def old_rows(account: str, token: str) -> tuple[Statements, list[str], str, str]:
    """What the code before 0007 wrote for an account: senders, pools (doc and xdoc alike, no search
    key), memberships, a finished Create (kind CREATE_POOL) and a running Add Senders. Returns the
    statements, the pool IDs, and the IDs of the two operations."""
    now = ids.now_ms()
    senders = [
        Sender(
            id=ids.new_id(ids.SENDER_PREFIX, now),
            display_name=None,
            address=address,
            channel=channel,
            status=status,
            tags={},
            created_at=to_datetime(now),
            updated_at=to_datetime(now),
        )
        for address, channel, status in [
            ("+14155550001", Channel.SMS, SenderStatus.ACTIVATED),
            ("+14155550002", Channel.SMS, SenderStatus.DEACTIVATED),
            ("a@example.com", Channel.EMAIL, SenderStatus.ACTIVATED),
        ]
    ]
    pools = [
        SenderPool(
            id=ids.new_id(ids.POOL_PREFIX, now),
            name=name,
            tags=tags,
            created_at=to_datetime(now),
            updated_at=to_datetime(now),
        )
        for name, tags in [("Marketing EU", {"team": "growth"}), ("marketing US", {"team": "growth", "x": "y"})]
    ]
    create_id, add_id = (ids.new_id(ids.OPERATION_PREFIX, now) for _ in range(2))
    statements: Statements = [
        (
            "INSERT INTO accounts (sid, token_hash, created_at) VALUES (?, ?, ?)",
            (account, hash_secret(token, 2**10), now),
        )
    ]
    statements += [  # the columns of that time: those kept from the sender, then doc and xdoc (alike)
        ("INSERT INTO senders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (*sender_row(account, s)[:9], doc, doc))
        for s, doc in ((s, encode(s)) for s in senders)
    ]
    for pool in pools:
        doc = encode(pool)  # before 0007 a pool had no extension field: both views were the stock JSON
        statements.append(
            (
                "INSERT INTO pools (id, account_sid, name, tags, created_at, updated_at, operation_id, doc, xdoc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (pool.id, account, pool.name, encode_tags(pool.tags), now, now, create_id, doc, doc),
            )
        )
    members = [(pools[0].id, s.id) for s in senders] + [(pools[1].id, senders[1].id)]
    statements += [("INSERT INTO pool_members (pool_id, sender_id) VALUES (?, ?)", m) for m in members]
    operations = "INSERT INTO operations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    statements += [
        (operations, (create_id, account, pools[0].id, "CREATE_POOL", "COMPLETED", 4, 0, 4, 0, 4, now, now)),
        (operations, (add_id, account, pools[1].id, "ADD_SENDERS", "PROCESSING", 1, 1, 0, 0, 0, now, now)),
        ("INSERT INTO operation_items VALUES (?, 0, ?, NULL, ?)", (add_id, senders[2].id, now)),
    ]
    return statements, [p.id for p in pools], create_id, add_id


def test_migration_0007_derives_counts_tags_names_and_types_of_existing_rows(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    if backend == "postgresql":  # a database without any schema yet
        database_url = empty_database(request.getfixturevalue("postgres"))
    else:
        database_url = f"sqlite:///{tmp_path}/old.db"
    assert BEFORE not in old_schema(database_url, BEFORE)
    account, token = ids.new_account_sid(), ids.new_secret()
    statements, (eu, us), create_id, add_id = old_rows(account, token)
    execute(database_url, statements)

    settings = make_settings(tmp_path, database_url=database_url, run_worker=False)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        user = Account(client, account, token)
        eu_summary = user.get(f"/v1/SenderPools/{eu}/Summary").json()
        assert (eu_summary["senderCount"], eu_summary["byChannel"]["SMS"], eu_summary["byChannel"]["EMAIL"]) == (
            3,
            2,
            1,
        )
        assert eu_summary["byStatus"] == {"ACTIVATED": 2, "DEACTIVATED": 1}
        us_summary = user.get(f"/v1/SenderPools/{us}/Summary").json()
        assert (us_summary["senderCount"], us_summary["processingOperations"]) == (1, 1)
        growth = user.get("/v1/SenderPools", params={"tag": "team:growth"}).json()["senderPools"]
        assert [p["id"] for p in growth] == [eu, us]
        by_name = user.get("/v1/SenderPools", params={"namePrefix": "MARKETING"}).json()["senderPools"]
        assert [p["name"] for p in by_name] == ["Marketing EU", "marketing US"]
        stock = user.get(f"/v1/SenderPools/{eu}").json()
        assert user.get(f"/v1/SenderPools/{eu}", headers=EXTENDED).json() == {
            **stock,
            "deletionProtection": False,
            "selection": {"channelPriority": [], "senderTypePriority": []},  # 0008's default
        }
        operations = user.get("/v1/SenderPools/Operations", headers=EXTENDED).json()["operations"]
        assert [(o["id"], o["type"], o["senderPoolId"]) for o in operations] == [
            (create_id, "CREATE", eu),
            (add_id, "ADD_SENDERS", us),
        ]
        assert [o["id"] for o in user.walk("/v1/SenderPools/Operations", "operations", type="CREATE")] == [create_id]
        # From here on the counts are kept: the pending Add Senders applies and counts its sender.
        store: Any = client.app.parts.store  # type: ignore[attr-defined]
        assert client.portal is not None and client.portal.call(store.apply_operation_batch, add_id, 10, ids.now_ms())
        after = user.get(f"/v1/SenderPools/{us}/Summary").json()
        assert (after["senderCount"], after["byChannel"]["EMAIL"], after["processingOperations"]) == (2, 1, 0)
