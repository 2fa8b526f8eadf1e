"""Error answers stay readable however many items are wrong: at most 100 entries, the last one saying
how many more problems there were (schema errors, conflicts and repeats alike)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Account
from tests.test_senders import expect_error

MAX_REPORTED_ERRORS = 100  # as documented (senderpools.errors.MAX_REPORTED_ERRORS)
MANY = 9_999


def assert_capped(errors: list[Any], problems: int) -> None:
    """``problems`` problems reported as the first 99 and a last entry counting the others."""
    assert len(errors) == MAX_REPORTED_ERRORS, len(errors)
    more = problems - (MAX_REPORTED_ERRORS - 1)
    last = errors[-1]
    assert last["context"] == "null", last
    assert last["message"] == f"{more} more problems are not listed (only the first {MAX_REPORTED_ERRORS - 1} are).", (
        last
    )


def test_re_registering_thousands_of_senders_lists_100_conflicts(account: Account) -> None:
    body = [{"address": f"+1415{i:07d}", "channel": "SMS"} for i in range(MANY)]
    assert account.post("/v1/Senders", json=body).status_code == 201
    response = account.post("/v1/Senders", json=body)
    errors = expect_error(response, 409, 20409)
    assert_capped(errors, MANY)
    assert [e["context"] for e in errors[:3]] == ["$[0]", "$[1]", "$[2]"]
    assert len(response.content) < 40_000, len(response.content)


def test_repeating_one_sender_id_10000_times_lists_100_problems(account: Account) -> None:
    (sender,) = account.register_senders(1)
    body = {"senders": [{"senderId": sender["id"]}] * 10_000}
    errors = expect_error(account.post("/v1/SenderPools", json=body), 400, 20001)
    assert_capped(errors, 9_999)  # every repeat after the first
    assert errors[0]["context"] == "$.senders[1].senderId"


def test_schema_errors_in_every_item_list_100_and_count_the_rest(account: Account) -> None:
    body: list[dict[str, Any]] = [{"address": 5, "channel": "FAX"} for _ in range(1_000)]
    errors = expect_error(account.post("/v1/Senders", json=body), 400, 20001)
    assert_capped(errors, 2_000)  # two wrong fields in each item
    assert [e["context"] for e in errors[:2]] == ["$[0].address", "$[0].channel"]
