-- +goose Up
-- A client linked to several agencies is seen by each through its own
-- relation (issue 15): what one agency reads or changes about the client is
-- its own work and the client's, never the other agency's.
--
-- invitations.from_client marks a team invitation that the client's own
-- admin sent (agency_id then names the agency whose brand the e-mail wears,
-- not a sender). An agency manages only the invitations it sent; it reads
-- those and the client's own.
--
-- audit_events.agency_id names the agency on whose side an entry on a
-- client account was made (its staff's changes, Login As, its invitations
-- and links); NULL is the client's own or nobody's. An agency reads the
-- client's entries of its own and of nobody's. It is hashed with the entry
-- (audit.go, version 2), so the chain covers it; entries written before
-- this step have none and stay visible to every agency of the client.
--
-- activity_events.agency_id names the agency whose user made an event
-- during Login As; the agency reads the client's own events and its own
-- staff's. Earlier events get it from the Login As they happened in.
--
-- The same step for PostgreSQL is ../postgres/00016_shared_client_scope.sql.
ALTER TABLE invitations ADD COLUMN from_client BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE invitations SET from_client = TRUE WHERE kind = 'team' AND invited_by IS NOT NULL
    AND EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = invitations.account_id AND m.user_id = invitations.invited_by)
    AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = invitations.agency_id AND m.user_id = invitations.invited_by);

ALTER TABLE audit_events ADD COLUMN agency_id TEXT;

ALTER TABLE activity_events ADD COLUMN agency_id TEXT;
UPDATE activity_events SET agency_id = (SELECT i.agency_id FROM impersonations i
    WHERE i.client_id = activity_events.client_id AND i.impersonator_id = activity_events.impersonator_id
    AND i.started_at <= activity_events.at ORDER BY i.started_at DESC LIMIT 1)
    WHERE impersonator_id IS NOT NULL;

-- +goose Down
ALTER TABLE activity_events DROP COLUMN agency_id;
ALTER TABLE audit_events DROP COLUMN agency_id;
ALTER TABLE invitations DROP COLUMN from_client;
