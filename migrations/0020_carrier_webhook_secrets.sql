-- Each carrier may sign its tracking webhook calls with a secret of its own, so that one
-- carrier's leaked secret cannot forge another's events. A new secret replaces the old one,
-- which keeps working for a grace period while the carrier switches over.
ALTER TABLE carriers ADD COLUMN webhook_secret TEXT;
ALTER TABLE carriers ADD COLUMN webhook_set_at BIGINT;
ALTER TABLE carriers ADD COLUMN webhook_previous TEXT;
ALTER TABLE carriers ADD COLUMN webhook_previous_until BIGINT;
