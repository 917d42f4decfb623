-- A shipping exception an agent reported from a customer's ticket remembers the ticket, so
-- the exception links back to the conversation and the ticket lists the exceptions it
-- started with their state. Empty for those logistics reported itself.
ALTER TABLE shipping_exceptions ADD COLUMN ticket_id BIGINT REFERENCES tickets (id);
CREATE INDEX shipping_exceptions_by_ticket ON shipping_exceptions (ticket_id);
