-- +goose Up
-- What an in-memory copy of an agency's client list rows needs to stay
-- exact (internal/client/memory.go). The reasons are written once, in
-- ../postgres/00013_client_list_copies.sql.
CREATE TABLE client_list_agency_versions (
    agency_id  TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    v          INTEGER NOT NULL
);

CREATE TABLE client_list_stamps (
    agency_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    v          INTEGER NOT NULL,
    PRIMARY KEY (agency_id, client_id)
);
CREATE INDEX client_list_stamps_agency_v ON client_list_stamps (agency_id, v);

-- +goose StatementBegin
CREATE TRIGGER client_list_row_deleted AFTER DELETE ON client_list BEGIN
    INSERT INTO client_list_stamps (agency_id, client_id, v) VALUES (OLD.agency_id, OLD.client_id, -1)
        ON CONFLICT (agency_id, client_id) DO UPDATE SET v = -1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER client_list_row_deleted;
DROP TABLE client_list_stamps;
DROP TABLE client_list_agency_versions;
