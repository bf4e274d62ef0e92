-- +goose Up
-- The client list at scale (issue 4, performance; internal/client/list.go).
--
-- Pages: the list walks an agency's active links in the order it shows
-- them and stops after a page, so a page reads about as many links as it
-- shows, however deep it is. The order is the client's name,
-- case-insensitively, then its ID. The name lives on accounts, so each link
-- keeps LOWER(name) of its client in sort_name, which triggers set when a
-- link is written and when a client is renamed; links_agency_sort indexes
-- it after the agency and the link's status. memberships_admins finds a
-- client's primary contact (its earliest-joined admin) without sorting its
-- members.
--
-- Counts: the counts per status read every client the user sees, so the
-- list keeps them in memory until the data they read changes:
-- client_list_version.v moves on every change to a table they read, in the
-- changing transaction itself (the triggers at the end). A status that
-- comes to depend on the clock alone (at_risk, churned) must enter that
-- cache's key as well.
--
-- The same step for PostgreSQL is ../postgres/00006_client_list_indexes.sql.

ALTER TABLE links ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
UPDATE links SET sort_name = (SELECT LOWER(a.name) FROM accounts a WHERE a.id = links.client_id);
CREATE INDEX links_agency_sort ON links(agency_id, status, sort_name, client_id);
CREATE INDEX memberships_admins ON memberships(account_id, role, created_at, user_id);

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

CREATE TABLE client_list_version (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    v   INTEGER NOT NULL
);
INSERT INTO client_list_version (id, v) VALUES (1, 0);

-- +goose StatementBegin
CREATE TRIGGER links_list_insert AFTER INSERT ON links BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER links_list_update AFTER UPDATE ON links BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER links_list_delete AFTER DELETE ON links BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_list_insert AFTER INSERT ON memberships BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_list_update AFTER UPDATE ON memberships BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_list_delete AFTER DELETE ON memberships BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER agency_clients_list_insert AFTER INSERT ON agency_clients BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER agency_clients_list_update AFTER UPDATE OF revoked_at ON agency_clients BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER agency_clients_list_delete AFTER DELETE ON agency_clients BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER link_access_users_list_insert AFTER INSERT ON link_access_users BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER link_access_users_list_update AFTER UPDATE ON link_access_users BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER link_access_users_list_delete AFTER DELETE ON link_access_users BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER link_access_groups_list_insert AFTER INSERT ON link_access_groups BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER link_access_groups_list_update AFTER UPDATE ON link_access_groups BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER link_access_groups_list_delete AFTER DELETE ON link_access_groups BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER group_members_list_insert AFTER INSERT ON group_members BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER group_members_list_update AFTER UPDATE ON group_members BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER group_members_list_delete AFTER DELETE ON group_members BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_account_managers_list_insert AFTER INSERT ON client_account_managers BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_account_managers_list_update AFTER UPDATE ON client_account_managers BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_account_managers_list_delete AFTER DELETE ON client_account_managers BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_brands_list_insert AFTER INSERT ON client_brands BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_brands_list_update AFTER UPDATE ON client_brands BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_brands_list_delete AFTER DELETE ON client_brands BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER brands_list_update AFTER UPDATE ON brands BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER brands_list_delete AFTER DELETE ON brands BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER accounts_list_update AFTER UPDATE OF name ON accounts BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER accounts_list_delete AFTER DELETE ON accounts BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_list_update AFTER UPDATE OF email ON users BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_list_delete AFTER DELETE ON users BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_list_delete;
DROP TRIGGER users_list_update;
DROP TRIGGER accounts_list_delete;
DROP TRIGGER accounts_list_update;
DROP TRIGGER brands_list_delete;
DROP TRIGGER brands_list_update;
DROP TRIGGER client_brands_list_delete;
DROP TRIGGER client_brands_list_update;
DROP TRIGGER client_brands_list_insert;
DROP TRIGGER client_account_managers_list_delete;
DROP TRIGGER client_account_managers_list_update;
DROP TRIGGER client_account_managers_list_insert;
DROP TRIGGER group_members_list_delete;
DROP TRIGGER group_members_list_update;
DROP TRIGGER group_members_list_insert;
DROP TRIGGER link_access_groups_list_delete;
DROP TRIGGER link_access_groups_list_update;
DROP TRIGGER link_access_groups_list_insert;
DROP TRIGGER link_access_users_list_delete;
DROP TRIGGER link_access_users_list_update;
DROP TRIGGER link_access_users_list_insert;
DROP TRIGGER agency_clients_list_delete;
DROP TRIGGER agency_clients_list_update;
DROP TRIGGER agency_clients_list_insert;
DROP TRIGGER memberships_list_delete;
DROP TRIGGER memberships_list_update;
DROP TRIGGER memberships_list_insert;
DROP TRIGGER links_list_delete;
DROP TRIGGER links_list_update;
DROP TRIGGER links_list_insert;
DROP TABLE client_list_version;
DROP TRIGGER accounts_sort_name;
DROP TRIGGER links_sort_name_client;
DROP TRIGGER links_sort_name_insert;
DROP INDEX memberships_admins;
DROP INDEX links_agency_sort;
ALTER TABLE links DROP COLUMN sort_name;
