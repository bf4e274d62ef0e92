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

// SendResetFor e-mails a client user a link to choose a new password, on
// the request of someone who manages the client's users (SPEC §10 POST
// /accounts/{id}/users/{user_id}/password-reset; seed 002 "Resetting
// passwords"): rel was checked with authz.ClientUsersManage on the client.
// The e-mail wears the brand of the agency that sends it (the client's
// own agency for its admins), with the client's co-branding over it. The user's password keeps working until the
// link is used, so nobody can lock a user out by asking. Refused during
// Login As (SPEC §6: no changing client users' passwords). It shares the
// per-address limit of "forgot password", so an address cannot be flooded
// by the two together; the request is audited on the client and the agency.
func (s *Service) SendResetFor(ctx context.Context, rel authz.Relation, a *authz.Actor, userID string) error {
	if !rel.Visible() || rel.AccountKind != "client" || a == nil {
		return errs.ErrNotFound
	}
	if a.Impersonating() {
		return authz.ErrImpersonating("send password resets")
	}
	var u User
	err := s.db.Get(ctx, &u, `SELECT u.id, u.email, u.name, u.is_operator, u.created_at FROM users u
		JOIN memberships m ON m.user_id = u.id AND m.account_id = ? WHERE u.id = ?`, rel.AccountID, userID)
	if errors.Is(err, db.ErrNoRows) {
		return errs.E(errs.NotFound, "user_not_found", "This account has no such user.")
	}
	if err != nil {
		return err
	}
	if err := s.limiter.Hit(ctx, ratelimit.PasswordReset, "email:"+u.Email); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		secret := id.Secret()
		if _, err := tx.Exec(ctx, `INSERT INTO password_resets (id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			id.New(id.Reset), u.ID, id.Hash(secret), now, now.Add(agencyResetTTL)); err != nil {
			return err
		}
		brand := rel.AgencyID
		if brand == "" {
			if brand, err = mailBrand(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		// The client's own name and logos where the agency co-branded it
		// (issue 24), else the agency's.
		if err := s.mailer.Send(ctx, tx, mail.Email{Template: "password_reset", To: u.Email, BrandAgencyID: brand, BrandClientID: rel.AccountID,
			Data: map[string]any{"Name": u.Name, "URL": s.ResetURL(secret), "ExpiresIn": humanDuration(agencyResetTTL), "RequestedBy": a.Name}}); err != nil {
			return err
		}
		for _, acc := range []string{rel.AccountID, rel.AgencyID} {
			if acc == "" {
				continue
			}
			if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: acc, ActorID: a.UserID, Action: "user.password_reset_sent",
				TargetID: u.ID, IP: a.IP, AgencyID: rel.AgencyID, After: map[string]any{"email": u.Email}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// agencyResetTTL is longer than a self-service reset's hour: the person did
// not ask, and may read the e-mail later in the day.
const agencyResetTTL = 24 * time.Hour
