-- +goose Up
-- client_list.valid_until is dead since 00058 moved each row's due moment
-- to client_list_due: nothing reads it but 00058's trigger, which copied
-- the rebuilt row's value (always 1970, from client_list_source) into
-- client_list_due. The trigger now writes that moment itself, and the
-- column goes from the table and from the view whose rows the triggers of
-- 00010 and 00017 insert into it (INSERT INTO client_list SELECT * FROM
-- client_list_source: the two keep the same columns in the same order).
-- A rebuilt row is due at once, as before (due.Epoch).
--
-- SQLite drops a column only when every trigger and view of the schema
-- still resolves: the trigger that names the column goes first, and the
-- view, which 00010's triggers read, is replaced before the column goes.
-- The table is rewritten (DROP COLUMN rewrites every row), in this
-- migration's transaction.
--
-- The same step for PostgreSQL is ../postgres/00061_client_list_valid_until_dropped.sql.
DROP TRIGGER client_list_due_row_added;
DROP VIEW client_list_source;

-- 00010's definition, without valid_until.
CREATE VIEW client_list_source AS
SELECT l.id, l.agency_id, l.client_id, l.access_all, a.name, LOWER(a.name) AS sort_name,
    -- The primary contact: the earliest-joined admin; while nobody has
    -- joined, the address of the newest pending or expired invitation.
    COALESCE((SELECT u.email FROM memberships pm JOIN users u ON u.id = pm.user_id
        WHERE pm.account_id = l.client_id AND pm.role = 'admin' ORDER BY pm.created_at, pm.user_id LIMIT 1),
        CASE WHEN NOT EXISTS (SELECT 1 FROM memberships em WHERE em.account_id = l.client_id)
        THEN (SELECT iv.email FROM invitations iv WHERE iv.account_id = l.client_id AND iv.status IN ('pending', 'expired')
            ORDER BY iv.created_at DESC, iv.id DESC LIMIT 1) END) AS email,
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
    (SELECT COUNT(*) FROM memberships um WHERE um.account_id = l.client_id) AS users,
    COALESCE(ac.seats, 0) AS seats,
    -- (ORDER BY inside the aggregate needs SQLite 3.44; the ordered
    -- subquery keeps the schema readable by older sqlite3 shells.)
    COALESCE((SELECT json_group_array(json_object('id', gb.id, 'name', gb.name)) FROM (SELECT b.id, b.name
        FROM client_brands cb JOIN brands b ON b.id = cb.brand_id
        WHERE cb.client_id = l.client_id AND b.agency_id = l.agency_id ORDER BY LOWER(b.name), b.id) gb), '[]') AS brands,
    LOWER(a.name) || char(31) || LOWER(COALESCE((SELECT u.email FROM memberships pm JOIN users u ON u.id = pm.user_id
        WHERE pm.account_id = l.client_id AND pm.role = 'admin' ORDER BY pm.created_at, pm.user_id LIMIT 1),
        CASE WHEN NOT EXISTS (SELECT 1 FROM memberships em WHERE em.account_id = l.client_id)
        THEN (SELECT iv.email FROM invitations iv WHERE iv.account_id = l.client_id AND iv.status IN ('pending', 'expired')
            ORDER BY iv.created_at DESC, iv.id DESC LIMIT 1) END, ''))
        || char(31) || COALESCE((SELECT group_concat(LOWER(b.name), char(31))
        FROM client_brands cb JOIN brands b ON b.id = cb.brand_id
        WHERE cb.client_id = l.client_id AND b.agency_id = l.agency_id), '') AS search,
    -- The columns that move with the clock (client/fresh.go computes them);
    -- when the row is due is client_list_due's (the trigger below).
    CAST(NULL AS TIMESTAMP) AS last_active_at, CAST(NULL AS INTEGER) AS health,
    1 AS health_desc_key, 101 AS health_asc_key, 1 AS active_desc_key, 9223372036854775807 AS active_asc_key
FROM links l
JOIN accounts a ON a.id = l.client_id
LEFT JOIN agency_clients ac ON ac.agency_id = l.agency_id AND ac.client_id = l.client_id
WHERE l.status = 'active';

ALTER TABLE client_list DROP COLUMN valid_until;

-- +goose StatementBegin
CREATE TRIGGER client_list_due_row_added AFTER INSERT ON client_list BEGIN
    -- Due at once: the rebuilt row's status, score and last activity are
    -- blank until the refresh computes them (due.Epoch).
    INSERT INTO client_list_due (agency_id, client_id, valid_until) VALUES (NEW.agency_id, NEW.client_id, '1970-01-01 00:00:00')
        ON CONFLICT (agency_id, client_id) DO UPDATE SET valid_until = excluded.valid_until;
END;
-- +goose StatementEnd

-- +goose Down
-- The column comes back last, in the table and in the view alike, so that
-- INSERT … SELECT * still pairs them; the trigger copies it again.
DROP TRIGGER client_list_due_row_added;
DROP VIEW client_list_source;
ALTER TABLE client_list ADD COLUMN valid_until TIMESTAMP;
UPDATE client_list SET valid_until = (SELECT d.valid_until FROM client_list_due d
    WHERE d.agency_id = client_list.agency_id AND d.client_id = client_list.client_id);
CREATE VIEW client_list_source AS
SELECT l.id, l.agency_id, l.client_id, l.access_all, a.name, LOWER(a.name) AS sort_name,
    -- The primary contact: the earliest-joined admin; while nobody has
    -- joined, the address of the newest pending or expired invitation.
    COALESCE((SELECT u.email FROM memberships pm JOIN users u ON u.id = pm.user_id
        WHERE pm.account_id = l.client_id AND pm.role = 'admin' ORDER BY pm.created_at, pm.user_id LIMIT 1),
        CASE WHEN NOT EXISTS (SELECT 1 FROM memberships em WHERE em.account_id = l.client_id)
        THEN (SELECT iv.email FROM invitations iv WHERE iv.account_id = l.client_id AND iv.status IN ('pending', 'expired')
            ORDER BY iv.created_at DESC, iv.id DESC LIMIT 1) END) AS email,
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
    (SELECT COUNT(*) FROM memberships um WHERE um.account_id = l.client_id) AS users,
    COALESCE(ac.seats, 0) AS seats,
    -- (ORDER BY inside the aggregate needs SQLite 3.44; the ordered
    -- subquery keeps the schema readable by older sqlite3 shells.)
    COALESCE((SELECT json_group_array(json_object('id', gb.id, 'name', gb.name)) FROM (SELECT b.id, b.name
        FROM client_brands cb JOIN brands b ON b.id = cb.brand_id
        WHERE cb.client_id = l.client_id AND b.agency_id = l.agency_id ORDER BY LOWER(b.name), b.id) gb), '[]') AS brands,
    LOWER(a.name) || char(31) || LOWER(COALESCE((SELECT u.email FROM memberships pm JOIN users u ON u.id = pm.user_id
        WHERE pm.account_id = l.client_id AND pm.role = 'admin' ORDER BY pm.created_at, pm.user_id LIMIT 1),
        CASE WHEN NOT EXISTS (SELECT 1 FROM memberships em WHERE em.account_id = l.client_id)
        THEN (SELECT iv.email FROM invitations iv WHERE iv.account_id = l.client_id AND iv.status IN ('pending', 'expired')
            ORDER BY iv.created_at DESC, iv.id DESC LIMIT 1) END, ''))
        || char(31) || COALESCE((SELECT group_concat(LOWER(b.name), char(31))
        FROM client_brands cb JOIN brands b ON b.id = cb.brand_id
        WHERE cb.client_id = l.client_id AND b.agency_id = l.agency_id), '') AS search,
    CAST(NULL AS TIMESTAMP) AS last_active_at, CAST(NULL AS INTEGER) AS health,
    1 AS health_desc_key, 101 AS health_asc_key, 1 AS active_desc_key, 9223372036854775807 AS active_asc_key,
    '1970-01-01 00:00:00' AS valid_until
FROM links l
JOIN accounts a ON a.id = l.client_id
LEFT JOIN agency_clients ac ON ac.agency_id = l.agency_id AND ac.client_id = l.client_id
WHERE l.status = 'active';
-- +goose StatementBegin
CREATE TRIGGER client_list_due_row_added AFTER INSERT ON client_list BEGIN
    INSERT INTO client_list_due (agency_id, client_id, valid_until) VALUES (NEW.agency_id, NEW.client_id, NEW.valid_until)
        ON CONFLICT (agency_id, client_id) DO UPDATE SET valid_until = excluded.valid_until;
END;
-- +goose StatementEnd
