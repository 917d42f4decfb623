-- Foundation: accounts, roles as data, sessions, login throttling, the audit log and the
-- first workflow (improvement suggestions). Portable SQL for SQLite and PostgreSQL; times are
-- BIGINT milliseconds since the epoch (UTC), money will be BIGINT minor units.

CREATE TABLE users (
    id {{PK}},
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_customer BIGINT NOT NULL, -- 0 or 1: integer flags decode alike on both backends
    active BIGINT NOT NULL,
    locale TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE roles (
    id {{PK}},
    role_key TEXT UNIQUE,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE role_permissions (
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_by_role ON user_roles (role_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE login_failures (
    id {{PK}},
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_by_account ON login_failures (account, at);
CREATE INDEX login_failures_by_address ON login_failures (address, at);

CREATE TABLE audit_events (
    id {{PK}},
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    actor_id BIGINT REFERENCES users (id),
    at BIGINT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX audit_events_by_entity ON audit_events (entity, entity_id, id);
CREATE INDEX audit_events_by_time ON audit_events (at);

CREATE TABLE suggestions (
    id {{PK}},
    title TEXT NOT NULL,
    department TEXT NOT NULL,
    step TEXT NOT NULL,
    problem TEXT NOT NULL,
    proposal TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    submitted_by BIGINT NOT NULL REFERENCES users (id),
    owner_id BIGINT REFERENCES users (id),
    decision TEXT,
    implementation_note TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    state_since BIGINT NOT NULL
);
CREATE INDEX suggestions_by_state ON suggestions (state, updated_at);
CREATE INDEX suggestions_by_department ON suggestions (department, state);
