-- +goose Up
-- Billing (SPEC §8, issue 19; internal/billing). An agency pays per brand
-- that some client has access to. billing_open holds the brands billable
-- now and since when; billing_events is the ledger of start/stop rows, each
-- written in the transaction of the change that caused it (billing.Sync),
-- numbered per agency (seq) under the lock of the agency's billing_accounts
-- row. brand_id has no foreign key: a deleted brand's stop row stays.
-- billing_plans holds each agency's plan changes by the UTC day they take
-- effect; billing_prices the operator's prices by the day they take effect,
-- so a price change never rewrites the past.

CREATE TABLE billing_accounts (
    agency_id  TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE billing_open (
    agency_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    brand_id   TEXT NOT NULL,
    since      TIMESTAMP NOT NULL,
    PRIMARY KEY (agency_id, brand_id)
);

CREATE TABLE billing_events (
    id          TEXT PRIMARY KEY,
    agency_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    brand_id    TEXT NOT NULL,
    brand_name  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('start', 'stop')),
    at          TIMESTAMP NOT NULL,
    cause       TEXT NOT NULL,
    ref_id      TEXT,
    actor_id    TEXT,
    UNIQUE (agency_id, seq)
);
CREATE INDEX billing_events_brand ON billing_events(agency_id, brand_id, seq);

-- billing_spans holds each time a brand was billable, [start_at, stop_at),
-- written with the ledger rows; previews read only the spans that overlap
-- their period (a walk of the spans stopped since its start, plus the open
-- ones) instead of replaying the whole ledger.
CREATE TABLE billing_spans (
    id          TEXT PRIMARY KEY,
    agency_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    brand_id    TEXT NOT NULL,
    brand_name  TEXT NOT NULL,
    start_at    TIMESTAMP NOT NULL,
    stop_at     TIMESTAMP
);
CREATE INDEX billing_spans_stop ON billing_spans(agency_id, stop_at);

CREATE TABLE billing_plans (
    agency_id       TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    effective_from  TEXT NOT NULL,
    plan            TEXT NOT NULL CHECK (plan IN ('monthly', 'annual')),
    changed_by      TEXT,
    changed_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (agency_id, effective_from)
);

CREATE TABLE billing_prices (
    effective_from  TEXT PRIMARY KEY,
    monthly_cents   BIGINT NOT NULL,
    annual_cents    BIGINT NOT NULL,
    recorded_at     TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE billing_prices;
DROP TABLE billing_plans;
DROP TABLE billing_spans;
DROP TABLE billing_events;
DROP TABLE billing_open;
DROP TABLE billing_accounts;
