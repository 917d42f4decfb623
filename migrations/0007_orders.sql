-- Orders: the customer's cart, orders with their lines priced by the server, where each line's
-- stock is held (allocations to warehouses, each a ledger reservation), the shipments those
-- allocations make, payment attempts, and refunds handed to finance.

CREATE TABLE cart_items (
    customer_id BIGINT NOT NULL REFERENCES users (id),
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, sku_id)
);

CREATE TABLE orders (
    id {{PK}},
    customer_id BIGINT NOT NULL REFERENCES users (id),
    -- Chosen by the checkout page once per attempt: a resubmitted checkout finds its order.
    idempotency_key TEXT NOT NULL,
    recipient TEXT NOT NULL,
    phone TEXT NOT NULL,
    address TEXT NOT NULL,
    shipping_method TEXT NOT NULL,
    goods_total BIGINT NOT NULL,
    shipping_fee BIGINT NOT NULL,
    total BIGINT NOT NULL,
    paid_at BIGINT,
    cancel_reason TEXT,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    state_since BIGINT NOT NULL,
    UNIQUE (customer_id, idempotency_key)
);
CREATE INDEX orders_by_state ON orders (state, state_since);
CREATE INDEX orders_by_customer ON orders (customer_id, id);

CREATE TABLE order_lines (
    id {{PK}},
    order_id BIGINT NOT NULL REFERENCES orders (id),
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    title TEXT NOT NULL,
    sku_code TEXT NOT NULL,
    attributes TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price BIGINT NOT NULL CHECK (unit_price > 0),
    line_total BIGINT NOT NULL
);
CREATE INDEX order_lines_by_order ON order_lines (order_id);

-- One parcel per warehouse the order's stock is held in.
CREATE TABLE shipments (
    id {{PK}},
    order_id BIGINT NOT NULL REFERENCES orders (id),
    warehouse_id BIGINT NOT NULL REFERENCES warehouses (id),
    carrier TEXT,
    tracking_number TEXT,
    shipped_at BIGINT,
    delivered_at BIGINT,
    UNIQUE (order_id, warehouse_id)
);

CREATE TABLE order_allocations (
    id {{PK}},
    order_line_id BIGINT NOT NULL REFERENCES order_lines (id),
    shipment_id BIGINT NOT NULL REFERENCES shipments (id),
    reservation_id BIGINT NOT NULL REFERENCES reservations (id),
    quantity BIGINT NOT NULL CHECK (quantity > 0)
);
CREATE INDEX order_allocations_by_line ON order_allocations (order_line_id);
CREATE INDEX order_allocations_by_shipment ON order_allocations (shipment_id);

CREATE TABLE payments (
    id {{PK}},
    order_id BIGINT NOT NULL REFERENCES orders (id),
    provider TEXT NOT NULL,
    amount BIGINT NOT NULL,
    -- succeeded, declined, timed_out
    outcome TEXT NOT NULL,
    provider_ref TEXT,
    message TEXT,
    card_last4 TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX payments_by_order ON payments (order_id, id);

-- A refund owed to a customer, handed to finance (cancellation of a paid order, a return).
CREATE TABLE refunds (
    id {{PK}},
    order_id BIGINT NOT NULL REFERENCES orders (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL,
    state TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX refunds_by_order ON refunds (order_id);

-- What carriers report about parcels, by the tracker or through the webhook. The carrier's own
-- event id makes a repeated report harmless.
CREATE TABLE tracking_events (
    id {{PK}},
    shipment_id BIGINT NOT NULL REFERENCES shipments (id),
    carrier TEXT NOT NULL,
    external_id TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT NOT NULL,
    location TEXT,
    occurred_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (carrier, external_id)
);
CREATE INDEX tracking_events_by_shipment ON tracking_events (shipment_id, occurred_at);
CREATE INDEX shipments_by_tracking ON shipments (carrier, tracking_number);

-- A parcel that went wrong (late, damaged, lost, refused): investigated with the carrier and
-- resolved by a replacement, a refund or a compensation, which the customer is told about.
CREATE TABLE shipping_exceptions (
    id {{PK}},
    order_id BIGINT NOT NULL REFERENCES orders (id),
    shipment_id BIGINT NOT NULL REFERENCES shipments (id),
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    customer_note TEXT NOT NULL,
    resolution TEXT,
    amount BIGINT,
    replacement_tracking TEXT,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    state_since BIGINT NOT NULL
);
CREATE INDEX shipping_exceptions_by_order ON shipping_exceptions (order_id);
CREATE INDEX shipping_exceptions_by_state ON shipping_exceptions (state, state_since);

-- Returns and exchanges of delivered orders: which lines and how many, what inspection found
-- (restocked through the ledger or scrapped), and the problem and solution for analysis.
CREATE TABLE return_cases (
    id {{PK}},
    order_id BIGINT NOT NULL REFERENCES orders (id),
    customer_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    description TEXT NOT NULL,
    answer TEXT,
    problem TEXT,
    solution TEXT,
    refund_amount BIGINT,
    tracking_number TEXT,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    state_since BIGINT NOT NULL
);
CREATE INDEX return_cases_by_order ON return_cases (order_id);
CREATE INDEX return_cases_by_state ON return_cases (state, state_since);

CREATE TABLE return_lines (
    id {{PK}},
    return_id BIGINT NOT NULL REFERENCES return_cases (id),
    order_line_id BIGINT NOT NULL REFERENCES order_lines (id),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    restocked BIGINT,
    scrapped BIGINT
);
CREATE INDEX return_lines_by_case ON return_lines (return_id);

-- Customers' reviews of the products of their completed orders: one per order line.
CREATE TABLE product_reviews (
    id {{PK}},
    order_line_id BIGINT NOT NULL UNIQUE REFERENCES order_lines (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    customer_id BIGINT NOT NULL REFERENCES users (id),
    rating BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX product_reviews_by_product ON product_reviews (product_id, id);
