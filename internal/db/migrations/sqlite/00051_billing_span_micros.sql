-- +goose Up
-- An invoice preview reads each billing span as two integers, the start
-- and the stop in microseconds since 1970 (UTC), from one covering index,
-- instead of two timestamps the driver parses per row (issue 19: a year's
-- preview spent more than half its time there). start_at and stop_at stay
-- as the readable record; billing.Sync writes both forms. Microseconds, not
-- days: the preview orders a brand's spans by start (the latest one names
-- the brand), and a day loses that order.
--
-- The table is rebuilt so that start_us is NOT NULL with no default (a
-- writer that forgot it must fail, not bill from 1970). Existing rows are
-- converted from the text the driver writes, "YYYY-MM-DD HH:MM:SS[.fraction]±HH:MM":
-- whole seconds through unixepoch (which rounds fractions to milliseconds,
-- so they are added from the text), any other shape through unixepoch alone.
CREATE TABLE billing_spans_new (
    id          TEXT PRIMARY KEY,
    agency_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    brand_id    TEXT NOT NULL,
    brand_name  TEXT NOT NULL,
    start_at    TIMESTAMP NOT NULL,
    stop_at     TIMESTAMP,
    start_us    BIGINT NOT NULL,
    stop_us     BIGINT
);
INSERT INTO billing_spans_new (id, agency_id, brand_id, brand_name, start_at, stop_at, start_us, stop_us)
SELECT id, agency_id, brand_id, brand_name, start_at, stop_at,
    CASE WHEN start_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*[+-][0-9][0-9]:[0-9][0-9]'
        THEN unixepoch(substr(start_at, 1, 19) || substr(start_at, -6)) * 1000000
            + CASE WHEN substr(start_at, 20, 1) = '.' THEN CAST(substr(substr(start_at, 21, length(start_at) - 26) || '000000', 1, 6) AS INTEGER) ELSE 0 END
        ELSE CAST(round(unixepoch(start_at, 'subsec') * 1000) AS INTEGER) * 1000 END,
    CASE WHEN stop_at IS NULL THEN NULL
        WHEN stop_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*[+-][0-9][0-9]:[0-9][0-9]'
        THEN unixepoch(substr(stop_at, 1, 19) || substr(stop_at, -6)) * 1000000
            + CASE WHEN substr(stop_at, 20, 1) = '.' THEN CAST(substr(substr(stop_at, 21, length(stop_at) - 26) || '000000', 1, 6) AS INTEGER) ELSE 0 END
        ELSE CAST(round(unixepoch(stop_at, 'subsec') * 1000) AS INTEGER) * 1000 END
FROM billing_spans;
DROP TABLE billing_spans;
ALTER TABLE billing_spans_new RENAME TO billing_spans;
-- The preview's two ranges (the open spans; those stopped after the
-- period's start), with everything it reads in the index: no table row is
-- visited. Sync's "close the open span of this brand" is the first range.
CREATE INDEX billing_spans_period ON billing_spans(agency_id, stop_us, start_us, brand_id, brand_name);

-- +goose Down
CREATE TABLE billing_spans_old (
    id          TEXT PRIMARY KEY,
    agency_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    brand_id    TEXT NOT NULL,
    brand_name  TEXT NOT NULL,
    start_at    TIMESTAMP NOT NULL,
    stop_at     TIMESTAMP
);
INSERT INTO billing_spans_old SELECT id, agency_id, brand_id, brand_name, start_at, stop_at FROM billing_spans;
DROP TABLE billing_spans;
ALTER TABLE billing_spans_old RENAME TO billing_spans;
CREATE INDEX billing_spans_stop ON billing_spans(agency_id, stop_at);
