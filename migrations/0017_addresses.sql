-- The customer's address book. Orders copy the address they ship to, so an entry may be
-- edited or deleted freely. At most one entry per customer is the default (kept by the
-- service in the same transaction that changes it).
CREATE TABLE customer_addresses (
    id {{PK}},
    customer_id BIGINT NOT NULL REFERENCES users (id),
    label TEXT NOT NULL,
    recipient TEXT NOT NULL,
    phone TEXT NOT NULL,
    address TEXT NOT NULL,
    is_default BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customer_addresses_by_customer ON customer_addresses (customer_id);
