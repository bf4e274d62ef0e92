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

// ResetURL is the link a password-reset e-mail carries (SPEC §11).
func (s *Service) ResetURL(token string) string { return s.baseURL + "/reset/" + token }

// ForgotPassword e-mails a reset link when the address belongs to a user. It
// answers the same whether or not it does, so addresses cannot be probed.
func (s *Service) ForgotPassword(ctx context.Context, email, ip string) error {
	email, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	if err := s.limiter.Hit(ctx, ratelimit.PasswordReset, "ip:"+ip); err != nil {
		return err
	}
	if err := s.limiter.Hit(ctx, ratelimit.PasswordReset, "email:"+email); err != nil {
		return err
	}
	u, err := userByEmail(ctx, s.db, email)
	if errors.Is(err, db.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := s.issueReset(ctx, tx, s.now(), u.User, ip, resetTTL, "password.reset_requested")
		return err
	})
}

// issueReset stores a reset token and queues its e-mail in tx.
func (s *Service) issueReset(ctx context.Context, tx *db.Tx, now time.Time, u User, ip string, ttl time.Duration, action string) (string, error) {
	secret := id.Secret()
	rid := id.New(id.Reset)
	if _, err := tx.Exec(ctx, `INSERT INTO password_resets (id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		rid, u.ID, id.Hash(secret), now, now.Add(ttl)); err != nil {
		return "", err
	}
	brand, err := mailBrand(ctx, tx, u.ID)
	if err != nil {
		return "", err
	}
	if err := s.mailer.Send(ctx, tx, mail.Email{Template: "password_reset", To: u.Email, BrandAgencyID: brand,
		Data: map[string]any{"Name": u.Name, "URL": s.ResetURL(secret), "ExpiresIn": humanDuration(ttl)}}); err != nil {
		return "", err
	}
	_, err = audit.Append(ctx, tx, now, audit.Entry{ActorID: u.ID, Action: action, TargetID: u.ID, IP: ip})
	return secret, err
}

// mailBrand is the agency whose brand a user's password e-mails wear (SPEC
// §7): the one whose custom domain the request came on (mail.WithBrand),
// else the one agency all the user's accounts are clients of, else none.
func mailBrand(ctx context.Context, q db.Querier, userID string) (string, error) {
	if a := mail.BrandFrom(ctx); a != "" {
		return a, nil
	}
	return authz.SoleAgency(ctx, q, userID)
}

func humanDuration(d time.Duration) string {
	if d >= 48*time.Hour {
		return itoa(int(d/(24*time.Hour))) + " days"
	}
	if d >= 2*time.Hour {
		return itoa(int(d/time.Hour)) + " hours"
	}
	return itoa(int(d/time.Minute)) + " minutes"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

var errResetUsed = errs.E(errs.Gone, "token_expired", "This reset link has expired or was already used. Ask for a new one.")

// ResetInput is a reset token and the new password.
type ResetInput struct {
	Token, Password, IP, UserAgent string
}

// ResetPassword sets a new password with a single-use token, ends every
// session of the user, and logs them in with a fresh one.
func (s *Service) ResetPassword(ctx context.Context, in ResetInput) (Login, error) {
	if in.Token == "" || len(in.Token) > 128 {
		return Login{}, errResetUsed
	}
	if err := s.limiter.Hit(ctx, ratelimit.PasswordReset, "ip:"+in.IP); err != nil {
		return Login{}, err
	}
	hashTok := id.Hash(in.Token)
	u, err := s.resetUser(ctx, hashTok)
	if err != nil {
		return Login{}, err
	}
	if err := validatePassword(in.Password, u); err != nil {
		return Login{}, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return Login{}, err
	}
	var out Login
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		// The conditional update is the single-use guarantee: of two
		// requests racing with one token, only one changes a row.
		res, err := tx.Exec(ctx, `UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`, now, hashTok, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errResetUsed
		}
		if err := setPassword(ctx, tx, now, u.ID, hash); err != nil {
			return err
		}
		if err := s.revokeAllSessions(ctx, tx, now, u.ID); err != nil {
			return err
		}
		// The reset link reached the address, so its owner now holds the
		// identity: whoever created it (sign-up, an inviter's link) loses
		// every way in, API tokens included, and the address is confirmed.
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, now, u.ID); err != nil {
			return err
		}
		if _, err := MarkEmailVerified(ctx, tx, now, u.ID); err != nil {
			return err
		}
		brand, err := mailBrand(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if err := s.mailer.Send(ctx, tx, mail.Email{Template: "password_changed", To: u.Email, BrandAgencyID: brand,
			Data: map[string]any{"Name": u.Name}}); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, now, audit.Entry{ActorID: u.ID, Action: "user.password_reset", TargetID: u.ID, IP: in.IP}); err != nil {
			return err
		}
		// A reset link proves the address, not the second factor: with
		// two-factor sign-in on (or required), the new password leads to
		// the code step, not to a session.
		ch, err := s.issueChallenge(ctx, tx, now, u, in.IP, in.UserAgent)
		if err != nil || ch != nil {
			out = Login{User: u, Challenge: ch}
			return err
		}
		first, err := firstAccount(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		out, err = s.startSession(ctx, tx, now, u, first, in.IP, in.UserAgent)
		return err
	})
	return out, err
}

// setPassword stores a user's new password hash and ends every reset link
// of theirs still open: a link asked for before the change must not change
// the password again (issue 15: an older link still worked after a newer
// one was used). Every change of a password goes through here.
func setPassword(ctx context.Context, tx *db.Tx, now time.Time, userID, hash string) error {
	if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, now, userID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL`, now, userID)
	return err
}

// resetUser finds the user of a live (unused, unexpired) reset token hash.
func (s *Service) resetUser(ctx context.Context, tokenHash string) (User, error) {
	var u User
	err := s.db.Get(ctx, &u, `SELECT u.id, u.email, u.name, u.is_operator, u.created_at FROM password_resets r
		JOIN users u ON u.id = r.user_id WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > ?`, tokenHash, s.now())
	if errors.Is(err, db.ErrNoRows) {
		return u, errResetUsed
	}
	return u, err
}

// CheckResetToken tells whether a reset link still works, without using it
// up, so the page can say so before the user types a new password.
func (s *Service) CheckResetToken(ctx context.Context, token string) error {
	_, err := s.ResetTokenUser(ctx, token)
	return err
}

// ResetTokenUser is the ID of the user a live reset link is for (the page
// wears the brand of that user's agency); errs.Gone when it no longer works.
func (s *Service) ResetTokenUser(ctx context.Context, token string) (string, error) {
	if token == "" || len(token) > 128 {
		return "", errResetUsed
	}
	u, err := s.resetUser(ctx, id.Hash(token))
	return u.ID, err
}

// DisabledBrand is the agency whose brand the refusal of a disabled
// client's user wears: err is Login's answer; "" when it is another error
// or the user's accounts are not all one agency's clients.
func DisabledBrand(err error) string {
	var d *disabledError
	if errors.As(err, &d) {
		return d.agencyID
	}
	return ""
}
