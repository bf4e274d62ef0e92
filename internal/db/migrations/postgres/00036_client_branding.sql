-- +goose Up
-- Per-client branding (SPEC §12, issue 24; internal/branding/client.go): an
-- agency's own branding of one client's portal, on top of its branding:
-- a portal name ('' falls back to the agency's) and logos, one row per
-- slot, under the same rules as portal_logos. Keyed by (agency, client): a
-- client shared by two agencies is branded by each for its own brands.

CREATE TABLE client_portal (
    agency_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    portal_name  TEXT NOT NULL DEFAULT '',
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (agency_id, client_id)
);

CREATE TABLE client_logos (
    agency_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    client_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    slot          TEXT NOT NULL CHECK (slot IN ('light', 'dark', 'mobile', 'fullscreen')),
    hash          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    body          BYTEA NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (agency_id, client_id, slot)
);
CREATE INDEX client_logos_hash ON client_logos(hash);

-- +goose Down
DROP TABLE client_logos;
DROP TABLE client_portal;
