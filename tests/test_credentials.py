"""Credential verification: cached, yet a revocation made elsewhere takes effect within a second."""

from __future__ import annotations

import time

from senderpools import ids
from senderpools.service.credentials import REVOCATION_CHECK_INTERVAL, hash_secret, verify_secret
from tests.conftest import Account, Server


def test_hashes_verify_only_their_secret_and_are_salted() -> None:
    first, second = hash_secret("s3cret", n=2**14), hash_secret("s3cret")
    assert first != second and first.startswith("scrypt$16384$8$1$")  # the production work factor
    assert verify_secret("s3cret", first) and verify_secret("s3cret", second)
    assert not verify_secret("s3cret!", first)
    assert not verify_secret("s3cret", "not-a-hash")


def test_revocation_by_another_process_applies_within_the_recheck_interval(server: Server, account: Account) -> None:
    key = server.new_api_key(account)
    assert key.get("/v1/SenderPools").status_code == 200  # now cached in the server
    # Revoke straight in the database, as `senderpools keys revoke` in another process would:
    # this server's cache is not told.
    assert server.call(server.store.revoke_api_key, key.sid, ids.now_ms())
    time.sleep(REVOCATION_CHECK_INTERVAL + 0.2)
    response = key.get("/v1/SenderPools")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == 20003
    assert account.get("/v1/SenderPools").status_code == 200  # the account's own token is unaffected
