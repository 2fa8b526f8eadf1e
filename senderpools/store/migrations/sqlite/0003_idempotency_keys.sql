-- Idempotent retries: one row per (account, Idempotency-Key). The row is inserted (claimed) before the
-- work is done, so only one request can do it; the response is stored once it is done (status NULL
-- until then). Times are epoch milliseconds; rows older than the TTL are ignored and purged.
CREATE TABLE idempotency_keys (
    account_sid  TEXT NOT NULL,
    key          TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    body_sha256  TEXT NOT NULL,
    status       INTEGER,
    headers      TEXT,
    body         BLOB,
    created_at   INTEGER NOT NULL,
    completed_at INTEGER,
    PRIMARY KEY (account_sid, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
