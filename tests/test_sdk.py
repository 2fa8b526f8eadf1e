"""The Python SDK (senderpools.client) against a real in-process server: every method, paging, wait, retry, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from starlette.testclient import TestClient

from senderpools.client import (
    NO_RETRY,
    ApiConnectionError,
    ApiError,
    AsyncClient,
    Channel,
    Client,
    ConfigurationError,
    ConflictError,
    CreatedPool,
    InvalidRequestError,
    ItemOutcome,
    ListOrder,
    NewSender,
    NotFoundError,
    OperationStatus,
    OperationTimeoutError,
    OperationType,
    PendingOperation,
    PreconditionFailedError,
    Recipient,
    RetryPolicy,
    SenderPoolOperation,
    SenderPoolsError,
    SenderStatus,
    TooManyRequestsError,
    UnauthorizedError,
)
from senderpools.composition import create_app
from tests.conftest import Account, Server, make_settings

BASE_URL = "http://testserver"


def sdk(server: Server, account: Account, **options: Any) -> Client:
    """A Client that reaches the in-process app through the TestClient's transport."""
    return Client(account.sid, account.secret, base_url=BASE_URL, http_client=server.client, **options)


def phones(count: int, start: int = 0) -> list[NewSender]:
    return [NewSender(address=f"+1415{start + i:07d}", channel="SMS") for i in range(count)]


def record(server: Server) -> list[httpx.Request]:
    """Every request the app answers from now on, with its response attached."""
    seen: list[httpx.Request] = []
    server.client.event_hooks = {"request": [seen.append], "response": []}
    return seen


def statuses(server: Server) -> list[int]:
    """The status of every response from now on."""
    seen: list[int] = []
    server.client.event_hooks = {"request": [], "response": [lambda r: seen.append(r.status_code)]}
    return seen


@pytest.fixture
def client(server: Server, account: Account) -> Iterator[Client]:
    with sdk(server, account) as c:
        yield c


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Server]:
    """A server whose rate limiter allows a burst of 2 requests, then 2 per second, per account."""
    settings = make_settings(tmp_path, rate_limit=2.0, rate_burst=2.0)
    with TestClient(create_app(settings), base_url=BASE_URL, raise_server_exceptions=False) as c:
        yield Server(c, settings)


@pytest.fixture
def idle(tmp_path: Path) -> Iterator[Server]:
    """A server without the operation worker: operations stay PROCESSING."""
    settings = make_settings(tmp_path, run_worker=False)
    with TestClient(create_app(settings), base_url=BASE_URL, raise_server_exceptions=False) as c:
        yield Server(c, settings)


# -- configuration ---------------------------------------------------------------------------------------
def test_credentials_and_base_url_come_from_the_environment(
    server: Server, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", account.sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", account.secret)
    monkeypatch.setenv("SENDERPOOLS_BASE_URL", BASE_URL + "/v1/")
    monkeypatch.delenv("TWILIO_API_KEY", raising=False)
    monkeypatch.delenv("TWILIO_API_SECRET", raising=False)
    with Client(http_client=server.client) as client:
        assert client.base_url == BASE_URL
        assert list(client.sender_pools.list()) == []


def test_api_key_and_secret_authenticate_for_their_account(
    server: Server, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = server.new_api_key(account)
    sender = sdk(server, account).senders.create("+14155550100", Channel.SMS)
    monkeypatch.setenv("TWILIO_API_KEY", key.sid)
    monkeypatch.setenv("TWILIO_API_SECRET", key.secret)
    with Client(base_url=BASE_URL, http_client=server.client) as client:
        assert client.senders.fetch(sender.id) == sender


def test_missing_credentials_are_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError):
        Client(base_url=BASE_URL)
    with pytest.raises(ConfigurationError):
        Client("AC" + "0" * 32, "token", base_url="ftp://example.com")


# -- sender pools ----------------------------------------------------------------------------------------
def test_create_with_wait_returns_the_finished_operation_and_the_new_pool(client: Client) -> None:
    senders = client.senders.create_many(phones(3))
    created = client.sender_pools.create("campaign", tags={"env": "prod"}, senders=senders, wait=True)
    assert isinstance(created, CreatedPool)
    assert created.operation.status is OperationStatus.COMPLETED
    assert (created.operation.stats.total, created.operation.stats.created, created.operation.stats.failed) == (4, 4, 0)
    assert created.pool is not None
    assert (created.pool.name, created.pool.tags) == ("campaign", {"env": "prod"})
    assert [s.id for s in client.sender_pools.list_senders(created.pool.id)] == [s.id for s in senders]


def test_create_without_wait_returns_a_pending_operation_that_can_be_waited_for(client: Client) -> None:
    senders = client.senders.create_many(phones(2))
    pending = client.sender_pools.create(senders=[s.id for s in senders])
    assert isinstance(pending, PendingOperation)
    assert pending.operation_location == f"{BASE_URL}/v1/SenderPools/Operations/{pending.operation_id}"
    assert pending.fetch().id == pending.operation_id
    seen: list[SenderPoolOperation] = []
    final = pending.wait(timeout=30, on_progress=seen.append)
    assert final.status is OperationStatus.COMPLETED
    assert final.stats.created == 3
    assert seen[-1] == final
    (pool,) = client.sender_pools.list(operation_id=pending.operation_id)
    assert pool.name == ""


def test_fetch_update_and_delete_a_pool(client: Client) -> None:
    created = client.sender_pools.create("before", tags={"a": "1"}, wait=True)
    assert created.pool is not None
    pool_id = created.pool.id
    assert client.sender_pools.fetch(pool_id) == created.pool
    reference = client.sender_pools.update(pool_id, name="after", tags={"b": "2"})
    assert reference.resource_id == pool_id
    assert reference.resource_location == f"{BASE_URL}/v1/SenderPools/{pool_id}"
    updated = client.sender_pools.fetch(pool_id)
    assert (updated.name, updated.tags) == ("after", {"b": "2"})
    deleted = client.sender_pools.delete(pool_id)
    assert deleted is not None and deleted.resource_id == pool_id
    with pytest.raises(NotFoundError):
        client.sender_pools.fetch(pool_id)


def test_list_walks_every_page_lazily(server: Server, client: Client) -> None:
    made = [client.sender_pools.create(f"pool-{i}", wait=True).pool for i in range(5)]
    requests = record(server)
    pager = client.sender_pools.list(page_size=2)
    first = next(iter(pager))
    assert len(requests) == 1  # only the first page was fetched
    assert first == made[0]
    assert [p.name for p in pager] == [f"pool-{i}" for i in range(5)]
    pages = list(pager.pages())
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert pages[-1].next_token is None
    assert all(p.self_token for p in pages)


def test_list_resumes_from_a_page_token_with_the_same_filters(client: Client) -> None:
    client.senders.create_many(phones(5))
    client.senders.create_many([NewSender(address="a@example.com", channel="EMAIL")])
    first = client.senders.list(channel="SMS", page_size=2).first_page()
    assert first.next_token is not None
    rest = list(client.senders.list(channel=Channel.SMS, page_size=2, page_token=first.next_token))
    assert [s.address for s in first.items + rest] == [f"+1415{i:07d}" for i in range(5)]


def test_list_filters_by_operation_and_dates(client: Client) -> None:
    first = client.sender_pools.create("first", wait=True)
    second = client.sender_pools.create("second", wait=True)
    assert first.pool is not None and second.pool is not None
    assert [p.id for p in client.sender_pools.list(operation_id=second.operation.id)] == [second.pool.id]
    since = list(client.sender_pools.list(start_date=second.pool.created_at))
    assert second.pool.id in [p.id for p in since]
    assert list(client.sender_pools.list(end_date=first.pool.created_at)) == []


def test_list_senders_of_a_pool_filters_by_channel_and_status(client: Client) -> None:
    sms = client.senders.create_many(phones(2))
    email = client.senders.create("ops@example.com", "EMAIL", status=SenderStatus.DEACTIVATED)
    created = client.sender_pools.create(senders=[*sms, email], wait=True)
    assert created.pool is not None
    pool_id = created.pool.id
    assert [s.id for s in client.sender_pools.list_senders(pool_id, channel="EMAIL")] == [email.id]
    assert [s.id for s in client.sender_pools.list_senders(pool_id, status="ACTIVATED", page_size=1)] == [
        s.id for s in sms
    ]


def test_add_senders_with_wait_counts_unknown_senders_as_failed(client: Client) -> None:
    kept, gone = client.senders.create_many(phones(2))
    client.senders.delete(gone.id)
    created = client.sender_pools.create("pool", wait=True)
    assert created.pool is not None
    operation = client.sender_pools.add_senders(created.pool.id, [kept.id, gone.id], wait=True)
    assert operation.status is OperationStatus.COMPLETED
    assert (operation.stats.total, operation.stats.created, operation.stats.failed) == (2, 1, 1)
    assert [s.id for s in client.sender_pools.list_senders(created.pool.id)] == [kept.id]


def test_add_senders_pending_operation_has_a_pool_scoped_location(client: Client) -> None:
    senders = client.senders.create_many(phones(3))
    created = client.sender_pools.create("pool", wait=True)
    assert created.pool is not None
    pending = client.sender_pools.add_senders(created.pool.id, senders)
    assert pending.operation_location == (
        f"{BASE_URL}/v1/SenderPools/{created.pool.id}/Senders/Operations/{pending.operation_id}"
    )
    assert pending.wait(timeout=30).stats.created == 3


def test_remove_sender_takes_it_out_of_the_pool(client: Client) -> None:
    first, second = client.senders.create_many(phones(2))
    created = client.sender_pools.create(senders=[first, second], wait=True)
    assert created.pool is not None
    reference = client.sender_pools.remove_sender(created.pool.id, first.id)
    assert reference is not None and reference.resource_id == first.id
    assert [s.id for s in client.sender_pools.list_senders(created.pool.id)] == [second.id]
    with pytest.raises(NotFoundError):
        client.sender_pools.remove_sender(created.pool.id, first.id)


def test_list_and_fetch_operations(client: Client) -> None:
    first = client.sender_pools.create("a", wait=True).operation
    second = client.sender_pools.create("b", wait=True).operation
    assert [o.id for o in client.sender_pools.list_operations(page_size=1)] == [first.id, second.id]
    assert [o.id for o in client.sender_pools.list_operations(status="PROCESSING")] == []
    assert client.sender_pools.fetch_operation(second.id) == second
    assert client.sender_pools.wait_operation(first.id).status is OperationStatus.COMPLETED


def test_wait_gives_up_with_the_last_state_seen(idle: Server) -> None:
    account = idle.new_account()
    with sdk(idle, account) as client:
        senders = client.senders.create_many(phones(2))
        pending = client.sender_pools.create("stuck", senders=senders)
        with pytest.raises(OperationTimeoutError) as caught:
            pending.wait(timeout=0.3)
    assert caught.value.operation.id == pending.operation_id
    assert caught.value.operation.status is OperationStatus.PROCESSING
    assert caught.value.operation.stats.queued == 2
    assert isinstance(caught.value, TimeoutError)


# -- senders ---------------------------------------------------------------------------------------------
def test_create_fetch_update_and_delete_a_sender(client: Client) -> None:
    sender = client.senders.create("+14155550100", "SMS", display_name="Support", tags={"team": "care"})
    assert (sender.address, sender.channel, sender.status) == ("+14155550100", Channel.SMS, SenderStatus.ACTIVATED)
    assert (sender.display_name, sender.tags) == ("Support", {"team": "care"})
    assert client.senders.fetch(sender.id) == sender
    changed = client.senders.update(sender.id, status="DEACTIVATED", tags={})
    assert (changed.status, changed.tags, changed.display_name) == (SenderStatus.DEACTIVATED, {}, "Support")
    cleared = client.senders.update(sender.id, display_name=None)
    assert cleared.display_name is None
    client.senders.delete(sender.id)
    with pytest.raises(NotFoundError):
        client.senders.fetch(sender.id)


def test_create_many_returns_senders_in_order_and_list_filters_them(client: Client) -> None:
    made = client.senders.create_many(
        [*phones(3), NewSender(address="push-1", channel="PUSH", status="DEACTIVATED", display_name="app")]
    )
    assert [s.address for s in made] == ["+14150000000", "+14150000001", "+14150000002", "push-1"]
    assert [s.id for s in client.senders.list(page_size=2)] == [s.id for s in made]
    assert [s.id for s in client.senders.list(channel="PUSH")] == [made[3].id]
    assert [s.id for s in client.senders.list(status=SenderStatus.ACTIVATED)] == [s.id for s in made[:3]]


def test_search_finds_an_address_on_phone_channels(client: Client) -> None:
    sms = client.senders.create("+14155550100", "SMS")
    whatsapp = client.senders.create("+14155550100", "WHATSAPP")
    client.senders.create("+14155550101", "SMS")
    assert [s.id for s in client.senders.search("+14155550100", "PHONE", page_size=1)] == [sms.id, whatsapp.id]
    assert [s.id for s in client.senders.search("+14155550100", Channel.WHATSAPP)] == [whatsapp.id]
    assert list(client.senders.search("+14155550100", "SMS", status="DEACTIVATED")) == []


def test_resolve_returns_candidates_per_recipient(client: Client) -> None:
    sms = client.senders.create("+14155550100", "SMS", display_name="Main")
    email = client.senders.create("hello@example.com", "EMAIL")
    created = client.sender_pools.create(senders=[sms], wait=True)
    assert created.pool is not None
    results = client.senders.resolve([("+14155559999", "PHONE"), Recipient(address="bob@example.com", channel="EMAIL")])
    assert [(r.to.address, r.from_.sender_id, r.priority) for r in results] == [
        ("+14155559999", sms.id, 1),
        ("bob@example.com", email.id, 1),
    ]
    assert results[0].from_.display_name == "Main"
    in_pool = client.senders.resolve(
        [{"address": "bob@example.com", "channel": "EMAIL"}, ("+14155559999", "PHONE")],
        sender_pool_id=created.pool.id,
    )
    assert [r.from_.sender_id for r in in_pool] == [sms.id]
    only_email = client.senders.resolve([("+14155559999", "PHONE")], filter_in=["EMAIL"], priority=["EMAIL"])
    assert only_email == []


def test_resolve_options_sticky_senders_weights_and_selection(server: Server, account: Account) -> None:
    with sdk(server, account, extensions=True) as client:
        local = client.senders.create("+14155550100", "SMS", weight=5, health="DEGRADED")
        assert (local.weight, local.health, local.country, local.area_code) == (5, "DEGRADED", "US", "415")
        (far,) = client.senders.create_many([NewSender(address="+442071838750", channel="SMS", weight=2)])
        assert (far.weight, far.country) == (2, "GB")
        assert client.senders.update(far.id, health="UNHEALTHY").health == "UNHEALTHY"
        created = client.sender_pools.create(
            senders=[local, far], channel_priority=["SMS"], sender_type_priority=["TOLL_FREE"], wait=True
        )
        assert created.pool is not None and created.pool.selection is not msgspec.UNSET
        assert created.pool.selection.sender_type_priority == ["TOLL_FREE"]
        client.sender_pools.update(created.pool.id, sender_type_priority=[])
        assert client.sender_pools.fetch(created.pool.id).selection.sender_type_priority == []
        results = client.senders.resolve(
            [("+442079460001", "SMS")], sender_pool_id=created.pool.id, geo_match=True, skip_unhealthy=True,
            stickiness="ACCOUNT", explain=True, dry_run=True,
        )  # fmt: skip
        assert [r.from_.sender_id for r in results] == [local.id]  # the London sender is UNHEALTHY
        assert results[0].reasons is not None and results[0].reasons[-1].code == "STICKY_DRY_RUN"
        assert results.recipients is not None and results.recipients[0].lost[0].reason == "UNHEALTHY"
        assert client.senders.sticky_senders("+442079460001") == []
        client.senders.resolve([("+442079460001", "SMS")], stickiness="ACCOUNT", skip_unhealthy=True)
        (mapping,) = client.senders.sticky_senders("+442079460001", scope="ACCOUNT")
        assert (mapping.sender_id, mapping.scope, mapping.expires_at) == (local.id, "ACCOUNT", None)
        assert client.senders.clear_sticky_senders("+442079460001") == 1
    with sdk(server, account, extensions=False) as stock:
        assert stock.senders.fetch(local.id).weight is msgspec.UNSET  # no extension fields unless asked


# -- errors ----------------------------------------------------------------------------------------------
def test_validation_errors_carry_every_entry_of_the_envelope(client: Client) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.sender_pools.create(tags={"bad key": "x"}, senders=["not-an-id"])
    error = caught.value
    assert (error.status_code, error.code) == (400, 20001)
    assert {e.context for e in error.errors} >= {"$.senders[0].senderId"}
    assert len(error.errors) >= 2
    assert error.info_url is not None and error.info_url.endswith("/docs/errors/20001")
    assert error.method == "POST" and error.url == f"{BASE_URL}/v1/SenderPools"
    assert isinstance(error, ApiError) and isinstance(error, SenderPoolsError)


def test_not_found_maps_to_not_found_error(client: Client) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.sender_pools.fetch("comms_senderpool_01h9krwprkeee8fzqspvwy6nq8")
    assert (caught.value.status_code, caught.value.code, caught.value.context) == (404, 20404, "null")
    assert "was not found" in caught.value.message


def test_wrong_credentials_map_to_unauthorized_error(server: Server, account: Account) -> None:
    client = Client(account.sid, "wrong", base_url=BASE_URL, http_client=server.client)
    with pytest.raises(UnauthorizedError) as caught:
        list(client.senders.list())
    assert (caught.value.status_code, caught.value.code) == (401, 20003)
    assert caught.value.headers["www-authenticate"] == 'Basic realm="senderpools"'


def test_conflicts_name_each_offending_item(client: Client) -> None:
    client.senders.create("+14155550100", "SMS")
    with pytest.raises(ConflictError) as caught:
        client.senders.create_many(phones(2, start=5550099))
    assert caught.value.code == 20409
    assert [e.context for e in caught.value.errors] == ["$[1]"]


def test_an_unreachable_server_is_a_connection_error(account: Account) -> None:
    with (
        Client(account.sid, account.secret, base_url="http://127.0.0.1:1", retry=NO_RETRY) as client,
        pytest.raises(ApiConnectionError),
    ):
        client.sender_pools.fetch("comms_senderpool_01h9krwprkeee8fzqspvwy6nq8")


# -- retries ---------------------------------------------------------------------------------------------
def exhaust(client: Client) -> None:
    """Spend the account's burst of two requests."""
    for _ in range(2):
        list(client.sender_pools.list())


def test_reads_are_retried_after_429_honouring_retry_after(limited: Server) -> None:
    client = sdk(limited, limited.new_account())
    exhaust(client)
    seen = statuses(limited)
    assert list(client.sender_pools.list()) == []
    assert seen == [429, 200]


def test_429_is_raised_once_the_attempts_are_used_up(limited: Server) -> None:
    client = sdk(limited, limited.new_account(), retry=NO_RETRY)
    exhaust(client)
    with pytest.raises(TooManyRequestsError) as caught:
        client.sender_pools.fetch_operation("comms_operation_01h9krwprkeee8fzqspvwy6nq8")
    assert (caught.value.status_code, caught.value.code) == (429, 20429)
    assert caught.value.retry_after is not None and caught.value.retry_after >= 1


def test_a_retry_after_longer_than_the_wait_budget_is_not_waited_for(limited: Server) -> None:
    client = sdk(limited, limited.new_account(), retry=RetryPolicy(max_attempts=5, max_wait=0.5))
    exhaust(client)
    seen = statuses(limited)
    with pytest.raises(TooManyRequestsError):
        list(client.senders.list())
    assert seen == [429]


def test_a_post_without_idempotency_key_is_never_retried(limited: Server) -> None:
    client = sdk(limited, limited.new_account())
    exhaust(client)
    seen = statuses(limited)
    with pytest.raises(TooManyRequestsError):
        client.sender_pools.create("once")
    assert seen == [429]


def test_a_post_with_idempotency_key_is_retried_and_sends_the_key(limited: Server) -> None:
    client = sdk(limited, limited.new_account())
    exhaust(client)
    requests = record(limited)
    pending = client.sender_pools.create("keyed", idempotency_key="key-123")
    assert pending.operation_id.startswith("comms_operation_")
    assert len(requests) == 2
    for request in requests:
        assert request.headers["I-Twilio-Idempotency-Token"] == "key-123"
        assert request.headers["Idempotency-Key"] == "key-123"


# -- asyncio ---------------------------------------------------------------------------------------------
class ThreadedTransport(httpx.AsyncBaseTransport):
    """Lets an httpx.AsyncClient reach the in-process app through the TestClient, which owns the app's loop."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await asyncio.to_thread(self.client.send, request)
        return httpx.Response(response.status_code, headers=response.headers, content=response.content)


def async_sdk(server: Server, account: Account) -> AsyncClient:
    http = httpx.AsyncClient(transport=ThreadedTransport(server.client))
    return AsyncClient(account.sid, account.secret, base_url=BASE_URL, http_client=http)


def test_async_client_covers_the_same_calls(server: Server, account: Account) -> None:
    async def scenario() -> None:
        async with async_sdk(server, account) as client:
            senders = await client.senders.create_many(phones(5))
            created = await client.sender_pools.create("async", senders=senders[:3], wait=True)
            assert created.pool is not None and created.operation.stats.created == 4
            pending = await client.sender_pools.add_senders(created.pool.id, senders[3:])
            assert (await pending.wait(timeout=30)).stats.created == 2
            members = [s.id async for s in client.sender_pools.list_senders(created.pool.id, page_size=2)]
            assert members == [s.id for s in senders]
            assert [p.id async for p in client.sender_pools.list()] == [created.pool.id]
            assert (await client.sender_pools.fetch(created.pool.id)).name == "async"
            await client.sender_pools.update(created.pool.id, name="renamed")
            operations = [o.id async for o in client.sender_pools.list_operations()]
            assert operations == [created.operation.id, pending.operation_id]
            assert (await client.sender_pools.fetch_operation(pending.operation_id)).stats.total == 2
            await client.sender_pools.remove_sender(created.pool.id, senders[0].id)
            one = await client.senders.create("ops@example.com", "EMAIL")
            assert (await client.senders.fetch(one.id)).address == "ops@example.com"
            assert (await client.senders.update(one.id, display_name="Ops")).display_name == "Ops"
            assert [s.id async for s in client.senders.search("ops@example.com", "EMAIL")] == [one.id]
            assert [s.id async for s in client.senders.list(channel="EMAIL")] == [one.id]
            assert len(await client.senders.resolve([("bob@example.com", "EMAIL")])) == 1
            await client.senders.delete(one.id)
            await client.sender_pools.delete(created.pool.id)
            try:
                await client.sender_pools.fetch(created.pool.id)
            except NotFoundError as error:
                assert error.code == 20404
            else:
                raise AssertionError("the deleted pool is still there")

    asyncio.run(scenario())


def test_async_client_retries_reads_after_429(limited: Server) -> None:
    account = limited.new_account()
    exhaust(sdk(limited, account))
    seen = statuses(limited)

    async def scenario() -> list[Any]:
        async with async_sdk(limited, account) as client:
            return [p async for p in client.sender_pools.list()]

    assert asyncio.run(scenario()) == []
    assert seen == [429, 200]


def test_every_error_of_the_catalogue_raises_its_own_exception() -> None:
    from senderpools.client.errors import ApiError, error_class
    from senderpools.errors import CATALOGUE

    classes = {status: error_class(status) for status in (e.status for e in CATALOGUE)}
    assert all(cls is not ApiError and cls.status_code == status for status, cls in classes.items()), classes
    assert len(set(classes.values())) == len(CATALOGUE)


# -- pool management (senderpools extensions) ----------------------------------------------------------
def test_summary_and_remove_senders_with_wait(client: Client) -> None:
    senders = client.senders.create_many([*phones(3), NewSender(address="a@example.com", channel="EMAIL")])
    created = client.sender_pools.create("summed", senders=senders, wait=True)
    assert created.pool is not None
    summary = client.sender_pools.summary(created.pool.id)
    assert (summary.sender_count, summary.by_channel[Channel.SMS], summary.by_channel[Channel.EMAIL]) == (4, 3, 1)
    removed = client.sender_pools.remove_senders(created.pool.id, senders[:2], wait=True, timeout=30)
    assert (removed.status, removed.stats.created, removed.type) == (
        OperationStatus.COMPLETED,
        2,
        OperationType.REMOVE_SENDERS,
    )
    assert client.sender_pools.summary(created.pool.id).sender_count == 2
    pending = client.sender_pools.remove_senders(created.pool.id, [senders[0], senders[2]])
    pending.wait(timeout=30)
    assert [(i.sender_id, i.outcome) for i in pending.items()] == [
        (senders[0].id, ItemOutcome.NOT_A_MEMBER),
        (senders[2].id, ItemOutcome.REMOVED),
    ]
    assert [i.outcome for i in client.sender_pools.list_operation_items(created.operation.id, order="newest")][-1] == (
        ItemOutcome.CREATED
    )


def test_list_filters_search_and_order(client: Client) -> None:
    made = [
        client.sender_pools.create(name, tags=tags, wait=True).pool
        for name, tags in (("Alpha", {"team": "a"}), ("beta", {"team": "b"}), ("alpha 2", {"team": "a"}))
    ]
    ids_ = [p.id for p in made if p is not None]
    assert [p.name for p in client.sender_pools.list(name_prefix="ALPHA", page_size=1)] == ["Alpha", "alpha 2"]
    assert [p.id for p in client.sender_pools.list(tag="team:a")] == [ids_[0], ids_[2]]
    assert [p.id for p in client.sender_pools.list(tag=("team", "b"))] == [ids_[1]]
    assert [p.id for p in client.sender_pools.list(order="newest", page_size=2)] == ids_[::-1]
    operations = list(client.sender_pools.list_operations(sender_pool_id=ids_[1], type="CREATE"))
    assert [(o.sender_pool_id, o.type) for o in operations] == [(ids_[1], OperationType.CREATE)]
    assert [o.sender_pool_id for o in client.sender_pools.list_operations(order=ListOrder.NEWEST)] == ids_[::-1]
    senders = client.senders.create_many(phones(3))
    assert [s.id for s in client.senders.list(order="newest", page_size=2)] == [s.id for s in senders][::-1]
    assert [s.id for s in client.senders.search(senders[0].address, "PHONE", order="newest")] == [senders[0].id]


def test_deletion_protection_and_conditional_writes(client: Client) -> None:
    created = client.sender_pools.create("prod", deletion_protection=True, wait=True)
    assert created.pool is not None and created.pool.deletion_protection is True
    pool_id = created.pool.id
    with pytest.raises(ConflictError) as refused:
        client.sender_pools.delete(pool_id)
    assert "deletionProtection" in refused.value.message
    pool, etag = client.sender_pools.fetch_with_etag(pool_id)
    assert pool.name == "prod" and etag
    client.sender_pools.update(pool_id, name="prod-eu", if_match=etag)
    with pytest.raises(PreconditionFailedError) as stale:
        client.sender_pools.update(pool_id, deletion_protection=False, if_match=etag)
    assert stale.value.code == 20412
    _, fresh = client.sender_pools.fetch_with_etag(pool_id)
    client.sender_pools.update(pool_id, deletion_protection=False, if_match=fresh)
    with pytest.raises(PreconditionFailedError):
        client.sender_pools.delete(pool_id, if_match=fresh)
    client.sender_pools.delete(pool_id, if_match=client.sender_pools.fetch_with_etag(pool_id)[1])
    with pytest.raises(NotFoundError):
        client.sender_pools.fetch(pool_id)


def test_pending_operations_cancel_and_list_their_items(idle: Server) -> None:
    account = idle.new_account()
    with sdk(idle, account) as client:
        senders = client.senders.create_many(phones(2))
        pending = client.sender_pools.create("held", senders=senders)
        canceled = pending.cancel()
        assert canceled.status == OperationStatus.CANCELED and canceled.stats.failed == 2
        assert [i.outcome for i in pending.items(outcome="CANCELED")] == [ItemOutcome.CANCELED] * 2
        with pytest.raises(ConflictError):
            client.sender_pools.cancel_operation(pending.operation_id)


def test_without_extensions_the_client_sees_the_stock_answers(server: Server, account: Account) -> None:
    seen = record(server)
    with sdk(server, account, extensions=False) as client:
        created = client.sender_pools.create("plain", deletion_protection=True, wait=True)
        assert created.pool is not None and created.pool.deletion_protection is msgspec.UNSET
        assert created.operation.type is msgspec.UNSET
    assert all("senderpools-extensions" not in request.headers for request in seen)
    with sdk(server, account) as client:
        assert created.pool is not None and client.sender_pools.fetch(created.pool.id).deletion_protection is True
    assert seen[-1].headers["senderpools-extensions"] == "true"


def test_async_client_covers_the_pool_management_calls(server: Server, account: Account) -> None:
    async def scenario() -> None:
        async with async_sdk(server, account) as client:
            senders = await client.senders.create_many(phones(3))
            created = await client.sender_pools.create("async", senders=senders, deletion_protection=True, wait=True)
            assert created.pool is not None
            pool_id = created.pool.id
            assert (await client.sender_pools.summary(pool_id)).sender_count == 3
            pending = await client.sender_pools.remove_senders(pool_id, senders[:1])
            assert (await pending.wait(timeout=30)).stats.created == 1
            assert [i.outcome async for i in pending.items()] == [ItemOutcome.REMOVED]
            assert (await client.sender_pools.remove_senders(pool_id, senders[1:], wait=True)).stats.created == 2
            assert [p.id async for p in client.sender_pools.list(name_prefix="ASY", tag="x:y")] == []
            assert [p.id async for p in client.sender_pools.list(name_prefix="ASY", order="newest")] == [pool_id]
            operations = [o.type async for o in client.sender_pools.list_operations(sender_pool_id=pool_id)]
            assert operations == [OperationType.CREATE, OperationType.REMOVE_SENDERS, OperationType.REMOVE_SENDERS]
            items = client.sender_pools.list_operation_items(created.operation.id, order="newest")
            assert [i.outcome async for i in items][-1] == ItemOutcome.CREATED
            pool, etag = await client.sender_pools.fetch_with_etag(pool_id)
            assert pool.deletion_protection is True and etag is not None
            try:
                await client.sender_pools.delete(pool_id)
            except ConflictError:
                pass
            else:
                raise AssertionError("a protected pool was deleted")
            await client.sender_pools.update(pool_id, deletion_protection=False, if_match=etag)
            await client.sender_pools.delete(pool_id)
            try:
                await client.sender_pools.summary(pool_id)
            except NotFoundError:
                pass
            else:
                raise AssertionError("the deleted pool still has a summary")

    asyncio.run(scenario())


def test_an_error_message_shows_the_first_entries_and_counts_the_rest() -> None:
    from senderpools.client.errors import ConflictError, ErrorDetail

    entries = [ErrorDetail(code=20409, message=f"problem {i}", context=f"$[{i}]") for i in range(10)]
    error = ConflictError(409, entries, method="POST", url="http://h/v1/Senders")
    text = str(error)
    assert "problem 0" in text and "problem 2" in text and "problem 3" not in text
    assert text.endswith("…and 7 more (see .errors)")
    assert len(error.errors) == 10
