"""Option helpers shared by every command."""

from __future__ import annotations

from typing import Any

import typer


def flag(*declarations: str, **settings: Any) -> Any:
    """A boolean option shown as a flag (no ``<bool>`` value placeholder in ``--help``)."""
    return typer.Option(*declarations, metavar="", **settings)
