-- +goose Up
-- Two-factor sign-in (issue 21; internal/auth/twofactor.go).
--
-- user_totp holds a user's TOTP secret (RFC 6238). While enabled_at is
-- NULL the set-up is pending: the secret was shown but no code confirmed
-- it yet, and it does not guard sign-in. last_step is the last 30-second
-- step whose code was accepted: a code of that step or an earlier one is
-- refused, so a code works once. The secret is never answered again once
-- set-up is confirmed.
CREATE TABLE user_totp (
    user_id     TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret      TEXT NOT NULL,
    enabled_at  TIMESTAMP,
    last_step   INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL
);

-- Ten single-use recovery codes per user, shown once, stored as SHA-256.
CREATE TABLE totp_recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);

-- The half-signed-in state between the password and the code: a short
-- lived, single-use token (only its SHA-256 is kept) that can do nothing
-- but answer the second step. kind is 'totp' (enter a code) or 'setup'
-- (an account requires two-factor sign-in and the user has none yet).
CREATE TABLE login_challenges (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    ip          TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX login_challenges_user ON login_challenges(user_id);

-- An agency may require two-factor sign-in of its staff, and separately
-- before Login As; a client of its users.
ALTER TABLE agency_settings ADD COLUMN require_2fa BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE agency_settings ADD COLUMN require_2fa_login_as BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE client_security ADD COLUMN require_2fa BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE client_security DROP COLUMN require_2fa;
ALTER TABLE agency_settings DROP COLUMN require_2fa_login_as;
ALTER TABLE agency_settings DROP COLUMN require_2fa;
DROP TABLE login_challenges;
DROP TABLE totp_recovery_codes;
DROP TABLE user_totp;
