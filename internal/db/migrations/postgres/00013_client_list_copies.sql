-- +goose Up
-- What an in-memory copy of an agency's client list rows needs to stay
-- exact (internal/client/memory.go).
--
-- A copy is keyed by two versions, read in the same statement as the rows:
-- client_list_version (00006), which every change to the data a row is
-- built from moves, and the agency's row version below, which moves when a
-- refresh (client/fresh.go) changes what a row shows: its status, score or
-- last activity. A copy whose client_list_version is current but whose row
-- version is behind reads only the rows stamped after it
-- (client_list_stamps), not the whole agency.
--
-- client_list is written by three things, none of which can leave a copy
-- behind:
--   - the triggers of 00010 rebuild rows from their data, due at once
--     (valid_until 1970): the next reader refreshes them, and the refresh
--     stamps every row it finds due since 1970. (Most such changes move
--     client_list_version too, and copies are then read whole.)
--   - the refresh (client/fresh.go) stamps the rows whose status, score or
--     last activity it changed, and moves the agency's row version, in its
--     own transaction.
--   - marking rows due (a recorded event, a change of thresholds) moves
--     valid_until only, a column no copy holds: readers read the earliest
--     valid_until afresh on every page, and refresh.
-- A new writer of client_list must keep to one of these.
--
-- The row version is taken after the refresh has locked its rows and is
-- held until it commits, so versions are given in commit order: a reader
-- that sees version n has seen every stamp up to n.
--
-- The same step for SQLite is ../sqlite/00013_client_list_copies.sql.
CREATE TABLE client_list_agency_versions (
    agency_id  TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    v          BIGINT NOT NULL
);

CREATE TABLE client_list_stamps (
    agency_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    v          BIGINT NOT NULL,
    PRIMARY KEY (agency_id, client_id)
);
CREATE INDEX client_list_stamps_agency_v ON client_list_stamps (agency_id, v);

-- +goose Down
DROP TABLE client_list_stamps;
DROP TABLE client_list_agency_versions;
