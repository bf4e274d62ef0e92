package auth

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
)

// What internal/signup (sign-up, setup, `admin create`) needs from auth
// beyond invite.go's PrepareUser, CreateUser and StartSession.

// CreateUserAs inserts a prepared user in the caller's transaction;
// operator marks the instance operator (the first user ever), verified a
// user whose address needs no confirmation e-mail.
func CreateUserAs(ctx context.Context, tx *db.Tx, now time.Time, u NewUser, operator, verified bool) (User, error) {
	return insertUser(ctx, tx, now, u.Email, u.Name, u.hash, operator, verified)
}

// IssueAdminReset issues the password-reset link of an admin created from
// the shell without a password, valid for a day, and returns its URL.
func (s *Service) IssueAdminReset(ctx context.Context, tx *db.Tx, now time.Time, u User) (string, error) {
	secret, err := s.issueReset(ctx, tx, now, u, "cli", 24*time.Hour, "password.reset_requested")
	if err != nil {
		return "", err
	}
	return s.ResetURL(secret), nil
}
