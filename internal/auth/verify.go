package auth

import (
	"context"
	"errors"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/ratelimit"
)

// E-mail verification. One identity exists per address (SPEC §1), so whoever
// creates it decides who may later be joined to accounts by that address.
// An identity is verified only when someone proved to control the address:
// by following a link e-mailed to it (this file, an invitation's own e-mail
// link, a password reset) or by setting the server up. Everything else —
// sign-up, accepting a link an inviter could see — makes an unverified
// identity, which is never joined to another account by its address (link
// requests by admin e-mail, invitations to existing users), and which the
// address's owner can always take back with a password reset.

const verifyTTL = 7 * 24 * time.Hour

// VerifyURL is the link a confirmation e-mail carries.
func (s *Service) VerifyURL(token string) string { return s.baseURL + "/verify/" + token }

// IssueVerification stores a confirmation token for u's address and queues
// its e-mail in tx, in the brand of the user's agency when there is one
// (mailBrand): call it once the user's memberships are written.
func (s *Service) IssueVerification(ctx context.Context, tx *db.Tx, now time.Time, u User, ip string) error {
	secret := id.Secret()
	if _, err := tx.Exec(ctx, `INSERT INTO email_verifications (token_hash, user_id, email, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		id.Hash(secret), u.ID, u.Email, now, now.Add(verifyTTL)); err != nil {
		return err
	}
	brand, err := mailBrand(ctx, tx, u.ID)
	if err != nil {
		return err
	}
	if err := s.mailer.Send(ctx, tx, mail.Email{Template: "email_verify", To: u.Email, BrandAgencyID: brand,
		Data: map[string]any{"Name": u.Name, "URL": s.VerifyURL(secret), "ExpiresIn": humanDuration(verifyTTL)}}); err != nil {
		return err
	}
	_, err = audit.Append(ctx, tx, now, audit.Entry{ActorID: u.ID, Action: "user.email_verification_sent", TargetID: u.ID, IP: ip,
		After: map[string]any{"email": u.Email}})
	return err
}

// MarkEmailVerified records, in the caller's transaction, that userID has
// proven to control its current address (an invitation accepted through its
// e-mailed link). It reports whether the user was unverified before.
func MarkEmailVerified(ctx context.Context, tx *db.Tx, now time.Time, userID string) (bool, error) {
	res, err := tx.Exec(ctx, `UPDATE users SET email_verified_at = ?, updated_at = ? WHERE id = ? AND email_verified_at IS NULL`, now, now, userID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// EmailVerified tells whether a user has proven to control their address.
func EmailVerified(ctx context.Context, q db.Querier, userID string) (bool, error) {
	var ok bool
	err := q.Get(ctx, &ok, `SELECT email_verified_at IS NOT NULL FROM users WHERE id = ?`, userID)
	if errors.Is(err, db.ErrNoRows) {
		return false, errs.ErrNotFound
	}
	return ok, err
}

var errVerifyUsed = errs.E(errs.Gone, "token_expired",
	"This confirmation link has expired or was already used. Log in and ask for a new one.")

// verificationUser finds the user of a live confirmation token whose
// address has not changed since it was sent.
func (s *Service) verificationUser(ctx context.Context, q db.Querier, token string) (User, error) {
	var u User
	if token == "" || len(token) > 128 {
		return u, errVerifyUsed
	}
	err := q.Get(ctx, &u, `SELECT u.id, u.email, u.name, u.is_operator, u.created_at FROM email_verifications v
		JOIN users u ON u.id = v.user_id AND u.email = v.email
		WHERE v.token_hash = ? AND v.used_at IS NULL AND v.expires_at > ?`, id.Hash(token), s.now())
	if errors.Is(err, db.ErrNoRows) {
		return u, errVerifyUsed
	}
	return u, err
}

// CheckVerifyToken tells whether a confirmation link still works, without
// using it (the page asks before it confirms: mail scanners follow links).
func (s *Service) CheckVerifyToken(ctx context.Context, token string) (User, error) {
	return s.verificationUser(ctx, s.db, token)
}

// VerifyEmail confirms an address with a single-use token from its e-mail.
func (s *Service) VerifyEmail(ctx context.Context, token, ip string) (User, error) {
	// No rate limit: a token is 256 random bits, and a limit per IP would
	// lock out everyone behind one address who confirms at once.
	var u User
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		var err error
		if u, err = s.verificationUser(ctx, tx, token); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE email_verifications SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`, now, id.Hash(token))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errVerifyUsed
		}
		if _, err := MarkEmailVerified(ctx, tx, now, u.ID); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, now, audit.Entry{ActorID: u.ID, Action: "user.email_verified", TargetID: u.ID, IP: ip,
			After: map[string]any{"email": u.Email}})
		return err
	})
	return u, err
}

// ResendVerification sends the actor a new confirmation e-mail (rate
// limited like password resets); a verified user gets 409.
func (s *Service) ResendVerification(ctx context.Context, a *authz.Actor) error {
	if a.Impersonating() {
		return errs.E(errs.Forbidden, "impersonating", "This cannot be done during Login As.")
	}
	if err := s.limiter.Hit(ctx, ratelimit.PasswordReset, "email:"+a.Email); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		ok, err := EmailVerified(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		if ok {
			return errs.E(errs.Conflict, "already_verified", "Your e-mail address is already confirmed.")
		}
		u, err := UserByID(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		return s.IssueVerification(ctx, tx, s.now(), u, a.IP)
	})
}
