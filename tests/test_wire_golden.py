"""Stock requests get byte-identical answers: the current code against the golden recording.

``tests/golden/stock.json`` holds the answers of the released code to a fixed script of documented
requests (``tests/golden.py``). A difference is a wire change a stock client would see: fix the code,
or, if the change is intended and reviewed, re-record as ``tests/golden.py`` explains.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import golden


def test_stock_requests_answer_as_recorded(tmp_path: Path) -> None:
    expected = golden.load()
    try:
        actual = golden.serve_and_record(tmp_path)  # this venv's `senderpools serve`, fresh database
    except golden.ScriptAborted as aborted:
        # A step later steps build on failed: show where this run first departed from the recording.
        pytest.fail(f"the script stopped: {aborted}\n{golden.differences(expected, aborted.exchanges)}", pytrace=False)
    report = golden.differences(expected, actual)
    if report:
        pytest.fail(report, pytrace=False)
