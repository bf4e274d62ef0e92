-- +goose Up
-- Invitations (issue 5, SPEC §4; internal/invite). One table for the three
-- kinds: a client invitation (an agency invites a person into a client
-- account, new or existing), a team invitation (into an existing client
-- account, by its admin or by the agency) and a staff invitation (into an
-- agency). account_id is the account the person joins; agency_id the agency
-- whose name, settings (expiry) and branding the invitation carries (NULL
-- when a client with no agency invites its own team).
--
-- Only the token's SHA-256 is kept (token_hash); a resend replaces it, so
-- the old link dies. expires_at is NULL for link invitations (they never
-- expire). status moves pending → accepted | expired | cancelled; the
-- expiry job (invite.expire) sets expired. reinstate marks an invitation
-- made while the agency had revoked the client: accepting it lifts the
-- revocation (SPEC §5, "re-inviting a revoked client brings it back").
--
-- The client list reads pending invitations for a client's status
-- (pending / link_invite) and primary e-mail, so every change here moves
-- client_list_version (see 00006).
--
-- The same step for PostgreSQL is ../postgres/00007_invitations.sql.

CREATE TABLE invitations (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('client', 'team', 'staff')),
    account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    agency_id     TEXT REFERENCES accounts(id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    role          TEXT NOT NULL,
    delivery      TEXT NOT NULL CHECK (delivery IN ('email', 'link')),
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'expired', 'cancelled')),
    token_hash    TEXT NOT NULL UNIQUE,
    message       TEXT NOT NULL DEFAULT '',
    brand_ids     TEXT NOT NULL DEFAULT '[]',
    reinstate     BOOLEAN NOT NULL DEFAULT FALSE,
    invited_by    TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at    TIMESTAMP NOT NULL,
    sent_at       TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP,
    decided_at    TIMESTAMP,
    accepted_by   TEXT REFERENCES users(id) ON DELETE SET NULL
);
-- One open invitation per address and account: a second is a conflict
-- (resend the first), decided by the database, not a read in Go.
CREATE UNIQUE INDEX invitations_open ON invitations(account_id, email) WHERE status = 'pending';
CREATE INDEX invitations_account ON invitations(account_id, status, created_at);
CREATE INDEX invitations_agency ON invitations(agency_id, created_at, id);
CREATE INDEX invitations_expiry ON invitations(status, expires_at);

-- +goose StatementBegin
CREATE TRIGGER invitations_list_insert AFTER INSERT ON invitations BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER invitations_list_update AFTER UPDATE ON invitations BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER invitations_list_delete AFTER DELETE ON invitations BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER invitations_list_delete;
DROP TRIGGER invitations_list_update;
DROP TRIGGER invitations_list_insert;
DROP TABLE invitations;
