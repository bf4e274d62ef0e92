-- +goose Up
-- links.sort_name (00006) was the client list's order before the list had
-- stored rows of its own (client_list, 00010, which keeps its own
-- sort_name). Nothing reads it since, yet its triggers rewrote the link on
-- every insert and client rename, which fired 00010's trigger on links and
-- rebuilt the client's list rows a second time. The column, its index, its
-- triggers and their functions go.
--
-- The same step for SQLite is ../sqlite/00023_drop_links_sort_name.sql.
DROP TRIGGER links_sort_name ON links;
DROP FUNCTION links_sort_name();
DROP TRIGGER accounts_sort_name ON accounts;
DROP FUNCTION accounts_sort_name();
DROP INDEX links_agency_sort;
ALTER TABLE links DROP COLUMN sort_name;

-- +goose Down
ALTER TABLE links ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
UPDATE links l SET sort_name = LOWER(a.name) FROM accounts a WHERE a.id = l.client_id;
CREATE INDEX links_agency_sort ON links (agency_id, status, sort_name COLLATE "C", client_id COLLATE "C");
-- +goose StatementBegin
CREATE FUNCTION links_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.sort_name := (SELECT LOWER(a.name) FROM accounts a WHERE a.id = NEW.client_id);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER links_sort_name BEFORE INSERT OR UPDATE OF client_id ON links
    FOR EACH ROW EXECUTE FUNCTION links_sort_name();
-- +goose StatementBegin
CREATE FUNCTION accounts_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE links SET sort_name = LOWER(NEW.name) WHERE client_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER accounts_sort_name AFTER UPDATE OF name ON accounts
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION accounts_sort_name();
