-- Pool management (issue 14): name and tag search, deletion protection, member counts kept exact,
-- Remove Senders operations, and operations listed by pool and type.
--
-- name_key is the name as the namePrefix search compares it (case-folded; Python's str.casefold, filled
-- for rows written before this migration by the migrate step, which also renders xdoc again to show
-- deletionProtection). Name searches are a range scan of pools_by_name.
ALTER TABLE pools ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE pools ADD COLUMN deletion_protection INTEGER NOT NULL DEFAULT 0;
CREATE INDEX pools_by_name ON pools (account_sid, name_key, id) WHERE deleted_at IS NULL;

-- One row per tag of a live pool (a pool's tags are replaced as a whole; a deleted pool's go at once).
CREATE TABLE pool_tags (
    pool_id     TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    account_sid TEXT NOT NULL,
    PRIMARY KEY (pool_id, key)
) WITHOUT ROWID;
CREATE INDEX pool_tags_by_tag ON pool_tags (account_sid, key, value, pool_id);
INSERT INTO pool_tags (pool_id, key, value, account_sid)
    SELECT p.id, t.key, t.value, p.account_sid FROM pools p, json_each(p.tags) t WHERE p.deleted_at IS NULL;

-- Members of a pool per channel and status, changed in the transaction that changes the memberships
-- (worker batches, Remove Sender, sender deletes and status changes). No row: 0.
CREATE TABLE pool_counts (
    pool_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    status  TEXT NOT NULL,
    members INTEGER NOT NULL,
    PRIMARY KEY (pool_id, channel, status)
) WITHOUT ROWID;
INSERT INTO pool_counts (pool_id, channel, status, members)
    SELECT m.pool_id, s.channel, s.status, count(*) FROM pool_members m JOIN senders s ON s.id = m.sender_id
    GROUP BY m.pool_id, s.channel, s.status;

-- One row per pool: when a figure of its summary last changed. Writers of a pool's counts update this row
-- first, so on PostgreSQL it is also the lock that orders them.
CREATE TABLE pool_summaries (
    pool_id    TEXT PRIMARY KEY,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO pool_summaries (pool_id, updated_at) SELECT id, updated_at FROM pools;

-- Operation kinds are the wire's operation types now.
UPDATE operations SET kind = 'CREATE' WHERE kind = 'CREATE_POOL';
DROP INDEX operations_by_pool;
CREATE INDEX operations_by_pool ON operations (pool_id, id);
CREATE INDEX operations_by_type ON operations (account_sid, kind, id);
CREATE INDEX operations_processing ON operations (pool_id) WHERE status = 'PROCESSING';
