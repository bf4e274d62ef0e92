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
DROP TRIGGER client_list_agency_clients_update;
-- +goose StatementBegin
CREATE TRIGGER client_list_agency_clients_update AFTER UPDATE OF seats, revoked_at, enabled ON agency_clients BEGIN
    DELETE FROM client_list WHERE client_id = NEW.client_id;
    INSERT INTO client_list SELECT * FROM client_list_source WHERE client_id = NEW.client_id;
END;
-- +goose StatementEnd
DROP TRIGGER agency_clients_list_update;
-- +goose StatementBegin
CREATE TRIGGER agency_clients_list_update AFTER UPDATE OF revoked_at, enabled ON agency_clients BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER agency_clients_list_update;
-- +goose StatementBegin
CREATE TRIGGER agency_clients_list_update AFTER UPDATE OF revoked_at ON agency_clients BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER client_list_agency_clients_update;
-- +goose StatementBegin
CREATE TRIGGER client_list_agency_clients_update AFTER UPDATE OF seats, revoked_at ON agency_clients BEGIN
    DELETE FROM client_list WHERE client_id = NEW.client_id;
    INSERT INTO client_list SELECT * FROM client_list_source WHERE client_id = NEW.client_id;
END;
-- +goose StatementEnd
DROP INDEX invitations_open_new_client;
ALTER TABLE invitations DROP COLUMN created_client;
