-- The order's writes as PostgreSQL functions, for run.sh: what the statements of
-- order.sql cost once no client waits between them.

CREATE OR REPLACE FUNCTION place_one(c bigint, s bigint, k text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE oid bigint; lid bigint; sid bigint; rid bigint;
BEGIN
INSERT INTO orders (customer_id, idempotency_key, recipient, phone, address, shipping_method, goods_total, shipping_fee, total, state, version, created_at, updated_at, state_since) VALUES (c, k, 'Bench', '+86 138', '1 Bench Rd', 'standard', 12800, 0, 12800, 'placed', 1, 5, 5, 5) RETURNING id INTO oid;
INSERT INTO order_lines (order_id, sku_id, title, sku_code, attributes, quantity, unit_price, line_total) SELECT oid, id, 'P', code, attributes, 1, 12800, 12800 FROM skus WHERE code = 'SKU' || s RETURNING id INTO lid;
DELETE FROM cart_items WHERE customer_id = c;
PERFORM l.sku_id, l.warehouse_id, l.on_hand - l.reserved FROM stock_levels l JOIN warehouses w ON w.id = l.warehouse_id WHERE w.active = 1 AND l.sku_id IN (s) AND l.on_hand > l.reserved;
INSERT INTO shipments (order_id, warehouse_id) VALUES (oid, 1) RETURNING id INTO sid;
INSERT INTO stock_movements (sku_id, warehouse_id, kind, quantity, on_hand_delta, reserved_delta, reference, reason, actor_id, at) VALUES (s, 1, 'reserve', 1, 0, 1, 'order #' || oid, 'reserved for order', c, 5);
INSERT INTO reservations (sku_id, warehouse_id, quantity, state, reference, created_by, created_at, updated_at) VALUES (s, 1, 1, 'held', 'order #' || oid, c, 5, 5) RETURNING id INTO rid;
INSERT INTO order_allocations (order_line_id, shipment_id, reservation_id, quantity) VALUES (lid, sid, rid, 1);
UPDATE stock_levels SET on_hand = on_hand + 0, reserved = reserved + 1 WHERE sku_id = s AND warehouse_id = 1 AND on_hand + 0 >= reserved + 1 AND reserved + 1 >= 0;
INSERT INTO audit_events (entity, entity_id, action, from_state, to_state, actor_id, at, payload) VALUES ('orders', oid, 'place', NULL, 'placed', c, 5, '{"total":"128.00","lines":"1","shipping_method":"standard"}');
RETURN oid;
END $$;

CREATE OR REPLACE FUNCTION place_batch(b int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE oids bigint[]; lids bigint[]; sids bigint[]; rids bigint[]; skus bigint[];
BEGIN
SELECT array_agg(1 + (random()*3)::int) INTO skus FROM generate_series(1, b);
PERFORM 1 FROM stock_levels WHERE warehouse_id = 1 AND sku_id = ANY(skus) ORDER BY sku_id FOR UPDATE;
WITH o AS (INSERT INTO orders (customer_id, idempotency_key, recipient, phone, address, shipping_method, goods_total, shipping_fee, total, state, version, created_at, updated_at, state_since)
  SELECT 1 + (g % 16), 'k' || (random()*9e15)::bigint, 'Bench', '+86 138', '1 Bench Rd', 'standard', 12800, 0, 12800, 'placed', 1, 5, 5, 5 FROM generate_series(1, b) g RETURNING id)
  SELECT array_agg(id ORDER BY id) INTO oids FROM o;
WITH l AS (INSERT INTO order_lines (order_id, sku_id, title, sku_code, attributes, quantity, unit_price, line_total)
  SELECT oids[i], s.id, 'P', s.code, s.attributes, 1, 12800, 12800 FROM generate_series(1, b) i JOIN skus s ON s.id = skus[i] ORDER BY i RETURNING id)
  SELECT array_agg(id ORDER BY id) INTO lids FROM l;
DELETE FROM cart_items WHERE customer_id BETWEEN 1 AND 16;
WITH s AS (INSERT INTO shipments (order_id, warehouse_id) SELECT oids[i], 1 FROM generate_series(1, b) i ORDER BY i RETURNING id)
  SELECT array_agg(id ORDER BY id) INTO sids FROM s;
INSERT INTO stock_movements (sku_id, warehouse_id, kind, quantity, on_hand_delta, reserved_delta, reference, reason, actor_id, at)
  SELECT skus[i], 1, 'reserve', 1, 0, 1, 'order #' || oids[i], 'reserved for order', 1 + (i % 16), 5 FROM generate_series(1, b) i;
WITH r AS (INSERT INTO reservations (sku_id, warehouse_id, quantity, state, reference, created_by, created_at, updated_at)
  SELECT skus[i], 1, 1, 'held', 'order #' || oids[i], 1 + (i % 16), 5, 5 FROM generate_series(1, b) i ORDER BY i RETURNING id)
  SELECT array_agg(id ORDER BY id) INTO rids FROM r;
INSERT INTO order_allocations (order_line_id, shipment_id, reservation_id, quantity) SELECT lids[i], sids[i], rids[i], 1 FROM generate_series(1, b) i;
UPDATE stock_levels l SET reserved = reserved + d.n FROM (SELECT x AS sku, count(*) AS n FROM unnest(skus) x GROUP BY x) d WHERE l.sku_id = d.sku AND l.warehouse_id = 1;
INSERT INTO audit_events (entity, entity_id, action, from_state, to_state, actor_id, at, payload) SELECT 'orders', oids[i], 'place', NULL, 'placed', 1 + (i % 16), 5, '{"total":"128.00","lines":"1","shipping_method":"standard"}' FROM generate_series(1, b) i;
RETURN b;
END $$;
