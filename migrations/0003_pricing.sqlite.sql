-- The CJK gram index on SQLite: one token per character and character pair.
CREATE VIRTUAL TABLE product_grams USING fts5(grams);
