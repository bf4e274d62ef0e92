-- +goose Up
-- Scheduled report e-mails (SPEC §12 "Scheduled e-mails", issue 17;
-- internal/schedule). A schedule fires weekly (weekday 0 = Sunday … 6) or
-- monthly (month_day 1–28, 0 = the last day) at hour, in the agency's time
-- zone. recipients is a JSON list of {kind: user|client_admins, user_id,
-- client_id}, resolved to users when each occurrence is sent.
--
-- report_schedule_runs holds one row per occurrence (its local date and
-- hour): the process that inserts it runs the occurrence; lease_until lets
-- another take over a run that died. report_deliveries holds one row per
-- recipient and occurrence, inserted in the transaction that queues the
-- recipient's e-mail: its unique key is what makes each e-mail go out once
-- however many processes run the job, and a takeover after a crash resume
-- where the dead run stopped. Skips (access lost) are rows too.

CREATE TABLE report_schedules (
    id          TEXT PRIMARY KEY,
    report_id   TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    agency_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    frequency   TEXT NOT NULL,
    weekday     INTEGER,
    month_day   INTEGER,
    hour        INTEGER NOT NULL,
    recipients  TEXT NOT NULL DEFAULT '[]',
    created_by  TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX report_schedules_report ON report_schedules(report_id, created_at, id);

CREATE TABLE report_schedule_runs (
    schedule_id  TEXT NOT NULL REFERENCES report_schedules(id) ON DELETE CASCADE,
    occurrence   TEXT NOT NULL,
    occurs_at    TIMESTAMP NOT NULL,
    claimed_at   TIMESTAMP NOT NULL,
    lease_until  TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    recipients   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (schedule_id, occurrence)
);

CREATE TABLE report_deliveries (
    id           TEXT PRIMARY KEY,
    schedule_id  TEXT NOT NULL REFERENCES report_schedules(id) ON DELETE CASCADE,
    occurrence   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    email        TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    attached     BOOLEAN NOT NULL DEFAULT FALSE,
    mail_id      TEXT,
    token_hash   TEXT UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    opened_at    TIMESTAMP,
    UNIQUE (schedule_id, occurrence, user_id)
);
CREATE INDEX report_deliveries_schedule ON report_deliveries(schedule_id, created_at, id);

-- +goose Down
DROP TABLE report_deliveries;
DROP TABLE report_schedule_runs;
DROP TABLE report_schedules;
