-- +goose Up
-- The weekly health digest (SPEC §5, issue 6; internal/digest). An agency
-- chooses the time zone its Monday 08:00 is in; each user may opt out
-- (users.health_digest); digest_sends holds one row per agency and week,
-- whose primary key makes a digest go out once however many processes run
-- the job; digest_unsubscribe holds the hashed one-click opt-out tokens the
-- e-mails carry.

ALTER TABLE agency_settings ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE users ADD COLUMN health_digest BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE digest_sends (
    agency_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    week       TEXT NOT NULL,   -- the Monday it is for, YYYY-MM-DD in the agency's time zone
    sent_at    TIMESTAMPTZ NOT NULL,
    recipients INTEGER NOT NULL,
    PRIMARY KEY (agency_id, week)
);

CREATE TABLE digest_unsubscribe (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX digest_unsubscribe_user ON digest_unsubscribe(user_id);

-- +goose Down
DROP TABLE digest_unsubscribe;
DROP TABLE digest_sends;
ALTER TABLE users DROP COLUMN health_digest;
ALTER TABLE agency_settings DROP COLUMN timezone;
