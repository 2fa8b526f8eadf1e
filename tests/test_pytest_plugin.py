"""The pytest plugin as users get it: loaded through its ``pytest11`` entry point in a separate pytest
run, one server for the whole run, the account reset before each test, the environment fixture."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

SUITE = """
import os

from senderpools.client import Client

urls = []


def test_one(senderpools, senderpools_client):
    urls.append(senderpools.base_url)
    senderpools_client.sender_pools.create("left over", wait=True)
    senderpools.fault(path="/v1/Senders", status=503, count=5)
    senderpools.pacing(hold=True)


def test_two_sees_a_reset_account_on_the_same_server(senderpools, senderpools_client):
    urls.append(senderpools.base_url)
    assert urls[0] == urls[1]
    assert list(senderpools_client.sender_pools.list()) == []
    assert senderpools.faults() == []
    assert senderpools_client.sender_pools.create("quick", wait=True, timeout=5).operation.status == "COMPLETED"


def test_env_points_twilio_variables_at_the_server(senderpools_env):
    assert os.environ["TWILIO_ACCOUNT_SID"] == senderpools_env.account_sid
    assert os.environ["TWILIO_API_KEY"] == senderpools_env.api_key
    assert os.environ["SENDERPOOLS_BASE_URL"] == senderpools_env.base_url
    with Client() as client:  # credentials and base URL from the environment (the API key first)
        assert list(client.sender_pools.list()) == []
    with Client(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"]) as client:
        assert list(client.senders.list()) == []
"""


def test_the_plugin_gives_one_server_per_run_and_a_reset_account_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app="def test_needs_it(senderpools):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:senderpools", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'senderpools' not found*"])
