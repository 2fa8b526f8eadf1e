-- Test controls: how the worker paces an account's operations (no row: normal speed). Shared through
-- the database so every worker process respects it.
CREATE TABLE test_pacing (
    account_sid      TEXT COLLATE "C" PRIMARY KEY,
    hold             BOOLEAN NOT NULL,
    items_per_second INTEGER
);
