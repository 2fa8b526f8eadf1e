"""What both SQL backends share: column lists, row decoding, and the WHERE clauses of list queries.

Placeholders differ (SQLite ``?``, PostgreSQL ``$n``), so clause builders take an ``Args`` that
hands out the right marker as each argument is added.
"""

from __future__ import annotations

from typing import Any

import msgspec

from senderpools.clock import to_datetime
from senderpools.models import (
    Channel,
    OperationStats,
    OperationStatus,
    Sender,
    SenderPool,
    SenderPoolOperation,
    SenderStatus,
)
from senderpools.store.base import SenderFilter, Window

_encode_tags = msgspec.json.Encoder().encode
_decode_tags = msgspec.json.Decoder(dict[str, str]).decode

POOL_COLUMNS = "id, name, tags, created_at, updated_at"
SENDER_COLUMNS = "s.id, s.display_name, s.address, s.channel, s.status, s.tags, s.created_at, s.updated_at"
OPERATION_COLUMNS = "id, status, total, queued, created, failed, created_at, updated_at"


def encode_tags(tags: dict[str, str]) -> str:
    return _encode_tags(tags).decode()


def pool_from_row(row: Any) -> SenderPool:
    return SenderPool(
        id=row[0],
        name=row[1],
        tags=_decode_tags(row[2]),
        created_at=to_datetime(row[3]),
        updated_at=to_datetime(row[4]),
    )


def sender_from_row(row: Any) -> Sender:
    return Sender(
        id=row[0],
        display_name=row[1],
        address=row[2],
        channel=Channel(row[3]),
        status=SenderStatus(row[4]),
        tags=_decode_tags(row[5]),
        created_at=to_datetime(row[6]),
        updated_at=to_datetime(row[7]),
    )


def operation_from_row(row: Any) -> SenderPoolOperation:
    return SenderPoolOperation(
        id=row[0],
        status=OperationStatus(row[1]),
        stats=OperationStats(total=row[2], queued=row[3], created=row[4], failed=row[5]),
        created_at=to_datetime(row[6]),
        updated_at=to_datetime(row[7]),
    )


def epoch_ms(value: Any) -> int:
    return int(value.timestamp() * 1000)


class Args(list[Any]):
    """Statement arguments that hand out placeholders: ``?`` (SQLite) or ``$n`` (PostgreSQL)."""

    def __init__(self, *values: Any, numbered: bool = False) -> None:
        super().__init__(values)
        self.numbered = numbered

    def add(self, value: Any) -> str:
        self.append(value)
        return f"${len(self)}" if self.numbered else "?"

    def window(self, column: str, window: Window) -> str:
        """The keyset conditions of a page: ``lower <= column < upper`` and ``column > after``."""
        sql = ""
        for op, bound in ((">", window.after), (">=", window.lower), ("<", window.upper)):
            if bound is not None:
                sql += f" AND {column} {op} {self.add(bound)}"
        return sql

    def sender_filter(self, where: SenderFilter) -> str:
        """Conditions on the senders table aliased ``s``."""
        sql = ""
        if where.channels is not None:
            sql += f" AND s.channel IN ({', '.join(self.add(str(c)) for c in where.channels)})"
        if where.status is not None:
            sql += f" AND s.status = {self.add(str(where.status))}"
        if where.address is not None:
            sql += f" AND s.address = {self.add(where.address)}"
        return sql
