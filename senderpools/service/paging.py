"""What a list call asks for, before it becomes a keyset window over time-ordered IDs."""

from __future__ import annotations

from dataclasses import dataclass

from senderpools import ids
from senderpools.records import Window


@dataclass(frozen=True, slots=True)
class PageRequest:
    size: int
    after: str | None = None  # the cursor of the previous page's last row (its ID, mostly)
    start_ms: int | None = None  # createdAt >= start
    end_ms: int | None = None  # createdAt < end
    newest_first: bool = False

    def window(self, prefix: str) -> Window:
        """One row more than the page, so the caller knows whether another page follows."""
        return Window(
            limit=self.size + 1,
            after=self.after,
            lower=None if self.start_ms is None else ids.id_floor(prefix, self.start_ms),
            upper=None if self.end_ms is None else ids.id_floor(prefix, self.end_ms),
            newest_first=self.newest_first,
        )

    def sequence_window(self) -> Window:
        """The window over positions (an operation's items), whose cursor is a number."""
        after = None if self.after is None else int(self.after)
        return Window(limit=self.size + 1, after=after, newest_first=self.newest_first)
