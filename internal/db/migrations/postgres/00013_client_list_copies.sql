-- +goose Up
-- What an in-memory copy of an agency's client list rows needs to stay
-- exact (internal/client/memory.go).
--
-- A copy is keyed by the agency's row version below, read in the same
-- statement as the rows. Every change to one of the agency's list rows
-- gives the row a stamp (client_list_stamps) and moves the version, so a
-- copy that is behind reads the rows stamped since, not the whole agency:
--   - the triggers of 00010 rebuild a row from its data, due at once
--     (valid_until 1970); the next reader refreshes the due rows, and the
--     refresh (client/fresh.go) stamps every row it finds due since 1970;
--   - a row deleted for good (a link that ends, a client deleted) leaves a
--     tombstone, a stamp of version -1 (the trigger below); readers treat
--     an agency with tombstones as due, and the refresh gives them a
--     version, after which a copy drops the row;
--   - the refresh stamps the rows whose status, score or last activity it
--     changed;
--   - marking rows due (a recorded event, a change of thresholds) moves
--     valid_until only, a column no copy holds: readers read the earliest
--     valid_until afresh on every page, and refresh.
-- A new writer of client_list must keep to one of these.
--
-- Versions are given by the refresh alone, after it has locked its rows,
-- and the agency's version row stays locked until it commits, so they are
-- given in commit order: a reader that sees version n has seen every stamp
-- up to n. The tombstone trigger takes no version, so it adds no lock that
-- writers of different clients would wait on. Stamps have no foreign key:
-- deleting an agency deletes its rows, whose tombstones name it.
--
-- The same step for SQLite is ../sqlite/00013_client_list_copies.sql.
CREATE TABLE client_list_agency_versions (
    agency_id  TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    v          BIGINT NOT NULL
);

CREATE TABLE client_list_stamps (
    agency_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    v          BIGINT NOT NULL,
    PRIMARY KEY (agency_id, client_id)
);
CREATE INDEX client_list_stamps_agency_v ON client_list_stamps (agency_id, v);

-- +goose StatementBegin
CREATE FUNCTION client_list_row_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO client_list_stamps (agency_id, client_id, v) VALUES (OLD.agency_id, OLD.client_id, -1)
        ON CONFLICT (agency_id, client_id) DO UPDATE SET v = -1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER client_list_row_deleted AFTER DELETE ON client_list
    FOR EACH ROW EXECUTE FUNCTION client_list_row_deleted();

-- +goose Down
DROP TRIGGER client_list_row_deleted ON client_list;
DROP FUNCTION client_list_row_deleted();
DROP TABLE client_list_stamps;
DROP TABLE client_list_agency_versions;
