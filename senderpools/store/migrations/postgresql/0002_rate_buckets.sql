-- Token buckets shared by every node (``--rate-limit-scope database``): one row per key (an account
-- SID), refilled lazily on each take. ``updated_at`` is epoch milliseconds of the last refill.
CREATE TABLE rate_buckets (
    key        TEXT COLLATE "C" PRIMARY KEY,
    tokens     DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL
);
