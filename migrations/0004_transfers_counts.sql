-- Transfers between warehouses and stock counts: both are declared workflows (state,
-- version, state_since as the engine expects) whose stock effects go through the ledger.

CREATE TABLE transfers (
    id {{PK}},
    from_warehouse_id BIGINT NOT NULL REFERENCES warehouses (id),
    to_warehouse_id BIGINT NOT NULL REFERENCES warehouses (id),
    note TEXT,
    waybill TEXT,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    state_since BIGINT NOT NULL,
    CHECK (from_warehouse_id <> to_warehouse_id)
);
CREATE INDEX transfers_by_state ON transfers (state, updated_at);

CREATE TABLE transfer_lines (
    id {{PK}},
    transfer_id BIGINT NOT NULL REFERENCES transfers (id),
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    received BIGINT CHECK (received >= 0 AND received <= quantity),
    shortfall_reason TEXT
);
CREATE INDEX transfer_lines_by_transfer ON transfer_lines (transfer_id);

CREATE TABLE stock_counts (
    id {{PK}},
    warehouse_id BIGINT NOT NULL REFERENCES warehouses (id),
    note TEXT,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    counted_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    state_since BIGINT NOT NULL
);
CREATE INDEX stock_counts_by_state ON stock_counts (state, updated_at);

-- book: on hand in the ledger when the count was recorded; the adjustment posted is
-- counted - book.
CREATE TABLE stock_count_lines (
    id {{PK}},
    count_id BIGINT NOT NULL REFERENCES stock_counts (id),
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    book BIGINT,
    counted BIGINT CHECK (counted >= 0),
    reason TEXT,
    unit_cost BIGINT
);
CREATE INDEX stock_count_lines_by_count ON stock_count_lines (count_id);
