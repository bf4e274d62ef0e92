package auth

import (
	"context"
	"errors"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/ratelimit"
)

// The second step of signing in (issue 21). After the password, a user
// with two-factor sign-in on (or required by one of their accounts and not
// yet set up) gets no session but a challenge: a random token, only its
// hash stored, that lives ChallengeTTL, is used once, and can do nothing
// but answer this step. It is not a session: Authenticate never reads it,
// so a half-signed-in browser reaches no page and no API route.

// ChallengeTTL is how long the second step may take.
const ChallengeTTL = 10 * time.Minute

// Methods of a challenge.
const (
	// MethodTOTP asks for a code from the app or a recovery code.
	MethodTOTP = "totp"
	// MethodTOTPSetup asks the user to set two-factor sign-in up first:
	// one of their accounts requires it.
	MethodTOTPSetup = "totp_setup"
)

// Challenge is the half-signed-in state a login answers instead of a
// session when a second factor is needed.
type Challenge struct {
	Token     string    `json:"challenge" doc:"Answer it with POST /api/v1/login/second-factor within expires_at"`
	Method    string    `json:"method" enum:"totp,totp_setup" doc:"totp: send a code from the app or a recovery code; totp_setup: the user must set two-factor sign-in up first (POST /api/v1/login/second-factor/setup), then send a code"`
	ExpiresAt time.Time `json:"expires_at"`
}

var errChallengeEnded = errs.E(errs.Unauthorized, "challenge_expired", "This sign-in has expired. Log in again with your password.")

// secondFactor answers the challenge method a user's sign-in needs, or ""
// when the password is enough. One round trip: it is on every login.
func secondFactor(ctx context.Context, q db.Querier, userID string) (string, error) {
	var v struct {
		On       bool `db:"enabled"`
		Required bool `db:"required"`
	}
	err := q.Get(ctx, &v, `SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = ? AND enabled_at IS NOT NULL) AS enabled,
		`+requiredSQL+` AS required`, userID, userID)
	switch {
	case err != nil:
		return "", err
	case v.On:
		return MethodTOTP, nil
	case v.Required:
		return MethodTOTPSetup, nil
	}
	return "", nil
}

// signIn finishes a password sign-in: a session, or a challenge when a
// second factor is needed (Login.Challenge set, no token).
func (s *Service) signIn(ctx context.Context, tx *db.Tx, now time.Time, u User, ip, ua string) (Login, error) {
	ch, err := s.issueChallenge(ctx, tx, now, u, ip, ua)
	if err != nil || ch != nil {
		return Login{User: u, Challenge: ch}, err
	}
	return s.openSession(ctx, tx, now, u, ip, ua)
}

// issueChallenge starts the second step when the user needs one, else
// answers nil.
func (s *Service) issueChallenge(ctx context.Context, tx *db.Tx, now time.Time, u User, ip, ua string) (*Challenge, error) {
	method, err := secondFactor(ctx, tx, u.ID)
	if err != nil || method == "" {
		return nil, err
	}
	secret := id.Secret()
	exp := now.Add(ChallengeTTL)
	if _, err := tx.Exec(ctx, `INSERT INTO login_challenges (token_hash, user_id, kind, created_at, expires_at, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id.Hash(secret), u.ID, method, now, exp, ip, truncate(ua, 300)); err != nil {
		return nil, err
	}
	return &Challenge{Token: secret, Method: method, ExpiresAt: exp}, nil
}

// openSession records the login and starts a session in the user's first
// account.
func (s *Service) openSession(ctx context.Context, tx *db.Tx, now time.Time, u User, ip, ua string) (Login, error) {
	first, err := firstAccount(ctx, tx, u.ID)
	if err != nil {
		return Login{}, err
	}
	if err := s.hooks.loggedIn(ctx, tx, now, u.ID); err != nil {
		return Login{}, err
	}
	return s.startSession(ctx, tx, now, u, first, ip, ua)
}

type challengeRow struct {
	UserID    string    `db:"user_id"`
	Kind      string    `db:"kind"`
	ExpiresAt time.Time `db:"expires_at"`
	UsedAt    db.Time   `db:"used_at"`
}

var errNoChallenge = errs.InvalidField("challenge", "Log in with your e-mail and password first.")

// challenge reads a live challenge by its token.
func (s *Service) challenge(ctx context.Context, q db.Querier, token string) (challengeRow, error) {
	var c challengeRow
	if token == "" {
		return c, errNoChallenge
	}
	if len(token) > 128 {
		return c, errChallengeEnded
	}
	err := q.Get(ctx, &c, `SELECT user_id, kind, expires_at, used_at FROM login_challenges WHERE token_hash = ?`, id.Hash(token))
	if errors.Is(err, db.ErrNoRows) || err == nil && (c.UsedAt.Valid || !s.now().Before(c.ExpiresAt)) {
		return c, errChallengeEnded
	}
	return c, err
}

// ChallengeMethod answers a live challenge's method (the page to show).
func (s *Service) ChallengeMethod(ctx context.Context, token string) (string, error) {
	c, err := s.challenge(ctx, s.db, token)
	return c.Kind, err
}

// BeginChallengeSetup shows the set-up of a user whose account requires
// two-factor sign-in, from their half-signed-in state.
func (s *Service) BeginChallengeSetup(ctx context.Context, token, issuer string) (TwoFactorSetup, error) {
	c, err := s.challenge(ctx, s.db, token)
	if err != nil {
		return TwoFactorSetup{}, err
	}
	if c.Kind != MethodTOTPSetup {
		return TwoFactorSetup{}, errTwoFactorOn
	}
	u, err := UserByID(ctx, s.db, c.UserID)
	if err != nil {
		return TwoFactorSetup{}, err
	}
	return s.beginSetup(ctx, u.ID, u.Email, issuer)
}

// SecondFactorInput answers a challenge.
type SecondFactorInput struct {
	Challenge, Code, IP, UserAgent string
}

// CompleteLogin answers a challenge with a code and starts the session. A
// wrong code leaves the challenge open (it is rate-limited per user like
// passwords); the right one uses it up. Finishing a set-up answers the
// recovery codes in Login.RecoveryCodes.
func (s *Service) CompleteLogin(ctx context.Context, in SecondFactorInput) (Login, error) {
	c, err := s.challenge(ctx, s.db, in.Challenge)
	if err != nil {
		return Login{}, err
	}
	if in.Code == "" {
		return Login{}, errNoCode
	}
	if err := s.limiter.Hit(ctx, ratelimit.TwoFactor, c.UserID); err != nil {
		return Login{}, err
	}
	var out Login
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		// Used up first: two answers at once get one session.
		res, err := tx.Exec(ctx, `UPDATE login_challenges SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`,
			now, id.Hash(in.Challenge), now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errChallengeEnded
		}
		if err := refuseDisabled(ctx, tx, c.UserID); err != nil {
			return err
		}
		var codes []string
		switch c.Kind {
		case MethodTOTPSetup:
			if codes, err = s.confirmPending(ctx, tx, now, c.UserID, in.Code, in.IP); err != nil {
				return err
			}
		default:
			how, err := useCode(ctx, tx, now, c.UserID, in.Code)
			if err != nil {
				return err
			}
			if how == "recovery_code" {
				if _, err := audit.Append(ctx, tx, now, audit.Entry{ActorID: c.UserID, Action: "user.two_factor.recovery_code",
					TargetID: c.UserID, IP: in.IP}); err != nil {
					return err
				}
			}
		}
		u, err := UserByID(ctx, tx, c.UserID)
		if err != nil {
			return err
		}
		out, err = s.openSession(ctx, tx, now, u, in.IP, in.UserAgent)
		out.RecoveryCodes = codes
		return err
	})
	if err == nil {
		if err := s.limiter.Reset(ctx, ratelimit.TwoFactor, c.UserID); err != nil {
			s.log.Warn("reset two-factor limit", "err", err)
		}
	}
	return out, err
}

// sweepChallenges is the part of Sweep for challenges.
const sweepChallengesSQL = `DELETE FROM login_challenges WHERE expires_at < ?`
