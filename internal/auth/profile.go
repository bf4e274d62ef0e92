package auth

import (
	"context"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// The user's own profile (the portal's profile page, issue 8): their name
// and their password.

// ChangeName sets the actor's display name.
func (s *Service) ChangeName(ctx context.Context, a *authz.Actor, name string) error {
	if a == nil {
		return errs.ErrUnauthorized
	}
	if a.Impersonating() || a.ImpersonatorID != "" {
		return authz.ErrImpersonating("change your name")
	}
	name, err := ValidatePersonName(name)
	if err != nil {
		return err
	}
	if name == a.Name {
		return nil
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE users SET name = ?, updated_at = ? WHERE id = ?`, name, now, a.UserID); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, now, audit.Entry{ActorID: a.UserID, ImpersonatorID: a.ImpersonatorID, Action: "user.name_change",
			TargetID: a.UserID, IP: a.IP, Before: map[string]any{"name": a.Name}, After: map[string]any{"name": name}})
		return err
	})
}

var errWrongPassword = errs.InvalidField("current_password", "This is not your current password.")

// ChangePassword sets a new password after checking the current one; every
// other session of the user ends (the current one stays).
func (s *Service) ChangePassword(ctx context.Context, a *authz.Actor, current, next string) error {
	if a == nil {
		return errs.ErrUnauthorized
	}
	if a.Impersonating() || a.ImpersonatorID != "" {
		return authz.ErrImpersonating("change your password")
	}
	u, err := userByEmail(ctx, s.db, a.Email)
	if err != nil {
		return err
	}
	ok, _, err := s.hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return errWrongPassword
	}
	if err := validatePassword(next, u.User); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if err := setPassword(ctx, tx, now, a.UserID, hash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND id <> ?`,
			now, a.UserID, a.SessionID); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, now, audit.Entry{ActorID: a.UserID, Action: "user.password_change", TargetID: a.UserID, IP: a.IP})
		return err
	})
}
