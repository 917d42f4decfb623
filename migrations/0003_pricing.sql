-- Search: one- and two-character Chinese terms are served by an index of the characters and
-- character pairs of each product (search_grams, see catalog::cjk_grams); products written
-- before it are indexed at start-up. The shop's default order (newest listed) gets an index.
ALTER TABLE products ADD COLUMN search_grams TEXT NOT NULL DEFAULT '';
CREATE INDEX products_by_listing ON products (state, listed_at);

-- Pricing: every applied price change is history with who and why; a change beyond the
-- configured percentage, or under cost, waits for a product manager (price_approvals, a
-- declared workflow); promotional prices apply within a time window.

CREATE TABLE price_history (
    id {{PK}},
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    old_price BIGINT NOT NULL,
    new_price BIGINT NOT NULL,
    reason TEXT NOT NULL,
    changed_by BIGINT NOT NULL REFERENCES users (id),
    approved_by BIGINT REFERENCES users (id),
    approval_id BIGINT,
    at BIGINT NOT NULL
);
CREATE INDEX price_history_by_sku ON price_history (sku_id, at);

CREATE TABLE price_approvals (
    id {{PK}},
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    old_price BIGINT NOT NULL,
    new_price BIGINT NOT NULL,
    cost BIGINT NOT NULL,
    reason TEXT NOT NULL,
    why_approval TEXT NOT NULL,   -- beyond_limit or below_cost
    decision_note TEXT,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    state_since BIGINT NOT NULL
);
CREATE INDEX price_approvals_by_state ON price_approvals (state, updated_at);

CREATE TABLE promo_prices (
    id {{PK}},
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    price BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    cancelled_at BIGINT
);
CREATE INDEX promo_prices_by_sku ON promo_prices (sku_id, ends_at);
