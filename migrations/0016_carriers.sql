-- Carriers and their shipping services, configured by logistics (they were a list in the
-- code). Codes are what orders (shipping_method), parcels (carrier) and carriers' webhooks
-- name, so they never change once created; a carrier or service is retired by deactivating
-- it, and orders keep the fee they were charged.
CREATE TABLE carriers (
    id {{PK}},
    code TEXT NOT NULL UNIQUE,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    tracking_url TEXT,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE shipping_services (
    id {{PK}},
    code TEXT NOT NULL UNIQUE,
    carrier TEXT NOT NULL REFERENCES carriers (code),
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    fee BIGINT NOT NULL CHECK (fee >= 0),
    free_from BIGINT CHECK (free_from >= 0),
    days_min BIGINT NOT NULL,
    days_max BIGINT NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK (days_min >= 1 AND days_max >= days_min)
);
CREATE INDEX shipping_services_by_carrier ON shipping_services (carrier);

-- The carriers and services the code used to list, so that existing orders and parcels keep
-- their names and the shop keeps selling the same delivery.
INSERT INTO carriers (code, name_en, name_zh, tracking_url, active, created_at) VALUES
    ('sf', 'SF Express', '顺丰速运', NULL, 1, 0),
    ('jd', 'JD Logistics', '京东物流', NULL, 1, 0),
    ('yto', 'YTO Express', '圆通速递', NULL, 1, 0),
    ('zto', 'ZTO Express', '中通快递', NULL, 1, 0);
INSERT INTO shipping_services (code, carrier, name_en, name_zh, fee, free_from, days_min, days_max, active, created_at) VALUES
    ('standard', 'yto', 'Standard', '标准快递', 800, 9900, 2, 4, 1, 0),
    ('express', 'sf', 'Express', '次日达', 2000, NULL, 1, 1, 1, 0);
