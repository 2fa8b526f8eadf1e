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

-- One row per live pool (gone with the pool): its member counts per channel and status, as "CHANNEL
-- STATUS n" entries joined by commas, and how many of its operations are PROCESSING. Changed in the
-- transactions that change memberships (worker batches, Remove Sender, sender deletes and status
-- changes) or operations, with the Summary's JSON rendered from them, so that a Summary is one
-- primary-key lookup of bytes to send. updated_at: a figure's last change.
CREATE TABLE pool_summaries (
    pool_id     TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL,
    counts      TEXT NOT NULL,
    processing  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    doc         BLOB            -- the Summary's JSON (rendered for these rows by the migrate step)
) WITHOUT ROWID;
INSERT INTO pool_summaries (pool_id, account_sid, counts, processing, updated_at)
    SELECT p.id, p.account_sid,
        coalesce((SELECT group_concat(c.channel || ' ' || c.status || ' ' || c.n, ',') FROM (
            SELECT s.channel, s.status, count(*) AS n FROM pool_members m JOIN senders s ON s.id = m.sender_id
            WHERE m.pool_id = p.id GROUP BY s.channel, s.status) c), ''),
        (SELECT count(*) FROM operations o WHERE o.pool_id = p.id AND o.status = 'PROCESSING'),
        p.updated_at
    FROM pools p WHERE p.deleted_at IS NULL;

-- Operation kinds are the wire's operation types now.
UPDATE operations SET kind = 'CREATE' WHERE kind = 'CREATE_POOL';
DROP INDEX operations_by_pool;
CREATE INDEX operations_by_pool ON operations (pool_id, id);
CREATE INDEX operations_by_type ON operations (account_sid, kind, id);
