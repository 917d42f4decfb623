-- The catalog's relevance order reads title matches first (`lower(title) LIKE '%term%'`).
-- Without statistics on lower(title) PostgreSQL guesses such a pattern matches 0.5 % of
-- rows, so for a broad term it scans and sorts every product instead of walking the listing
-- order and stopping at a page (龙井 on 100,000 products: 158 ms against 2 ms). Extended
-- statistics on the expression give it the real share; they cost nothing on writes.
CREATE STATISTICS products_title_lower ON (lower(title)) FROM products;
ANALYZE products;
