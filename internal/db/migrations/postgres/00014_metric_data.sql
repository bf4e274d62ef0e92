-- +goose Up
-- Metric data on brands (SPEC §12, issue 16; internal/metricdata). A point is
-- one value of one metric on one day for one brand, optionally for one
-- dimension value (a campaign, a channel; '' is the brand's total line).
-- Points upsert on their primary key, so a batch posted twice leaves the same
-- data. Days are 'YYYY-MM-DD' text on both engines (ISO order is date order).
-- The catalogue holds what agency users set on a metric (label, unit,
-- aggregation); its first/last day and point count are read from the points.
-- Deleting a brand deletes both by cascade, in the brand's transaction.

CREATE TABLE metric_points (
    brand_id   TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
    metric     TEXT NOT NULL,
    dimension  TEXT NOT NULL DEFAULT '',
    day        TEXT NOT NULL,
    value      DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (brand_id, metric, dimension, day)
);

CREATE TABLE metric_catalogue (
    brand_id     TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
    metric       TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',
    unit         TEXT NOT NULL DEFAULT 'count',
    currency     TEXT NOT NULL DEFAULT '',
    aggregation  TEXT NOT NULL DEFAULT 'sum',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (brand_id, metric)
);

-- +goose Down
DROP TABLE metric_catalogue;
DROP TABLE metric_points;
