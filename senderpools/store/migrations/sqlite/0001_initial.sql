-- Times are epoch milliseconds. IDs are time-ordered (see senderpools/ids.py), so every list is
-- an index range scan on (owner, id).
CREATE TABLE server_settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE accounts (
    sid        TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    sid         TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX api_keys_by_account ON api_keys (account_sid);

CREATE TABLE pools (
    id           TEXT PRIMARY KEY,
    account_sid  TEXT NOT NULL,
    name         TEXT NOT NULL,
    tags         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    operation_id TEXT,
    deleted_at   INTEGER
);
CREATE INDEX pools_by_account ON pools (account_sid, id) WHERE deleted_at IS NULL;
CREATE INDEX pools_by_operation ON pools (operation_id);
CREATE INDEX pools_deleted ON pools (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE senders (
    id           TEXT PRIMARY KEY,
    account_sid  TEXT NOT NULL,
    display_name TEXT,
    address      TEXT NOT NULL,
    channel      TEXT NOT NULL,
    status       TEXT NOT NULL,
    tags         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (account_sid, channel, address)
);
CREATE INDEX senders_by_account ON senders (account_sid, id);
CREATE INDEX senders_by_channel ON senders (account_sid, channel, id);
CREATE INDEX senders_by_status ON senders (account_sid, status, id);

CREATE TABLE pool_members (
    pool_id   TEXT NOT NULL,
    sender_id TEXT NOT NULL REFERENCES senders (id) ON DELETE CASCADE,
    PRIMARY KEY (pool_id, sender_id)
) WITHOUT ROWID;
CREATE INDEX pool_members_by_sender ON pool_members (sender_id);

CREATE TABLE operations (
    id          TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL,
    pool_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    total       INTEGER NOT NULL,
    queued      INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    next_seq    INTEGER NOT NULL,   -- items before this position have an outcome
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX operations_by_account ON operations (account_sid, id);
CREATE INDEX operations_by_status ON operations (account_sid, status, id);
CREATE INDEX operations_with_work ON operations (id) WHERE status = 'PROCESSING' AND queued > 0;
CREATE INDEX operations_by_pool ON operations (pool_id);

CREATE TABLE operation_items (
    operation_id TEXT NOT NULL,
    seq          INTEGER NOT NULL,  -- position in the request; the pool itself is item 0 of a Create
    sender_id    TEXT,
    outcome      TEXT,              -- NULL while queued
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (operation_id, seq)
) WITHOUT ROWID;
