-- A pool's activity (issue 16): every event about a pool, its members or its operations names the pool in
-- pool_id (an operation event's resource is the operation; its data names the pool), so that
-- GET /v1/Events?senderPoolId= is one range scan. Events logged before this migration get it here.
ALTER TABLE events ADD COLUMN pool_id TEXT COLLATE "C";
UPDATE events SET pool_id = CASE
    WHEN resource_id LIKE 'comms\_senderpool\_%' THEN resource_id
    ELSE convert_from(doc, 'UTF8')::jsonb -> 'data' ->> 'senderPoolId'
END;
CREATE INDEX events_by_pool ON events (account_sid, pool_id, id) WHERE pool_id IS NOT NULL;
