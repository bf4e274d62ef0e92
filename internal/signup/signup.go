// Package signup creates people with their own account: public sign-up of
// an agency or a client, first-run setup, and `liaison admin create`. It is
// a capability of the domain (issue 22): it calls auth for the user and the
// session, account for the account and its admin membership, audit and
// activity in the same transaction. Invitation acceptance, the other way
// in, is internal/invite's.
package signup

import (
	"context"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/password"
	"github.com/liaison-dev/liaison/internal/ratelimit"
)

// Service signs people up.
type Service struct {
	db      *db.DB
	auth    *auth.Service
	limiter *ratelimit.Limiter
	now     clock.Clock
}

// New returns the sign-up service.
func New(d *db.DB, a *auth.Service, l *ratelimit.Limiter, now clock.Clock) *Service {
	return &Service{db: d, auth: a, limiter: l, now: now}
}

// Login is a sign-up's answer: the new session, and the account the new
// user is the admin of.
type Login struct {
	auth.Login
	Account account.Account
}

// Signup creates a user, their account (they become its admin) and a session.
func (s *Service) Signup(ctx context.Context, in auth.SignupInput) (Login, error) {
	if !s.auth.OpenSignup() {
		return Login{}, errs.E(errs.Forbidden, "signup_closed", "Public sign-up is turned off on this server. Ask an administrator for an invitation.")
	}
	return s.createFirstOrSignup(ctx, in, false)
}

// Setup creates the first agency and its admin, who is also the instance
// operator. It works only while no user exists.
func (s *Service) Setup(ctx context.Context, in auth.SignupInput) (Login, error) {
	in.AccountKind = account.Agency
	return s.createFirstOrSignup(ctx, in, true)
}

func (s *Service) createFirstOrSignup(ctx context.Context, in auth.SignupInput, first bool) (Login, error) {
	name, err := auth.ValidatePersonName(in.Name)
	if err != nil {
		return Login{}, err
	}
	email, err := auth.NormalizeEmail(in.Email)
	if err != nil {
		return Login{}, err
	}
	accName, err := account.ValidateName("account_name", in.AccountName)
	if err != nil {
		return Login{}, err
	}
	if !account.ValidKind(in.AccountKind) {
		return Login{}, errs.InvalidField("account_kind", "Choose agency or client.")
	}
	if err := password.Validate(in.Password, email, name); err != nil {
		return Login{}, err
	}
	if err := s.limiter.Hit(ctx, ratelimit.Signup, in.IP); err != nil {
		return Login{}, err
	}
	nu, err := s.auth.PrepareUser(ctx, email, name, in.Password)
	if err != nil {
		return Login{}, err
	}
	var out Login
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if first {
			n, err := auth.CountUsers(ctx, tx)
			if err != nil {
				return err
			}
			if n > 0 {
				return errs.E(errs.Conflict, "already_set_up", "Liaison is already set up. Log in instead.")
			}
		}
		// The first admin sets the server up and is trusted with their
		// address; anyone else who signs up confirms it by e-mail.
		u, err := auth.CreateUserAs(ctx, tx, now, nu, first, first)
		if err != nil {
			return err
		}
		if !first {
			if err := s.auth.IssueVerification(ctx, tx, now, u, in.IP); err != nil {
				return err
			}
		}
		acc, err := account.Create(ctx, tx, now, in.AccountKind, accName)
		if err != nil {
			return err
		}
		if err := account.AddMember(ctx, tx, now, acc.ID, u.ID, "admin"); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: acc.ID, ActorID: u.ID, Action: "account.create",
			TargetID: acc.ID, IP: in.IP, After: map[string]any{"name": acc.Name, "kind": acc.Kind, "admin": u.Email}}); err != nil {
			return err
		}
		// Signing up logs the person in, which counts as a login of the
		// client (SPEC §5).
		if err := activity.RecordLogin(ctx, tx, now, u.ID, ""); err != nil {
			return err
		}
		out.Account = acc
		out.Login, err = s.auth.StartSession(ctx, tx, now, u, acc.ID, in.IP, in.UserAgent)
		return err
	})
	return out, err
}
