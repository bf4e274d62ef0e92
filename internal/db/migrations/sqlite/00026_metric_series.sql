-- +goose Up
-- Metric points keyed by integers (issue 16's performance targets;
-- internal/metricdata). A series is one line of data: a brand's metric on
-- one dimension value ('' for the brand's total line). Its points are rows
-- of (series id, day, value), the day counted from 1970-01-01, so a point's
-- key is two integers instead of four strings: an insert compares and stores
-- a fraction of the bytes, and a report reads a series' days as one range of
-- the primary key. brand_id is nullable and item exists for the series of
-- data sources (issue 17, migration 00027), whose items are mapped to brands
-- when reports read them. metric_versions counts the changes to a brand's
-- data (pushes, deletions, catalogue edits, mappings): reports computed for
-- one version are cached until the next (internal/report).
-- metric_days has no foreign key: checking one per point cost PostgreSQL
-- about as much as the insert itself; a trigger deletes a series' days
-- with the series (a brand's or a source's deletion cascades to it).
-- metric_points becomes a view of the old shape, for reading by hand.

CREATE TABLE metric_series (
    id         INTEGER PRIMARY KEY,
    brand_id   TEXT REFERENCES brands(id) ON DELETE CASCADE,
    item       TEXT NOT NULL DEFAULT '',
    metric     TEXT NOT NULL,
    dimension  TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX metric_series_brand ON metric_series(brand_id, metric, dimension);

CREATE TABLE metric_days (
    series_id  INTEGER NOT NULL,
    day        INTEGER NOT NULL,
    value      REAL NOT NULL,
    PRIMARY KEY (series_id, day)
) WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER metric_series_gone AFTER DELETE ON metric_series BEGIN
    DELETE FROM metric_days WHERE series_id = OLD.id;
END;
-- +goose StatementEnd

CREATE TABLE metric_versions (
    brand_id  TEXT PRIMARY KEY REFERENCES brands(id) ON DELETE CASCADE,
    version   INTEGER NOT NULL DEFAULT 0
);

INSERT INTO metric_series (brand_id, metric, dimension)
    SELECT DISTINCT brand_id, metric, dimension FROM metric_points ORDER BY 1, 2, 3;
INSERT INTO metric_days (series_id, day, value)
    SELECT s.id, CAST(julianday(p.day) - 2440587.5 AS INTEGER), p.value
    FROM metric_points p JOIN metric_series s ON s.brand_id = p.brand_id AND s.metric = p.metric AND s.dimension = p.dimension;
DROP TABLE metric_points;

CREATE VIEW metric_points AS
    SELECT s.brand_id AS brand_id, s.metric AS metric, s.dimension AS dimension,
           date(d.day + 2440587.5) AS day, d.value AS value
    FROM metric_days d JOIN metric_series s ON s.id = d.series_id WHERE s.brand_id IS NOT NULL;

-- +goose Down
DROP VIEW metric_points;
CREATE TABLE metric_points (
    brand_id   TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
    metric     TEXT NOT NULL,
    dimension  TEXT NOT NULL DEFAULT '',
    day        TEXT NOT NULL,
    value      REAL NOT NULL,
    PRIMARY KEY (brand_id, metric, dimension, day)
) WITHOUT ROWID;
INSERT INTO metric_points (brand_id, metric, dimension, day, value)
    SELECT s.brand_id, s.metric, s.dimension, date(d.day + 2440587.5), d.value
    FROM metric_days d JOIN metric_series s ON s.id = d.series_id WHERE s.brand_id IS NOT NULL;
DROP TRIGGER metric_series_gone;
DROP TABLE metric_versions;
DROP TABLE metric_days;
DROP TABLE metric_series;
