-- Pool management (issue 14): name and tag search, deletion protection, member counts kept exact,
-- Remove Senders operations, and operations listed by pool and type. The PostgreSQL twin of the SQLite
-- migration of the same number (see it for what each part is for).
ALTER TABLE pools ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN deletion_protection BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX pools_by_name ON pools (account_sid, name_key, id) WHERE deleted_at IS NULL;

CREATE TABLE pool_tags (
    pool_id     TEXT COLLATE "C" NOT NULL,
    key         TEXT COLLATE "C" NOT NULL,
    value       TEXT COLLATE "C" NOT NULL,
    account_sid TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (pool_id, key)
);
CREATE INDEX pool_tags_by_tag ON pool_tags (account_sid, key, value, pool_id);
INSERT INTO pool_tags (pool_id, key, value, account_sid)
    SELECT p.id, t.key, t.value, p.account_sid FROM pools p, jsonb_each_text(p.tags::jsonb) t
    WHERE p.deleted_at IS NULL;

CREATE TABLE pool_summaries (
    pool_id     TEXT COLLATE "C" PRIMARY KEY,
    account_sid TEXT COLLATE "C" NOT NULL,
    counts      TEXT COLLATE "C" NOT NULL,
    processing  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    doc         BYTEA
);
INSERT INTO pool_summaries (pool_id, account_sid, counts, processing, updated_at)
    SELECT p.id, p.account_sid,
        coalesce((SELECT string_agg(c.channel || ' ' || c.status || ' ' || c.n, ',') FROM (
            SELECT s.channel, s.status, count(*) AS n FROM pool_members m JOIN senders s ON s.id = m.sender_id
            WHERE m.pool_id = p.id GROUP BY s.channel, s.status) c), ''),
        (SELECT count(*) FROM operations o WHERE o.pool_id = p.id AND o.status = 'PROCESSING'),
        p.updated_at
    FROM pools p WHERE p.deleted_at IS NULL;

UPDATE operations SET kind = 'CREATE' WHERE kind = 'CREATE_POOL';
DROP INDEX operations_by_pool;
CREATE INDEX operations_by_pool ON operations (pool_id, id);
CREATE INDEX operations_by_type ON operations (account_sid, kind, id);
