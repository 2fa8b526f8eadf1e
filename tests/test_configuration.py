"""The README's configuration table covers every setting (``senderpools.config.Settings``, the one home)."""

from __future__ import annotations

import re
from pathlib import Path

from senderpools.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_has_a_row_in_the_readme_configuration_table() -> None:
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `(SENDERPOOLS_[A-Z_]+)` \|", section, re.MULTILINE))
    assert rows == {Settings.env_name(field) for field in Settings.__struct_fields__}
