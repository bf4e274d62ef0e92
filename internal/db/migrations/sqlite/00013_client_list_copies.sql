-- +goose Up
-- What an in-memory copy of an agency's client list rows needs to stay
-- exact (internal/client/memory.go). The reasons are written once, in
-- ../postgres/00013_client_list_copies.sql.
CREATE TABLE client_list_agency_versions (
    agency_id  TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    v          INTEGER NOT NULL
);

CREATE TABLE client_list_stamps (
    agency_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    v          INTEGER NOT NULL,
    PRIMARY KEY (agency_id, client_id)
);
CREATE INDEX client_list_stamps_agency_v ON client_list_stamps (agency_id, v);

-- +goose Down
DROP TABLE client_list_stamps;
DROP TABLE client_list_agency_versions;
