-- In-app notifications: one row per recipient, written in the transaction of the step it
-- reports (with its mail in outbox_emails). The text is not stored: `kind` names a template
-- in the translation files and `params` (a JSON object of strings) fills it, so each reader
-- sees it in their own interface language.
CREATE TABLE notifications (
    id {{PK}},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    -- Where the recipient reads the record: a customer's order page or the staff one.
    link TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
-- The list (newest first) and the bell's unread count, both per user.
CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
