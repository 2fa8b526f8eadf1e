"""Regenerate the console screenshots in this folder (not part of the test run).

    .venv/bin/python docs/screenshots/make_screenshots.py

Starts ``senderpools serve --no-worker`` on a throwaway database, fills it with sample data through the
public API, runs a ``senderpools worker`` long enough to leave one operation part-way done, then drives
Debian's Chromium (``/usr/bin/chromium``) with Playwright and saves the main pages as PNG files here.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from playwright.sync_api import Page, expect, sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the repository root, for tests.procs

from tests.procs import Process, bootstrap_credentials, database_url, start_server, wait_operation  # noqa: E402
from tests.test_console import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

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


def shoot(page: Page, name: str) -> None:
    page.wait_for_timeout(400)  # let progress bars finish their transition
    page.screenshot(path=str(HERE / f"{name}.png"))
    print(f"saved docs/screenshots/{name}.png")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        db = tmp / "senderpools.db"
        server = start_server(tmp / "logs", db, "--no-worker")
        try:
            sid, token = bootstrap_credentials(server.stdout) or ("", "")
            with server.client(sid, token) as client:
                inventory = sample_inventory(client)
                phones, emails, pushes, bulk = (inventory[k] for k in ("phones", "emails", "pushes", "bulk"))
                marketing, _ = create_pool(client, "Marketing US", {"team": "growth", "region": "us"}, phones[:24])
                support = {"team": "support", "region": "emea"}
                ops = [
                    create_pool(client, "Support EMEA", support, emails + phones[24:30])[1],
                    create_pool(client, "Transactional", {"tier": "critical"}, bulk[:1200] + phones[30:])[1],
                    create_pool(client, "Mobile app", {"team": "mobile"}, pushes)[1],
                ]
                create_pool(client, "Black Friday 2026", {"campaign": "bf26"}, [])
                ghosts = [f"comms_sender_01{c * 24}" for c in "abc"]
                ops.append(add(client, marketing, phones[24:34] + ghosts))  # three unknown senders fail
                worker = Process(["worker", "--database-url", database_url(db)], tmp / "logs")
                for operation_id in ops:
                    wait_operation(client, operation_id)
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
