"""The main path end to end: register senders, create a pool with them, watch it complete, list members."""

from __future__ import annotations

from tests.conftest import Account


def test_create_pool_with_senders_completes_and_lists_members(account: Account) -> None:
    senders = account.register_senders(3)
    pool_id, operation = account.create_pool(name="smoke", senders=[{"senderId": s["id"]} for s in senders])
    assert operation["status"] == "COMPLETED"
    assert operation["stats"] == {"total": 4, "queued": 0, "created": 4, "failed": 0}
    members = account.walk(f"/v1/SenderPools/{pool_id}/Senders", "senders", page_size=2)
    assert [m["id"] for m in members] == [s["id"] for s in senders]
