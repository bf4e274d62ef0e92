-- +goose Up
-- Activity tracking (SPEC §5, issue 6; internal/activity). One row per
-- login, logout, page view or export of a client's user, recorded by the
-- server. impersonator_id is set for what an agency user did while logged
-- in as the client: kept for the record, never counted as the client's own
-- (health, last activity).
--
-- The same step for PostgreSQL is ../postgres/00011_activity.sql.

CREATE TABLE activity_events (
    id               INTEGER PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id          TEXT REFERENCES users(id) ON DELETE SET NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('login', 'logout', 'page_view', 'export')),
    page             TEXT,
    format           TEXT,
    brand_id         TEXT,
    impersonator_id  TEXT,
    at               TIMESTAMP NOT NULL
);
-- The health inputs of one client (its own logins and views in a window).
CREATE INDEX activity_events_client_kind ON activity_events(client_id, kind, at);
-- The activity page (every event of a client, newest first).
CREATE INDEX activity_events_client_at ON activity_events(client_id, at, id);

-- +goose Down
DROP TABLE activity_events;
