-- +goose Up
-- Versions of the client list's counts and visible clients per agency,
-- instead of one global client_list_version (issue 22).
--
-- client_list_version was one row that every change to a table the counts
-- or a member's visible clients read moved (00006, 00007, 00017): any
-- agency's change made every other agency's cached counts and visible sets
-- be read again, and on PostgreSQL unrelated tenants' writes queued on
-- that one row's lock as they committed. client_list_access_versions holds
-- one row per agency; each trigger below moves the rows of the agencies
-- whose list the change can move and no other:
--   links, agency_clients, account managers, brands: the row's agency;
--   access lists: the link's agency; group members: the group's agency;
--   brand grants: the brand's agency;
--   memberships: the account if it is an agency (roles decide what a
--     member sees), and every agency linked to it (status, users);
--   accounts (name), users (e-mail), invitations: every agency linked to
--     the client (search text, contact, status).
-- The refresh (clientlist/fresh.go) moves the agency's row when it changes
-- a status. A reader compares the version it read with the rows and counts
-- it holds: same version, same answer.
--
-- SQLite has one writer at a time, so there is no lock to queue on; each
-- row changed moves its agencies' rows.
--
-- The same step for PostgreSQL is ../postgres/00024_client_list_access_versions.sql.
CREATE TABLE client_list_access_versions (
    agency_id  TEXT PRIMARY KEY,
    v          INTEGER NOT NULL
);
INSERT INTO client_list_access_versions (agency_id, v)
    SELECT id, (SELECT v FROM client_list_version) FROM accounts WHERE kind = 'agency';

DROP TRIGGER links_list_insert;
DROP TRIGGER links_list_update;
DROP TRIGGER links_list_delete;
DROP TRIGGER memberships_list_insert;
DROP TRIGGER memberships_list_update;
DROP TRIGGER memberships_list_delete;
DROP TRIGGER agency_clients_list_insert;
DROP TRIGGER agency_clients_list_update;
DROP TRIGGER agency_clients_list_delete;
DROP TRIGGER link_access_users_list_insert;
DROP TRIGGER link_access_users_list_update;
DROP TRIGGER link_access_users_list_delete;
DROP TRIGGER link_access_groups_list_insert;
DROP TRIGGER link_access_groups_list_update;
DROP TRIGGER link_access_groups_list_delete;
DROP TRIGGER group_members_list_insert;
DROP TRIGGER group_members_list_update;
DROP TRIGGER group_members_list_delete;
DROP TRIGGER client_account_managers_list_insert;
DROP TRIGGER client_account_managers_list_update;
DROP TRIGGER client_account_managers_list_delete;
DROP TRIGGER client_brands_list_insert;
DROP TRIGGER client_brands_list_update;
DROP TRIGGER client_brands_list_delete;
DROP TRIGGER brands_list_update;
DROP TRIGGER brands_list_delete;
DROP TRIGGER accounts_list_update;
DROP TRIGGER accounts_list_delete;
DROP TRIGGER users_list_update;
DROP TRIGGER users_list_delete;
DROP TRIGGER invitations_list_insert;
DROP TRIGGER invitations_list_update;
DROP TRIGGER invitations_list_delete;
DROP TABLE client_list_version;

-- +goose StatementBegin
CREATE TRIGGER links_list_insert AFTER INSERT ON links BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT NEW.agency_id AS a) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER links_list_update AFTER UPDATE ON links BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT OLD.agency_id AS a UNION SELECT NEW.agency_id AS a) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER links_list_delete AFTER DELETE ON links BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT OLD.agency_id AS a) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_list_insert AFTER INSERT ON memberships BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT id AS a FROM accounts WHERE id = NEW.account_id AND kind = 'agency' UNION SELECT agency_id FROM links WHERE client_id = NEW.account_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_list_update AFTER UPDATE ON memberships BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT id AS a FROM accounts WHERE id = OLD.account_id AND kind = 'agency' UNION SELECT agency_id FROM links WHERE client_id = OLD.account_id UNION SELECT id AS a FROM accounts WHERE id = NEW.account_id AND kind = 'agency' UNION SELECT agency_id FROM links WHERE client_id = NEW.account_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_list_delete AFTER DELETE ON memberships BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT id AS a FROM accounts WHERE id = OLD.account_id AND kind = 'agency' UNION SELECT agency_id FROM links WHERE client_id = OLD.account_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER agency_clients_list_insert AFTER INSERT ON agency_clients BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT NEW.agency_id AS a) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER agency_clients_list_update AFTER UPDATE OF revoked_at, enabled ON agency_clients BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT OLD.agency_id AS a UNION SELECT NEW.agency_id AS a) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER agency_clients_list_delete AFTER DELETE ON agency_clients BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT OLD.agency_id AS a) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER link_access_users_list_insert AFTER INSERT ON link_access_users BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM links WHERE id = NEW.link_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER link_access_users_list_update AFTER UPDATE ON link_access_users BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM links WHERE id = OLD.link_id UNION SELECT agency_id AS a FROM links WHERE id = NEW.link_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER link_access_users_list_delete AFTER DELETE ON link_access_users BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM links WHERE id = OLD.link_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER link_access_groups_list_insert AFTER INSERT ON link_access_groups BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM links WHERE id = NEW.link_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER link_access_groups_list_update AFTER UPDATE ON link_access_groups BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM links WHERE id = OLD.link_id UNION SELECT agency_id AS a FROM links WHERE id = NEW.link_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER link_access_groups_list_delete AFTER DELETE ON link_access_groups BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM links WHERE id = OLD.link_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER group_members_list_insert AFTER INSERT ON group_members BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM agency_groups WHERE id = NEW.group_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER group_members_list_update AFTER UPDATE ON group_members BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM agency_groups WHERE id = OLD.group_id UNION SELECT agency_id AS a FROM agency_groups WHERE id = NEW.group_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER group_members_list_delete AFTER DELETE ON group_members BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM agency_groups WHERE id = OLD.group_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_account_managers_list_insert AFTER INSERT ON client_account_managers BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT NEW.agency_id AS a) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_account_managers_list_update AFTER UPDATE ON client_account_managers BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT OLD.agency_id AS a UNION SELECT NEW.agency_id AS a) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_account_managers_list_delete AFTER DELETE ON client_account_managers BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT OLD.agency_id AS a) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_brands_list_insert AFTER INSERT ON client_brands BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM brands WHERE id = NEW.brand_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_brands_list_update AFTER UPDATE ON client_brands BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM brands WHERE id = OLD.brand_id UNION SELECT agency_id AS a FROM brands WHERE id = NEW.brand_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_brands_list_delete AFTER DELETE ON client_brands BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM brands WHERE id = OLD.brand_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER brands_list_update AFTER UPDATE ON brands BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT OLD.agency_id AS a UNION SELECT NEW.agency_id AS a) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER brands_list_delete AFTER DELETE ON brands BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT OLD.agency_id AS a) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER accounts_list_update AFTER UPDATE OF name ON accounts BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT OLD.id AS a WHERE OLD.kind = 'agency' UNION SELECT agency_id FROM links WHERE client_id = OLD.id UNION SELECT NEW.id AS a WHERE NEW.kind = 'agency' UNION SELECT agency_id FROM links WHERE client_id = NEW.id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER accounts_list_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT OLD.id AS a WHERE OLD.kind = 'agency' UNION SELECT agency_id FROM links WHERE client_id = OLD.id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_list_update AFTER UPDATE OF email ON users BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT l.agency_id AS a FROM memberships m JOIN links l ON l.client_id = m.account_id WHERE m.user_id = OLD.id UNION SELECT l.agency_id AS a FROM memberships m JOIN links l ON l.client_id = m.account_id WHERE m.user_id = NEW.id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_list_delete AFTER DELETE ON users BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT l.agency_id AS a FROM memberships m JOIN links l ON l.client_id = m.account_id WHERE m.user_id = OLD.id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER invitations_list_insert AFTER INSERT ON invitations BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM links WHERE client_id = NEW.account_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER invitations_list_update AFTER UPDATE ON invitations BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM links WHERE client_id = OLD.account_id UNION SELECT agency_id AS a FROM links WHERE client_id = NEW.account_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER invitations_list_delete AFTER DELETE ON invitations BEGIN
    INSERT INTO client_list_access_versions (agency_id, v) SELECT x.a, 1 FROM (SELECT agency_id AS a FROM links WHERE client_id = OLD.account_id) x WHERE x.a IS NOT NULL
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END;
-- +goose StatementEnd

-- +goose Down
CREATE TABLE client_list_version (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    v   INTEGER NOT NULL
);
INSERT INTO client_list_version (id, v) SELECT 1, COALESCE(MAX(v), 0) FROM client_list_access_versions;
DROP TRIGGER links_list_insert;
-- +goose StatementBegin
CREATE TRIGGER links_list_insert AFTER INSERT ON links BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER links_list_update;
-- +goose StatementBegin
CREATE TRIGGER links_list_update AFTER UPDATE ON links BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER links_list_delete;
-- +goose StatementBegin
CREATE TRIGGER links_list_delete AFTER DELETE ON links BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER memberships_list_insert;
-- +goose StatementBegin
CREATE TRIGGER memberships_list_insert AFTER INSERT ON memberships BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER memberships_list_update;
-- +goose StatementBegin
CREATE TRIGGER memberships_list_update AFTER UPDATE ON memberships BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER memberships_list_delete;
-- +goose StatementBegin
CREATE TRIGGER memberships_list_delete AFTER DELETE ON memberships BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER agency_clients_list_insert;
-- +goose StatementBegin
CREATE TRIGGER agency_clients_list_insert AFTER INSERT ON agency_clients BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER agency_clients_list_update;
-- +goose StatementBegin
CREATE TRIGGER agency_clients_list_update AFTER UPDATE OF revoked_at, enabled ON agency_clients BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER agency_clients_list_delete;
-- +goose StatementBegin
CREATE TRIGGER agency_clients_list_delete AFTER DELETE ON agency_clients BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER link_access_users_list_insert;
-- +goose StatementBegin
CREATE TRIGGER link_access_users_list_insert AFTER INSERT ON link_access_users BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER link_access_users_list_update;
-- +goose StatementBegin
CREATE TRIGGER link_access_users_list_update AFTER UPDATE ON link_access_users BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER link_access_users_list_delete;
-- +goose StatementBegin
CREATE TRIGGER link_access_users_list_delete AFTER DELETE ON link_access_users BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER link_access_groups_list_insert;
-- +goose StatementBegin
CREATE TRIGGER link_access_groups_list_insert AFTER INSERT ON link_access_groups BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER link_access_groups_list_update;
-- +goose StatementBegin
CREATE TRIGGER link_access_groups_list_update AFTER UPDATE ON link_access_groups BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER link_access_groups_list_delete;
-- +goose StatementBegin
CREATE TRIGGER link_access_groups_list_delete AFTER DELETE ON link_access_groups BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER group_members_list_insert;
-- +goose StatementBegin
CREATE TRIGGER group_members_list_insert AFTER INSERT ON group_members BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER group_members_list_update;
-- +goose StatementBegin
CREATE TRIGGER group_members_list_update AFTER UPDATE ON group_members BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER group_members_list_delete;
-- +goose StatementBegin
CREATE TRIGGER group_members_list_delete AFTER DELETE ON group_members BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER client_account_managers_list_insert;
-- +goose StatementBegin
CREATE TRIGGER client_account_managers_list_insert AFTER INSERT ON client_account_managers BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER client_account_managers_list_update;
-- +goose StatementBegin
CREATE TRIGGER client_account_managers_list_update AFTER UPDATE ON client_account_managers BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER client_account_managers_list_delete;
-- +goose StatementBegin
CREATE TRIGGER client_account_managers_list_delete AFTER DELETE ON client_account_managers BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER client_brands_list_insert;
-- +goose StatementBegin
CREATE TRIGGER client_brands_list_insert AFTER INSERT ON client_brands BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER client_brands_list_update;
-- +goose StatementBegin
CREATE TRIGGER client_brands_list_update AFTER UPDATE ON client_brands BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER client_brands_list_delete;
-- +goose StatementBegin
CREATE TRIGGER client_brands_list_delete AFTER DELETE ON client_brands BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER brands_list_update;
-- +goose StatementBegin
CREATE TRIGGER brands_list_update AFTER UPDATE ON brands BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER brands_list_delete;
-- +goose StatementBegin
CREATE TRIGGER brands_list_delete AFTER DELETE ON brands BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER accounts_list_update;
-- +goose StatementBegin
CREATE TRIGGER accounts_list_update AFTER UPDATE OF name ON accounts BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER accounts_list_delete;
-- +goose StatementBegin
CREATE TRIGGER accounts_list_delete AFTER DELETE ON accounts BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER users_list_update;
-- +goose StatementBegin
CREATE TRIGGER users_list_update AFTER UPDATE OF email ON users BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER users_list_delete;
-- +goose StatementBegin
CREATE TRIGGER users_list_delete AFTER DELETE ON users BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER invitations_list_insert;
-- +goose StatementBegin
CREATE TRIGGER invitations_list_insert AFTER INSERT ON invitations BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER invitations_list_update;
-- +goose StatementBegin
CREATE TRIGGER invitations_list_update AFTER UPDATE ON invitations BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TRIGGER invitations_list_delete;
-- +goose StatementBegin
CREATE TRIGGER invitations_list_delete AFTER DELETE ON invitations BEGIN UPDATE client_list_version SET v = v + 1; END;
-- +goose StatementEnd
DROP TABLE client_list_access_versions;
