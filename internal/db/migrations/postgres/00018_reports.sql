-- +goose Up
-- Reports on brands (SPEC §12 "Reports", issue 16; internal/report). The
-- widgets are a JSON array validated by internal/report before every write
-- (kind, metrics, granularity, by, top, text). Deleting a brand deletes its
-- reports by cascade, in the brand's transaction.

CREATE TABLE reports (
    id             TEXT PRIMARY KEY,
    brand_id       TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    default_range  TEXT NOT NULL DEFAULT 'last_30_days',
    comparison     TEXT NOT NULL DEFAULT 'previous_period',
    widgets        TEXT NOT NULL DEFAULT '[]',
    created_by     TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX reports_brand ON reports(brand_id, title, id);

-- +goose Down
DROP TABLE reports;
