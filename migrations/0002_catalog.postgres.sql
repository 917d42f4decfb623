-- Catalog search on PostgreSQL: trigram index over the lower-cased search text; LIKE
-- '%term%' uses it for terms of three characters or more.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX products_search_trgm ON products USING gin (search_text gin_trgm_ops);
