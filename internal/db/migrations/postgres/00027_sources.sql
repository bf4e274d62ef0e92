-- +goose Up
-- Data sources (SPEC §12 "Data sources", issue 17; internal/source). A
-- source belongs to an agency and pushes with its own token (only its hash
-- is kept; rotating replaces it). Its points are metric_series rows with
-- source_id and item set (brand_id NULL): they are never copied into a
-- brand. source_items lists every item seen and the brand it is mapped to;
-- reports read a brand's own series plus the series of the items mapped to
-- it (a read-time union, docs/ARCHITECTURE.md). Deleting a source deletes
-- its items and series by cascade, and the series' days by trigger
-- (00026). A deleted brand's items become unmapped, their data kept.
-- source_days counts the points received per day (the agency's day) for
-- the delivery status; the last rejected batch is kept on the source.

CREATE TABLE sources (
    id                TEXT PRIMARY KEY,
    agency_id         TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    token_hash        TEXT NOT NULL UNIQUE,
    paused            BOOLEAN NOT NULL DEFAULT false,
    created_by        TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    last_push_at      TIMESTAMPTZ,
    rejected_at       TIMESTAMPTZ,
    rejected_code     TEXT NOT NULL DEFAULT '',
    rejected_field    TEXT NOT NULL DEFAULT '',
    rejected_message  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sources_agency ON sources(agency_id, name, id);

CREATE TABLE source_items (
    source_id      TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    item           TEXT NOT NULL,
    brand_id       TEXT REFERENCES brands(id) ON DELETE SET NULL,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_id, item)
);
CREATE INDEX source_items_brand ON source_items(brand_id, source_id, item);

CREATE TABLE source_days (
    source_id  TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    day        INTEGER NOT NULL,
    points     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, day)
);

ALTER TABLE metric_series ADD COLUMN source_id TEXT REFERENCES sources(id) ON DELETE CASCADE;
CREATE UNIQUE INDEX metric_series_source ON metric_series(source_id, item, metric, dimension);

-- +goose Down
DROP INDEX metric_series_source;
DELETE FROM metric_series WHERE source_id IS NOT NULL;
ALTER TABLE metric_series DROP COLUMN source_id;
DROP TABLE source_days;
DROP TABLE source_items;
DROP TABLE sources;
