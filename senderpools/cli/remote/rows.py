"""CSV rows of the import and add commands: reading, checking, chunking, and the failed-rows file."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from senderpools.cli.remote.session import Session, parse_tags
from senderpools.client import NewSender
from senderpools.wire.fields import Channel, SenderStatus

CHUNK_SIZE = 1000  # senders per request: what real clients send


# -- CSV rows ------------------------------------------------------------------------------------------
@dataclass
class Row:
    """One CSV data row: its line number, its cells, and why it failed or was skipped (None while not)."""

    line: int
    cells: dict[str, str]
    error: str | None = None
    skipped: str | None = None  # left out on purpose: a repeat of an earlier row, or already there

    @property
    def pending(self) -> bool:
        return self.error is None and self.skipped is None


def skip_repeats(rows: Sequence[Row], key: Callable[[Row], Hashable]) -> None:
    """Mark each pending row whose ``key`` an earlier pending row has as skipped (a repeat, not an error)."""
    first: dict[Hashable, Row] = {}
    for row in rows:
        if row.pending:
            seen = first.setdefault(key(row), row)
            if seen is not row:
                row.skipped = f"repeated row (of line {seen.line})" if seen.line else "repeated"


def read_rows(path: Path, required: Sequence[Sequence[str]]) -> tuple[list[str], list[Row]]:
    """The header and the rows; the header must hold one of the alternatives in each of ``required``."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            header = list(reader.fieldnames or [])
            rows = [
                Row(reader.line_num, {k: (v or "").strip() for k, v in r.items() if isinstance(k, str)}) for r in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc}") from None
    for alternatives in required:
        if not any(column in header for column in alternatives):
            raise typer.BadParameter(f"{path} needs a column {' or '.join(alternatives)} (header: {', '.join(header)})")
    return header, rows


def write_failed(path: Path, header: list[str], rows: Sequence[Row]) -> None:
    """The failed rows as CSV: the original columns plus ``line`` and ``error``."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, [*header, "line", "error"], extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row.cells, "line": row.line, "error": row.error})


def failed_path(source: Path, chosen: Path | None, step: str) -> Path:
    """``chosen``, else ``FILE.failed-STEP.csv`` beside the source file, or ``FILE.failed-STEP.2.csv``
    (and so on) when that one exists: a rerun never overwrites the failures of an earlier run."""
    if chosen is not None:
        return chosen
    path, n = source.with_name(f"{source.stem}.failed-{step}.csv"), 1
    while path.exists():
        n += 1
        path = source.with_name(f"{source.stem}.failed-{step}.{n}.csv")
    return path


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def new_sender(row: Row) -> NewSender:
    """The sender a row describes; raises ValueError with the reason it cannot be one."""
    cells = row.cells
    try:
        channel = Channel(cells.get("channel", "").upper())
    except ValueError:
        raise ValueError(f"channel must be one of {', '.join(Channel)}") from None
    address = cells.get("address", "")
    problem = channel.address_problem(address)
    if problem:
        raise ValueError(f"address {problem}")
    status = cells.get("status") or None
    if status is not None and status.upper() not in SenderStatus.__members__:
        raise ValueError(f"status must be one of {', '.join(SenderStatus)}")
    display_name = cells.get("displayName") or None
    if display_name is not None and len(display_name) > 256:
        raise ValueError("displayName is longer than 256 characters")
    return NewSender(
        address=address,
        channel=channel,
        display_name=display_name,
        status=None if status is None else status.upper(),
        tags=parse_tags(cells.get("tags", "")) or None,
    )


def summary(
    session: Session, what: str, rows: Sequence[Row], header: list[str], failed_file: Path, done: str = "created"
) -> None:
    """Write the failed rows (if any), print the summary (``done``: what happened to the others), and exit
    1 if any row failed (skipped rows do not)."""
    failed = [r for r in rows if r.error is not None]
    skipped = Counter(r.skipped.split(" (")[0] for r in rows if r.skipped is not None)
    succeeded = sum(r.pending for r in rows)
    if failed:
        write_failed(failed_file, header, failed)
    parts = [f"{succeeded} {done}"]
    parts += [f"{count} skipped ({reason})" for reason, count in sorted(skipped.items())]
    parts.append(f"{len(failed)} failed" + (f" (written to {failed_file})" if failed else ""))
    session.say(
        f"{what}: {', '.join(parts)}.",
        {
            "total": len(rows),
            done: succeeded,
            "skipped": sum(skipped.values()),
            "failed": len(failed),
            "failedFile": str(failed_file) if failed else None,
        },
    )
    if failed:
        raise typer.Exit(1)
