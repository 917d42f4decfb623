-- Catalog search on SQLite: FTS5 with the trigram tokenizer matches any substring of three
-- characters or more, which suits Chinese (no word boundaries) and SKU codes alike.
CREATE VIRTUAL TABLE product_search USING fts5(body, tokenize = 'trigram');
