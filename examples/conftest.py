"""The campaigns app reads its base URL from COMMS_BASE_URL: the senderpools plugin sets that one."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def senderpools_base_url_vars() -> tuple[str, ...]:
    return ("COMMS_BASE_URL",)
