-- An import also updates the products whose SKUs are already in the catalog: the report
-- counts the products it updated and those it found unchanged beside those it created.
ALTER TABLE import_jobs ADD COLUMN updated_products BIGINT NOT NULL DEFAULT 0;
ALTER TABLE import_jobs ADD COLUMN unchanged_products BIGINT NOT NULL DEFAULT 0;
