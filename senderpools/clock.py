"""Wall-clock helpers: the wire shows RFC 3339 UTC to the second; storage keeps milliseconds."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

# RFC 3339 section 5.6 date-time: seconds required, offset "Z" or "+HH:MM" (fromisoformat alone also
# takes ISO 8601 forms such as "+0200", "+02", week dates or a missing seconds field).
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII).fullmatch


def to_datetime(epoch_ms: int) -> datetime:
    return _at_second(epoch_ms // 1000)


@functools.lru_cache(maxsize=8192)
def _at_second(epoch_s: int) -> datetime:
    """Rows made together share their second: a list of 1,000 decodes a few datetimes, not 1,000."""
    return datetime.fromtimestamp(epoch_s, UTC)


def parse_rfc3339(value: str) -> int | None:
    """Epoch milliseconds of an RFC 3339 timestamp with an explicit offset, or None if invalid."""
    if _DATE_TIME(value) is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return int(parsed.timestamp() * 1000)


def to_rfc3339_ms(epoch_ms: int) -> str:
    """RFC 3339 UTC to the millisecond (event times: several events may share a second)."""
    moment = datetime.fromtimestamp(epoch_ms // 1000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{epoch_ms % 1000:03d}Z"
