-- Delivery of the email outbox over SMTP. A mail is due while it is neither sent nor given
-- up and its next try has come (NULL: never tried, due at once). An instance that takes a
-- mail holds it until claimed_until, so instances sharing one database never send one mail
-- at the same time; a crashed instance's hold simply runs out.
ALTER TABLE outbox_emails ADD COLUMN next_attempt_at BIGINT;
ALTER TABLE outbox_emails ADD COLUMN claimed_until BIGINT;
-- When the sender gave up (too many failures, or a permanent refusal); the row stays.
ALTER TABLE outbox_emails ADD COLUMN failed_at BIGINT;

-- Only mail still to deliver is indexed, so the sender's scan stays small however much mail
-- has gone out. It replaces the (sent_at, id) index, which held every mail ever written.
DROP INDEX outbox_unsent;
CREATE INDEX outbox_due ON outbox_emails (next_attempt_at, id) WHERE sent_at IS NULL AND failed_at IS NULL;
