"""Resolve across two nodes on one database: concurrent first choices agree, sticky senders and changes
to the candidates are seen by every node (each keeps candidates in memory, checked against their version)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.nodes import Nodes, create_accounts
from tests.procs import ServerProcess

BOTH_BACKENDS = pytest.mark.parametrize("backend", ["postgresql", "sqlite"])


def resolve(client: httpx.Client, recipients: list[str], **options: Any) -> dict[str, str]:
    body = {"recipientAddresses": [{"address": r, "channel": "SMS"} for r in recipients], **options}
    response = client.post("/v1/Senders/Resolve", json=body)
    assert response.status_code == 200, response.text
    return {r["to"]["address"]: r["from"]["senderId"] for r in response.json()["results"]}


@BOTH_BACKENDS
def test_two_nodes_agree_on_first_choices_and_see_each_others_changes(tmp_path: Path, database_url: str) -> None:
    url = database_url  # a fresh, empty database on the backend under test
    ((sid, token),) = create_accounts(url)
    with Nodes(tmp_path / "logs") as nodes:
        a, b = (server.client(sid, token) for server in _start(nodes, url))
        senders = [f"+1{area}555{n:04d}" for area in (415, 212, 310) for n in range(10)]
        created = a.post("/v1/Senders", json=[{"address": s, "channel": "SMS"} for s in senders])
        assert created.status_code == 201, created.text
        ids = [s["id"] for s in created.json()["senders"]]
        recipients = [f"+1415555{n:04d}" for n in range(5000, 5100)]
        # The same new recipients on both nodes at once, with options that choose differently:
        # one stored choice wins per recipient, and both nodes answer it.
        answers: list[dict[str, str]] = [{}, {}]
        start = threading.Barrier(2)

        def run(index: int, client: httpx.Client, options: dict[str, Any]) -> None:
            start.wait()
            answers[index] = resolve(client, recipients, stickiness="ACCOUNT", **options)

        threads = [
            threading.Thread(target=run, args=(0, a, {"geoMatch": True})),
            threading.Thread(target=run, args=(1, b, {})),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(answers[0]) == len(answers[1]) == 100
        assert answers[0] == answers[1]
        assert resolve(b, recipients, stickiness="ACCOUNT", geoMatch=True) == answers[0]
        mappings = b.get("/v1/Senders/StickySenders", params={"address": recipients[0]}).json()["mappings"]
        assert [m["senderId"] for m in mappings] == [answers[0][recipients[0]]]
        # Node B holds the candidates in memory; a sender deactivated through node A is gone for B at once.
        stock = resolve(b, recipients)
        victim = max(set(stock.values()), key=list(stock.values()).count)
        assert a.patch(f"/v1/Senders/{victim}", json={"status": "DEACTIVATED"}).status_code == 200
        assert victim not in resolve(b, recipients).values()
        assert victim not in resolve(b, recipients, stickiness="ACCOUNT").values()
        # ... and a sender registered through A is a candidate for B.
        added = a.post("/v1/Senders", json={"address": "+14155559999", "channel": "SMS", "weight": 100})
        assert added.status_code == 201
        assert added.json()["id"] in resolve(b, recipients).values()
        assert set(ids) >= set(resolve(a, recipients, stickiness="ACCOUNT").values()) - {added.json()["id"]}


def _start(nodes: Nodes, url: str) -> list[ServerProcess]:
    servers = [nodes.serve(url), nodes.serve(url, "--no-worker")]
    for server in servers:
        server.wait_healthy()
    return servers
