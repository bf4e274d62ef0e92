-- +goose Up
-- White-label portal (issue 8, SPEC §7): an agency's branding, its logos
-- (stored in the database so that every process serves them), its custom
-- domains with their DNS verification state, and each client user's
-- remembered brand in the portal. The same step for PostgreSQL is
-- ../postgres/00009_portal_branding.sql.

CREATE TABLE agency_portal (
    agency_id              TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    portal_name            TEXT NOT NULL DEFAULT '',
    primary_color          TEXT NOT NULL DEFAULT '',
    accent_color           TEXT NOT NULL DEFAULT '',
    welcome_message        TEXT NOT NULL DEFAULT '',
    sender_name            TEXT NOT NULL DEFAULT '',
    sender_email           TEXT NOT NULL DEFAULT '',
    support_email          TEXT NOT NULL DEFAULT '',
    hide_liaison_branding  BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at             TIMESTAMP NOT NULL
);

-- One logo per agency and slot; hash (of the bytes) names it in its URL.
CREATE TABLE portal_logos (
    agency_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    slot          TEXT NOT NULL CHECK (slot IN ('light', 'dark', 'mobile')),
    hash          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    body          BLOB NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (agency_id, slot)
);
CREATE INDEX portal_logos_hash ON portal_logos(hash);

-- A custom domain belongs to one agency (the primary key makes a second
-- claim a conflict). token is published as TXT _liaison.<domain>.
CREATE TABLE custom_domains (
    domain       TEXT PRIMARY KEY,
    agency_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    token        TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'lost')),
    created_at   TIMESTAMP NOT NULL,
    checked_at   TIMESTAMP,
    verified_at  TIMESTAMP,
    last_error   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX custom_domains_agency ON custom_domains(agency_id);

-- The brand a client user last chose in the portal's brand switcher.
CREATE TABLE portal_brand_choices (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    brand_id    TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- +goose Down
DROP TABLE portal_brand_choices;
DROP TABLE custom_domains;
DROP TABLE portal_logos;
DROP TABLE agency_portal;
