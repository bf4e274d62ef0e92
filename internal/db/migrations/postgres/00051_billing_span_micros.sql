-- +goose Up
-- An invoice preview reads each billing span as two integers, the start
-- and the stop in microseconds since 1970 (UTC), from one covering index,
-- instead of two timestamps per row (issue 19). start_at and stop_at stay
-- as the readable record; billing.Sync writes both forms. Microseconds, not
-- days: the preview orders a brand's spans by start (the latest one names
-- the brand), and a day loses that order. PostgreSQL keeps microseconds, so
-- the conversion is exact. start_us has no default: a writer that forgot it
-- must fail, not bill from 1970.
ALTER TABLE billing_spans ADD COLUMN start_us BIGINT NOT NULL DEFAULT 0, ADD COLUMN stop_us BIGINT;
UPDATE billing_spans SET start_us = (extract(epoch FROM start_at) * 1000000)::bigint,
    stop_us = (extract(epoch FROM stop_at) * 1000000)::bigint;
ALTER TABLE billing_spans ALTER COLUMN start_us DROP DEFAULT;
DROP INDEX billing_spans_stop;
-- The preview's two ranges (the open spans; those stopped after the
-- period's start), with everything it reads in the index. Sync's "close
-- the open span of this brand" is the first range.
CREATE INDEX billing_spans_period ON billing_spans(agency_id, stop_us, start_us, brand_id, brand_name);

-- +goose Down
DROP INDEX billing_spans_period;
CREATE INDEX billing_spans_stop ON billing_spans(agency_id, stop_at);
ALTER TABLE billing_spans DROP COLUMN start_us, DROP COLUMN stop_us;
