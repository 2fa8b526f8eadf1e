-- Events and webhooks (issue 16). Every change appends its event in the transaction that makes it; the
-- event's wire JSON is kept from write time (doc). IDs are ULIDs, so the ID orders by time and a date
-- range is an ID range; created_at serves the retention purge.
CREATE TABLE events (
    id          TEXT COLLATE "C" PRIMARY KEY,
    account_sid TEXT COLLATE "C" NOT NULL,
    type        TEXT COLLATE "C" NOT NULL,
    resource_id TEXT COLLATE "C",
    created_at  BIGINT NOT NULL,
    doc         BYTEA NOT NULL
);
CREATE INDEX events_by_account ON events (account_sid, id);
CREATE INDEX events_by_type ON events (account_sid, type, id);
CREATE INDEX events_by_resource ON events (account_sid, resource_id, id);
CREATE INDEX events_by_age ON events (created_at);

-- Who queued an operation: its background events (batches applied, completion) carry that actor.
ALTER TABLE operations ADD COLUMN actor TEXT;

-- Webhook sinks. types: ',' + the types + ',' (',,' for every type), matched with strpos() when an event
-- is written; secret: the signing key (Standard Webhooks' whsec_ form), kept so that it can sign.
CREATE TABLE event_sinks (
    id          TEXT COLLATE "C" PRIMARY KEY,
    account_sid TEXT COLLATE "C" NOT NULL,
    url         TEXT COLLATE "C" NOT NULL,
    types       TEXT COLLATE "C" NOT NULL,
    description TEXT,
    secret      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX event_sinks_by_account ON event_sinks (account_sid, id);

-- The outbox: one row per (event, matching sink), written with the event. A delivery loop claims the due
-- PENDING rows (the oldest pending one per sink and resource only), POSTs them, and records the attempt; DELIVERED and FAILED (dead-lettered) rows stay as
-- the sink's history until the event's retention ends.
CREATE TABLE event_deliveries (
    sink_id          TEXT COLLATE "C" NOT NULL REFERENCES event_sinks (id) ON DELETE CASCADE,
    event_id         TEXT COLLATE "C" NOT NULL,
    resource_id      TEXT COLLATE "C",  -- the event's: deliveries about one resource go out one at a time, in order
    status           TEXT COLLATE "C" NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    last_attempt_at  BIGINT,
    last_status_code BIGINT,
    last_latency_ms  BIGINT,
    last_error       TEXT,
    PRIMARY KEY (sink_id, event_id)
);
CREATE INDEX event_deliveries_due ON event_deliveries (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX event_deliveries_by_event ON event_deliveries (event_id);
CREATE INDEX event_deliveries_in_order ON event_deliveries (sink_id, resource_id, event_id) WHERE status = 'PENDING';
