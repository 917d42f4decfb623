-- Bulk imports run in the background; their progress and their report of bad rows live
-- here, so any instance behind the load balancer can show them.
CREATE TABLE import_jobs (
    id {{PK}},
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    state TEXT NOT NULL,           -- running, done, failed
    total_rows BIGINT NOT NULL,
    done_rows BIGINT NOT NULL,
    imported_products BIGINT NOT NULL,
    bad_rows TEXT NOT NULL,        -- JSON array of {line, handle, sku, field, message}
    error TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX import_jobs_by_time ON import_jobs (created_at);
