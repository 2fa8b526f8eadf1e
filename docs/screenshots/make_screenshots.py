"""Regenerate the console screenshots in this folder (not part of the test run).

    .venv/bin/python docs/screenshots/make_screenshots.py

Starts ``senderpools serve --no-worker`` on a throwaway database, fills it with sample data through the
public API, runs a ``senderpools worker`` long enough to leave one operation part-way done, then drives
Debian's Chromium (``/usr/bin/chromium``) with Playwright and saves the main pages as PNG files here. Two
webhook sinks on loopback receivers (one failing at first, so that some deliveries are dead-lettered) get
the events the worker delivers meanwhile.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from playwright.sync_api import Page, expect, sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the repository root, for tests.procs

from tests.procs import (  # noqa: E402
    Process,
    bootstrap_credentials,
    clean_env,
    database_url,
    start_server,
    wait_operation,
)
from tests.test_console import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.webhook_receiver import receiving  # noqa: E402

VIEWPORT = {"width": 1280, "height": 800}


def register(client: httpx.Client, senders: list[dict[str, Any]]) -> list[str]:
    response = client.post("/v1/Senders", json=senders)
    response.raise_for_status()
    return [s["id"] for s in response.json()["senders"]]


def create_pool(client: httpx.Client, name: str, tags: dict[str, str], members: list[str]) -> tuple[str, str]:
    response = client.post(
        "/v1/SenderPools", json={"name": name, "tags": tags, "senders": [{"senderId": s} for s in members]}
    )
    response.raise_for_status()
    operation_id = response.json()["operationId"]
    pool = client.get("/v1/SenderPools", params={"operationId": operation_id}).json()["senderPools"][0]
    return pool["id"], operation_id


def add(client: httpx.Client, pool_id: str, members: list[str]) -> str:
    response = client.post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": s} for s in members])
    response.raise_for_status()
    operation_id: str = response.json()["operationId"]
    return operation_id


def sample_inventory(client: httpx.Client) -> dict[str, list[str]]:
    """A varied inventory: phone numbers on three channels, e-mail and push senders, a few deactivated."""
    names = ["Support line", "Sales", "Billing", "Alerts", None, "Onboarding", None, "Reminders"]
    phones = [
        {
            "address": f"+1415555{i:04d}",
            "channel": ("SMS", "WHATSAPP", "RCS")[i % 3],
            "displayName": names[i % len(names)],
            "status": "DEACTIVATED" if i % 11 == 4 else "ACTIVATED",
            "tags": {"region": "us-west"} if i % 4 == 0 else {},
        }
        for i in range(36)
    ]
    emails = [
        {"address": f"{who}@example.com", "channel": "EMAIL", "displayName": who.title(), "tags": {"region": "emea"}}
        for who in ("support", "billing", "hello", "noreply", "security")
    ]
    pushes = [{"address": f"app-ios-{i:03d}", "channel": "PUSH", "displayName": "iOS app"} for i in range(4)]
    bulk = [{"address": f"+1628555{i:04d}", "channel": "SMS"} for i in range(4000)]
    return {
        "phones": register(client, phones),
        "emails": register(client, emails),
        "pushes": register(client, pushes),
        "bulk": register(client, bulk),
    }


# Sinks on loopback receivers; quick retries, so that the failing receiver's first deliveries are dead-lettered.
ENV = clean_env(
    SENDERPOOLS_WEBHOOK_ALLOW_PRIVATE="true",
    SENDERPOOLS_WEBHOOK_RETRY_BASE="0.05",
    SENDERPOOLS_WEBHOOK_RETRY_WINDOW="0.15",
)
POOL_EVENTS = [
    "io.senderpools.senderpool.created",
    "io.senderpools.senderpool.updated",
    "io.senderpools.senderpool.members.removed",
]


def create_sink(client: httpx.Client, url: str, types: list[str], description: str) -> str:
    response = client.post("/v1/EventSinks", json={"url": url, "types": types, "description": description})
    response.raise_for_status()
    sink_id: str = response.json()["id"]
    return sink_id


def wait_deliveries(client: httpx.Client, sink_ids: list[str]) -> None:
    """Until no delivery of these sinks is PENDING."""
    for sink_id in sink_ids:
        while client.get(f"/v1/EventSinks/{sink_id}/Deliveries", params={"status": "PENDING"}).json()["deliveries"]:
            time.sleep(0.05)


def shoot(page: Page, name: str) -> None:
    page.wait_for_timeout(400)  # let progress bars finish their transition
    page.screenshot(path=str(HERE / f"{name}.png"))
    print(f"saved docs/screenshots/{name}.png")


def main() -> None:
    audit_up = threading.Event()
    with (
        tempfile.TemporaryDirectory() as tmp_dir,
        receiving() as ops_hook,
        receiving(lambda n: 200 if audit_up.is_set() else 503) as audit_hook,  # down at first: dead letters
    ):
        tmp = Path(tmp_dir)
        db = tmp / "senderpools.db"
        server = start_server(tmp / "logs", db, "--no-worker", env=ENV)
        try:
            sid, token = bootstrap_credentials(server.stdout) or ("", "")
            with server.client(sid, token) as client:
                sinks = [
                    create_sink(
                        client, ops_hook.url, ["com.twilio.comms-api.operation.completed"], "Operations finishing"
                    ),
                    create_sink(client, audit_hook.url, POOL_EVENTS, "Pool changes to the audit archive"),
                ]
                inventory = sample_inventory(client)
                phones, emails, pushes, bulk = (inventory[k] for k in ("phones", "emails", "pushes", "bulk"))
                marketing, _ = create_pool(client, "Marketing US", {"team": "growth", "region": "us"}, phones[:24])
                support = {"team": "support", "region": "emea"}
                support_id, support_op = create_pool(client, "Support EMEA", support, emails + phones[24:30])
                ops = [
                    support_op,
                    create_pool(client, "Transactional", {"tier": "critical"}, bulk[:1200] + phones[30:])[1],
                    create_pool(client, "Mobile app", {"team": "mobile"}, pushes)[1],
                ]
                create_pool(client, "Black Friday 2026", {"campaign": "bf26"}, [])
                ghosts = [f"comms_sender_01{c * 24}" for c in "abc"]
                ops.append(add(client, marketing, phones[24:34] + ghosts))  # three unknown senders fail
                worker = Process(["worker", "--database-url", database_url(db)], tmp / "logs", env=ENV)
                for operation_id in ops:
                    wait_operation(client, operation_id)
                wait_deliveries(client, sinks)  # the audit sink dead-letters the pools created
                audit_up.set()
                # The Support pool's activity: renamed tags, two senders out, three in (and one unknown).
                client.patch(f"/v1/SenderPools/{support_id}", json={"tags": {"team": "support", "region": "eu"}})
                out = client.post(
                    f"/v1/SenderPools/{support_id}/Senders/Remove", json=[{"senderId": s} for s in emails[3:]]
                )
                wait_operation(client, out.json()["operationId"])
                wait_operation(client, add(client, support_id, phones[:3] + ghosts[:1]))
                wait_deliveries(client, sinks)
                worker.stop()

                # One big operation left part-way: a slow worker, stopped (SIGKILL) in the middle.
                running = add(client, marketing, bulk[1200:4000])
                worker = Process(["worker", "--database-url", database_url(db), "--batch-size", "10"], tmp / "logs")
                while True:
                    stats = client.get(f"/v1/SenderPools/Operations/{running}").json()["stats"]
                    if stats["created"] >= 0.55 * stats["total"]:
                        worker.kill()
                        break
                    time.sleep(0.02)

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for scheme, suffix in (("light", ""), ("dark", "-dark")):
                    context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)
                    page = context.new_page()
                    page.goto(f"{server.base_url}/console")
                    if not suffix:
                        page.get_by_label("Account SID or API key SID").fill(sid)
                        shoot(page, "sign-in")
                    page.get_by_label("Account SID or API key SID").fill(sid)
                    page.get_by_label("Auth token or API key secret").fill(token)
                    page.get_by_role("button", name="Sign in").click()
                    expect(page.locator("tbody tr")).to_have_count(5)
                    expect(page.locator("td.num .spinner")).to_have_count(0)
                    shoot(page, f"pools{suffix}")

                    page.goto(f"{server.base_url}/console#/pools/{marketing}")
                    expect(page.locator(".op-card")).to_have_count(3)
                    expect(page.locator(".members-table tbody tr").first).to_be_visible()
                    shoot(page, f"pool{suffix}")
                    if suffix:
                        context.close()
                        continue

                    page.goto(f"{server.base_url}/console#/operations/{running}?pool={marketing}")
                    expect(page.get_by_text("processing", exact=True)).to_be_visible()
                    shoot(page, "operation")

                    page.goto(f"{server.base_url}/console#/pools/{support_id}")
                    activity = page.locator(".activity-section")
                    expect(activity.locator("tbody tr")).to_have_count(5)
                    activity.evaluate("section => section.scrollIntoView()")
                    shoot(page, "activity")

                    page.goto(f"{server.base_url}/console#/sinks/{sinks[1]}")
                    expect(page.locator(".deliveries-table tbody tr").first).to_be_visible()
                    page.get_by_role("button", name="Send test event").click()
                    expect(page.locator(".test-result")).to_be_visible()
                    shoot(page, "sink")

                    page.goto(f"{server.base_url}/console#/senders")
                    expect(page.locator("tbody tr").first).to_be_visible()
                    shoot(page, "senders")

                    page.goto(f"{server.base_url}/console#/pools/{marketing}")
                    page.get_by_role("button", name="Add senders").first.click()
                    page.get_by_label("Sender IDs or addresses").fill(
                        "address,channel,displayName\n+14155550001,WHATSAPP,Sales\n+14155550100,SMS,New line\n"
                        "+14155550101,SMS,New line 2\nsupport@example.com,EMAIL,Support\n"
                        "+1 415 555 0199,SMS,Typo\n+14155550100,SMS,New line again\n"
                    )
                    page.get_by_role("button", name="Review").click()
                    expect(page.get_by_text("found in the inventory")).to_be_visible()
                    expect(page.get_by_text("not valid (skipped)")).to_be_visible()
                    shoot(page, "add-senders")
                    context.close()
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
