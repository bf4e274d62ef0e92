-- +goose Up
-- The client list at scale (issue 4, performance; internal/client/list.go).
--
-- Pages: the list walks an agency's active links in the order it shows
-- them and stops after a page, so a page reads about as many links as it
-- shows, however deep it is. The order is the client's name,
-- case-insensitively, then its ID, compared byte by byte (COLLATE "C", as
-- SQLite does). The name lives on accounts, so each link keeps LOWER(name)
-- of its client in sort_name, which triggers set when a link is written and
-- when a client is renamed; links_agency_sort indexes it after the agency
-- and the link's status. memberships_admins finds a client's primary
-- contact (its earliest-joined admin) without sorting its members.
--
-- Counts: the counts per status read every client the user sees, so the
-- list keeps them in memory until the data they read changes:
-- client_list_version.v moves on every change to a table they read, in the
-- changing transaction itself (the triggers at the end). They are deferred:
-- a transaction moves the version once, as it commits, and holds that
-- row's lock only while it commits. A status that comes to depend on the
-- clock alone (at_risk, churned) must enter that cache's key as well.
--
-- The same step for SQLite is ../sqlite/00006_client_list_indexes.sql.

ALTER TABLE links ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
UPDATE links l SET sort_name = LOWER(a.name) FROM accounts a WHERE a.id = l.client_id;
CREATE INDEX links_agency_sort ON links (agency_id, status, sort_name COLLATE "C", client_id COLLATE "C");
CREATE INDEX memberships_admins ON memberships (account_id, role, created_at, user_id);

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

CREATE TABLE client_list_version (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    v   BIGINT NOT NULL
);
INSERT INTO client_list_version (id, v) VALUES (1, 0);

-- Moves the version once per transaction: a transaction-local setting
-- remembers that it did.
-- +goose StatementBegin
CREATE FUNCTION client_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('liaison.client_list_changed', true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config('liaison.client_list_changed', 'on', true);
        UPDATE client_list_version SET v = v + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER links_list_changed AFTER INSERT OR UPDATE OR DELETE ON links
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
CREATE CONSTRAINT TRIGGER memberships_list_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
CREATE CONSTRAINT TRIGGER agency_clients_list_changed AFTER INSERT OR UPDATE OF revoked_at OR DELETE ON agency_clients
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
CREATE CONSTRAINT TRIGGER link_access_users_list_changed AFTER INSERT OR UPDATE OR DELETE ON link_access_users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
CREATE CONSTRAINT TRIGGER link_access_groups_list_changed AFTER INSERT OR UPDATE OR DELETE ON link_access_groups
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
CREATE CONSTRAINT TRIGGER group_members_list_changed AFTER INSERT OR UPDATE OR DELETE ON group_members
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
CREATE CONSTRAINT TRIGGER client_account_managers_list_changed AFTER INSERT OR UPDATE OR DELETE ON client_account_managers
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
CREATE CONSTRAINT TRIGGER client_brands_list_changed AFTER INSERT OR UPDATE OR DELETE ON client_brands
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
CREATE CONSTRAINT TRIGGER brands_list_changed AFTER UPDATE OR DELETE ON brands
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
CREATE CONSTRAINT TRIGGER accounts_list_changed AFTER UPDATE OF name OR DELETE ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
CREATE CONSTRAINT TRIGGER users_list_changed AFTER UPDATE OF email OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();

-- +goose Down
DROP TRIGGER users_list_changed ON users;
DROP TRIGGER accounts_list_changed ON accounts;
DROP TRIGGER brands_list_changed ON brands;
DROP TRIGGER client_brands_list_changed ON client_brands;
DROP TRIGGER client_account_managers_list_changed ON client_account_managers;
DROP TRIGGER group_members_list_changed ON group_members;
DROP TRIGGER link_access_groups_list_changed ON link_access_groups;
DROP TRIGGER link_access_users_list_changed ON link_access_users;
DROP TRIGGER agency_clients_list_changed ON agency_clients;
DROP TRIGGER memberships_list_changed ON memberships;
DROP TRIGGER links_list_changed ON links;
DROP FUNCTION client_list_changed();
DROP TABLE client_list_version;
DROP TRIGGER accounts_sort_name ON accounts;
DROP FUNCTION accounts_sort_name();
DROP TRIGGER links_sort_name ON links;
DROP FUNCTION links_sort_name();
DROP INDEX memberships_admins;
DROP INDEX links_agency_sort;
ALTER TABLE links DROP COLUMN sort_name;
