package digest

import (
	"context"
	"errors"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// Subscribed reports whether the user gets the digest (when an agency admin).
func (s *Service) Subscribed(ctx context.Context, userID string) (bool, error) {
	var on bool
	err := s.db.Get(ctx, &on, `SELECT health_digest FROM users WHERE id = ?`, userID)
	return on, err
}

// SetSubscribed turns the user's digest on or off.
func (s *Service) SetSubscribed(ctx context.Context, userID string, on bool) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET health_digest = ? WHERE id = ?`, on, userID)
		return err
	})
}

var errUnsubscribeLink = errs.E(errs.Gone, "unsubscribe_link_used", "This link was already used or is not valid. You can change the digest in your profile.")

// Unsubscribe turns the digest off for the user of a one-click link from a
// digest e-mail; the link works once. It returns the user's e-mail.
func (s *Service) Unsubscribe(ctx context.Context, token string) (string, error) {
	if token == "" || len(token) > 128 {
		return "", errUnsubscribeLink
	}
	var email string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var userID string
		err := tx.Get(ctx, &userID, `DELETE FROM digest_unsubscribe WHERE token_hash = ? RETURNING user_id`, id.Hash(token))
		if errors.Is(err, db.ErrNoRows) {
			return errUnsubscribeLink
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET health_digest = FALSE WHERE id = ?`, userID); err != nil {
			return err
		}
		return tx.Get(ctx, &email, `SELECT email FROM users WHERE id = ?`, userID)
	})
	return email, err
}

// ValidLink reports whether a one-click link still works (for the page that
// asks to confirm).
func (s *Service) ValidLink(ctx context.Context, token string) bool {
	if token == "" || len(token) > 128 {
		return false
	}
	var n int
	err := s.db.Get(ctx, &n, `SELECT COUNT(*) FROM digest_unsubscribe WHERE token_hash = ?`, id.Hash(token))
	return err == nil && n > 0
}
