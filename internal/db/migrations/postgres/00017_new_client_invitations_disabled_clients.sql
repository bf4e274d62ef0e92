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


-- A disabled client (agency_clients.enabled) is shown as disabled in the
-- client list, with a filter, without its status changing (SPEC §5: the
-- status is about activity). The list reads the flag with the row
-- (internal/client/list.go, memory.go); changing it now rebuilds the
-- client's list rows, as seats and revoked_at do, so in-memory copies read
-- it again, and moves client_list_version, so cached counts (which a filter
-- on it uses) are counted again.
DROP TRIGGER client_list_agency_clients ON agency_clients;
CREATE TRIGGER client_list_agency_clients AFTER INSERT OR UPDATE OF seats, revoked_at, enabled OR DELETE ON agency_clients
    FOR EACH ROW EXECUTE FUNCTION client_list_by_client_id();
DROP TRIGGER agency_clients_list_changed ON agency_clients;
CREATE CONSTRAINT TRIGGER agency_clients_list_changed AFTER INSERT OR UPDATE OF revoked_at, enabled OR DELETE ON agency_clients
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();

-- +goose Down
DROP TRIGGER agency_clients_list_changed ON agency_clients;
CREATE CONSTRAINT TRIGGER agency_clients_list_changed AFTER INSERT OR UPDATE OF revoked_at OR DELETE ON agency_clients
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP TRIGGER client_list_agency_clients ON agency_clients;
CREATE TRIGGER client_list_agency_clients AFTER INSERT OR UPDATE OF seats, revoked_at OR DELETE ON agency_clients
    FOR EACH ROW EXECUTE FUNCTION client_list_by_client_id();
DROP INDEX invitations_open_new_client;
ALTER TABLE invitations DROP COLUMN created_client;
