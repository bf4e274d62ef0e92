-- +goose Up
-- A client invitation that created its client account (SPEC §4: "created at
-- once when it does not exist") says so. One such invitation may be open per
-- agency and address: inviting the same person again as a new client is a
-- conflict (409 already_invited: resend the first) decided by the database,
-- not a second empty client. Cancelling the only invitation of a client
-- created for it, which nobody joined, removes that client with it
-- (internal/invite, Cancel). Invitations sent before this step say FALSE.
ALTER TABLE invitations ADD COLUMN created_client BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX invitations_open_new_client ON invitations (agency_id, email)
    WHERE status = 'pending' AND created_client;

-- +goose Down
DROP INDEX invitations_open_new_client;
ALTER TABLE invitations DROP COLUMN created_client;
