-- +goose Up
-- The client list's state (internal/clientlist, stateSQL: an agency's row
-- and access versions, its earliest valid_until, its tombstones, its
-- headline metrics) is cached in each `liaison serve` process, as sessions
-- are (00040), so that a page of an unchanged list costs no statement
-- (issue 23). Every write to the tables the state is read from, cascades
-- through other triggers included (a client created, a seat or a brand
-- changed, a link approved, a row refreshed or marked due, settings
-- changed):
--
--   - notifies channel liaison_list, delivered to every listening process
--     when the transaction commits: each moves its list generation on and
--     reads the state again (db.ListGeneration);
--   - raises an INFO message, which PostgreSQL always sends to the client
--     whatever client_min_messages says (and does not log at the default
--     log_min_messages): the writing connection's notice handler marks the
--     transaction, and the writing process, before it answers, waits until
--     every listening process has moved on (db's announce). No statement of
--     its own: the mark comes back with the statement that wrote, in an
--     autocommit statement as in a transaction.
--
-- Once per transaction: a transaction-local setting remembers it was done
-- (a savepoint rolled back forgets the setting, the notification and the
-- notice alike). Row triggers BEFORE the change with the setting in WHEN:
-- a statement that changes no row (marking rows due that already are)
-- fires nothing, and after the first row of a transaction the WHEN, read
-- in the executor, calls no function. TRUNCATE has a statement trigger.
-- +goose StatementBegin
CREATE FUNCTION liaison_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER client_list_agency_versions_list_notify BEFORE INSERT OR UPDATE OR DELETE ON client_list_agency_versions
    FOR EACH ROW WHEN (current_setting('liaison.list_notified', true) IS DISTINCT FROM '1') EXECUTE FUNCTION liaison_list_changed();
CREATE TRIGGER client_list_access_versions_list_notify BEFORE INSERT OR UPDATE OR DELETE ON client_list_access_versions
    FOR EACH ROW WHEN (current_setting('liaison.list_notified', true) IS DISTINCT FROM '1') EXECUTE FUNCTION liaison_list_changed();
CREATE TRIGGER client_list_due_list_notify BEFORE INSERT OR UPDATE OR DELETE ON client_list_due
    FOR EACH ROW WHEN (current_setting('liaison.list_notified', true) IS DISTINCT FROM '1') EXECUTE FUNCTION liaison_list_changed();
CREATE TRIGGER client_list_stamps_list_notify BEFORE INSERT OR UPDATE OR DELETE ON client_list_stamps
    FOR EACH ROW WHEN (current_setting('liaison.list_notified', true) IS DISTINCT FROM '1') EXECUTE FUNCTION liaison_list_changed();
CREATE TRIGGER agency_settings_list_notify BEFORE INSERT OR UPDATE OR DELETE ON agency_settings
    FOR EACH ROW WHEN (current_setting('liaison.list_notified', true) IS DISTINCT FROM '1') EXECUTE FUNCTION liaison_list_changed();
-- +goose StatementBegin
CREATE FUNCTION liaison_list_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('liaison_list', '');
    RAISE INFO 'liaison_list_changed';
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER client_list_agency_versions_list_truncate AFTER TRUNCATE ON client_list_agency_versions
    FOR EACH STATEMENT EXECUTE FUNCTION liaison_list_truncated();
CREATE TRIGGER client_list_access_versions_list_truncate AFTER TRUNCATE ON client_list_access_versions
    FOR EACH STATEMENT EXECUTE FUNCTION liaison_list_truncated();
CREATE TRIGGER client_list_due_list_truncate AFTER TRUNCATE ON client_list_due
    FOR EACH STATEMENT EXECUTE FUNCTION liaison_list_truncated();
CREATE TRIGGER client_list_stamps_list_truncate AFTER TRUNCATE ON client_list_stamps
    FOR EACH STATEMENT EXECUTE FUNCTION liaison_list_truncated();
CREATE TRIGGER agency_settings_list_truncate AFTER TRUNCATE ON agency_settings
    FOR EACH STATEMENT EXECUTE FUNCTION liaison_list_truncated();

-- +goose Down
DROP TRIGGER agency_settings_list_truncate ON agency_settings;
DROP TRIGGER client_list_stamps_list_truncate ON client_list_stamps;
DROP TRIGGER client_list_due_list_truncate ON client_list_due;
DROP TRIGGER client_list_access_versions_list_truncate ON client_list_access_versions;
DROP TRIGGER client_list_agency_versions_list_truncate ON client_list_agency_versions;
DROP FUNCTION liaison_list_truncated();
DROP TRIGGER agency_settings_list_notify ON agency_settings;
DROP TRIGGER client_list_stamps_list_notify ON client_list_stamps;
DROP TRIGGER client_list_due_list_notify ON client_list_due;
DROP TRIGGER client_list_access_versions_list_notify ON client_list_access_versions;
DROP TRIGGER client_list_agency_versions_list_notify ON client_list_agency_versions;
DROP FUNCTION liaison_list_changed();
