-- Smarter Resolve (issue 15). Senders: a weight and a health their owner sets, and the place
-- libphonenumber gives their address (stored at registration; rows registered before this migration
-- are placed by it, in the store's migrate step, which also renders their JSON again).
ALTER TABLE senders ADD COLUMN weight INTEGER NOT NULL DEFAULT 1;
ALTER TABLE senders ADD COLUMN health TEXT NOT NULL DEFAULT 'HEALTHY';
ALTER TABLE senders ADD COLUMN country TEXT;
ALTER TABLE senders ADD COLUMN area_code TEXT;
ALTER TABLE senders ADD COLUMN time_zone TEXT;
ALTER TABLE senders ADD COLUMN sender_type TEXT;
CREATE INDEX senders_by_place ON senders (account_sid, channel, country, area_code);

-- Pools: how Resolve ranks their members (JSON: channelPriority, senderTypePriority; NULL: the defaults).
ALTER TABLE pools ADD COLUMN selection TEXT;

-- Durable sticky senders: the sender Resolve chose for a recipient on a channel, per scope (a pool ID,
-- or '*' for the whole account). The primary key serves every lookup: a Resolve's (account, its
-- recipients, scope) and one recipient's list; and it makes concurrent first choices agree (one insert
-- wins, the others read it back). A deleted sender takes its mappings with it; deactivation and removal
-- from a pool delete theirs (by sender); expired ones (SENDERPOOLS_STICKY_TTL) go by age.
CREATE TABLE sticky_senders (
    account_sid TEXT NOT NULL,
    scope       TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    sender_id   TEXT NOT NULL REFERENCES senders (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_sid, recipient, scope, channel)
) WITHOUT ROWID;
CREATE INDEX sticky_senders_by_sender ON sticky_senders (sender_id);
CREATE INDEX sticky_senders_by_age ON sticky_senders (created_at);

-- Versions of what Resolve chooses from, so that every node may keep candidates in memory and know
-- when they changed: one row per account (its senders) and per pool (its members), bumped in the same
-- transaction as the change.
CREATE TABLE resolve_versions (
    key     TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;
