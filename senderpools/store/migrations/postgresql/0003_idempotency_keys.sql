-- Idempotent retries: one row per (account, Idempotency-Key). The row is inserted (claimed) before the
-- work is done, so only one request on any node can do it; the response is stored once it is done
-- (status NULL until then). Times are epoch milliseconds; rows older than the TTL are ignored and purged.
CREATE TABLE idempotency_keys (
    account_sid  TEXT COLLATE "C" NOT NULL,
    key          TEXT COLLATE "C" NOT NULL,
    method       TEXT COLLATE "C" NOT NULL,
    path         TEXT COLLATE "C" NOT NULL,
    body_sha256  TEXT COLLATE "C" NOT NULL,
    status       INTEGER,
    headers      TEXT COLLATE "C",
    body         BYTEA,
    created_at   BIGINT NOT NULL,
    completed_at BIGINT,
    PRIMARY KEY (account_sid, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
