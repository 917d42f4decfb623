-- The parcels of a split order move on their own: each is packed (its stock leaves the
-- warehouse) and handed to its carrier when its warehouse is ready, and the order follows
-- when the last one has. Parcels of orders already packed or beyond count as packed.
ALTER TABLE shipments ADD COLUMN packed_at BIGINT;
UPDATE shipments SET packed_at = COALESCE(shipped_at, (SELECT o.state_since FROM orders o WHERE o.id = shipments.order_id))
 WHERE order_id IN (SELECT id FROM orders WHERE state IN ('packed', 'shipped', 'delivered', 'completed', 'review_requested'));
