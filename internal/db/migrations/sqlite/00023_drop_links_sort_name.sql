-- +goose Up
-- links.sort_name (00006) was the client list's order before the list had
-- stored rows of its own (client_list, 00010, which keeps its own
-- sort_name). Nothing reads it since, yet its triggers rebuilt the client's
-- list rows a second time on every link insert and client rename (the
-- UPDATE of links they ran fires 00010's trigger on links), and the rename
-- one ran even when the name did not change. The column, its index and its
-- three triggers go.
--
-- The same step for PostgreSQL is ../postgres/00023_drop_links_sort_name.sql.
DROP TRIGGER links_sort_name_insert;
DROP TRIGGER links_sort_name_client;
DROP TRIGGER accounts_sort_name;
DROP INDEX links_agency_sort;
ALTER TABLE links DROP COLUMN sort_name;

-- +goose Down
ALTER TABLE links ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
UPDATE links SET sort_name = (SELECT LOWER(a.name) FROM accounts a WHERE a.id = links.client_id);
CREATE INDEX links_agency_sort ON links(agency_id, status, sort_name, client_id);
-- +goose StatementBegin
CREATE TRIGGER links_sort_name_insert AFTER INSERT ON links BEGIN
    UPDATE links SET sort_name = (SELECT LOWER(a.name) FROM accounts a WHERE a.id = NEW.client_id) WHERE id = NEW.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER links_sort_name_client AFTER UPDATE OF client_id ON links BEGIN
    UPDATE links SET sort_name = (SELECT LOWER(a.name) FROM accounts a WHERE a.id = NEW.client_id) WHERE id = NEW.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER accounts_sort_name AFTER UPDATE OF name ON accounts BEGIN
    UPDATE links SET sort_name = LOWER(NEW.name) WHERE client_id = NEW.id;
END;
-- +goose StatementEnd
