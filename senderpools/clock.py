"""Wall-clock helpers: the wire shows RFC 3339 UTC to the second; storage keeps milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime


def to_datetime(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms // 1000, UTC)


def parse_rfc3339(value: str) -> int | None:
    """Epoch milliseconds of an RFC 3339 timestamp with an explicit offset, or None if invalid."""
    if len(value) < 20 or value[10] not in "Tt":
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return int(parsed.timestamp() * 1000)
