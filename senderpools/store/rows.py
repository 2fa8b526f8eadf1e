"""What both SQL backends share: column lists, rendering rows as wire JSON, and the WHERE clauses
of list queries.

Placeholders differ (SQLite ``?``, PostgreSQL ``$n``), so clause builders take an ``Args`` that
hands out the right marker as each argument is added.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

import msgspec

from senderpools.clock import to_datetime
from senderpools.records import SenderFilter, StickySender, Window
from senderpools.wire.encoding import encode, views
from senderpools.wire.fields import Channel, Health, ItemOutcome, OperationStatus, SenderStatus, SenderType
from senderpools.wire.geo import place_of
from senderpools.wire.resources import (
    OperationItem,
    OperationStats,
    Sender,
    SenderPool,
    SenderPoolOperation,
    SenderSelection,
)

_encode_tags = msgspec.json.Encoder().encode
_decode_tags = msgspec.json.Decoder(dict[str, str]).decode
_decode_selection = msgspec.json.Decoder(SenderSelection).decode

POOL_COLUMNS = "id, name, tags, created_at, updated_at, selection"
SENDER_COLUMNS = (
    "s.id, s.display_name, s.address, s.channel, s.status, s.tags, s.created_at, s.updated_at,"
    " s.weight, s.health, s.country, s.area_code, s.time_zone, s.sender_type"
)


def insert(into: str, numbered: bool = False) -> str:
    """``INSERT INTO into VALUES (...)`` with one placeholder per column of ``into`` ("table (a, b)")."""
    count = into.count(",") + 1
    marks = ", ".join(f"${i}" for i in range(1, count + 1)) if numbered else ", ".join("?" * count)
    return f"INSERT INTO {into} VALUES ({marks})"


def doc_column(extended: bool) -> str:
    """The column holding a row's JSON as a read sends it: stock, or with the extension fields."""
    return "xdoc" if extended else "doc"


OPERATION_COLUMNS = "id, status, total, queued, created, failed, created_at, updated_at"


def encode_tags(tags: dict[str, str]) -> str:
    return _encode_tags(tags).decode()


# Lists decode up to 1,000 rows per request, so these avoid per-row work: enum members by dict
# lookup (a tenth of calling the enum), and one datetime when a row was never updated.
_CHANNELS = {c.value: c for c in Channel}
_SENDER_STATUSES = {s.value: s for s in SenderStatus}
_HEALTHS = {h.value: h for h in Health}
_SENDER_TYPES: dict[str | None, SenderType | None] = {None: None, **{t.value: t for t in SenderType}}


def selection_from_column(value: str | None) -> SenderSelection:
    """A pool's ``selection`` column (JSON; NULL when never set)."""
    return SenderSelection() if value is None else _decode_selection(value)


def selection_column(selection: SenderSelection | None) -> str | None:
    """What a pool's ``selection`` column stores (NULL for the default: nothing preferred)."""
    return None if selection is None or selection == SenderSelection() else encode(selection).decode()


def pool_from_row(row: Any) -> SenderPool:
    """From ``POOL_COLUMNS``."""
    created = to_datetime(row[3])
    return SenderPool(
        id=row[0],
        name=row[1],
        tags=_decode_tags(row[2]),
        created_at=created,
        updated_at=created if row[4] == row[3] else to_datetime(row[4]),
        selection=selection_from_column(row[5]),
    )


def sender_from_row(row: Any) -> Sender:
    """From ``SENDER_COLUMNS``."""
    created = to_datetime(row[6])
    return Sender(
        id=row[0],
        display_name=row[1],
        address=row[2],
        channel=_CHANNELS[row[3]],
        status=_SENDER_STATUSES[row[4]],
        tags=_decode_tags(row[5]),
        created_at=created,
        updated_at=created if row[7] == row[6] else to_datetime(row[7]),
        weight=row[8],
        health=_HEALTHS[row[9]],
        country=row[10],
        area_code=row[11],
        time_zone=row[12],
        sender_type=_SENDER_TYPES[row[13]],
    )


STICKY_COLUMNS = "scope, recipient, channel, sender_id, created_at"


def sticky_from_row(row: Any) -> StickySender:
    """From ``STICKY_COLUMNS``."""
    return StickySender(scope=row[0], recipient=row[1], channel=_CHANNELS[row[2]], sender_id=row[3], created_ms=row[4])


def sticky_conflict(table: str, expired_before_ms: int | None) -> str:
    """What an insert of a sticky sender does when one is stored for its key: nothing, unless the stored
    one was made before ``expired_before_ms`` (expired): then the new choice replaces it."""
    if expired_before_ms is None:
        return "NOTHING"
    return (
        "UPDATE SET sender_id = excluded.sender_id, created_at = excluded.created_at"
        f" WHERE {table}.created_at < {int(expired_before_ms)}"
    )


def unwritten(
    mappings: Sequence[StickySender], written: set[tuple[str, str, str]]
) -> tuple[list[StickySender], dict[str, list[str]]]:
    """After an insert of sticky senders that wrote the (scope, recipient, channel) keys in ``written``:
    the mappings it wrote, and the recipients (by scope) whose stored mapping is another's, to read back."""
    kept = [m for m in mappings if (m.scope, m.recipient, str(m.channel)) in written]
    others: dict[str, set[str]] = {}
    for m in mappings:
        if (m.scope, m.recipient, str(m.channel)) not in written:
            others.setdefault(m.scope, set()).add(m.recipient)
    return kept, {scope: sorted(recipients) for scope, recipients in others.items()}


def placed(row: Any) -> tuple[Any, ...]:
    """(country, area_code, time_zone, sender_type, id) of a sender row (id, channel, address), for the
    backfill of migration 0008: the place a registration would have stored."""
    place = place_of(row[1], row[2])
    sender_type = None if place.sender_type is None else str(place.sender_type)
    return place.country, place.area_code, place.time_zone, sender_type, row[0]


def operation_from_row(row: Any) -> SenderPoolOperation:
    """From ``OPERATION_COLUMNS``."""
    return SenderPoolOperation(
        id=row[0],
        status=OperationStatus(row[1]),
        stats=OperationStats(total=row[2], queued=row[3], created=row[4], failed=row[5]),
        created_at=to_datetime(row[6]),
        updated_at=to_datetime(row[7]),
    )


ITEM_COLUMNS = "i.seq, i.sender_id, i.outcome, i.updated_at"


def operation_listed(row: Any) -> tuple[str, bytes]:
    """(id, JSON) from ``OPERATION_COLUMNS``: operations change with every batch, so they are rendered on read."""
    return row[0], encode(operation_from_row(row))


def item_listed(row: Any) -> tuple[int, bytes]:
    """(seq, JSON) from ``ITEM_COLUMNS``; a NULL outcome is a queued item."""
    outcome = ItemOutcome.QUEUED if row[2] is None else ItemOutcome(row[2])
    return int(row[0]), encode(OperationItem.of(row[1], outcome, to_datetime(row[3])))


def pool_row(account: str, pool: SenderPool, operation_id: str | None = None) -> tuple[Any, ...]:
    """The values of ``POOL_INSERT`` for a new pool."""
    selection = None if isinstance(pool.selection, msgspec.UnsetType) else pool.selection
    return (
        pool.id, account, pool.name, encode_tags(pool.tags), epoch_ms(pool.created_at), epoch_ms(pool.updated_at),
        operation_id, selection_column(selection), *views(pool),
    )  # fmt: skip


POOL_INSERT = "pools (id, account_sid, name, tags, created_at, updated_at, operation_id, selection, doc, xdoc)"
POOL_INSERT_COLUMNS = POOL_INSERT.split("(", 1)[1].rstrip(")").split(", ")


def sender_row(account: str, s: Sender) -> tuple[Any, ...]:
    """The values of ``SENDER_INSERT`` for a new sender."""
    return (
        s.id, account, s.display_name, s.address, str(s.channel), str(s.status), encode_tags(s.tags),
        epoch_ms(s.created_at), epoch_ms(s.updated_at), s.weight, str(s.health), s.country, s.area_code,
        s.time_zone, None if s.sender_type is None else str(s.sender_type), *views(s),
    )  # fmt: skip


# Tables whose rows keep their JSON, with the columns to render it from (migrations 0005 and 0008 render
# old rows, after every migration script has run, so that the columns are those of the latest schema).
RENDERED_TABLES: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("pools", POOL_COLUMNS, pool_from_row),
    ("senders", SENDER_COLUMNS.replace("s.", ""), sender_from_row),
)

SENDER_INSERT = (
    "senders (id, account_sid, display_name, address, channel, status, tags, created_at, updated_at, weight,"
    " health, country, area_code, time_zone, sender_type, doc, xdoc)"
)
SENDER_INSERT_COLUMNS = SENDER_INSERT.split("(", 1)[1].rstrip(")").split(", ")


def item_outcome_filter(args: Args, outcome: ItemOutcome | None) -> str:
    """The condition on ``operation_items`` aliased ``i`` for an outcome filter."""
    if outcome is None:
        return ""
    if outcome is ItemOutcome.QUEUED:
        return " AND i.outcome IS NULL"
    return f" AND i.outcome = {args.add(str(outcome))}"


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


def migration_scripts(backend: str) -> list[tuple[str, str]]:
    """The shipped migrations of ``backend`` (``sqlite`` or ``postgresql``) as (version, SQL), in order."""
    folder = resources.files("senderpools.store") / "migrations" / backend
    named = sorted((p.name, p.read_text()) for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(name.split("_", 1)[0], script) for name, script in named]
