"""The web console at /console, end to end in headless Chromium against a real ``senderpools serve``."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import standardwebhooks

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")  # never fetch a browser: Debian's chromium is used

from playwright.sync_api import Browser, Page, Request, expect, sync_playwright

from senderpools.service import credentials
from senderpools.store import Store, open_store
from senderpools.worker import OperationWorker
from tests.procs import ServerProcess, clean_env, database_url, start_server
from tests.webhook_receiver import receiving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000
T = TypeVar("T")


@dataclass
class Console:
    """``senderpools serve --no-worker``: operations stay PROCESSING until a test applies them."""

    server: ServerProcess
    db: Path

    @property
    def url(self) -> str:
        return self.server.base_url

    def _with_store(self, action: Callable[[Store], Awaitable[T]]) -> T:
        """Run ``action`` on the server's database from this process (its own thread and event loop)."""

        async def run() -> T:
            store = open_store(database_url(self.db))
            try:
                return await action(store)
            finally:
                await store.close()

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, run()).result()

    def new_account(self) -> tuple[str, str]:
        async def create(store: Store) -> tuple[str, str]:
            sid, token, _ = await credentials.create_account(store)
            return sid, token

        return self._with_store(create)

    def new_api_key(self, account_sid: str) -> tuple[str, str]:
        return self._with_store(lambda store: credentials.create_api_key(store, account_sid))

    def apply_queued_operations(self) -> None:
        """Do what ``senderpools worker`` does, until no work is left (the server runs no worker)."""

        async def drain(store: Store) -> None:
            worker = OperationWorker(store)
            while await worker.run_once():
                pass

        self._with_store(drain)


@dataclass
class Tab:
    """A browser tab for one account, recording every request it makes and every script error."""

    page: Page
    console: Console
    sid: str
    secret: str
    requests: list[Request] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def api(self) -> httpx.Client:
        return self.console.server.client(self.sid, self.secret)

    def go(self, fragment: str) -> None:
        self.page.goto(f"{self.console.url}/console#{fragment}")

    def sign_in(self, sid: str | None = None, secret: str | None = None, accepted: bool = True) -> None:
        self.page.goto(f"{self.console.url}/console")
        self.page.get_by_label("Account SID or API key SID").fill(sid or self.sid)
        self.page.get_by_label("Auth token or API key secret").fill(secret or self.secret)
        self.page.get_by_role("button", name="Sign in").click()
        if accepted:
            expect(self.page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    tmp = tmp_path_factory.mktemp("console")
    server = start_server(tmp / "logs", tmp / "senderpools.db", "--no-worker", env=clean_env())
    try:
        yield Console(server, tmp / "senderpools.db")
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    expect.set_options(timeout=TIMEOUT_MS)  # a loaded machine can be slow to render; never a fixed sleep
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def live_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """``senderpools serve`` with its worker and webhook deliveries: sinks on loopback allowed (the test
    receivers), retries after 50 ms and 100 ms, then dead-lettered (as in tests/test_events.py)."""
    tmp = tmp_path_factory.mktemp("live-console")
    env = clean_env(
        SENDERPOOLS_WEBHOOK_ALLOW_PRIVATE="true",
        SENDERPOOLS_WEBHOOK_RETRY_BASE="0.05",
        SENDERPOOLS_WEBHOOK_RETRY_WINDOW="0.15",
    )
    server = start_server(tmp / "logs", tmp / "senderpools.db", env=env)
    try:
        yield Console(server, tmp / "senderpools.db")
    finally:
        server.stop()


@contextmanager
def _open_tab(console: Console, browser: Browser) -> Iterator[Tab]:
    """A fresh browser context (its own sessionStorage) for a fresh account."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    tab = Tab(page, console, *console.new_account())
    page.on("request", lambda request: tab.requests.append(request))
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    try:
        yield tab
    finally:
        context.close()
    assert tab.errors == [], tab.errors  # no script error on any page the test visited


@pytest.fixture
def tab(console: Console, browser: Browser) -> Iterator[Tab]:
    with _open_tab(console, browser) as opened:
        yield opened


@pytest.fixture
def live_tab(live_console: Console, browser: Browser) -> Iterator[Tab]:
    with _open_tab(live_console, browser) as opened:
        yield opened


def _register(client: httpx.Client, addresses: list[str], channel: str = "SMS") -> list[str]:
    response = client.post("/v1/Senders", json=[{"address": a, "channel": channel} for a in addresses])
    assert response.status_code == 201, response.text
    return [s["id"] for s in response.json()["senders"]]


def _create_pool(client: httpx.Client, **body: Any) -> tuple[str, str]:
    """POST /v1/SenderPools; returns (pool id, operation id)."""
    response = client.post("/v1/SenderPools", json=body)
    assert response.status_code == 202, response.text
    operation_id: str = response.json()["operationId"]
    pools = client.get("/v1/SenderPools", params={"operationId": operation_id}).json()
    return pools["senderPools"][0]["id"], operation_id


# -- serving ------------------------------------------------------------------------------------------
def test_console_page_and_assets_carry_a_strict_csp_and_no_inline_script(console: Console) -> None:
    page = httpx.get(f"{console.url}/console")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) is None  # every script is a file
    referenced = set(re.findall(r'(?:src|href)="([^"]+)"', page.text)) - {"/docs"}
    assert referenced == {"/console/static/favicon.svg", "/console/static/console.css", "/console/static/js/app.js"}
    for asset, media_type in [
        ("/console/static/js/app.js", "text/javascript"),
        ("/console/static/js/views/pool.js", "text/javascript"),
        ("/console/static/console.css", "text/css"),
        ("/console/static/favicon.svg", "image/svg+xml"),
    ]:
        response = httpx.get(console.url + asset)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
        assert response.headers["content-security-policy"] == csp
        again = httpx.get(console.url + asset, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304


def test_unknown_console_file_is_a_404_envelope_and_trailing_slash_redirects(console: Console) -> None:
    for path in ("js/missing.js", "..%2F..%2Fhttp%2Fconsole.py", "%2e%2e/%2e%2e/http/console.py"):
        missing = httpx.get(f"{console.url}/console/static/{path}")
        assert missing.status_code == 404, path
        assert missing.json()["errors"][0]["code"] == 20404
    slash = httpx.get(f"{console.url}/console/")
    assert slash.status_code == 308 and slash.headers["location"] == "/console"


# -- signing in -----------------------------------------------------------------------------------------
def test_wrong_token_shows_the_api_error_and_stays_on_sign_in(tab: Tab) -> None:
    tab.sign_in(secret="not-the-token", accepted=False)
    alert = tab.page.get_by_role("alert")
    expect(alert).to_contain_text("Those credentials were not accepted")
    expect(alert).to_contain_text("Authentication failed")  # the envelope's message
    assert tab.page.evaluate("sessionStorage.length") == 0


def test_credentials_live_in_session_storage_and_only_in_the_authorization_header(tab: Tab, browser: Browser) -> None:
    tab.sign_in()
    expect(tab.page.get_by_role("heading", name="Sender pools", exact=True)).to_be_visible()
    stored = json.loads(tab.page.evaluate("sessionStorage.getItem('senderpools.console.credentials')"))
    assert stored == {"sid": tab.sid, "secret": tab.secret}
    tab.page.reload()  # same tab: still signed in
    expect(tab.page.get_by_role("heading", name="Sender pools", exact=True)).to_be_visible()

    api_calls = [r for r in tab.requests if "/v1/" in r.url]
    assert api_calls
    for request in tab.requests:
        assert request.url.startswith(tab.console.url + "/")  # offline: nothing but this server
        assert tab.secret not in request.url and tab.sid not in request.url
    for request in api_calls:
        assert request.headers["authorization"].startswith("Basic ")
    assert tab.secret not in tab.console.server.stdout + tab.console.server.stderr

    other = browser.new_context()  # another tab's session starts signed out
    try:
        fresh = other.new_page()
        fresh.goto(f"{tab.console.url}/console")
        expect(fresh.get_by_role("button", name="Sign in")).to_be_visible()
    finally:
        other.close()

    tab.page.get_by_role("button", name="Sign out").click()
    expect(tab.page.get_by_role("button", name="Sign in")).to_be_visible()
    assert tab.page.evaluate("sessionStorage.length") == 0


def test_api_key_and_secret_sign_in(tab: Tab) -> None:
    key_sid, key_secret = tab.console.new_api_key(tab.sid)
    tab.sign_in(key_sid, key_secret)
    expect(tab.page.get_by_text("API key", exact=True)).to_be_visible()
    expect(tab.page.get_by_role("heading", name="No sender pools yet")).to_be_visible()


# -- the main journey ---------------------------------------------------------------------------------------
def test_create_pool_import_csv_watch_operation_filter_members_and_delete(tab: Tab, tmp_path: Path) -> None:
    page = tab.page
    tab.sign_in()
    expect(page.get_by_role("heading", name="No sender pools yet")).to_be_visible()

    page.get_by_role("button", name="New pool").click()
    page.get_by_label("Name").fill("Marketing US")
    page.get_by_label("Tags").fill("team=growth\nregion=us")
    page.get_by_role("button", name="Create pool").click()
    expect(page.get_by_role("heading", name="Marketing US")).to_be_visible()
    expect(page.get_by_role("heading", name="This pool has no members yet")).to_be_visible()
    pool_id = page.url.rsplit("/", 1)[1]

    rows = [f"+1415555{i:04d},{'SMS' if i % 2 else 'WHATSAPP'},Line {i}" for i in range(12)]
    csv_file = tmp_path / "senders.csv"
    csv_file.write_text("address,channel,displayName\n" + "\n".join(rows) + "\nops@example.com,EMAIL,Ops\n")
    page.get_by_role("button", name="Add senders").first.click()
    page.locator("input[type=file]").set_input_files(csv_file)
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_text("13 new, to be registered first")).to_be_visible()
    page.get_by_role("button", name="Add 13 senders").click()

    card = page.locator(".op-card", has_text="Add senders")
    expect(card).to_contain_text("PROCESSING")  # no worker runs yet: the operation waits
    expect(card).to_contain_text("0 of 13 applied · 13 queued")
    tab.console.apply_queued_operations()
    expect(card).to_contain_text("COMPLETED")  # the page polls and sees it finish
    expect(card).to_contain_text("13 of 13 applied")
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "13")
    expect(page.locator(".members-table tbody tr")).to_have_count(13)
    expect(page.locator(".section-head .count")).to_have_text("13")

    page.get_by_label("Channel").select_option("WHATSAPP")
    expect(page.locator(".members-table tbody tr")).to_have_count(6)
    expect(page.locator(".members-table")).not_to_contain_text("SMS")
    page.get_by_label("Channel").select_option("PUSH")
    expect(page.get_by_role("heading", name="No members match these filters")).to_be_visible()

    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Delete pool").click()
    expect(page.get_by_role("heading", name="No sender pools yet")).to_be_visible()
    with tab.api() as client:
        assert client.get(f"/v1/SenderPools/{pool_id}").status_code == 404
        assert len(client.get("/v1/Senders").json()["senders"]) == 13  # the senders stay


def test_pools_list_counts_members_searches_and_renames(tab: Tab) -> None:
    with tab.api() as client:
        senders = _register(client, [f"+1650555{i:04d}" for i in range(3)])
        _create_pool(client, name="Alpha", tags={"team": "red"})
        _create_pool(client, name="Beta", tags={"team": "blue"})
        pool_id, _ = _create_pool(client, name="Gamma", senders=[{"senderId": s} for s in senders])
    tab.console.apply_queued_operations()
    page = tab.page
    tab.sign_in()
    expect(page.locator("tr", has_text="Gamma").locator("td.num")).to_have_text("3")
    expect(page.locator("tr", has_text="Alpha").locator("td.num")).to_have_text("0")

    page.get_by_label("Search pools").fill("team=blue")
    expect(page.locator("tbody tr:visible")).to_have_count(1)
    expect(page.locator("tbody tr:visible")).to_contain_text("Beta")
    page.get_by_label("Search pools").fill("nothing-like-this")
    expect(page.get_by_text("No pool matches")).to_be_visible()
    page.get_by_role("button", name="Clear search").click()
    expect(page.locator("tbody tr:visible")).to_have_count(3)

    page.get_by_role("button", name="Edit Gamma").click()
    page.get_by_label("Name").fill("Gamma renamed")
    page.get_by_label("Tags").fill("tier=gold")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("tr", has_text="Gamma renamed")).to_contain_text("tier")
    with tab.api() as client:
        assert client.get(f"/v1/SenderPools/{pool_id}").json()["tags"] == {"tier": "gold"}


def test_pools_are_searched_through_the_api_and_listed_newest_first(tab: Tab) -> None:
    with tab.api() as client:
        for i in range(30):  # more than the first page (25) the list loads
            _create_pool(client, name=f"Campaign {i:02d}", tags={"wave": str(i % 3)})
    page = tab.page
    tab.sign_in()
    expect(page.locator("tbody tr")).to_have_count(25)
    page.get_by_label("Search pools").fill("campaign 2")  # name prefix, any case: 20 to 29, ten pools
    expect(page.locator("tbody tr")).to_have_count(10)
    expect(page.locator("tbody tr").first).to_contain_text("Campaign 20")
    page.get_by_label("Order").select_option("newest")
    expect(page.locator("tbody tr").first).to_contain_text("Campaign 29")
    expect(page.get_by_text("10 pools named")).to_be_visible()
    page.get_by_label("Search pools").fill("wave=2")  # a tag: 2, 5, ..., 29, newest first
    expect(page.locator("tbody tr")).to_have_count(10)
    expect(page.locator("tbody tr").first).to_contain_text("Campaign 29")
    expect(page.locator("tbody tr").last).to_contain_text("Campaign 02")
    searched = [r.url for r in tab.requests if "/v1/SenderPools?" in r.url and "tag=wave" in r.url]
    assert searched and all("order=newest" in url for url in searched)
    page.reload()  # the search and the order live in the URL
    expect(page.get_by_label("Search pools")).to_have_value("wave=2")
    expect(page.locator("tbody tr").first).to_contain_text("Campaign 29")


def test_pool_page_counts_from_the_summary_protects_and_removes_a_selection(tab: Tab) -> None:
    with tab.api() as client:
        phones = _register(client, [f"+1310555{i:04d}" for i in range(3)])
        emails = _register(client, ["a@example.com", "b@example.com"], "EMAIL")
        client.patch(f"/v1/Senders/{emails[1]}", json={"status": "DEACTIVATED"})
        pool_id, _ = _create_pool(client, name="Summed", senders=[{"senderId": s} for s in phones + emails])
    tab.console.apply_queued_operations()
    page = tab.page
    tab.sign_in()
    tab.go(f"/pools/{pool_id}")
    expect(page.locator(".section-head .count")).to_have_text("5")
    expect(page.locator(".member-breakdown")).to_have_text("SMS 3 · EMAIL 2 · 1 deactivated")

    page.get_by_role("button", name="Protect from deletion").click()
    expect(page.get_by_role("heading", name="Summed")).to_contain_text("Protected")
    expect(page.get_by_role("button", name="Delete", exact=True)).to_be_disabled()
    with tab.api() as client:
        extended = client.get(f"/v1/SenderPools/{pool_id}", headers={"Senderpools-Extensions": "true"}).json()
        assert extended["deletionProtection"] is True
    page.get_by_role("button", name="Allow deletion").click()
    expect(page.get_by_role("button", name="Delete", exact=True)).to_be_enabled()

    page.get_by_label("Select +13105550000").check()
    page.get_by_label("Select a@example.com").check()
    page.get_by_role("button", name="Remove 2 senders").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove").click()
    card = page.locator(".op-card", has_text="Remove senders")
    expect(card).to_contain_text("PROCESSING")
    tab.console.apply_queued_operations()
    expect(card).to_contain_text("COMPLETED")
    expect(page.locator(".members-table tbody tr")).to_have_count(3)
    expect(page.locator(".section-head .count")).to_have_text("3")
    expect(page.locator(".member-breakdown")).to_have_text("SMS 2 · EMAIL 1 · 1 deactivated")
    with tab.api() as client:
        members = client.get(f"/v1/SenderPools/{pool_id}/Senders").json()["senders"]
        assert {m["address"] for m in members} == {"+13105550001", "+13105550002", "b@example.com"}


def test_operations_list_shows_type_and_pool_and_filters_by_them(tab: Tab) -> None:
    with tab.api() as client:
        senders = _register(client, ["+17185550000", "+17185550001"])
        pool_id, create_id = _create_pool(client, name="Typed", senders=[{"senderId": s} for s in senders])
        removed = client.post(f"/v1/SenderPools/{pool_id}/Senders/Remove", json=[{"senderId": senders[0]}])
        remove_id = removed.json()["operationId"]
        _create_pool(client, name="Other")
    page = tab.page
    tab.sign_in()
    tab.go("/operations")
    row = page.locator("tr", has_text=remove_id)
    expect(row).to_contain_text("Remove senders")
    expect(row.get_by_role("link", name=f"…{pool_id[-8:]}")).to_have_attribute("href", f"#/pools/{pool_id}")
    expect(page.locator("tr", has_text=create_id)).to_contain_text("Create pool")
    page.get_by_label("Type").select_option("REMOVE_SENDERS")
    expect(page.locator(".operations-table tbody tr")).to_have_count(1)
    tab.go(f"/operations?pool={pool_id}&order=newest")
    expect(page.locator(".operations-table tbody tr")).to_have_count(2)
    expect(page.locator(".operations-table tbody tr").first).to_contain_text(remove_id)
    tab.go(f"/operations/{remove_id}")
    expect(page.get_by_role("heading", name="Remove senders")).to_be_visible()
    expect(page.get_by_role("link", name="Pool “Typed”")).to_be_visible()


def test_api_validation_errors_are_shown_with_their_field(tab: Tab) -> None:
    tab.sign_in()
    tab.page.get_by_role("button", name="New pool").click()
    tab.page.get_by_label("Tags").fill("bad key=value")
    tab.page.get_by_role("button", name="Create pool").click()
    alert = tab.page.get_by_role("dialog").get_by_role("alert")
    expect(alert).to_contain_text("The pool was not saved")
    expect(alert).to_contain_text("$.tags")
    expect(alert).to_contain_text("must be letters, digits and . _ ~ -")  # in words, not a regex
    expect(alert).not_to_contain_text("^[")
    link = alert.get_by_role("link", name="Error 20001")
    expect(link).to_have_attribute("href", "/docs/errors/20001")
    assert link.evaluate("a => a.textContent") == "Error 20001"  # no underlined leading space


def test_pool_names_and_tags_from_the_api_render_as_text(tab: Tab) -> None:
    name = '<img src=x onerror="window.pwned=1">'
    with tab.api() as client:
        pool_id, _ = _create_pool(client, name=name)
    tab.sign_in()
    expect(tab.page.get_by_role("link", name=name)).to_be_visible()
    tab.go(f"/pools/{pool_id}")
    expect(tab.page.get_by_role("heading", name=name)).to_be_visible()
    assert tab.page.locator("main img").count() == 0
    assert tab.page.evaluate("window.pwned") is None


def test_pasted_addresses_resolve_to_senders_and_unknown_ones_are_reported(tab: Tab) -> None:
    with tab.api() as client:
        (known,) = _register(client, ["+14085550100"], channel="RCS")
        pool_id, _ = _create_pool(client, name="Paste")
    tab.sign_in()
    tab.go(f"/pools/{pool_id}")
    page = tab.page
    page.get_by_role("button", name="Add senders").first.click()
    page.get_by_role("checkbox").uncheck()  # only senders already in the inventory
    page.get_by_label("Sender IDs or addresses").fill("+14085550100\n+19995550000, nobody@example.com")
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_text("1 found in the inventory")).to_be_visible()
    expect(page.get_by_text("2 not in the inventory (skipped)")).to_be_visible()
    page.get_by_role("button", name="Add 1 sender").click()
    expect(page.locator(".op-card", has_text="Add senders")).to_contain_text("0 of 1 applied")
    with tab.api() as client:
        operations = client.get("/v1/SenderPools/Operations", params={"status": "PROCESSING"}).json()["operations"]
        (operation,) = operations
        items = client.get(f"/v1/SenderPools/Operations/{operation['id']}/Items").json()["items"]
        assert [item["senderId"] for item in items] == [known]


# -- operations -----------------------------------------------------------------------------------------------
def test_cancel_asks_first_then_shows_canceled_and_pages_and_exports_failed_items(tab: Tab) -> None:
    ghost = "comms_sender_01aaaaaaaaaaaaaaaaaaaaaaaa"  # no such sender: its item shows no address
    addresses = [f"+1212555{i:04d}" for i in range(60)]
    with tab.api() as client:
        senders = _register(client, addresses)
        pool_id, _ = _create_pool(client, name="Cancel me")
        added = client.post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": s} for s in [*senders, ghost]])
        operation_id = added.json()["operationId"]
    tab.sign_in()
    tab.go(f"/operations/{operation_id}?pool={pool_id}")
    page = tab.page
    expect(page.get_by_role("heading", name="Add senders")).to_contain_text("PROCESSING")
    expect(page.locator("[data-stat=queued]")).to_have_text("61")

    page.get_by_role("button", name="Cancel operation").click()  # asks first, as Delete does
    dialog = page.get_by_role("dialog", name="Cancel this operation?")
    expect(dialog).to_contain_text("61 items not yet applied")
    dialog.get_by_role("button", name="Keep it running").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("heading", name="Add senders")).to_contain_text("PROCESSING")
    assert not [r for r in tab.requests if r.url.endswith("/Cancel")]

    page.get_by_role("button", name="Cancel operation").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel operation").click()
    expect(page.get_by_role("heading", name="Add senders")).to_contain_text("CANCELED")
    expect(page.locator("[data-stat=failed]")).to_have_text("61")
    expect(page.locator(".big-percent")).to_contain_text("Canceled")  # not "100% done"
    expect(page.locator(".big-percent")).not_to_contain_text("100%")

    # failed items: a page at a time, each with its sender's address
    rows = page.locator(".items-table tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator(".pager")).to_contain_text("1\u201350 of 61")
    expect(page.locator("tr", has_text=senders[0])).to_contain_text(addresses[0])
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".pager")).to_contain_text("51\u201361 of 61")
    expect(rows).to_have_count(11)
    expect(page.locator("tr", has_text=ghost)).to_contain_text("not in the inventory")
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    expect(rows).to_have_count(50)

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    assert download.value.suggested_filename == f"{operation_id}-failed-items.csv"
    exported = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(exported) == 61
    by_id = {row["senderId"]: row for row in exported}
    assert [by_id[s]["address"] for s in senders] == addresses
    assert by_id[senders[0]]["outcome"] == "CANCELED" and by_id[senders[0]]["channel"] == "SMS"
    assert by_id[ghost]["address"] == ""

    tab.go(f"/pools/{pool_id}")
    card = page.locator(".op-card", has_text="Add senders")
    expect(card.locator(".op-percent")).to_have_text("Canceled")
    time_box, badge_box = card.locator("time").bounding_box(), card.locator(".pill").bounding_box()
    assert time_box and badge_box and time_box["x"] + time_box["width"] < badge_box["x"]  # the time never touches it

    tab.go("/operations")
    row = page.locator("tr", has_text=operation_id)
    expect(row).to_contain_text("CANCELED")
    expect(row).to_contain_text("0 of 61 applied · 61 failed")


def test_unknown_senders_show_as_failed_items_once_applied(tab: Tab) -> None:
    unknown = "comms_sender_01aaaaaaaaaaaaaaaaaaaaaaaa"
    with tab.api() as client:
        pool_id, _ = _create_pool(client, name="Ghosts")
        operation_id = client.post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": unknown}]).json()[
            "operationId"
        ]
    tab.sign_in()
    tab.go(f"/operations/{operation_id}?pool={pool_id}")
    expect(tab.page.get_by_role("heading", name="Add senders")).to_contain_text("PROCESSING")
    tab.console.apply_queued_operations()
    expect(tab.page.get_by_role("heading", name="Add senders")).to_contain_text("COMPLETED")
    table = tab.page.locator(".items-table")
    expect(table).to_contain_text(unknown)
    expect(table).to_contain_text("SENDER_NOT_FOUND")


# -- senders ------------------------------------------------------------------------------------------------------
def test_senders_register_import_csv_filter_and_deactivate(tab: Tab, tmp_path: Path) -> None:
    page = tab.page
    tab.sign_in()
    tab.go("/senders")
    expect(page.get_by_role("heading", name="No senders yet")).to_be_visible()

    page.get_by_role("button", name="Register sender").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Channel").select_option("EMAIL")
    dialog.get_by_label("Address").fill("support@example.com")
    dialog.get_by_label("Display name").fill("Support")
    dialog.get_by_role("button", name="Register sender").click()
    expect(page.locator("tbody tr")).to_have_count(1)

    csv_file = tmp_path / "inventory.csv"
    csv_file.write_text(
        'address,channel,displayName,status\n+14155550001,SMS,"Sales, west",\n'
        "+14155550002,WHATSAPP,,DEACTIVATED\nsupport@example.com,EMAIL,Support,\n"
    )
    page.get_by_role("button", name="Import CSV").first.click()
    page.locator("input[type=file]").set_input_files(csv_file)
    page.get_by_role("dialog").get_by_role("button", name="Import").click()
    expect(page.get_by_text("2 senders registered, 1 already existed.")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(3)
    expect(page.locator("tr", has_text="+14155550001")).to_contain_text("Sales, west")

    page.get_by_label("Status", exact=True).select_option("DEACTIVATED")
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Activate +14155550002").click()
    expect(page.locator("tr", has_text="+14155550002")).to_contain_text("ACTIVATED")
    with tab.api() as client:
        found = client.post("/v1/Senders/Search", json={"address": "+14155550002", "channel": "WHATSAPP"}).json()
        assert found["senders"][0]["status"] == "ACTIVATED"


def test_csv_import_registers_the_good_rows_and_reports_the_others_by_csv_line(tab: Tab, tmp_path: Path) -> None:
    # 1,204 rows in two chunks: line 600 is not a phone number (found before anything is sent), line 50
    # repeats line 10, and line 1202 is already registered: the server refuses it as $[200] of the second
    # chunk, which must be reported as line 1202.
    addresses = [f"+1646{i:07d}" for i in range(1204)]
    rows = [f"{a},SMS" for a in addresses]
    rows[598] = "+1-not-a-number,SMS"  # line 600
    rows[48] = rows[8]  # line 50 repeats line 10
    with tab.api() as client:
        _register(client, [addresses[1200]])  # line 1202
    csv_file = tmp_path / "big.csv"
    csv_file.write_text("address,channel\n" + "\n".join(rows) + "\n")
    tab.sign_in()
    tab.go("/senders")
    page = tab.page
    page.get_by_role("button", name="Import CSV").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("input[type=file]").set_input_files(csv_file)
    dialog.get_by_role("checkbox").uncheck()  # an existing row is a failure, not a skip
    dialog.get_by_role("button", name="Import").click()
    outcome = dialog.locator(".import-outcome")
    expect(outcome).to_have_text("1,201 senders registered, 1 repeated row skipped, 2 rows failed.")
    failures = dialog.locator(".import-failures")
    expect(failures).to_contain_text("Line 600: +1-not-a-number must be an E.164 phone number")
    expect(failures).to_contain_text(f"Line 1202: {addresses[1200]}")
    expect(failures).not_to_contain_text("$[")
    expect(dialog).to_contain_text("Line 50: " + addresses[8] + " repeats line 10 (skipped)")
    expect(dialog).not_to_contain_text("not added")
    with page.expect_download() as download:
        dialog.get_by_role("link", name="Download the 2 failed rows (CSV)").click()
    failed = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [(r["line"], r["address"], r["channel"]) for r in failed] == [
        ("600", "+1-not-a-number", "SMS"),
        ("1202", addresses[1200], "SMS"),
    ]
    assert "E.164" in failed[0]["reason"] and "already" in failed[1]["reason"].lower()

    dialog.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    # newest first: the last rows of the file are on the first page, the first ones are not
    first_page = page.locator("tbody tr")
    expect(first_page.first).to_contain_text(addresses[-1])
    expect(page.locator("tbody")).not_to_contain_text(addresses[0])
    with tab.api() as client:
        first = client.get("/v1/Senders", params={"pageSize": 1000}).json()
        rest = client.get("/v1/Senders", params={"pageSize": 1000, "pageToken": first["pagination"]["next"]}).json()
        assert len(first["senders"]) + len(rest["senders"]) == 1202  # 1,201 imported + the one registered before


def test_add_senders_registers_the_good_rows_and_adds_them_despite_a_failed_line(tab: Tab, tmp_path: Path) -> None:
    addresses = [f"+1917{i:07d}" for i in range(1201)]
    rows = [f"{a},SMS" for a in addresses]
    rows[1200] = "+1 917 bad,SMS"  # line 1202, as in the report
    with tab.api() as client:
        pool_id, _ = _create_pool(client, name="Partial")
    csv_file = tmp_path / "pool.csv"
    csv_file.write_text("address,channel\n" + "\n".join(rows) + "\n")
    tab.sign_in()
    tab.go(f"/pools/{pool_id}")
    page = tab.page
    page.get_by_role("button", name="Add senders").first.click()
    dialog = page.get_by_role("dialog")
    dialog.locator("input[type=file]").set_input_files(csv_file)
    dialog.get_by_role("button", name="Review").click()
    # the bad address is caught at Review, by its CSV line, with the server's own rule
    expect(dialog.get_by_text("1,200 new, to be registered first")).to_be_visible()
    expect(dialog.get_by_text("1 not valid (skipped)")).to_be_visible()
    expect(dialog).to_contain_text("Line 1202: +1 917 bad must be an E.164 phone number")
    # meanwhile someone registers line 1101's address: the server refuses it in the second chunk
    with tab.api() as client:
        _register(client, [addresses[1099]])
    dialog.get_by_role("button", name="Add 1,200 senders").click()
    expect(dialog.locator(".import-outcome")).to_have_text(
        "1,199 senders registered, 1,199 senders being added to the pool, 2 rows failed."
    )
    expect(dialog.locator(".import-failures")).to_contain_text(f"Line 1101: {addresses[1099]}")
    expect(dialog.locator(".import-failures")).to_contain_text("Line 1202:")
    expect(dialog).not_to_contain_text("not added")
    expect(dialog.get_by_role("link", name="Download the 2 failed rows (CSV)")).to_be_visible()
    dialog.get_by_role("button", name="Done").click()
    cards = page.locator(".op-card", has_text="Add senders")  # one per 1,000 senders
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("0 of 199 applied")  # newest first
    expect(cards.nth(1)).to_contain_text("0 of 1,000 applied")
    tab.console.apply_queued_operations()
    expect(cards.nth(0)).to_contain_text("199 of 199 applied")
    expect(cards.nth(1)).to_contain_text("1,000 of 1,000 applied")
    expect(page.locator(".section-head .count")).to_have_text("1,199")
    expect(page.locator(".members-table tbody tr").first).to_contain_text(addresses[1199])  # newest first: line 1201


def test_a_deleted_pools_page_says_so_and_leads_back(tab: Tab) -> None:
    with tab.api() as client:
        pool_id, _ = _create_pool(client, name="Gone")
        assert client.delete(f"/v1/SenderPools/{pool_id}").status_code in (200, 202, 204)
    tab.sign_in()
    tab.go(f"/pools/{pool_id}")
    expect(tab.page.get_by_role("heading", name="This pool no longer exists")).to_be_visible()
    expect(tab.page.get_by_role("button", name="Retry")).to_have_count(0)
    tab.page.get_by_role("link", name="Back to pools").click()
    expect(tab.page.get_by_role("heading", name="Sender pools", exact=True)).to_be_visible()


def test_the_servers_root_leads_a_browser_to_the_console(console: Console) -> None:
    response = httpx.get(f"{console.url}/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/console"
    assert httpx.get(f"{console.url}/", follow_redirects=True).url.path == "/console"


def test_try_a_recipient_shows_the_choice_and_why_without_storing_it(tab: Tab) -> None:
    with tab.api() as client:
        local, far = _register(client, ["+14155550100", "+442071838750"])
        pool_id, _ = _create_pool(client, name="Try", senders=[{"senderId": s} for s in (local, far)])
    tab.console.apply_queued_operations()
    tab.sign_in()
    tab.go(f"/pools/{pool_id}")
    page = tab.page
    panel = page.locator("details.try-section")
    panel.get_by_role("heading", name="Try a recipient").click()  # folded until opened
    panel.get_by_label("Recipient", exact=True).fill("+14155559999")
    panel.get_by_role("button", name="Try", exact=True).click()
    result = panel.locator(".try-table")
    expect(result).to_contain_text("+14155550100")
    expect(result).to_contain_text("SAME_AREA_CODE")
    expect(panel.locator(".try-lost")).to_contain_text("OTHER_COUNTRY")
    with tab.api() as client:  # a dry run: nothing remembered
        sticky = client.get("/v1/Senders/StickySenders", params={"address": "+14155559999"}).json()
        assert sticky == {"mappings": []}
    panel.get_by_label("Stickiness").select_option("ACCOUNT")
    panel.get_by_text("Remember the choice").click()
    panel.get_by_role("button", name="Try", exact=True).click()
    expect(result).to_contain_text("STICKY_CREATED")
    with tab.api() as client:
        (mapping,) = client.get("/v1/Senders/StickySenders", params={"address": "+14155559999"}).json()["mappings"]
        assert mapping["senderId"] == local
    panel.get_by_label("Recipient", exact=True).fill("")
    panel.get_by_role("button", name="Try", exact=True).click()
    expect(panel.get_by_text("Nothing to try")).to_be_visible()


# -- events: the pool's activity, and webhook sinks --------------------------------------------------------------
POOL_CREATED = "io.senderpools.senderpool.created"


def test_pool_activity_lists_its_events_newest_first_with_who_and_pages(tab: Tab) -> None:
    key_sid, key_secret = tab.console.new_api_key(tab.sid)
    with tab.api() as client:
        first = _register(client, ["+15035550000", "+15035550001"])
        pool_id, create_id = _create_pool(client, name="Audited", senders=[{"senderId": s} for s in first])
    tab.console.apply_queued_operations()
    with tab.api() as client:
        for i in range(19):  # 26 events of the pool in all: more than the first page (20)
            assert client.patch(f"/v1/SenderPools/{pool_id}", json={"tags": {"wave": str(i)}}).status_code == 202
        (later,) = _register(client, ["+15035550002"])
    ghost = "comms_sender_01aaaaaaaaaaaaaaaaaaaaaaaa"
    with tab.console.server.client(key_sid, key_secret) as key:  # another actor: an API key
        added = key.post(f"/v1/SenderPools/{pool_id}/Senders", json=[{"senderId": later}, {"senderId": ghost}])
        add_id = added.json()["operationId"]
    tab.console.apply_queued_operations()
    tab.sign_in()
    tab.go(f"/pools/{pool_id}")
    page = tab.page
    rows = page.locator(".activity-table tbody tr")
    expect(rows).to_have_count(20)
    # Newest first: the key's Add (queued, applied, completed: its actor carried to the background work),
    # then the 19 updates, then the Create.
    for n, what in enumerate(["Operation completed", "Senders added: 1 · 1 not found", "Operation queued"]):
        expect(rows.nth(n).locator(".event-what")).to_contain_text(what)
        expect(rows.nth(n)).to_contain_text(key_sid)
        expect(rows.nth(n)).not_to_contain_text("(you)")
        link = rows.nth(n).get_by_role("link", name=add_id)
        expect(link).to_have_attribute("href", f"#/operations/{add_id}?pool={pool_id}")
    expect(rows.nth(3).locator(".event-what")).to_have_text("Pool updated: tags")
    expect(rows.nth(3)).to_contain_text(f"{tab.sid} (you)")

    page.locator(".activity-section").get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(26)
    expect(rows.nth(22).locator(".event-what")).to_contain_text("Operation completed")
    expect(rows.nth(23).locator(".event-what")).to_have_text("Senders added: 2")
    expect(rows.nth(23).get_by_role("link", name=create_id)).to_be_visible()
    expect(rows.nth(24).locator(".event-what")).to_contain_text("Operation queued")
    expect(rows.nth(25).locator(".event-what")).to_have_text("Pool created: “Audited”")
    expect(page.locator(".activity-section")).not_to_contain_text("Sender registered")  # not the pool's
    expect(page.locator(".activity-section").get_by_role("button", name="Load more")).to_have_count(0)
    asked = [r.url for r in tab.requests if "/v1/Events?" in r.url]
    assert asked and all(f"senderPoolId={pool_id}" in url and "order=newest" in url for url in asked)


def test_a_new_sink_shows_its_secret_once_and_its_test_event_and_deliveries_reach_the_receiver(live_tab: Tab) -> None:
    tab, page = live_tab, live_tab.page
    with receiving() as receiver:
        tab.sign_in()
        page.get_by_role("link", name="Event sinks").click()
        expect(page.get_by_role("heading", name="No event sinks yet")).to_be_visible()
        page.get_by_role("button", name="New sink").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("URL").fill("ftp://example.com/hook")
        dialog.get_by_role("button", name="Create sink").click()
        expect(dialog.get_by_role("alert")).to_contain_text("The sink was not saved")  # the server's words

        dialog.get_by_label("URL").fill(receiver.url)
        dialog.get_by_label("Description").fill("Pool hook")
        dialog.get_by_label("Pool created").check()
        dialog.get_by_role("button", name="Create sink").click()
        expect(dialog).to_contain_text("you will not see it again")
        secret = dialog.locator("[data-secret]").inner_text()
        assert secret.startswith("whsec_")
        dialog.get_by_role("button", name="Done").click()
        row = page.locator(".sinks-table tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(receiver.url)
        expect(row).to_contain_text("Pool created")
        with tab.api() as client:
            (sink,) = client.get("/v1/EventSinks").json()["eventSinks"]
            assert sink["types"] == [POOL_CREATED] and sink["description"] == "Pool hook"
            assert secret not in client.get(f"/v1/EventSinks/{sink['id']}").text
        page.reload()
        expect(row).to_have_count(1)
        assert secret not in page.content()  # shown once: gone after a reload

        row.get_by_role("link", name=receiver.url).click()
        expect(page.get_by_role("heading", name="Pool hook")).to_be_visible()
        expect(page.get_by_role("heading", name="Nothing delivered yet")).to_be_visible()
        page.get_by_role("button", name="Send test event").click()
        result = page.locator(".test-result")
        expect(result).to_contain_text("Test event delivered")
        expect(result).to_contain_text("HTTP 200 in")
        (test,) = receiver.wait_for(1)
        event = standardwebhooks.Webhook(secret).verify(test.body.decode(), test.headers)  # the secret shown signs
        assert event["type"] == "io.senderpools.eventsink.test"

        with tab.api() as client:
            _create_pool(client, name="Delivered")
        receiver.wait_for(2)
        page.get_by_role("button", name="Refresh").click()
        delivery = page.locator(".deliveries-table tbody tr")
        expect(delivery).to_have_count(1)
        expect(delivery).to_contain_text("Pool created")
        expect(delivery.locator(".pill")).to_have_text("DELIVERED")
        expect(delivery.locator("td.attempts")).to_have_text("1")
        expect(delivery.locator(".answer")).to_contain_text("HTTP 200 in")

        page.get_by_role("button", name="Edit").click()
        page.get_by_role("dialog").get_by_label("Senders added").check()
        page.get_by_role("dialog").get_by_role("button", name="Save changes").click()
        expect(page.locator(".meta.sink-types")).to_have_text("Receives: Pool created, Senders added")
        with tab.api() as client:
            assert set(client.get(f"/v1/EventSinks/{sink['id']}").json()["types"]) == {
                POOL_CREATED,
                "io.senderpools.senderpool.members.added",
            }


def test_a_dead_lettered_delivery_is_redelivered_from_the_console_and_delete_asks_first(live_tab: Tab) -> None:
    tab, page = live_tab, live_tab.page
    with receiving(lambda n: 503 if n < 3 else 200) as receiver:  # three failures: dead-lettered
        with tab.api() as client:
            created = client.post("/v1/EventSinks", json={"url": receiver.url, "types": [POOL_CREATED]})
            assert created.status_code == 201, created.text
            sink_id = created.json()["id"]
            _create_pool(client, name="Flaky")
            receiver.wait_for(3)
            deliveries = f"/v1/EventSinks/{sink_id}/Deliveries"
            for _ in range(200):
                (found,) = client.get(deliveries).json()["deliveries"]
                if found["status"] == "FAILED":
                    break
                page.wait_for_timeout(50)
            assert found["status"] == "FAILED", found
        tab.sign_in()
        tab.go(f"/sinks/{sink_id}")
        page.get_by_label("Delivery status").select_option("FAILED")
        row = page.locator(".deliveries-table tbody tr")
        expect(row).to_have_count(1)
        expect(row.locator(".pill")).to_have_text("FAILED")
        expect(row.locator("td.attempts")).to_have_text("3")
        expect(row.locator(".answer")).to_contain_text("HTTP 503 in")
        expect(row.locator(".delivery-error")).to_have_text("ok")  # the excerpt of what the receiver answered
        row.get_by_role("button", name=f"Redeliver {found['eventId']}").click()
        expect(page.get_by_role("heading", name="No FAILED deliveries")).to_be_visible()  # it left the filter
        assert len(receiver.wait_for(4)) == 4
        page.get_by_label("Delivery status").select_option("DELIVERED")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(found["eventId"])
        expect(row.locator(".answer")).to_contain_text("HTTP 200 in")
        expect(row.locator("td.attempts")).to_have_text("1")  # a fresh schedule

        page.get_by_role("button", name="Delete", exact=True).click()
        confirm = page.get_by_role("dialog", name="Delete this event sink?")
        expect(confirm).to_contain_text(receiver.url)
        confirm.get_by_role("button", name="Cancel").click()
        expect(confirm).to_have_count(0)
        with tab.api() as client:
            assert client.get(f"/v1/EventSinks/{sink_id}").status_code == 200  # still there
        page.get_by_role("button", name="Delete", exact=True).click()
        page.get_by_role("dialog").get_by_role("button", name="Delete sink").click()
        expect(page.get_by_role("heading", name="No event sinks yet")).to_be_visible()
        with tab.api() as client:
            assert client.get(f"/v1/EventSinks/{sink_id}").status_code == 404
