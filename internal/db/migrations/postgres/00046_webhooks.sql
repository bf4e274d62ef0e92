-- +goose Up
-- Signed webhooks (issue 21; internal/webhook). An agency's admins register
-- endpoints and pick the event types each receives (events: a JSON list).
-- secret signs every delivery (HMAC-SHA256); it is stored as is because the
-- server must sign with it, and shown once. After a rotation the previous
-- secret also signs until previous_until, so a receiver can switch over.
--
-- A delivery is one event for one endpoint, written in the transaction of
-- the event (from audit.Append or billing.Sync) with a job that sends it.
-- Its id is derived from the endpoint and the event, so the two audit
-- entries of one change (the agency's and the client's) queue it once.
-- generation numbers the job that may attempt it: a resend or a retry
-- moves it, and a job of an older generation does nothing. retry_since
-- starts the 24 hours of retries (the first queueing, or a resend).
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    agency_id       TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    events          TEXT NOT NULL DEFAULT '[]',
    enabled         BOOLEAN NOT NULL DEFAULT true,
    secret          TEXT NOT NULL,
    previous_secret TEXT NOT NULL DEFAULT '',
    previous_until  TIMESTAMPTZ,
    created_by      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_agency ON webhook_endpoints(agency_id, created_at, id);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    agency_id       TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    client_id       TEXT NOT NULL DEFAULT '',
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    generation      INTEGER NOT NULL DEFAULT 0,
    response_code   INTEGER,
    last_error      TEXT NOT NULL DEFAULT '',
    retry_since     TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ,
    last_attempt_at TIMESTAMPTZ,
    delivered_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, created_at, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
