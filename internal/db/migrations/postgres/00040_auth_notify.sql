-- +goose Up
-- Sessions are cached in each `liaison serve` process (internal/auth,
-- sessioncache.go). Every change that can alter what a cached session says
-- — the session revoked, moved to another account or into a Login As, its
-- user's name, e-mail or operator flag, a membership or its account's name, or whether a client is
-- closed to its users (authz.ClientClosed: agency_clients and links) —
-- notifies channel liaison_auth when its transaction commits, and every
-- process listening forgets its cached sessions (db.AuthGeneration). A
-- trigger rather than a call in each command: no writer can forget it,
-- cascades included. Statement triggers: one notification per statement
-- (PostgreSQL folds identical ones of a transaction into one).
-- +goose StatementBegin
CREATE FUNCTION liaison_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('liaison_auth', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER sessions_auth_changed AFTER UPDATE OF revoked_at, account_id, impersonation_id, expires_at, user_id OR DELETE
    ON sessions FOR EACH STATEMENT EXECUTE FUNCTION liaison_auth_changed();
CREATE TRIGGER users_auth_changed AFTER UPDATE OF email, name, is_operator, email_verified_at, created_at OR DELETE
    ON users FOR EACH STATEMENT EXECUTE FUNCTION liaison_auth_changed();
CREATE TRIGGER memberships_auth_changed AFTER INSERT OR UPDATE OR DELETE
    ON memberships FOR EACH STATEMENT EXECUTE FUNCTION liaison_auth_changed();
CREATE TRIGGER accounts_auth_changed AFTER UPDATE OF kind, name OR DELETE
    ON accounts FOR EACH STATEMENT EXECUTE FUNCTION liaison_auth_changed();
CREATE TRIGGER agency_clients_auth_changed AFTER INSERT OR UPDATE OF enabled, revoked_at, agency_id, client_id OR DELETE
    ON agency_clients FOR EACH STATEMENT EXECUTE FUNCTION liaison_auth_changed();
CREATE TRIGGER links_auth_changed AFTER INSERT OR UPDATE OF status, agency_id, client_id OR DELETE
    ON links FOR EACH STATEMENT EXECUTE FUNCTION liaison_auth_changed();

-- +goose Down
DROP TRIGGER links_auth_changed ON links;
DROP TRIGGER agency_clients_auth_changed ON agency_clients;
DROP TRIGGER accounts_auth_changed ON accounts;
DROP TRIGGER memberships_auth_changed ON memberships;
DROP TRIGGER users_auth_changed ON users;
DROP TRIGGER sessions_auth_changed ON sessions;
DROP FUNCTION liaison_auth_changed();
