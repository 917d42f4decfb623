-- The CJK gram index on PostgreSQL: the grams as an array, GIN-indexed for containment.
CREATE INDEX products_search_grams ON products USING gin (string_to_array(search_grams, ' '));
