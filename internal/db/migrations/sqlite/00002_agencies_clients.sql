-- +goose Up
-- Agencies and clients (issue 4): agency settings, groups, brands, links
-- between agencies and clients with their access lists, and the agency's
-- management of each linked client. The same step for PostgreSQL is
-- ../postgres/00002_agencies_clients.sql.

CREATE TABLE agency_settings (
    agency_id                   TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    at_risk_days                INTEGER NOT NULL DEFAULT 14,
    churn_days                  INTEGER NOT NULL DEFAULT 45,
    client_invite_ttl_days      INTEGER NOT NULL DEFAULT 14,
    team_invite_ttl_days        INTEGER NOT NULL DEFAULT 7,
    impersonation_idle_minutes  INTEGER NOT NULL DEFAULT 15,
    updated_at                  TIMESTAMP NOT NULL
);

CREATE TABLE agency_groups (
    id          TEXT PRIMARY KEY,
    agency_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL, -- lower-cased name: unique per agency, case-insensitively
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (agency_id, name_key)
);

CREATE TABLE group_members (
    group_id  TEXT NOT NULL REFERENCES agency_groups(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members(user_id);

CREATE TABLE brands (
    id          TEXT PRIMARY KEY,
    agency_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (agency_id, name_key)
);

-- A link request and, once accepted, the live link between an agency and a
-- client. Rows are never deleted: the history of requests stays.
CREATE TABLE links (
    id            TEXT PRIMARY KEY,
    agency_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    client_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'active', 'declined', 'cancelled', 'disconnected')),
    initiated_by  TEXT NOT NULL CHECK (initiated_by IN ('agency', 'client')),
    requested_by  TEXT REFERENCES users(id) ON DELETE SET NULL,
    access_all    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP NOT NULL,
    decided_at    TIMESTAMP,
    decided_by    TEXT REFERENCES users(id) ON DELETE SET NULL,
    ended_at      TIMESTAMP,
    ended_by      TEXT REFERENCES users(id) ON DELETE SET NULL
);
-- One live (pending or active) link per agency–client pair.
CREATE UNIQUE INDEX links_live ON links(agency_id, client_id) WHERE status IN ('pending', 'active');
CREATE INDEX links_client ON links(client_id, status);
CREATE INDEX links_agency ON links(agency_id, status);

-- The agency's access list for a link: users and groups who see the client.
CREATE TABLE link_access_users (
    link_id  TEXT NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (link_id, user_id)
);
CREATE TABLE link_access_groups (
    link_id   TEXT NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    group_id  TEXT NOT NULL REFERENCES agency_groups(id) ON DELETE CASCADE,
    PRIMARY KEY (link_id, group_id)
);

-- How an agency manages a client it is (or was) linked to. Kept across
-- disconnects and revocations, so re-linking or re-inviting brings the
-- history back.
CREATE TABLE agency_clients (
    agency_id       TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    seats           INTEGER NOT NULL DEFAULT 0 CHECK (seats >= 0),
    enabled         BOOLEAN NOT NULL DEFAULT TRUE,
    can_export      BOOLEAN NOT NULL DEFAULT TRUE,
    manage_billing  BOOLEAN NOT NULL DEFAULT FALSE,
    perm_reports    BOOLEAN NOT NULL DEFAULT TRUE,
    perm_users      BOOLEAN NOT NULL DEFAULT TRUE,
    revoked_at      TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (agency_id, client_id)
);
CREATE INDEX agency_clients_client ON agency_clients(client_id);

CREATE TABLE client_account_managers (
    agency_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (agency_id, client_id, user_id),
    FOREIGN KEY (agency_id, client_id) REFERENCES agency_clients(agency_id, client_id) ON DELETE CASCADE
);
CREATE INDEX client_account_managers_user ON client_account_managers(user_id);

CREATE TABLE client_brands (
    client_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    brand_id    TEXT NOT NULL REFERENCES brands(id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, brand_id)
);
CREATE INDEX client_brands_brand ON client_brands(brand_id);

-- Name search and sort on the client list.
CREATE INDEX accounts_kind_name ON accounts(kind, name, id);

-- +goose Down
DROP INDEX accounts_kind_name;
DROP TABLE client_brands;
DROP TABLE client_account_managers;
DROP TABLE agency_clients;
DROP TABLE link_access_groups;
DROP TABLE link_access_users;
DROP TABLE links;
DROP TABLE brands;
DROP TABLE group_members;
DROP TABLE agency_groups;
DROP TABLE agency_settings;
