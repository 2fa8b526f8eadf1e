"""POST /v1/Senders/Resolve: eligible senders per recipient, scoping, channel preferences and stickiness."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Account
from tests.test_senders import expect_error

NEVER_POOL = "comms_senderpool_01hzzzzzzzzzzzzzzzzzzzzzzz"


def resolve(account: Account, recipients: list[dict[str, str]], **options: Any) -> httpx.Response:
    return account.post("/v1/Senders/Resolve", json={"recipientAddresses": recipients, **options})


def results(account: Account, recipients: list[dict[str, str]], **options: Any) -> list[dict[str, Any]]:
    response = resolve(account, recipients, **options)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["results"]
    found: list[dict[str, Any]] = body["results"]
    return found


def phone(n: int) -> dict[str, str]:
    return {"address": f"+1650555{n:04d}", "channel": "PHONE"}


def picks(found: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """(recipient address, sender channel, priority) for each result, in order."""
    return [(r["to"]["address"], r["from"]["channel"], r["priority"]) for r in found]


@pytest.fixture
def one_per_channel(account: Account) -> dict[str, dict[str, Any]]:
    """One ACTIVATED sender on every channel, keyed by channel."""
    body = [
        {"address": "+14155550001", "channel": "WHATSAPP", "displayName": "wa"},
        {"address": "+14155550001", "channel": "SMS", "displayName": "sms"},
        {"address": "news@example.com", "channel": "EMAIL"},
        {"address": "+14155550001", "channel": "RCS"},
        {"address": "app-token", "channel": "PUSH"},
    ]
    senders = account.post("/v1/Senders", json=body).json()["senders"]
    return {s["channel"]: s for s in senders}


def test_phone_recipient_gets_sms_rcs_whatsapp_in_order(account: Account, one_per_channel: dict[str, Any]) -> None:
    found = results(account, [phone(1)])
    assert picks(found) == [("+16505550001", "SMS", 1), ("+16505550001", "RCS", 2), ("+16505550001", "WHATSAPP", 3)]
    sms = one_per_channel["SMS"]
    assert found[0] == {
        "from": {"senderId": sms["id"], "displayName": "sms", "address": sms["address"], "channel": "SMS"},
        "to": {"address": "+16505550001", "channel": "PHONE"},
        "priority": 1,
    }
    assert found[1]["from"]["displayName"] is None
    assert found[2]["from"]["senderId"] == one_per_channel["WHATSAPP"]["id"]


def test_non_phone_recipients_are_reached_by_their_own_channel_only(
    account: Account, one_per_channel: dict[str, Any]
) -> None:
    for recipient in (
        {"address": "someone@example.org", "channel": "EMAIL"},
        {"address": "device-42", "channel": "PUSH"},
        {"address": "+16505550002", "channel": "SMS"},
        {"address": "+16505550002", "channel": "RCS"},
        {"address": "+16505550002", "channel": "WHATSAPP"},
    ):
        found = results(account, [recipient])
        expected = [(one_per_channel[recipient["channel"]]["id"], 1)]
        assert [(r["from"]["senderId"], r["priority"]) for r in found] == expected, recipient
        assert found[0]["to"] == recipient


def test_results_follow_recipient_order(account: Account, one_per_channel: dict[str, Any]) -> None:
    recipients = [{"address": "x@example.org", "channel": "EMAIL"}, phone(3), {"address": "d", "channel": "PUSH"}]
    found = results(account, recipients)
    assert picks(found) == [
        ("x@example.org", "EMAIL", 1),
        ("+16505550003", "SMS", 1),
        ("+16505550003", "RCS", 2),
        ("+16505550003", "WHATSAPP", 3),
        ("d", "PUSH", 1),
    ]


def test_only_activated_senders_are_eligible(account: Account, one_per_channel: dict[str, Any]) -> None:
    sms = one_per_channel["SMS"]["id"]
    assert account.patch(f"/v1/Senders/{sms}", json={"status": "DEACTIVATED"}).status_code == 200
    assert picks(results(account, [phone(4)])) == [("+16505550004", "RCS", 1), ("+16505550004", "WHATSAPP", 2)]
    for channel in ("RCS", "WHATSAPP"):
        account.patch(f"/v1/Senders/{one_per_channel[channel]['id']}", json={"status": "DEACTIVATED"})
    assert results(account, [phone(4)]) == []
    account.patch(f"/v1/Senders/{sms}", json={"status": "ACTIVATED"})
    assert picks(results(account, [phone(4)])) == [("+16505550004", "SMS", 1)]


def test_deleted_senders_are_not_eligible(account: Account) -> None:
    (sender,) = account.register_senders(1, channel="EMAIL")
    account.delete(f"/v1/Senders/{sender['id']}")
    assert results(account, [{"address": "a@example.org", "channel": "EMAIL"}]) == []


def test_no_senders_means_no_results(account: Account, other_account: Account) -> None:
    other_account.register_senders(3)
    assert results(account, [phone(1), {"address": "a@example.org", "channel": "EMAIL"}]) == []


def test_channels_filter_in_restricts(account: Account, one_per_channel: dict[str, Any]) -> None:
    found = results(account, [phone(5)], channels={"filterIn": ["WHATSAPP", "RCS"]})
    assert picks(found) == [("+16505550005", "RCS", 1), ("+16505550005", "WHATSAPP", 2)]
    assert results(account, [phone(5)], channels={"filterIn": ["EMAIL"]}) == []


def test_channels_priority_orders_candidates(account: Account, one_per_channel: dict[str, Any]) -> None:
    found = results(account, [phone(6)], channels={"priority": ["WHATSAPP", "RCS", "SMS"]})
    assert picks(found) == [("+16505550006", "WHATSAPP", 1), ("+16505550006", "RCS", 2), ("+16505550006", "SMS", 3)]
    partial = results(account, [phone(6)], channels={"priority": ["WHATSAPP"]})
    assert [r["from"]["channel"] for r in partial] == ["WHATSAPP", "SMS", "RCS"]
    both = results(account, [phone(6)], channels={"filterIn": ["SMS", "WHATSAPP"], "priority": ["WHATSAPP", "SMS"]})
    assert picks(both) == [("+16505550006", "WHATSAPP", 1), ("+16505550006", "SMS", 2)]


def test_priority_counts_from_one_per_recipient(account: Account, one_per_channel: dict[str, Any]) -> None:
    found = results(account, [phone(7), phone(8)], channels={"filterIn": ["SMS", "RCS"]})
    assert [r["priority"] for r in found] == [1, 2, 1, 2]


def test_sender_pool_scopes_candidates(account: Account) -> None:
    senders = account.register_senders(6)
    members = senders[1:3]
    pool_id, _ = account.create_pool(senders=[{"senderId": s["id"]} for s in members])
    recipients = [phone(n) for n in range(30)]
    found = results(account, recipients, senderPoolId=pool_id)
    assert len(found) == 30
    assert {r["from"]["senderId"] for r in found} <= {s["id"] for s in members}
    assert all(r["priority"] == 1 for r in found)


def test_empty_pool_resolves_to_nothing(account: Account) -> None:
    account.register_senders(2)
    pool_id, _ = account.create_pool(name="empty")
    assert results(account, [phone(1)], senderPoolId=pool_id) == []


def test_unknown_other_accounts_or_deleted_pool_is_404(account: Account, other_account: Account) -> None:
    account.register_senders(1)
    (theirs,) = other_account.register_senders(1)
    their_pool, _ = other_account.create_pool(senders=[{"senderId": theirs["id"]}])
    unknown = expect_error(resolve(account, [phone(1)], senderPoolId=NEVER_POOL), 404, 20404)
    foreign = expect_error(resolve(account, [phone(1)], senderPoolId=their_pool), 404, 20404)
    assert foreign[0]["message"].replace(their_pool, NEVER_POOL) == unknown[0]["message"]
    assert foreign[0]["context"] == unknown[0]["context"]
    doomed, _ = account.create_pool()
    assert account.delete(f"/v1/SenderPools/{doomed}").status_code == 202
    expect_error(resolve(account, [phone(1)], senderPoolId=doomed), 404, 20404)


def test_malformed_pool_id_is_400(account: Account) -> None:
    expect_error(resolve(account, [phone(1)], senderPoolId="pool-1"), 400, 20001, ["$.senderPoolId"])


def test_sender_addresses_scope_candidates_as_strings_or_objects(account: Account) -> None:
    senders = account.register_senders(5)
    wanted = [senders[0]["address"], senders[3]["address"]]
    recipients = [phone(n) for n in range(30)]
    as_strings = results(account, recipients, senderAddresses=wanted)
    assert {r["from"]["address"] for r in as_strings} == set(wanted)
    assert len(as_strings) == 30
    assert results(account, recipients, senderAddresses=[{"address": a} for a in wanted]) == as_strings
    assert results(account, recipients, senderAddresses=[wanted[0], {"address": wanted[1]}]) == as_strings


def test_sender_addresses_and_pool_combine(account: Account) -> None:
    senders = account.register_senders(4)
    pool_id, _ = account.create_pool(senders=[{"senderId": s["id"]} for s in senders[:2]])
    only = results(account, [phone(1), phone(2)], senderPoolId=pool_id, senderAddresses=[senders[1]["address"]])
    assert [r["from"]["senderId"] for r in only] == [senders[1]["id"]] * 2
    outside = results(account, [phone(1)], senderPoolId=pool_id, senderAddresses=[senders[3]["address"]])
    assert outside == []


def test_same_recipient_gets_the_same_sender_every_time(account: Account) -> None:
    account.register_senders(5)
    account.register_senders(3, channel="WHATSAPP", start=50)
    recipients = [phone(n) for n in range(40)]
    first = results(account, recipients)
    again = results(account, list(reversed(recipients)))
    assignment = {(r["to"]["address"], r["priority"]): r["from"]["senderId"] for r in first}
    assert {(r["to"]["address"], r["priority"]): r["from"]["senderId"] for r in again} == assignment
    assert len({r["from"]["senderId"] for r in first if r["from"]["channel"] == "SMS"}) > 1
    twice = results(account, [phone(9), phone(9)])
    assert twice[:2] == twice[2:]


def test_recipient_count_outside_1_to_100_is_400(account: Account) -> None:
    for count in (0, 101, 1000):
        response = resolve(account, [phone(n) for n in range(count)])
        expect_error(response, 400, 20001, ["$.recipientAddresses"], case=count)


def test_one_hundred_recipients_are_accepted(account: Account) -> None:
    account.register_senders(2)
    assert len(results(account, [phone(n) for n in range(100)])) == 100


INVALID_RESOLVES = [
    ({}, ["$.recipientAddresses"]),
    ({"recipientAddresses": [{"address": "+16505550001"}]}, ["$.recipientAddresses[0].channel"]),
    ({"recipientAddresses": [{"address": "+16505550001", "channel": "FAX"}]}, ["$.recipientAddresses[0].channel"]),
    (
        {"recipientAddresses": [phone(1), {"address": "6505550001", "channel": "PHONE"}]},
        ["$.recipientAddresses[1].address"],
    ),
    (
        {"recipientAddresses": [{"address": "nope", "channel": "EMAIL"}, {"address": "+1", "channel": "SMS"}]},
        ["$.recipientAddresses[0].address", "$.recipientAddresses[1].address"],
    ),
    ({"recipientAddresses": [phone(1)], "channels": {"filterIn": ["FAX"]}}, ["$.channels.filterIn[0]"]),
    ({"recipientAddresses": [phone(1)], "channels": {"filterIn": []}}, ["$.channels.filterIn"]),
    ({"recipientAddresses": [phone(1)], "senderAddresses": []}, ["$.senderAddresses"]),
    ({"recipientAddresses": [phone(1)], "senderAddresses": [5]}, ["$.senderAddresses[0]"]),
]


def test_invalid_requests_are_400_with_paths(account: Account) -> None:
    for body, contexts in INVALID_RESOLVES:
        expect_error(account.post("/v1/Senders/Resolve", json=body), 400, 20001, contexts, case=body)
