-- Products and multi-warehouse inventory: the catalog with its listing review, the stock
-- ledger, inbound receipts, reservations for orders, and the shared alert inbox.
-- Money is BIGINT minor units (fen/cents); quantities are BIGINT units; times BIGINT ms UTC.

-- Permissions the running code has already handed to the built-in roles: a permission that
-- appears in a new release is granted once to the roles that have it by default, and an
-- admin's later removal of it sticks.
CREATE TABLE known_permissions (
    permission TEXT PRIMARY KEY
);

CREATE TABLE categories (
    id {{PK}},
    parent_id BIGINT REFERENCES categories (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX categories_by_parent ON categories (parent_id);

CREATE TABLE products (
    id {{PK}},
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category_id BIGINT REFERENCES categories (id),
    tags TEXT NOT NULL,            -- normalised, comma separated, for display and filters
    estimated_stock BIGINT NOT NULL,
    min_price BIGINT NOT NULL,     -- the lowest SKU price: the catalog sorts and filters by it
    search_text TEXT NOT NULL,     -- lower-cased title, description, SKU codes and tags
    review_note TEXT,              -- the reviewer's reasons when returned
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    state_since BIGINT NOT NULL,
    listed_at BIGINT
);
CREATE INDEX products_by_state ON products (state, updated_at);
CREATE INDEX products_by_category ON products (category_id, state);
CREATE INDEX products_by_price ON products (state, min_price);

CREATE TABLE product_tags (
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (product_id, tag)
);
CREATE INDEX product_tags_by_tag ON product_tags (tag);

CREATE TABLE skus (
    id {{PK}},
    product_id BIGINT NOT NULL REFERENCES products (id),
    code TEXT NOT NULL UNIQUE,
    attributes TEXT NOT NULL,      -- variant attributes as people write them: "colour=red; size=M"
    price BIGINT NOT NULL,
    cost BIGINT NOT NULL,
    reorder_point BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX skus_by_product ON skus (product_id);

CREATE TABLE warehouses (
    id {{PK}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The balance of a SKU in a warehouse, kept in the same transaction as the movement that
-- changes it; the CHECK makes an oversell impossible even for a buggy caller.
CREATE TABLE stock_levels (
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    warehouse_id BIGINT NOT NULL REFERENCES warehouses (id),
    on_hand BIGINT NOT NULL,
    reserved BIGINT NOT NULL,
    PRIMARY KEY (sku_id, warehouse_id),
    CHECK (reserved >= 0 AND on_hand >= reserved)
);

-- The ledger: every change of stock is one row. on_hand and reserved of stock_levels are the
-- sums of the deltas here.
CREATE TABLE stock_movements (
    id {{PK}},
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    warehouse_id BIGINT NOT NULL REFERENCES warehouses (id),
    kind TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    on_hand_delta BIGINT NOT NULL,
    reserved_delta BIGINT NOT NULL,
    reference TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    at BIGINT NOT NULL
);
CREATE INDEX stock_movements_by_sku ON stock_movements (sku_id, id);

CREATE TABLE reservations (
    id {{PK}},
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    warehouse_id BIGINT NOT NULL REFERENCES warehouses (id),
    quantity BIGINT NOT NULL,
    state TEXT NOT NULL,           -- held, released, committed
    reference TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX reservations_by_reference ON reservations (reference);

CREATE TABLE receipts (
    id {{PK}},
    warehouse_id BIGINT NOT NULL REFERENCES warehouses (id),
    supplier TEXT NOT NULL,
    reference TEXT NOT NULL,
    note TEXT,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    state_since BIGINT NOT NULL
);
CREATE INDEX receipts_by_state ON receipts (state, updated_at);

CREATE TABLE receipt_lines (
    id {{PK}},
    receipt_id BIGINT NOT NULL REFERENCES receipts (id),
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    expected BIGINT NOT NULL,
    received BIGINT,
    accepted BIGINT,
    rejected BIGINT,
    defect_reason TEXT
);
CREATE INDEX receipt_lines_by_receipt ON receipt_lines (receipt_id);

-- The shared alert inbox. `subject` identifies what the alert is about (e.g.
-- low_stock:sku:12:wh:3); while an alert on a subject is open no second one is raised.
CREATE TABLE alerts (
    id {{PK}},
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    permission TEXT NOT NULL,      -- who handles it: holders of this permission
    owner_role TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    link TEXT NOT NULL,
    state TEXT NOT NULL,           -- open, acknowledged, resolved
    created_at BIGINT NOT NULL,
    acknowledged_by BIGINT REFERENCES users (id),
    acknowledged_at BIGINT,
    resolved_by BIGINT REFERENCES users (id),
    resolved_at BIGINT,
    resolution TEXT
);
CREATE UNIQUE INDEX alerts_one_open_per_subject ON alerts (subject) WHERE state <> 'resolved';
CREATE INDEX alerts_by_state ON alerts (state, created_at);
