-- +goose Up
-- Identities whose e-mail address nobody has proven to control (issue 15).
-- A user created through a link an inviter could see (a link invitation,
-- the copyable URL of an e-mail invitation) or by sign-up has
-- email_verified_at NULL until the address's owner follows the link in an
-- e-mail sent to it (email_verifications), accepts an invitation through
-- the link that was e-mailed (invitations.mail_token_hash, never shown to
-- the inviter), or resets the password. An unverified identity is never
-- joined to another account by its address. Users created before this
-- step are taken as verified (they were created under the old rules and
-- nothing better is known of them).

ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;
UPDATE users SET email_verified_at = created_at;
ALTER TABLE invitations ADD COLUMN mail_token_hash TEXT;
CREATE UNIQUE INDEX invitations_mail_token ON invitations(mail_token_hash);

CREATE TABLE email_verifications (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX email_verifications_user ON email_verifications(user_id);

-- +goose Down
DROP TABLE email_verifications;
DROP INDEX invitations_mail_token;
ALTER TABLE invitations DROP COLUMN mail_token_hash;
ALTER TABLE users DROP COLUMN email_verified_at;
