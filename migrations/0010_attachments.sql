-- Files customers and staff attach to ticket messages and return requests, and that arrive in
-- mail. The bytes live in the database: a message and its files are written in one
-- transaction, and every instance behind the load balancer serves them.
CREATE TABLE attachments (
    id {{PK}},
    -- Who uploaded it; NULL for a file that came in a mail.
    owner_id BIGINT REFERENCES users (id),
    -- What it belongs to ('ticket', 'return'); NULL while it is uploaded but not yet sent.
    entity TEXT,
    entity_id BIGINT,
    -- The message of a ticket it came with.
    part_id BIGINT,
    -- 1 on an internal note: never shown to the customer.
    internal BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data {{BLOB}} NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_by_entity ON attachments (entity, entity_id);
CREATE INDEX attachments_pending ON attachments (owner_id, created_at);

-- The files a mail carries (an agent's reply with its attachments).
CREATE TABLE outbox_attachments (
    email_id BIGINT NOT NULL REFERENCES outbox_emails (id),
    attachment_id BIGINT NOT NULL REFERENCES attachments (id),
    PRIMARY KEY (email_id, attachment_id)
);
