-- A running import touches its heartbeat with every batch. One whose heartbeat stopped (its
-- instance was stopped or crashed) is marked failed by the sweep, instead of "running" forever.
ALTER TABLE import_jobs ADD COLUMN heartbeat_at BIGINT;
