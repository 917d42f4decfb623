-- One order as the orders bench places it, statement for statement: the cart line added
-- (`service::set_cart_quantity`), the priced cart read (`cart_lines`), then the transaction of
-- `place_new` and `hold_stock` for a one-line order held in one warehouse. Customer c is the
-- client's own; SKU s one of the four.
\set c :client_id + 1
\set s random(1, 4)
\set k random(1, 9000000000000000000)
INSERT INTO cart_items (customer_id, sku_id, quantity, added_at) SELECT :c, s.id, 1, 0 FROM skus s JOIN products p ON p.id = s.product_id WHERE s.code = 'SKU' || :s AND p.state = 'listed' AND ((SELECT COUNT(*) FROM cart_items c WHERE c.customer_id = :c) < 50 OR EXISTS (SELECT 1 FROM cart_items c WHERE c.customer_id = :c AND c.sku_id = s.id)) ON CONFLICT (customer_id, sku_id) DO UPDATE SET quantity = cart_items.quantity + excluded.quantity WHERE cart_items.quantity + excluded.quantity <= 999 RETURNING quantity;
SELECT c.sku_id, s.code, p.id, p.title, s.attributes, c.quantity, s.price, p.state, CAST(COALESCE((SELECT SUM(l.on_hand - l.reserved) FROM stock_levels l JOIN warehouses w ON w.id = l.warehouse_id WHERE l.sku_id = s.id AND w.active = 1), 0) AS BIGINT), (SELECT MIN(pp.price) FROM promo_prices pp WHERE pp.sku_id = s.id AND pp.cancelled_at IS NULL AND pp.starts_at <= 5 AND pp.ends_at > 5), (SELECT s.fee FROM shipping_services s JOIN carriers c ON c.code = s.carrier WHERE s.active = 1 AND c.active = 1 AND s.code = 'standard'), (SELECT s.free_from FROM shipping_services s JOIN carriers c ON c.code = s.carrier WHERE s.active = 1 AND c.active = 1 AND s.code = 'standard') FROM cart_items c JOIN skus s ON s.id = c.sku_id JOIN products p ON p.id = s.product_id WHERE c.customer_id = :c ORDER BY c.added_at, s.code;
BEGIN;
INSERT INTO orders (customer_id, idempotency_key, recipient, phone, address, shipping_method, goods_total, shipping_fee, total, state, version, created_at, updated_at, state_since) VALUES (:c, 'k' || :k, 'Bench', '+86 138', '1 Bench Rd', 'standard', 12800, 0, 12800, 'placed', 1, 5, 5, 5) RETURNING id AS oid \gset
INSERT INTO order_lines (order_id, sku_id, title, sku_code, attributes, quantity, unit_price, line_total) SELECT :oid, id, 'P', code, attributes, 1, 12800, 12800 FROM skus WHERE code = 'SKU' || :s RETURNING id AS lid \gset
DELETE FROM cart_items WHERE customer_id = :c;
SELECT l.sku_id, l.warehouse_id, l.on_hand - l.reserved FROM stock_levels l JOIN warehouses w ON w.id = l.warehouse_id WHERE w.active = 1 AND l.sku_id IN (:s) AND l.on_hand > l.reserved;
INSERT INTO shipments (order_id, warehouse_id) VALUES (:oid, 1) RETURNING id AS sid \gset
INSERT INTO stock_movements (sku_id, warehouse_id, kind, quantity, on_hand_delta, reserved_delta, reference, reason, actor_id, at) VALUES (:s, 1, 'reserve', 1, 0, 1, 'order #' || :oid, 'reserved for order', :c, 5);
INSERT INTO reservations (sku_id, warehouse_id, quantity, state, reference, created_by, created_at, updated_at) VALUES (:s, 1, 1, 'held', 'order #' || :oid, :c, 5, 5) RETURNING id AS rid \gset
INSERT INTO order_allocations (order_line_id, shipment_id, reservation_id, quantity) VALUES (:lid, :sid, :rid, 1);
UPDATE stock_levels SET on_hand = on_hand + 0, reserved = reserved + 1 WHERE sku_id = :s AND warehouse_id = 1 AND on_hand + 0 >= reserved + 1 AND reserved + 1 >= 0 RETURNING on_hand, reserved, (SELECT reorder_point FROM skus WHERE id = :s), (SELECT active FROM warehouses WHERE id = 1);
INSERT INTO audit_events (entity, entity_id, action, from_state, to_state, actor_id, at, payload) VALUES ('orders', :oid, 'place', NULL, 'placed', :c, 5, '{"total":"128.00","lines":"1","shipping_method":"standard"}');
COMMIT;
