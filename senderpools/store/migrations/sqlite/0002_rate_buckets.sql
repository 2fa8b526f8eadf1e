-- Token buckets shared by every process on this file (``--rate-limit-scope database``): one row per
-- key (an account SID), refilled lazily on each take. ``updated_at`` is epoch milliseconds of the last refill.
CREATE TABLE rate_buckets (
    key        TEXT PRIMARY KEY,
    tokens     REAL NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
