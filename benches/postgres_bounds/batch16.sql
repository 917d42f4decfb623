-- 16 orders written in one transaction, each table in one multi-row statement (functions.sql).
SELECT place_batch(16);
