// Package auth holds users, passwords, sessions, API tokens and password
// resets: everything about proving who is making a request.
//
// Sessions are rows in the database (only the token's SHA-256 is stored), so
// they can be listed and revoked one by one or all at once, and they hold
// across several server processes.
package auth

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/password"
	"github.com/liaison-dev/liaison/internal/ratelimit"
)

// Session lifetimes. A session ends after IdleTimeout without a request or
// AbsoluteTimeout after login, whichever comes first.
const (
	IdleTimeout     = 7 * 24 * time.Hour
	AbsoluteTimeout = 30 * 24 * time.Hour
	// touchEvery bounds how often a session's last-seen time is written, so
	// that reads do not queue behind the single SQLite writer.
	touchEvery = time.Minute
	resetTTL   = time.Hour
)

// Service is the auth domain.
type Service struct {
	db         *db.DB
	hasher     *password.Hasher
	limiter    *ratelimit.Limiter
	mailer     *mail.Mailer
	now        clock.Clock
	baseURL    string
	openSignup bool
	log        *slog.Logger
	// membershipsSQL reads the user's memberships with the session
	// (authz.MembershipsSQL).
	membershipsSQL string
	// sessionSQL reads a session by its token's hash, with its user and
	// the user's memberships.
	sessionSQL string
	// cache holds live sessions' answers (sessioncache.go).
	cache *sessionCache
	// hooks are other domains' records in auth's transactions (hooks.go).
	hooks Hooks
}

// Config holds what the auth service needs from the server's configuration.
type Config struct {
	BaseURL    string
	OpenSignup bool
	// Hooks are other domains' records in auth's transactions (hooks.go).
	Hooks Hooks
}

// New returns the auth service.
func New(d *db.DB, h *password.Hasher, l *ratelimit.Limiter, m *mail.Mailer, now clock.Clock, cfg Config, log *slog.Logger) *Service {
	ms := authz.MembershipsSQL(d.Dialect(), "s.user_id")
	return &Service{db: d, hasher: h, limiter: l, mailer: m, now: now, baseURL: cfg.BaseURL, openSignup: cfg.OpenSignup, log: log,
		membershipsSQL: ms, cache: newSessionCache(), hooks: cfg.Hooks,
		sessionSQL: `SELECT s.id, s.user_id, s.account_id, s.last_seen_at, s.expires_at, s.revoked_at, s.impersonation_id,
		u.email, u.name, u.is_operator, u.created_at AS user_created_at,
		u.email_verified_at IS NOT NULL AS email_verified, ` + ms + ` AS memberships
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`}
}

// OpenSignup reports whether public signup is on.
func (s *Service) OpenSignup() bool { return s.openSignup }

// SignupInput is what a new user gives to sign up.
type SignupInput struct {
	Name        string
	Email       string
	Password    string
	AccountName string
	AccountKind string
	IP          string
	UserAgent   string
}

// Login is a fresh session: its secret goes into the cookie, once.
type Login struct {
	User      User
	Token     string
	SessionID string
	ExpiresAt time.Time
	// Challenge, when set, is the second step of the sign-in (challenge.go):
	// there is no session yet, and Token is empty.
	Challenge *Challenge
	// RecoveryCodes are answered once, when the sign-in finished a
	// two-factor set-up.
	RecoveryCodes []string
}

// LoginInput is what a user gives to log in.
type LoginInput struct {
	Email, Password, IP, UserAgent string
}

var errBadCredentials = errs.E(errs.Unauthorized, "invalid_credentials", "The e-mail address or password is not right.")

// Login checks the credentials and starts a session. An unknown e-mail and a
// wrong password answer the same error after the same amount of hashing.
func (s *Service) Login(ctx context.Context, in LoginInput) (Login, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return Login{}, err
	}
	if in.Password == "" {
		return Login{}, errs.InvalidField("password", "Enter your password.")
	}
	if err := s.limiter.Hit(ctx, ratelimit.LoginIP, in.IP); err != nil {
		return Login{}, err
	}
	if err := s.limiter.Hit(ctx, ratelimit.Login, email); err != nil {
		return Login{}, err
	}
	u, err := userByEmail(ctx, s.db, email)
	if errors.Is(err, db.ErrNoRows) {
		s.hasher.VerifyDummy(ctx, in.Password)
		return Login{}, errBadCredentials
	}
	if err != nil {
		return Login{}, err
	}
	ok, rehash, err := s.hasher.Verify(ctx, in.Password, u.PasswordHash)
	if err != nil {
		return Login{}, err
	}
	if !ok {
		return Login{}, errBadCredentials
	}
	if err := refuseDisabled(ctx, s.db, u.ID); err != nil {
		return Login{}, err
	}
	var newHash string
	if rehash {
		if newHash, err = s.hasher.Hash(ctx, in.Password); err != nil {
			return Login{}, err
		}
	}
	if err := s.limiter.Reset(ctx, ratelimit.Login, email); err != nil {
		s.log.Warn("reset login limit", "err", err)
	}
	var out Login
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if newHash != "" {
			if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, newHash, now, u.ID); err != nil {
				return err
			}
		}
		// A second factor, when needed, is asked before any session.
		out, err = s.signIn(ctx, tx, now, u.User, in.IP, in.UserAgent)
		return err
	})
	return out, err
}

// firstAccount is the account a fresh session starts in: the user's oldest
// membership, or "" for a user in no account.
func firstAccount(ctx context.Context, q db.Querier, userID string) (string, error) {
	var accountID string
	err := q.Get(ctx, &accountID, `SELECT account_id FROM memberships WHERE user_id = ? ORDER BY created_at, account_id LIMIT 1`, userID)
	if errors.Is(err, db.ErrNoRows) {
		return "", nil
	}
	return accountID, err
}
