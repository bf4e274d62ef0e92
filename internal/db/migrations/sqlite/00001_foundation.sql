-- +goose Up
-- Foundation: accounts, users, memberships, sessions, API tokens, password
-- resets, rate limits, the audit chain, the mail outbox and the job queue.
-- The same step for PostgreSQL is ../postgres/00001_foundation.sql.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('agency', 'client')),
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    email               TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    is_operator         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);

CREATE TABLE memberships (
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    account_id    TEXT REFERENCES accounts(id) ON DELETE SET NULL,
    created_at    TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    revoked_at    TIMESTAMP,
    ip            TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP,
    revoked_at    TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE password_resets (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);

CREATE TABLE rate_limits (
    bucket        TEXT PRIMARY KEY,
    window_start  TIMESTAMP NOT NULL,
    hits          INTEGER NOT NULL
);

-- The audit log is append-only and hash-chained. audit_head holds the last
-- sequence number and hash; appenders lock it, so the chain has one order.
CREATE TABLE audit_events (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    at               TIMESTAMP NOT NULL,
    account_id       TEXT,
    actor_id         TEXT,
    impersonator_id  TEXT,
    action           TEXT NOT NULL,
    target_id        TEXT NOT NULL DEFAULT '',
    before_json      TEXT NOT NULL DEFAULT '',
    after_json       TEXT NOT NULL DEFAULT '',
    ip               TEXT NOT NULL DEFAULT '',
    prev_hash        TEXT NOT NULL,
    hash             TEXT NOT NULL
);
CREATE INDEX audit_events_account ON audit_events(account_id, seq);

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE mail_outbox (
    id           TEXT PRIMARY KEY,
    created_at   TIMESTAMP NOT NULL,
    account_id   TEXT,
    template     TEXT NOT NULL,
    to_addr      TEXT NOT NULL,
    from_name    TEXT NOT NULL,
    from_addr    TEXT NOT NULL,
    subject      TEXT NOT NULL,
    html_body    TEXT NOT NULL,
    text_body    TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    sent_at      TIMESTAMP,
    transport    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_created ON mail_outbox(created_at);

CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL DEFAULT '{}',
    unique_key    TEXT UNIQUE,
    status        TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    run_at        TIMESTAMP NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL DEFAULT 10,
    locked_by     TEXT NOT NULL DEFAULT '',
    locked_until  TIMESTAMP,
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX jobs_ready ON jobs(status, run_at);

-- +goose Down
DROP TABLE jobs;
DROP TABLE mail_outbox;
DROP TABLE audit_head;
DROP TABLE audit_events;
DROP TABLE rate_limits;
DROP TABLE password_resets;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE accounts;
