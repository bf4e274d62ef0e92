-- +goose Up
-- When each client list row falls due (issue 23), in a narrow table of its
-- own instead of client_list.valid_until. Marking rows due (every recorded
-- login and page view, a change of thresholds) and the refresh write this
-- moment far more often than anything else in the row. An UPDATE of an
-- indexed column writes a new entry into every index of the table (no HOT
-- update), and client_list has ten, one of them a trigram index with
-- fastupdate off: marking a 10,000-client agency due took 5.7 s and a
-- refresh of 500 rows ~200 ms in its UPDATEs alone (bench/README.md). Here
-- an update touches two small indexes.
--
-- Writers: the rebuild of a row (client_list_refresh deletes and inserts
-- it; the insert's valid_until, always 1970, is copied here by the trigger
-- below, and client_list.valid_until is read by nothing after it), the
-- functions of internal/clientlist/due (marking rows due) and the refresh
-- (internal/clientlist/fresh.go). A row's entry goes with the row.
--
-- Locks: a rebuild locks the client_list row, then this one (the
-- triggers); the refresh locks its batch's client_list rows, then these;
-- marking rows due locks these only. One order, so no deadlock; and a mark
-- made while a refresh holds the row waits for it and lands after it.
CREATE TABLE client_list_due (
    agency_id    TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    valid_until  TIMESTAMPTZ,
    PRIMARY KEY (agency_id, client_id)
);
CREATE INDEX client_list_due_at ON client_list_due (agency_id, valid_until);
-- Marking a client's rows due (every agency it is linked to) finds them by client.
CREATE INDEX client_list_due_client ON client_list_due (client_id);
INSERT INTO client_list_due (agency_id, client_id, valid_until)
    SELECT agency_id, client_id, valid_until FROM client_list;
DROP INDEX client_list_agency_due;

-- +goose StatementBegin
CREATE FUNCTION client_list_due_row_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO client_list_due (agency_id, client_id, valid_until) VALUES (NEW.agency_id, NEW.client_id, NEW.valid_until)
        ON CONFLICT (agency_id, client_id) DO UPDATE SET valid_until = excluded.valid_until;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER client_list_due_row_added AFTER INSERT ON client_list
    FOR EACH ROW EXECUTE FUNCTION client_list_due_row_added();

-- +goose StatementBegin
CREATE FUNCTION client_list_due_row_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM client_list_due WHERE agency_id = OLD.agency_id AND client_id = OLD.client_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER client_list_due_row_gone AFTER DELETE ON client_list
    FOR EACH ROW EXECUTE FUNCTION client_list_due_row_gone();

-- +goose Down
DROP TRIGGER client_list_due_row_gone ON client_list;
DROP FUNCTION client_list_due_row_gone();
DROP TRIGGER client_list_due_row_added ON client_list;
DROP FUNCTION client_list_due_row_added();
CREATE INDEX client_list_agency_due ON client_list (agency_id, valid_until);
UPDATE client_list l SET valid_until = d.valid_until FROM client_list_due d
    WHERE d.agency_id = l.agency_id AND d.client_id = l.client_id;
DROP TABLE client_list_due;
