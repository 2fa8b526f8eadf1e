"""Rate limiting across nodes: ``--rate-limit-scope database`` shares one bucket per account through the
database; the default per-process scope gives each node its own; the 0002 migration upgrades old databases."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import httpx
import pytest
from starlette.testclient import TestClient

import senderpools.store.rows
from senderpools import ids
from senderpools.composition import create_app
from senderpools.service import credentials
from senderpools.store import open_store
from tests.conftest import Account, make_settings
from tests.nodes import MIGRATIONS, Nodes, create_accounts, empty_database, migration_versions, query
from tests.postgres_cluster import PostgresCluster
from tests.procs import ServerProcess, clean_env

BURST = 5
RATE = "0.01"  # one token per 100 s: nothing refills during a test, so the counts are exact
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["postgresql", "sqlite"])


def two_servers(nodes: Nodes, url: str, scope: str | None) -> list[ServerProcess]:
    """Two nodes on one database, limited to BURST requests per account; the scope is given to the first
    as a flag and to the second through its environment variable (None: neither, the default)."""
    limits = ["--no-worker", "--rate-limit", RATE, "--rate-burst", str(BURST)]
    flag = [] if scope is None else ["--rate-limit-scope", scope]
    env = clean_env() if scope is None else clean_env(SENDERPOOLS_RATE_LIMIT_SCOPE=scope)
    servers = [nodes.serve(url, *limits, *flag), nodes.serve(url, *limits, env=env)]
    for server in servers:
        server.wait_healthy()
    return servers


def alternate(servers: list[ServerProcess], auth: tuple[str, str], count: int) -> list[httpx.Response]:
    """``count`` requests, taking turns between the nodes (first, second, first, ...)."""
    clients = [server.client(*auth) for server in servers]
    try:
        return [clients[i % len(clients)].get("/v1/Senders") for i in range(count)]
    finally:
        for client in clients:
            client.close()


def assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert [e["code"] for e in response.json()["errors"]] == [20429]
    assert int(response.headers["Retry-After"]) >= 1


@BOTH_BACKENDS
def test_database_scope_shares_one_bucket_per_account_across_nodes(tmp_path: Path, database_url: str) -> None:
    first, second = create_accounts(database_url, 2)
    with Nodes(tmp_path / "logs") as nodes:
        servers = two_servers(nodes, database_url, "database")
        responses = alternate(servers, first, 2 * BURST + 2)
        assert [r.status_code for r in responses[:BURST]] == [200] * BURST
        for response in responses[BURST:]:
            assert_limited(response)
        # Another account has its own bucket, shared too.
        other = [r.status_code for r in alternate(servers, second, BURST + 2)]
        assert other == [200] * BURST + [429] * 2


def test_process_scope_is_the_default_and_gives_each_node_its_own_bucket(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/senderpools.db"  # process buckets never touch the database
    [auth] = create_accounts(url)
    with Nodes(tmp_path / "logs") as nodes:
        servers = two_servers(nodes, url, None)
        responses = alternate(servers, auth, 2 * BURST + 2)
        assert [r.status_code for r in responses[: 2 * BURST]] == [200] * (2 * BURST)
        for response in responses[2 * BURST :]:
            assert_limited(response)  # each node's sixth request


def test_an_unknown_scope_is_refused_at_startup(tmp_path: Path) -> None:
    with Nodes(tmp_path / "logs") as nodes:
        server = nodes.serve(f"sqlite:///{tmp_path}/x.db", "--rate-limit-scope", "cluster")
        assert server.popen.wait(timeout=30) != 0
        assert "--rate-limit-scope" in server.stderr


# -- upgrading a database made before the rate_buckets table ----------------------------------------
@pytest.fixture
def empty_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with no schema yet."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/old.db"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    url = empty_database(cluster)
    yield url
    cluster.drop_database(url)


def only_first_migration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the stores see only 0001 in their migration folders, as a release before 0002 shipped it."""
    root = tmp_path / "release-0001"
    for backend in ("sqlite", "postgresql"):
        (root / "migrations" / backend).mkdir(parents=True)
        shutil.copy(MIGRATIONS / backend / "0001_initial.sql", root / "migrations" / backend)
    package = SimpleNamespace(files=lambda _: root)
    monkeypatch.setattr(senderpools.store.rows, "resources", package)  # where both stores find their migrations


# Rows as a release at migration 0001 wrote them (no ``doc`` column yet): two senders and a pool whose
# Create still has both senders queued (no worker ran). Placeholders: {} becomes ? or $n.
_ROWS_AT_0001 = [
    (
        "INSERT INTO senders (id, account_sid, display_name, address, channel, status, tags, created_at, updated_at)"
        " VALUES ({}, {}, NULL, {}, 'SMS', 'ACTIVATED', '{{}}', {}, {})",
        lambda sid, senders, pool, op, now: [(s, sid, f"+1415555000{i}", now, now) for i, s in enumerate(senders)],
    ),
    (
        "INSERT INTO pools (id, account_sid, name, tags, created_at, updated_at, operation_id)"
        " VALUES ({}, {}, 'kept', '{{\"team\":\"a\"}}', {}, {}, {})",
        lambda sid, senders, pool, op, now: [(pool, sid, now, now, op)],
    ),
    (
        "INSERT INTO operations (id, account_sid, pool_id, kind, status, total, queued, created, failed, next_seq,"
        " created_at, updated_at) VALUES ({}, {}, {}, 'CREATE_POOL', 'PROCESSING', 3, 2, 1, 0, 1, {}, {})",
        lambda sid, senders, pool, op, now: [(op, sid, pool, now, now)],
    ),
    (
        "INSERT INTO operation_items (operation_id, seq, sender_id, outcome, updated_at) VALUES ({}, {}, {}, {}, {})",
        lambda sid, senders, pool, op, now: (
            [(op, 0, None, "CREATED", now)] + [(op, i + 1, s, None, now) for i, s in enumerate(senders)]
        ),
    ),
]


async def populate_at_0001(url: str) -> tuple[str, str, list[str], str]:
    store = open_store(url)
    try:
        await store.migrate()
        sid, token, _ = await credentials.create_account(store)
    finally:
        await store.close()
    now = ids.now_ms()
    senders = [ids.new_id(ids.SENDER_PREFIX, now) for _ in range(2)]
    pool, operation = ids.new_id(ids.POOL_PREFIX, now), ids.new_id(ids.OPERATION_PREFIX, now)
    for template, rows in _ROWS_AT_0001:
        for row in rows(sid, senders, pool, operation, now):
            marks = ["?"] * len(row) if url.startswith("sqlite") else [f"${i}" for i in range(1, len(row) + 1)]
            await _execute(url, template.format(*marks), row)
    return sid, token, senders, operation


async def _execute(url: str, sql: str, args: tuple[object, ...]) -> None:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite://").removeprefix("/")) as db:  # commits on exit
            db.execute(sql, args)
        return
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql, *args)
    finally:
        await connection.close()


@BOTH_BACKENDS
def test_a_database_at_0001_upgrades_to_0002_on_start_without_losing_data(
    tmp_path: Path, empty_url: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        only_first_migration(tmp_path, patched)
        sid, token, sender_ids, operation_id = asyncio.run(populate_at_0001(empty_url))
    assert [row[0] for row in query(empty_url, "SELECT version FROM schema_migrations")] == ["0001"]

    settings = make_settings(
        tmp_path, database_url=empty_url, rate_limit=1000.0, rate_burst=1000.0, rate_limit_scope="database"
    )
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        client.auth = (sid, token)
        versions = [row[0] for row in query(empty_url, "SELECT version FROM schema_migrations ORDER BY version")]
        assert versions == migration_versions(backend)
        assert versions[:2] == ["0001", "0002"]
        # The queued Create resumes under the upgraded schema and completes.
        operation = Account(client, sid, token).wait_operation(operation_id)
        assert operation["status"] == "COMPLETED"
        assert operation["stats"] == {"total": 3, "queued": 0, "created": 3, "failed": 0}
        pool = client.get("/v1/SenderPools").json()["senderPools"]
        assert [(p["name"], p["tags"]) for p in pool] == [("kept", {"team": "a"})]
        members = client.get(f"/v1/SenderPools/{pool[0]['id']}/Senders").json()["senders"]
        assert sorted(m["id"] for m in members) == sorted(sender_ids)
        # The shared limiter keeps the account's bucket in the new table.
        placeholder = "?" if backend == "sqlite" else "$1"
        assert query(empty_url, f"SELECT count(*) FROM rate_buckets WHERE key = {placeholder}", sid)[0][0] == 1
