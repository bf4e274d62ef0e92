-- +goose Up
-- E-mail after a crash (issue 20). A delivery attempt is recorded and
-- committed before the SMTP conversation starts (attempt_started_at), and
-- cleared when its outcome is recorded. A run that finds it still set knows
-- the previous attempt died midway and the message may already have been
-- delivered: it sends again (at least once) with the same Message-ID
-- (message_id, fixed when the row is written, so receivers can drop the
-- duplicate) and counts it in interrupted.
ALTER TABLE mail_outbox ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
ALTER TABLE mail_outbox ADD COLUMN attempt_started_at TIMESTAMP;
ALTER TABLE mail_outbox ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
-- The age of the oldest queued e-mail (a /metrics gauge) reads one entry.
CREATE INDEX mail_outbox_queued ON mail_outbox(created_at) WHERE status = 'queued';

-- Named leases among the processes sharing the database: the holder of
-- "metrics" alone exports the gauges that count database-wide rows, so
-- that summing them across replicas counts each row once.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE leases;
DROP INDEX mail_outbox_queued;
ALTER TABLE mail_outbox DROP COLUMN interrupted;
ALTER TABLE mail_outbox DROP COLUMN attempt_started_at;
ALTER TABLE mail_outbox DROP COLUMN message_id;
