"""What both SQL backends share: column lists, rendering rows as wire JSON, the WHERE clauses of list
queries, and the bookkeeping of pool member counts.

Placeholders differ (SQLite ``?``, PostgreSQL ``$n``), so clause builders take an ``Args`` that
hands out the right marker as each argument is added.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import msgspec

from senderpools.clock import to_datetime, to_rfc3339_ms
from senderpools.records import (
    EventFilter,
    IfMatch,
    NewEvent,
    OperationFilter,
    PoolChanges,
    PoolFilter,
    Refused,
    SenderFilter,
    SinkRecord,
    StickySender,
    Window,
    name_key,
)
from senderpools.wire.encoding import encode, stock, views
from senderpools.wire.fields import (
    Channel,
    DeliveryStatus,
    EventType,
    Health,
    ItemOutcome,
    OperationStatus,
    OperationType,
    SenderStatus,
    SenderType,
)
from senderpools.wire.geo import place_of
from senderpools.wire.resources import (
    EventDelivery,
    EventSink,
    OperationItem,
    OperationStats,
    Sender,
    SenderPool,
    SenderPoolOperation,
    SenderPoolSummary,
    SenderSelection,
)

_encode_tags = msgspec.json.Encoder().encode
_decode_tags = msgspec.json.Decoder(dict[str, str]).decode
_decode_selection = msgspec.json.Decoder(SenderSelection).decode

POOL_COLUMNS = "id, name, tags, created_at, updated_at, deletion_protection, selection"
SENDER_COLUMNS = (
    "s.id, s.display_name, s.address, s.channel, s.status, s.tags, s.created_at, s.updated_at,"
    " s.weight, s.health, s.country, s.area_code, s.time_zone, s.sender_type"
)


def insert(into: str, numbered: bool = False) -> str:
    """``INSERT INTO into VALUES (...)`` with one placeholder per column of ``into`` ("table (a, b)")."""
    count = into.count(",") + 1
    marks = ", ".join(f"${i}" for i in range(1, count + 1)) if numbered else ", ".join("?" * count)
    return f"INSERT INTO {into} VALUES ({marks})"


def columns_of(into: str) -> list[str]:
    """The column names of an ``INSERT`` target ("table (a, b)")."""
    return into.split("(", 1)[1].rstrip(")").split(", ")


def doc_column(extended: bool) -> str:
    """The column holding a row's JSON as a read sends it: stock, or with the extension fields."""
    return "xdoc" if extended else "doc"


OPERATION_COLUMNS = "id, status, total, queued, created, failed, created_at, updated_at, kind, pool_id"


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
        deletion_protection=bool(row[5]),
        selection=selection_from_column(row[6]),
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
    """From ``OPERATION_COLUMNS``: the operation with its extension fields (what it does, its pool)."""
    return SenderPoolOperation(
        id=row[0],
        status=OperationStatus(row[1]),
        stats=OperationStats(total=row[2], queued=row[3], created=row[4], failed=row[5]),
        created_at=to_datetime(row[6]),
        updated_at=to_datetime(row[7]),
        type=OperationType(row[8]),
        sender_pool_id=row[9],
    )


ITEM_COLUMNS = "i.seq, i.sender_id, i.outcome, i.updated_at"


def operation_listed(row: Any, extended: bool) -> tuple[str, bytes]:
    """(id, JSON) from ``OPERATION_COLUMNS``: operations change with every batch, so they are rendered on read."""
    operation = operation_from_row(row)
    return row[0], encode(operation if extended else stock(operation))


def item_listed(row: Any) -> tuple[int, bytes]:
    """(seq, JSON) from ``ITEM_COLUMNS``; a NULL outcome is a queued item."""
    outcome = ItemOutcome.QUEUED if row[2] is None else ItemOutcome(row[2])
    return int(row[0]), encode(OperationItem.of(row[1], outcome, to_datetime(row[3])))


POOL_INSERT = (
    "pools (id, account_sid, name, tags, created_at, updated_at, operation_id, doc, xdoc, name_key,"
    " deletion_protection, selection)"
)
POOL_INSERT_COLUMNS = columns_of(POOL_INSERT)


def pool_row(account: str, pool: SenderPool, operation_id: str | None = None) -> tuple[Any, ...]:
    """The values of ``POOL_INSERT`` for a new pool."""
    selection = None if isinstance(pool.selection, msgspec.UnsetType) else pool.selection
    return (
        pool.id, account, pool.name, encode_tags(pool.tags), epoch_ms(pool.created_at), epoch_ms(pool.updated_at),
        operation_id, *pool_derived(pool), pool.deletion_protection is True, selection_column(selection),
    )  # fmt: skip


def pool_refusal(row: Any, if_match: IfMatch | None) -> tuple[Refused | None, bool]:
    """Whether a change of the pool read as (xdoc, deletion_protection) (None: no such pool) is refused,
    and whether it has deletion protection."""
    if row is None:
        return Refused.NOT_FOUND, False
    if if_match is not None and not if_match.holds(bytes(row[0])):
        return Refused.CHANGED, bool(row[1])
    return None, bool(row[1])


def pool_derived(pool: SenderPool) -> tuple[bytes, bytes, str]:
    """The columns kept from a pool's fields: its JSON (stock, extended) and its name as searched."""
    return (*views(pool), name_key(pool.name))


POOL_TAG_INSERT = "pool_tags (pool_id, key, value, account_sid)"
POOL_TAG_INSERT_COLUMNS = columns_of(POOL_TAG_INSERT)


def pool_tag_rows(account: str, pool_id: str, tags: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """The values of ``POOL_TAG_INSERT`` for a pool's tags."""
    return [(pool_id, key, value, account) for key, value in tags.items()]


def sender_row(account: str, s: Sender) -> tuple[Any, ...]:
    """The values of ``SENDER_INSERT`` for a new sender."""
    return (
        s.id, account, s.display_name, s.address, str(s.channel), str(s.status), encode_tags(s.tags),
        epoch_ms(s.created_at), epoch_ms(s.updated_at), s.weight, str(s.health), s.country, s.area_code,
        s.time_zone, None if s.sender_type is None else str(s.sender_type), *views(s),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Derived:
    """Columns of ``table`` kept from others (its JSON, a search key), from ``columns`` (the first of which
    is its key ``key``) by ``derive``."""

    table: str
    columns: str
    derived: tuple[str, ...]
    derive: Callable[[Any], tuple[Any, ...]]
    key: str = "id"


# Tables with derived columns, derived again for every row by the migrations that change them (after every
# migration script has run, so that the columns are those of the latest schema).
DERIVED: tuple[Derived, ...] = (
    Derived("pools", POOL_COLUMNS, ("doc", "xdoc", "name_key"), lambda row: pool_derived(pool_from_row(row))),
    Derived("senders", SENDER_COLUMNS.replace("s.", ""), ("doc", "xdoc"), lambda row: views(sender_from_row(row))),
    Derived(
        "pool_summaries",
        "pool_id, counts, processing, updated_at",
        ("doc",),
        lambda row: (summary_doc(*row),),
        "pool_id",
    ),
)
# 0005 kept the JSON of pools and senders; 0007 added a pool's deletionProtection, name_key and summary;
# 0008 a sender's weight, health and place and a pool's selection.
RERENDER: dict[str, tuple[str, ...]] = {
    "0005": ("pools", "senders"),
    "0007": ("pools", "pool_summaries"),
    "0008": ("pools", "senders"),
}


def rerendered(versions: set[str]) -> list[Derived]:
    """The tables whose derived columns must be derived again after these migrations ran."""
    tables = {table for version in versions for table in RERENDER.get(version, ())}
    return [derived for derived in DERIVED if derived.table in tables]


SENDER_INSERT = (
    "senders (id, account_sid, display_name, address, channel, status, tags, created_at, updated_at, weight,"
    " health, country, area_code, time_zone, sender_type, doc, xdoc)"
)
SENDER_INSERT_COLUMNS = columns_of(SENDER_INSERT)


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
        """The keyset conditions of a page: ``lower <= column < upper`` and past ``after`` in the
        window's direction."""
        sql = ""
        for op, bound in (
            ("<" if window.newest_first else ">", window.after),
            (">=", window.lower),
            ("<", window.upper),
        ):
            if bound is not None:
                sql += f" AND {column} {op} {self.add(bound)}"
        return sql

    def order(self, columns: Sequence[str], window: Window) -> str:
        """``ORDER BY`` the columns in the window's direction, and its ``LIMIT``."""
        direction = " DESC" if window.newest_first else ""
        return f" ORDER BY {', '.join(c + direction for c in columns)} LIMIT {self.add(window.limit)}"

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

    def operation_filter(self, where: OperationFilter) -> str:
        """Conditions on the operations table."""
        sql = ""
        for column, value in (("status", where.status), ("pool_id", where.pool_id), ("kind", where.type)):
            if value is not None:
                sql += f" AND {column} = {self.add(str(value))}"
        return sql


def pool_update(numbered: bool, pool_id: str, changes: PoolChanges, now_ms: int) -> tuple[str, Args]:
    """The UPDATE of a pool's changed fields (None: left as is; ``selection`` is replaced whole, NULL being
    the default) and its ``updated_at``, returning ``POOL_COLUMNS``."""
    args = Args(numbered=numbered)
    tags = None if changes.tags is None else encode_tags(changes.tags)
    sql = (  # placeholders handed out in the order they appear (SQLite's ? are positional)
        f"UPDATE pools SET name = coalesce({args.add(changes.name)}, name), tags = coalesce({args.add(tags)}, tags),"
        f" deletion_protection = coalesce({args.add(changes.deletion_protection)}, deletion_protection),"
        f" selection = CASE WHEN {args.add(changes.selection is not None)}"
        f" THEN {args.add(selection_column(changes.selection))} ELSE selection END,"
        f" updated_at = {args.add(now_ms)} WHERE id = {args.add(pool_id)} RETURNING {POOL_COLUMNS}"
    )
    return sql, args


# -- lists ------------------------------------------------------------------------------------------
def sender_list(args: Args, account: str, window: Window, where: SenderFilter, extended: bool) -> str:
    """One page of the account's senders: rows of (id, JSON)."""
    sql = f"SELECT s.id, s.{doc_column(extended)} FROM senders s WHERE s.account_sid = {args.add(account)}"
    return sql + args.sender_filter(where) + args.window("s.id", window) + args.order(["s.id"], window)


def member_list(args: Args, pool_id: str, window: Window, where: SenderFilter, extended: bool) -> str:
    """One page of a pool's members: rows of (id, JSON)."""
    sql = (
        f"SELECT m.sender_id, s.{doc_column(extended)} FROM pool_members m JOIN senders s ON s.id = m.sender_id"
        f" WHERE m.pool_id = {args.add(pool_id)}"
    )
    return sql + args.window("m.sender_id", window) + args.sender_filter(where) + args.order(["m.sender_id"], window)


def operation_list(args: Args, account: str, window: Window, where: OperationFilter) -> str:
    """One page of the account's operations: rows of ``OPERATION_COLUMNS``."""
    sql = f"SELECT {OPERATION_COLUMNS} FROM operations WHERE account_sid = {args.add(account)}"
    return sql + args.operation_filter(where) + args.window("id", window) + args.order(["id"], window)


def item_list(args: Args, account: str, operation_id: str, window: Window, outcome: ItemOutcome | None) -> str:
    """One page of an operation's items: rows of ``ITEM_COLUMNS``."""
    sql = (
        f"SELECT {ITEM_COLUMNS} FROM operation_items i JOIN operations o ON o.id = i.operation_id"
        f" WHERE i.operation_id = {args.add(operation_id)} AND o.account_sid = {args.add(account)}"
    )
    return sql + item_outcome_filter(args, outcome) + args.window("i.seq", window) + args.order(["i.seq"], window)


# -- events ------------------------------------------------------------------------------------------
EVENT_INSERT = "events (id, account_sid, type, resource_id, pool_id, created_at, doc)"
EVENT_INSERT_COLUMNS = columns_of(EVENT_INSERT)


def event_rows(events: Sequence[NewEvent]) -> list[tuple[Any, ...]]:
    return [(e.id, e.account, str(e.type), e.resource_id, e.pool_id, e.time_ms, e.doc()) for e in events]


def fanout(numbered: bool) -> str:
    """One outbox row per sink of the event's account that takes its type (args: event ID, due time,
    account, type, resource ID). ``types`` is ',' + the types + ',', or ',,' for every type."""
    mark = "$" if numbered else "?"  # numbered either way: the arguments are not in the statement's order
    a, due, account, kind, resource = (f"{mark}{n}" for n in range(1, 6))
    find = f"strpos(types, ',' || {kind} || ',')" if numbered else f"instr(types, ',' || {kind} || ',')"
    return (
        "INSERT INTO event_deliveries (sink_id, event_id, resource_id, status, attempts, next_attempt_at)"
        f" SELECT id, {a}, {resource}, 'PENDING', 0, {due} FROM event_sinks"
        f" WHERE account_sid = {account} AND (types = ',,' OR {find} > 0)"
    )


def fanout_rows(events: Sequence[NewEvent]) -> list[tuple[Any, ...]]:
    return [(e.id, e.time_ms, e.account, str(e.type), e.resource_id) for e in events]


IN_ORDER = (
    " AND (d.resource_id IS NULL OR d.event_id = (SELECT min(o.event_id) FROM event_deliveries o"
    " WHERE o.sink_id = d.sink_id AND o.resource_id = d.resource_id AND o.status = 'PENDING'))"
)
"""A delivery may go out only when no older one about the same resource is pending for its sink (in
flight, or waiting for a retry): per sink and resource, receivers get events in order. A correlated
min(), not NOT EXISTS: PostgreSQL may turn NOT EXISTS into an anti join that scans every pending row
per pending row when its statistics predate a burst (2.7 s per claim of 3,000 pending); a subquery
per row always probes the index ``event_deliveries_in_order``."""


def event_list(args: Args, account: str, window: Window, where: EventFilter) -> str:
    """One page of the account's events: rows of (id, JSON)."""
    sql = f"SELECT id, doc FROM events WHERE account_sid = {args.add(account)}"
    if where.type is not None:
        sql += f" AND type = {args.add(str(where.type))}"
    if where.resource_id is not None:
        sql += f" AND resource_id = {args.add(where.resource_id)}"
    if where.sender_pool_id is not None:
        sql += f" AND pool_id = {args.add(where.sender_pool_id)}"
    return sql + args.window("id", window) + args.order(["id"], window)


# -- event sinks and deliveries ---------------------------------------------------------------------------
SINK_COLUMNS = "id, account_sid, url, types, description, secret, created_at, updated_at"


def types_column(types: Sequence[EventType]) -> str:
    return "," + ",".join(types) + ","


def sink_from_row(row: Any) -> SinkRecord:
    types = tuple(EventType(t) for t in row[3].strip(",").split(",") if t)
    return SinkRecord(row[0], row[1], row[2], types, row[4], row[5], row[6], row[7])


def sink_row(sink: SinkRecord) -> tuple[Any, ...]:
    return (
        sink.id, sink.account, sink.url, types_column(sink.types), sink.description, sink.secret,
        sink.created_ms, sink.updated_ms,
    )  # fmt: skip


def sink_resource(sink: SinkRecord) -> EventSink:
    return EventSink(
        id=sink.id,
        url=sink.url,
        types=list(sink.types),
        description=sink.description,
        created_at=to_datetime(sink.created_ms),
        updated_at=to_datetime(sink.updated_ms),
    )


DELIVERY_COLUMNS = (
    "d.event_id, e.type, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code,"
    " d.last_latency_ms, d.last_error"
)


def _moment(ms: int | None) -> str | None:
    return None if ms is None else to_rfc3339_ms(ms)


def delivery_listed(row: Any) -> tuple[str, bytes]:
    status = DeliveryStatus(row[2])
    delivery = EventDelivery(
        event_id=row[0],
        event_type=EventType(row[1]),
        status=status,
        attempts=row[3],
        next_attempt_at=_moment(row[4]) if status is DeliveryStatus.PENDING else None,
        last_attempt_at=_moment(row[5]),
        last_status_code=row[6],
        last_latency_ms=row[7],
        last_error=row[8],
    )
    return row[0], encode(delivery)


def delivery_list(args: Args, sink_id: str, window: Window, status: DeliveryStatus | None) -> str:
    """One page of a sink's deliveries, by event: rows of ``DELIVERY_COLUMNS``."""
    sql = (
        f"SELECT {DELIVERY_COLUMNS} FROM event_deliveries d JOIN events e ON e.id = d.event_id"
        f" WHERE d.sink_id = {args.add(sink_id)}"
    )
    if status is not None:
        sql += f" AND d.status = {args.add(str(status))}"
    return sql + args.window("d.event_id", window) + args.order(["d.event_id"], window)


# -- lists of pools ----------------------------------------------------------------------------------
def name_cursor(key: str, pool_id: str) -> str:
    """The keyset cursor of a pool in name order: its name key and ID (names never hold U+0000)."""
    return f"{key}\x00{pool_id}"


def _after_name(cursor: str) -> tuple[str, str]:
    key, _, pool_id = cursor.rpartition("\x00")
    return key, pool_id


def prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (None: there is none), in
    code point order, which is how both backends compare text here (UTF-8 bytes, SQLite's BINARY and
    PostgreSQL's "C" collation)."""
    while prefix:
        last = ord(prefix[-1]) + 1
        if 0xD800 <= last <= 0xDFFF:  # surrogates are not characters: skip them
            last = 0xE000
        if last <= 0x10FFFF:
            return prefix[:-1] + chr(last)
        prefix = prefix[:-1]
    return None


def pool_list(
    numbered: bool, account: str, window: Window, where: PoolFilter, extended: bool
) -> list[tuple[str, Args]]:
    """The statements of one page of the account's pools, each with its arguments: run them in order until
    ``window.limit`` rows are in, and read the rows as ``pools_listed`` says.

    Each statement is one index range scan whatever the depth: by ID (``pools_by_account``), by tag
    (``pool_tags_by_tag``), or by name (``pools_by_name``). A name-order page after (key, id) is the rest
    of the pools named ``key`` after ``id``, then (when the page is not full yet) the pools with the next
    names: two range scans, as one compound statement would not seek past the ID within the name."""
    doc = doc_column(extended)
    if where.name_prefix is not None:
        return _pools_by_name(numbered, account, window, where, doc)
    args = Args(numbered=numbered)
    if where.tag is not None:
        key, value = where.tag
        sql = (
            f"SELECT t.pool_id, p.{doc} FROM pool_tags t JOIN pools p ON p.id = t.pool_id"
            f" WHERE t.account_sid = {args.add(account)} AND t.key = {args.add(key)} AND t.value = {args.add(value)}"
            " AND p.deleted_at IS NULL"
        )
        sql += _operation_of(args, where) + args.window("t.pool_id", window) + args.order(["t.pool_id"], window)
        return [(sql, args)]
    sql = f"SELECT p.id, p.{doc} FROM pools p WHERE p.account_sid = {args.add(account)} AND p.deleted_at IS NULL"
    return [(sql + _operation_of(args, where) + args.window("p.id", window) + args.order(["p.id"], window), args)]


def _operation_of(args: Args, where: PoolFilter) -> str:
    return "" if where.operation_id is None else f" AND p.operation_id = {args.add(where.operation_id)}"


def _pools_by_name(numbered: bool, account: str, window: Window, where: PoolFilter, doc: str) -> list[tuple[str, Args]]:
    assert where.name_prefix is not None
    prefix = name_key(where.name_prefix)
    end = prefix_end(prefix)
    dates = Window(window.limit, lower=window.lower, upper=window.upper, newest_first=window.newest_first)

    def part(names: Callable[[Args], str], order: list[str]) -> tuple[str, Args]:
        """Pools whose name key meets the ``names`` conditions (each part names only the range it scans,
        so that the planner seeks in ``pools_by_name`` on exactly that), and the other filters."""
        args = Args(numbered=numbered)
        sql = (
            f"SELECT p.name_key, p.id, p.{doc} FROM pools p WHERE p.account_sid = {args.add(account)}"
            f" AND p.deleted_at IS NULL{names(args)}"
        )
        if where.tag is not None:
            key, value = where.tag
            sql += (
                " AND EXISTS (SELECT 1 FROM pool_tags t WHERE t.pool_id = p.id"
                f" AND t.key = {args.add(key)} AND t.value = {args.add(value)})"
            )
        return sql + _operation_of(args, where) + args.window("p.id", dates) + args.order(order, window), args

    def between(low: str, low_op: str, high: str | None) -> Callable[[Args], str]:
        def names(args: Args) -> str:
            sql = f" AND p.name_key {low_op} {args.add(low)}"
            return sql if high is None else sql + f" AND p.name_key < {args.add(high)}"

        return names

    by_name = ["p.name_key", "p.id"]
    if window.after is None:
        return [part(between(prefix, ">=", end), by_name)]
    key, pool_id = _after_name(str(window.after))
    beyond = "<" if window.newest_first else ">"
    same_name = part(lambda args: f" AND p.name_key = {args.add(key)} AND p.id {beyond} {args.add(pool_id)}", ["p.id"])
    if window.newest_first:  # then the names before it, down to the prefix
        return [same_name, part(between(prefix, ">=", key), by_name)]
    return [same_name, part(between(key, ">", end), by_name)]  # then the names after it, up to the prefix's end


def pools_listed(rows: Iterable[Any], where: PoolFilter) -> list[tuple[str, bytes]]:
    """``Listed`` rows from the rows of ``pool_list``."""
    if where.name_prefix is None:
        return [(row[0], row[1]) for row in rows]
    return [(name_cursor(row[0], row[1]), row[2]) for row in rows]


# -- summaries ------------------------------------------------------------------------------------------
# A pool's summary row keeps its member counts as text, "CHANNEL STATUS n" entries joined by commas
# (non-zero ones, in key order), the number of its PROCESSING operations, and the Summary's JSON
# rendered from them: reading a summary is one primary-key lookup of bytes ready to send, and every
# writer of a pool's figures rewrites that one row (on PostgreSQL, locked first: writers of one pool
# take turns).


@dataclass
class SummaryChanges:
    """Changes to pools' summaries: members gained (negative: lost) per (pool, channel, status), and
    operations entering (+1) or leaving (-1) PROCESSING per pool."""

    members: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    processing: Counter[str] = field(default_factory=Counter)

    def move(self, pool_ids: Iterable[str], channel: str, status: str, by: int) -> SummaryChanges:
        """``by`` members of one channel and status, in each of ``pool_ids``."""
        for pool_id in pool_ids:
            self.members[(pool_id, str(channel), str(status))] += by
        return self

    def pools(self) -> list[str]:
        """The pools these change, in ID order (the order their rows are locked in)."""
        return sorted({pool_id for pool_id, _, _ in self.members} | set(self.processing))


def parse_counts(text: str) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for entry in text.split(",") if text else ():
        channel, status, members = entry.split(" ")
        counts[(channel, status)] += int(members)
    return counts


def format_counts(counts: Counter[tuple[str, str]]) -> str:
    return ",".join(f"{channel} {status} {n}" for (channel, status), n in sorted(counts.items()) if n)


SUMMARY_COLUMNS = "pool_id, counts, processing, updated_at"


def summary_updates(
    rows: Iterable[Any], changes: SummaryChanges, now_ms: int
) -> list[tuple[str, int, int, bytes, str]]:
    """(counts, processing, updated_at, doc, pool_id) of each summary row (``SUMMARY_COLUMNS``) after ``changes``."""
    updates = []
    for pool_id, text, processing, updated_ms in rows:
        counts = parse_counts(text)
        for (pool, channel, status), by in changes.members.items():
            if pool == pool_id:
                counts[(channel, status)] += by
        text, processing, updated_ms = (
            format_counts(counts),
            processing + changes.processing[pool_id],
            max(updated_ms, now_ms),
        )
        updates.append((text, processing, updated_ms, summary_doc(pool_id, text, processing, updated_ms), pool_id))
    return updates


_NO_CHANNELS = dict.fromkeys(Channel, 0)
_NO_STATUSES = dict.fromkeys(SenderStatus, 0)


def summary_from(pool_id: str, counts: str, processing: int, updated_ms: int) -> SenderPoolSummary:
    """A pool's summary from its summary row."""
    by_channel, by_status = dict(_NO_CHANNELS), dict(_NO_STATUSES)
    for (channel, status), members in parse_counts(counts).items():
        by_channel[_CHANNELS[channel]] += members
        by_status[_SENDER_STATUSES[status]] += members
    return SenderPoolSummary(
        sender_pool_id=pool_id,
        sender_count=sum(by_status.values()),
        by_channel=by_channel,
        by_status=by_status,
        processing_operations=processing,
        updated_at=to_datetime(updated_ms),
    )


def summary_doc(pool_id: str, counts: str, processing: int, updated_ms: int) -> bytes:
    """The Summary's JSON, as kept in its row."""
    return encode(summary_from(pool_id, counts, processing, updated_ms))


SUMMARY_INSERT = "pool_summaries (pool_id, account_sid, counts, processing, updated_at, doc)"
SUMMARY_INSERT_COLUMNS = columns_of(SUMMARY_INSERT)


def summary_row(account: str, pool_id: str, updated_ms: int, counts: str = "", processing: int = 0) -> tuple[Any, ...]:
    """The values of ``SUMMARY_INSERT`` for a pool."""
    return (pool_id, account, counts, processing, updated_ms, summary_doc(pool_id, counts, processing, updated_ms))


def seeded_counts(senders: Sequence[Sender], members: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The counts (as summaries keep them) of seeded (pool_id, sender_id) memberships of ``senders``."""
    by_id = {s.id: (str(s.channel), str(s.status)) for s in senders}
    counts: dict[str, Counter[tuple[str, str]]] = {}
    for pool_id, sender_id in members:
        counts.setdefault(pool_id, Counter())[by_id[sender_id]] += 1
    return {pool_id: format_counts(c) for pool_id, c in counts.items()}


def migration_scripts(backend: str) -> list[tuple[str, str]]:
    """The shipped migrations of ``backend`` (``sqlite`` or ``postgresql``) as (version, SQL), in order."""
    folder = resources.files("senderpools.store") / "migrations" / backend
    named = sorted((p.name, p.read_text()) for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(name.split("_", 1)[0], script) for name, script in named]
