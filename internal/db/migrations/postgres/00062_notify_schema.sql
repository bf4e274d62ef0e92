-- +goose Up
-- The notifications of 00040 (liaison_auth) and 00059 (liaison_list) name
-- the schema of the table that changed, as "@" followed by the schema. A
-- channel is shared by everything connected to the database, and several
-- installations may share one database, a schema each (a search_path in
-- the URL; every PostgreSQL test does so): without the schema, each of
-- them moved its generations on the others' every write and read again
-- what had not changed (issue 23's CI saw a page from a current copy read
-- the database because another test wrote meanwhile). A listener moves
-- on only for its own schema's notifications, and for those of an earlier
-- version (an empty payload), which may come from any (db/listgen.go).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION liaison_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('liaison_auth', '@' || TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION liaison_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('liaison.list_notified', '1', true);
    PERFORM pg_notify('liaison_list', '@' || TG_TABLE_SCHEMA);
    RAISE INFO 'liaison_list_changed';
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION liaison_list_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('liaison_list', '@' || TG_TABLE_SCHEMA);
    RAISE INFO 'liaison_list_changed';
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION liaison_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('liaison_auth', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION liaison_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('liaison.list_notified', '1', true);
    PERFORM pg_notify('liaison_list', '');
    RAISE INFO 'liaison_list_changed';
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION liaison_list_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('liaison_list', '');
    RAISE INFO 'liaison_list_changed';
    RETURN NULL;
END
$$;
-- +goose StatementEnd
