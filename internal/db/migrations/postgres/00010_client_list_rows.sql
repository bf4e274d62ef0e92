-- +goose Up
-- The client list's rows, stored (issue 4, performance; internal/client/list.go).
--
-- client_list holds one row per active link: everything the client list
-- shows, sorts on and searches, computed from the tables that own the data.
-- A page of the list is then one walk of client_list_agency_sort from the
-- cursor on, about `limit` rows, with no per-row subqueries.
--
-- client_list_source is the one definition of a row (a client's status,
-- primary contact, user count, brands, search text); the detail reads the
-- same table, so the list, its filters and the detail cannot disagree.
-- Triggers on every table the definition reads recompute the rows of the
-- client concerned (all its links) in the changing transaction itself, so
-- no code path can forget to. client_list_refresh first locks the client's
-- accounts row: two transactions changing one client's data recompute its
-- rows one after the other, and the second, whose next statements see what
-- the first committed (READ COMMITTED), computes from both changes. The id
-- column is the link's ID and the link's access_all is copied, so authz's
-- visibility rule (visibleVia, over a links row l) reads a client_list row
-- as it reads a link.
--
-- search is LOWER(name, primary e-mail, granted brand names) joined by the
-- unit separator (chr(31)), which a search may not contain, so a search
-- never matches across two fields.
--
-- The same step for SQLite is ../sqlite/00010_client_list_rows.sql.

CREATE VIEW client_list_source AS
SELECT l.id, l.agency_id, l.client_id, l.access_all, a.name, LOWER(a.name) AS sort_name,
    pc.email,
    -- While nobody has joined: pending when an e-mail invitation is open,
    -- link_invite when only a link invitation is, pending otherwise (an
    -- agency-created client not yet populated, or its invitations expired
    -- or cancelled). "Open" is the stored status: the expiry job marks
    -- invitations expired, and the invitations triggers rebuild the row.
    -- A joined client is 'active' here until fresh.go computes its status.
    CASE WHEN ac.revoked_at IS NOT NULL THEN 'revoked'
        WHEN EXISTS (SELECT 1 FROM memberships sm WHERE sm.account_id = l.client_id) THEN 'active'
        WHEN EXISTS (SELECT 1 FROM invitations si WHERE si.account_id = l.client_id AND si.status = 'pending'
            AND si.delivery = 'email') THEN 'pending'
        WHEN EXISTS (SELECT 1 FROM invitations si WHERE si.account_id = l.client_id AND si.status = 'pending') THEN 'link_invite'
        ELSE 'pending' END AS status,
    (SELECT COUNT(*) FROM memberships um WHERE um.account_id = l.client_id)::integer AS users,
    COALESCE(ac.seats, 0) AS seats,
    COALESCE(br.brands, '[]') AS brands,
    LOWER(a.name) || chr(31) || LOWER(COALESCE(pc.email, '')) || chr(31) || COALESCE(br.names, '') AS search,
    -- The columns that move with the clock (client/fresh.go computes them):
    -- a recomputed row is due at once.
    CAST(NULL AS TIMESTAMPTZ) AS last_active_at, CAST(NULL AS INTEGER) AS health,
    TIMESTAMPTZ '1970-01-01 00:00:00+00' AS valid_until,
    1::bigint AS health_desc_key, 101::bigint AS health_asc_key, 1::bigint AS active_desc_key,
    9223372036854775807::bigint AS active_asc_key
FROM links l
JOIN accounts a ON a.id = l.client_id
LEFT JOIN agency_clients ac ON ac.agency_id = l.agency_id AND ac.client_id = l.client_id
-- The primary contact: the earliest-joined admin; while nobody has joined,
-- the address of the newest pending or expired invitation.
LEFT JOIN LATERAL (SELECT COALESCE((SELECT u.email FROM memberships pm JOIN users u ON u.id = pm.user_id
        WHERE pm.account_id = l.client_id AND pm.role = 'admin' ORDER BY pm.created_at, pm.user_id LIMIT 1),
    CASE WHEN NOT EXISTS (SELECT 1 FROM memberships em WHERE em.account_id = l.client_id)
    THEN (SELECT iv.email FROM invitations iv WHERE iv.account_id = l.client_id AND iv.status IN ('pending', 'expired')
        ORDER BY iv.created_at DESC, iv.id DESC LIMIT 1) END) AS email) pc ON TRUE
LEFT JOIN LATERAL (SELECT json_agg(json_build_object('id', b.id, 'name', b.name)
        ORDER BY LOWER(b.name) COLLATE "C", b.id COLLATE "C")::text AS brands,
        string_agg(LOWER(b.name), chr(31)) AS names
    FROM client_brands cb JOIN brands b ON b.id = cb.brand_id
    WHERE cb.client_id = l.client_id AND b.agency_id = l.agency_id) br ON TRUE
WHERE l.status = 'active';

CREATE TABLE client_list (
    id          TEXT PRIMARY KEY,            -- the active link
    agency_id   TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    access_all  BOOLEAN NOT NULL,
    name        TEXT NOT NULL,
    sort_name   TEXT NOT NULL,
    email       TEXT,
    status      TEXT NOT NULL,
    users       INTEGER NOT NULL,
    seats       INTEGER NOT NULL,
    brands      TEXT NOT NULL,               -- JSON array of {id, name}, by name
    search      TEXT NOT NULL,
    -- Status (active, at_risk, churned), health and last activity move with
    -- the clock: they are right until valid_until (NULL: for ever), and
    -- whoever reads an agency's rows recomputes those that are due first
    -- (client/fresh.go). The keys order the sorts by health and by last
    -- activity with NULLs last, ascending, so one index walk serves each.
    last_active_at   TIMESTAMPTZ,
    health           INTEGER,
    valid_until      TIMESTAMPTZ,
    health_desc_key  BIGINT NOT NULL,      -- -health, NULL → 1
    health_asc_key   BIGINT NOT NULL,      -- health, NULL → 101
    active_desc_key  BIGINT NOT NULL,      -- -(last activity in µs since 1970), NULL → 1
    active_asc_key   BIGINT NOT NULL,      -- last activity in µs since 1970, NULL → max
    UNIQUE (agency_id, client_id)
);
CREATE INDEX client_list_agency_sort ON client_list (agency_id, sort_name COLLATE "C", client_id COLLATE "C");
CREATE INDEX client_list_agency_status ON client_list (agency_id, status, sort_name COLLATE "C", client_id COLLATE "C");
CREATE INDEX client_list_agency_health_desc ON client_list (agency_id, health_desc_key, sort_name COLLATE "C", client_id COLLATE "C");
CREATE INDEX client_list_agency_health_asc ON client_list (agency_id, health_asc_key, sort_name COLLATE "C", client_id COLLATE "C");
CREATE INDEX client_list_agency_active_desc ON client_list (agency_id, active_desc_key, sort_name COLLATE "C", client_id COLLATE "C");
CREATE INDEX client_list_agency_active_asc ON client_list (agency_id, active_asc_key, sort_name COLLATE "C", client_id COLLATE "C");
CREATE INDEX client_list_agency_due ON client_list (agency_id, valid_until);
CREATE INDEX client_list_client ON client_list (client_id);

-- Searches: a trigram index lets a search read the rows that match instead
-- of every row of the agency (measured on 10,000 clients: 14 ms → 3 ms). It
-- needs the pg_trgm extension (in PostgreSQL's contrib, and trusted: a
-- database owner may create it). Where it cannot be had, searches scan and
-- stay correct, only slower; the list then works the same.
-- +goose StatementBegin
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
    -- fastupdate off: rows are rewritten by every change and recomputation,
    -- and a pending list made the planner pass the index by until a vacuum.
    CREATE INDEX client_list_search_trgm ON client_list USING gin (search public.gin_trgm_ops) WITH (fastupdate = off);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): client searches scan the agency''s rows', SQLERRM;
END
$$;
-- +goose StatementEnd

INSERT INTO client_list SELECT * FROM client_list_source;

-- +goose StatementBegin
CREATE FUNCTION client_list_refresh(c TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM accounts WHERE id = c FOR NO KEY UPDATE;
    DELETE FROM client_list WHERE client_id = c;
    INSERT INTO client_list SELECT * FROM client_list_source WHERE client_id = c;
END
$$;
-- +goose StatementEnd

-- One trigger function per way a table names the client whose rows change.
-- +goose StatementBegin
CREATE FUNCTION client_list_by_client_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM client_list_refresh(OLD.client_id); END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.client_id IS DISTINCT FROM OLD.client_id) THEN
        PERFORM client_list_refresh(NEW.client_id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION client_list_by_account_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM client_list_refresh(OLD.account_id); END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.account_id IS DISTINCT FROM OLD.account_id) THEN
        PERFORM client_list_refresh(NEW.account_id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION client_list_by_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM client_list_refresh(NEW.id);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION client_list_by_user() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c TEXT;
BEGIN
    FOR c IN SELECT account_id FROM memberships WHERE user_id = NEW.id ORDER BY account_id LOOP
        PERFORM client_list_refresh(c);
    END LOOP;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION client_list_by_brand() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c TEXT;
BEGIN
    FOR c IN SELECT client_id FROM client_brands WHERE brand_id = NEW.id ORDER BY client_id LOOP
        PERFORM client_list_refresh(c);
    END LOOP;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER client_list_links AFTER INSERT OR UPDATE OR DELETE ON links
    FOR EACH ROW EXECUTE FUNCTION client_list_by_client_id();
CREATE TRIGGER client_list_accounts_name AFTER UPDATE OF name ON accounts
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION client_list_by_account();
CREATE TRIGGER client_list_memberships AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION client_list_by_account_id();
CREATE TRIGGER client_list_users_email AFTER UPDATE OF email ON users
    FOR EACH ROW WHEN (OLD.email IS DISTINCT FROM NEW.email) EXECUTE FUNCTION client_list_by_user();
CREATE TRIGGER client_list_agency_clients AFTER INSERT OR UPDATE OF seats, revoked_at OR DELETE ON agency_clients
    FOR EACH ROW EXECUTE FUNCTION client_list_by_client_id();
CREATE TRIGGER client_list_client_brands AFTER INSERT OR DELETE ON client_brands
    FOR EACH ROW EXECUTE FUNCTION client_list_by_client_id();
CREATE TRIGGER client_list_invitations AFTER INSERT OR UPDATE OR DELETE ON invitations
    FOR EACH ROW EXECUTE FUNCTION client_list_by_account_id();
CREATE TRIGGER client_list_brands_name AFTER UPDATE OF name ON brands
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION client_list_by_brand();

-- +goose Down
DROP TRIGGER client_list_brands_name ON brands;
DROP TRIGGER client_list_invitations ON invitations;
DROP TRIGGER client_list_client_brands ON client_brands;
DROP TRIGGER client_list_agency_clients ON agency_clients;
DROP TRIGGER client_list_users_email ON users;
DROP TRIGGER client_list_memberships ON memberships;
DROP TRIGGER client_list_accounts_name ON accounts;
DROP TRIGGER client_list_links ON links;
DROP FUNCTION client_list_by_brand();
DROP FUNCTION client_list_by_user();
DROP FUNCTION client_list_by_account();
DROP FUNCTION client_list_by_account_id();
DROP FUNCTION client_list_by_client_id();
DROP FUNCTION client_list_refresh(TEXT);
DROP INDEX IF EXISTS client_list_search_trgm;
DROP TABLE client_list;
DROP VIEW client_list_source;
