-- PostgreSQL twin of the SQLite schema. Times are epoch milliseconds; text sorts bytewise (COLLATE "C")
-- so time-ordered IDs sort by time, as in SQLite. Every list is an index range scan on (owner, id).
CREATE TABLE server_settings (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE accounts (
    sid        TEXT COLLATE "C" PRIMARY KEY,
    token_hash TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    sid         TEXT COLLATE "C" PRIMARY KEY,
    account_sid TEXT COLLATE "C" NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
    secret_hash TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_by_account ON api_keys (account_sid);

CREATE TABLE pools (
    id           TEXT COLLATE "C" PRIMARY KEY,
    account_sid  TEXT COLLATE "C" NOT NULL,
    name         TEXT COLLATE "C" NOT NULL,
    tags         TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    operation_id TEXT COLLATE "C",
    deleted_at   BIGINT
);
CREATE INDEX pools_by_account ON pools (account_sid, id) WHERE deleted_at IS NULL;
CREATE INDEX pools_by_operation ON pools (operation_id);
CREATE INDEX pools_deleted ON pools (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE senders (
    id           TEXT COLLATE "C" PRIMARY KEY,
    account_sid  TEXT COLLATE "C" NOT NULL,
    display_name TEXT COLLATE "C",
    address      TEXT COLLATE "C" NOT NULL,
    channel      TEXT COLLATE "C" NOT NULL,
    status       TEXT COLLATE "C" NOT NULL,
    tags         TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (account_sid, channel, address)
);
CREATE INDEX senders_by_account ON senders (account_sid, id);
CREATE INDEX senders_by_channel ON senders (account_sid, channel, id);
CREATE INDEX senders_by_status ON senders (account_sid, status, id);

CREATE TABLE pool_members (
    pool_id   TEXT COLLATE "C" NOT NULL,
    sender_id TEXT COLLATE "C" NOT NULL REFERENCES senders (id) ON DELETE CASCADE,
    PRIMARY KEY (pool_id, sender_id)
);
CREATE INDEX pool_members_by_sender ON pool_members (sender_id);

CREATE TABLE operations (
    id          TEXT COLLATE "C" PRIMARY KEY,
    account_sid TEXT COLLATE "C" NOT NULL,
    pool_id     TEXT COLLATE "C" NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    total       BIGINT NOT NULL,
    queued      BIGINT NOT NULL,
    created     BIGINT NOT NULL,
    failed      BIGINT NOT NULL,
    next_seq    BIGINT NOT NULL,   -- items before this position have an outcome
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX operations_by_account ON operations (account_sid, id);
CREATE INDEX operations_by_status ON operations (account_sid, status, id);
CREATE INDEX operations_with_work ON operations (id) WHERE status = 'PROCESSING' AND queued > 0;
CREATE INDEX operations_by_pool ON operations (pool_id);

CREATE TABLE operation_items (
    operation_id TEXT COLLATE "C" NOT NULL,
    seq          BIGINT NOT NULL,  -- position in the request; the pool itself is item 0 of a Create
    sender_id    TEXT COLLATE "C",
    outcome      TEXT COLLATE "C",              -- NULL while queued
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (operation_id, seq)
);
