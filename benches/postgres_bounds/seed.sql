-- Test customers and a catalog as the orders bench has it: four listed SKUs, two active
-- warehouses with ample stock.
INSERT INTO users (email, display_name, password_hash, is_customer, active, created_at) SELECT 'u'||g||'@x', 'U'||g, 'x', 1, 1, 0 FROM generate_series(1,17) g;
INSERT INTO warehouses (code, name, address, active, created_at) VALUES ('SH','Shanghai','a',1,0),('GZ','Guangzhou','b',1,0);
INSERT INTO products (title, description, tags, estimated_stock, min_price, search_text, state, version, created_by, created_at, updated_at, state_since) SELECT 'P'||g, 'd', '', 0, 1000, 'p', 'listed', 1, 1, 0, 0, 0 FROM generate_series(1,4) g;
INSERT INTO skus (product_id, code, attributes, price, cost, reorder_point, created_at) SELECT id, 'SKU'||id, '', 12800, 100, 10, 0 FROM products;
INSERT INTO stock_levels SELECT s.id, w.id, 100000000, 0 FROM skus s, warehouses w;
