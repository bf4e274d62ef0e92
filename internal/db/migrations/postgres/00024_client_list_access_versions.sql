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
-- As before, the triggers are deferred: a transaction moves each agency's
-- row once, as it commits (a transaction-local setting lists the agencies
-- it moved), and holds those rows' locks only while it commits. A
-- transaction that moves two agencies' rows may meet another moving them
-- in the other order; PostgreSQL then aborts one, and db.InTx retries it.
--
-- The same step for SQLite is ../sqlite/00024_client_list_access_versions.sql.
CREATE TABLE client_list_access_versions (
    agency_id  TEXT PRIMARY KEY,
    v          BIGINT NOT NULL
);
INSERT INTO client_list_access_versions (agency_id, v)
    SELECT id, (SELECT v FROM client_list_version) FROM accounts WHERE kind = 'agency';

DROP TRIGGER links_list_changed ON links;
DROP TRIGGER memberships_list_changed ON memberships;
DROP TRIGGER agency_clients_list_changed ON agency_clients;
DROP TRIGGER link_access_users_list_changed ON link_access_users;
DROP TRIGGER link_access_groups_list_changed ON link_access_groups;
DROP TRIGGER group_members_list_changed ON group_members;
DROP TRIGGER client_account_managers_list_changed ON client_account_managers;
DROP TRIGGER client_brands_list_changed ON client_brands;
DROP TRIGGER brands_list_changed ON brands;
DROP TRIGGER accounts_list_changed ON accounts;
DROP TRIGGER users_list_changed ON users;
DROP TRIGGER invitations_list_changed ON invitations;
DROP FUNCTION client_list_changed();
DROP TABLE client_list_version;

-- +goose StatementBegin
CREATE FUNCTION client_list_access_changed(a TEXT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE moved TEXT := COALESCE(NULLIF(current_setting('liaison.client_list_moved', true), ''), ',');
BEGIN
    IF a IS NULL OR position(',' || a || ',' IN moved) > 0 THEN
        RETURN;
    END IF;
    PERFORM set_config('liaison.client_list_moved', moved || a || ',', true);
    INSERT INTO client_list_access_versions (agency_id, v) VALUES (a, 1)
        ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION links_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        FOR a IN SELECT x.a FROM (SELECT OLD.agency_id AS a) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        FOR a IN SELECT x.a FROM (SELECT NEW.agency_id AS a) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER links_list_changed AFTER INSERT OR UPDATE OR DELETE ON links
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION links_list_changed();

-- +goose StatementBegin
CREATE FUNCTION memberships_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        FOR a IN SELECT x.a FROM (SELECT id AS a FROM accounts WHERE id = OLD.account_id AND kind = 'agency' UNION SELECT agency_id FROM links WHERE client_id = OLD.account_id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        FOR a IN SELECT x.a FROM (SELECT id AS a FROM accounts WHERE id = NEW.account_id AND kind = 'agency' UNION SELECT agency_id FROM links WHERE client_id = NEW.account_id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER memberships_list_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION memberships_list_changed();

-- +goose StatementBegin
CREATE FUNCTION agency_clients_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        FOR a IN SELECT x.a FROM (SELECT OLD.agency_id AS a) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        FOR a IN SELECT x.a FROM (SELECT NEW.agency_id AS a) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER agency_clients_list_changed AFTER INSERT OR UPDATE OF revoked_at, enabled OR DELETE ON agency_clients
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION agency_clients_list_changed();

-- +goose StatementBegin
CREATE FUNCTION link_access_users_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        FOR a IN SELECT x.a FROM (SELECT agency_id AS a FROM links WHERE id = OLD.link_id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        FOR a IN SELECT x.a FROM (SELECT agency_id AS a FROM links WHERE id = NEW.link_id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER link_access_users_list_changed AFTER INSERT OR UPDATE OR DELETE ON link_access_users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION link_access_users_list_changed();

-- +goose StatementBegin
CREATE FUNCTION link_access_groups_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        FOR a IN SELECT x.a FROM (SELECT agency_id AS a FROM links WHERE id = OLD.link_id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        FOR a IN SELECT x.a FROM (SELECT agency_id AS a FROM links WHERE id = NEW.link_id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER link_access_groups_list_changed AFTER INSERT OR UPDATE OR DELETE ON link_access_groups
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION link_access_groups_list_changed();

-- +goose StatementBegin
CREATE FUNCTION group_members_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        FOR a IN SELECT x.a FROM (SELECT agency_id AS a FROM agency_groups WHERE id = OLD.group_id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        FOR a IN SELECT x.a FROM (SELECT agency_id AS a FROM agency_groups WHERE id = NEW.group_id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER group_members_list_changed AFTER INSERT OR UPDATE OR DELETE ON group_members
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION group_members_list_changed();

-- +goose StatementBegin
CREATE FUNCTION client_account_managers_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        FOR a IN SELECT x.a FROM (SELECT OLD.agency_id AS a) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        FOR a IN SELECT x.a FROM (SELECT NEW.agency_id AS a) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER client_account_managers_list_changed AFTER INSERT OR UPDATE OR DELETE ON client_account_managers
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_account_managers_list_changed();

-- +goose StatementBegin
CREATE FUNCTION client_brands_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        FOR a IN SELECT x.a FROM (SELECT agency_id AS a FROM brands WHERE id = OLD.brand_id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        FOR a IN SELECT x.a FROM (SELECT agency_id AS a FROM brands WHERE id = NEW.brand_id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER client_brands_list_changed AFTER INSERT OR UPDATE OR DELETE ON client_brands
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_brands_list_changed();

-- +goose StatementBegin
CREATE FUNCTION brands_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        FOR a IN SELECT x.a FROM (SELECT OLD.agency_id AS a) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        FOR a IN SELECT x.a FROM (SELECT NEW.agency_id AS a) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER brands_list_changed AFTER UPDATE OR DELETE ON brands
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION brands_list_changed();

-- +goose StatementBegin
CREATE FUNCTION accounts_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        FOR a IN SELECT x.a FROM (SELECT OLD.id AS a WHERE OLD.kind = 'agency' UNION SELECT agency_id FROM links WHERE client_id = OLD.id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        FOR a IN SELECT x.a FROM (SELECT NEW.id AS a WHERE NEW.kind = 'agency' UNION SELECT agency_id FROM links WHERE client_id = NEW.id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER accounts_list_changed AFTER UPDATE OF name OR DELETE ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION accounts_list_changed();

-- +goose StatementBegin
CREATE FUNCTION users_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        FOR a IN SELECT x.a FROM (SELECT l.agency_id AS a FROM memberships m JOIN links l ON l.client_id = m.account_id WHERE m.user_id = OLD.id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        FOR a IN SELECT x.a FROM (SELECT l.agency_id AS a FROM memberships m JOIN links l ON l.client_id = m.account_id WHERE m.user_id = NEW.id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER users_list_changed AFTER UPDATE OF email OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION users_list_changed();

-- +goose StatementBegin
CREATE FUNCTION invitations_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        FOR a IN SELECT x.a FROM (SELECT agency_id AS a FROM links WHERE client_id = OLD.account_id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        FOR a IN SELECT x.a FROM (SELECT agency_id AS a FROM links WHERE client_id = NEW.account_id) x ORDER BY 1 LOOP PERFORM client_list_access_changed(a); END LOOP;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER invitations_list_changed AFTER INSERT OR UPDATE OR DELETE ON invitations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION invitations_list_changed();

-- +goose Down
CREATE TABLE client_list_version (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    v   BIGINT NOT NULL
);
INSERT INTO client_list_version (id, v) SELECT 1, COALESCE(MAX(v), 0) FROM client_list_access_versions;
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
DROP TRIGGER links_list_changed ON links;
DROP FUNCTION links_list_changed();
CREATE CONSTRAINT TRIGGER links_list_changed AFTER INSERT OR UPDATE OR DELETE ON links
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP TRIGGER memberships_list_changed ON memberships;
DROP FUNCTION memberships_list_changed();
CREATE CONSTRAINT TRIGGER memberships_list_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP TRIGGER agency_clients_list_changed ON agency_clients;
DROP FUNCTION agency_clients_list_changed();
CREATE CONSTRAINT TRIGGER agency_clients_list_changed AFTER INSERT OR UPDATE OF revoked_at, enabled OR DELETE ON agency_clients
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP TRIGGER link_access_users_list_changed ON link_access_users;
DROP FUNCTION link_access_users_list_changed();
CREATE CONSTRAINT TRIGGER link_access_users_list_changed AFTER INSERT OR UPDATE OR DELETE ON link_access_users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP TRIGGER link_access_groups_list_changed ON link_access_groups;
DROP FUNCTION link_access_groups_list_changed();
CREATE CONSTRAINT TRIGGER link_access_groups_list_changed AFTER INSERT OR UPDATE OR DELETE ON link_access_groups
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP TRIGGER group_members_list_changed ON group_members;
DROP FUNCTION group_members_list_changed();
CREATE CONSTRAINT TRIGGER group_members_list_changed AFTER INSERT OR UPDATE OR DELETE ON group_members
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP TRIGGER client_account_managers_list_changed ON client_account_managers;
DROP FUNCTION client_account_managers_list_changed();
CREATE CONSTRAINT TRIGGER client_account_managers_list_changed AFTER INSERT OR UPDATE OR DELETE ON client_account_managers
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP TRIGGER client_brands_list_changed ON client_brands;
DROP FUNCTION client_brands_list_changed();
CREATE CONSTRAINT TRIGGER client_brands_list_changed AFTER INSERT OR UPDATE OR DELETE ON client_brands
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP TRIGGER brands_list_changed ON brands;
DROP FUNCTION brands_list_changed();
CREATE CONSTRAINT TRIGGER brands_list_changed AFTER UPDATE OR DELETE ON brands
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP TRIGGER accounts_list_changed ON accounts;
DROP FUNCTION accounts_list_changed();
CREATE CONSTRAINT TRIGGER accounts_list_changed AFTER UPDATE OF name OR DELETE ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP TRIGGER users_list_changed ON users;
DROP FUNCTION users_list_changed();
CREATE CONSTRAINT TRIGGER users_list_changed AFTER UPDATE OF email OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP TRIGGER invitations_list_changed ON invitations;
DROP FUNCTION invitations_list_changed();
CREATE CONSTRAINT TRIGGER invitations_list_changed AFTER INSERT OR UPDATE OR DELETE ON invitations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION client_list_changed();
DROP FUNCTION client_list_access_changed(TEXT);
DROP TABLE client_list_access_versions;
