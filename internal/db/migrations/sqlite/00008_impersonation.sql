-- +goose Up
-- Login As (issue 7, SPEC §6; internal/impersonation). The same step for
-- PostgreSQL is ../postgres/00008_impersonation.sql.
--
-- An impersonation is one Login As session: an agency user acting as a
-- client account, tied to the agency user's own browser session. It ends
-- (ended_at, end_reason) on exit, after idle_minutes without a request, on
-- disconnect or revocation, when the agency user leaves the agency or loses
-- the right, and when their own session ends. A session has at most one
-- live impersonation (impersonations_live_session): the database, not Go,
-- refuses a second one.
CREATE TABLE impersonations (
    id               TEXT PRIMARY KEY,
    agency_id        TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    client_id        TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    impersonator_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id       TEXT REFERENCES sessions(id) ON DELETE SET NULL,
    reason           TEXT NOT NULL DEFAULT '',
    return_to        TEXT NOT NULL DEFAULT '',
    idle_minutes     INTEGER NOT NULL,
    started_at       TIMESTAMP NOT NULL,
    last_seen_at     TIMESTAMP NOT NULL,
    ended_at         TIMESTAMP,
    end_reason       TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX impersonations_live_session ON impersonations(session_id) WHERE ended_at IS NULL;
CREATE INDEX impersonations_client ON impersonations(client_id, started_at);
CREATE INDEX impersonations_live ON impersonations(agency_id, client_id) WHERE ended_at IS NULL;
CREATE INDEX impersonations_live_user ON impersonations(impersonator_id) WHERE ended_at IS NULL;

-- Every request made during an impersonation, in the order recorded (seq).
-- id is the request's own key: a request that changes data writes its row
-- in the transaction of the change, and the final status after the answer.
CREATE TABLE impersonation_actions (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    impersonation_id  TEXT NOT NULL REFERENCES impersonations(id) ON DELETE CASCADE,
    at                TIMESTAMP NOT NULL,
    method            TEXT NOT NULL,
    path              TEXT NOT NULL,
    status            INTEGER NOT NULL
);
CREATE INDEX impersonation_actions_imp ON impersonation_actions(impersonation_id, seq);

-- A client's own security settings: whether its agencies may Login As.
CREATE TABLE client_security (
    client_id            TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    allow_impersonation  BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at           TIMESTAMP NOT NULL
);

-- The live (or ended but not yet announced) impersonation of a session:
-- read with the session on every request, so that requests outside Login As
-- cost no extra query.
ALTER TABLE sessions ADD COLUMN impersonation_id TEXT;

ALTER TABLE agency_settings ADD COLUMN impersonation_reason_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE agency_settings ADD COLUMN notify_client_on_impersonation BOOLEAN NOT NULL DEFAULT TRUE;

-- +goose Down
ALTER TABLE agency_settings DROP COLUMN notify_client_on_impersonation;
ALTER TABLE agency_settings DROP COLUMN impersonation_reason_required;
ALTER TABLE sessions DROP COLUMN impersonation_id;
DROP TABLE client_security;
DROP TABLE impersonation_actions;
DROP TABLE impersonations;
