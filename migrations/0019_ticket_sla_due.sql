-- When a ticket's running clock runs out next, so that the SLA sweep reads the few tickets
-- near a deadline instead of every open ticket's whole audit trail each minute. It is derived
-- (from the ticket's events and the calendar): 0 means "to recompute", set by every step of
-- the ticket and by a change of the calendar; NULL means no clock runs (and keeps the ticket
-- out of the index). Every open ticket starts at 0, so the first sweep computes them all.
ALTER TABLE tickets ADD COLUMN sla_due_at BIGINT DEFAULT 0;
-- Resolved, closed and merged tickets run no clock: out of the index.
UPDATE tickets SET sla_due_at = NULL WHERE state NOT IN ('new', 'triaged', 'in_progress', 'waiting');
CREATE INDEX tickets_sla_due ON tickets (sla_due_at) WHERE sla_due_at IS NOT NULL;
