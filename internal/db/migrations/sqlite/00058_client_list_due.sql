-- +goose Up
-- When each client list row falls due (issue 23), in a narrow table of its
-- own instead of client_list.valid_until. Marking rows due (every recorded
-- login and page view, a change of thresholds) and the refresh write this
-- moment far more often than anything else in the row. On PostgreSQL an
-- UPDATE of an indexed column writes a new entry into every index of the
-- table, and client_list has ten, one of them a trigram index: marking a
-- 10,000-client agency due took 5.7 s and a refresh of 500 rows ~200 ms
-- in its UPDATEs alone (bench/README.md). Here an update touches two small
-- indexes. SQLite gets the same table so both engines keep one schema.
--
-- Writers: the rebuild of a row (the triggers of 00010 delete and insert
-- it; the insert's valid_until, always 1970, is copied here by the trigger
-- below, and client_list.valid_until is read by nothing after it), the
-- functions of internal/clientlist/due (marking rows due) and the refresh
-- (internal/clientlist/fresh.go). A row's entry goes with the row.
CREATE TABLE client_list_due (
    agency_id    TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    valid_until  TIMESTAMP,
    PRIMARY KEY (agency_id, client_id)
);
CREATE INDEX client_list_due_at ON client_list_due (agency_id, valid_until);
-- Marking a client's rows due (every agency it is linked to) finds them by client.
CREATE INDEX client_list_due_client ON client_list_due (client_id);
INSERT INTO client_list_due (agency_id, client_id, valid_until)
    SELECT agency_id, client_id, valid_until FROM client_list;
DROP INDEX client_list_agency_due;

-- +goose StatementBegin
CREATE TRIGGER client_list_due_row_added AFTER INSERT ON client_list BEGIN
    INSERT INTO client_list_due (agency_id, client_id, valid_until) VALUES (NEW.agency_id, NEW.client_id, NEW.valid_until)
        ON CONFLICT (agency_id, client_id) DO UPDATE SET valid_until = excluded.valid_until;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER client_list_due_row_gone AFTER DELETE ON client_list BEGIN
    DELETE FROM client_list_due WHERE agency_id = OLD.agency_id AND client_id = OLD.client_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER client_list_due_row_gone;
DROP TRIGGER client_list_due_row_added;
CREATE INDEX client_list_agency_due ON client_list(agency_id, valid_until);
UPDATE client_list SET valid_until = (SELECT d.valid_until FROM client_list_due d
    WHERE d.agency_id = client_list.agency_id AND d.client_id = client_list.client_id);
DROP TABLE client_list_due;
