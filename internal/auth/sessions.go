package auth

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// startSession inserts a session row and returns its secret.
func (s *Service) startSession(ctx context.Context, tx *db.Tx, now time.Time, u User, accountID, ip, ua string) (Login, error) {
	secret := id.Secret()
	sid := id.New(id.Session)
	exp := now.Add(AbsoluteTimeout)
	var acc any
	if accountID != "" {
		acc = accountID
	}
	_, err := tx.Exec(ctx, `INSERT INTO sessions (id, token_hash, user_id, account_id, created_at, last_seen_at, expires_at, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, sid, id.Hash(secret), u.ID, acc, now, now, exp, ip, truncate(ua, 300))
	return Login{User: u, Token: secret, SessionID: sid, ExpiresAt: exp}, err
}

// truncate keeps a header value storable on both engines: at most n bytes,
// valid UTF-8 (a header may carry any byte above 0x7f), no control
// character.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

type sessionRow struct {
	ID            string    `db:"id"`
	UserID        string    `db:"user_id"`
	AccountID     *string   `db:"account_id"`
	LastSeenAt    time.Time `db:"last_seen_at"`
	ExpiresAt     time.Time `db:"expires_at"`
	RevokedAt     db.Time   `db:"revoked_at"`
	Email         string    `db:"email"`
	Name          string    `db:"name"`
	IsOperator    bool      `db:"is_operator"`
	UserCreatedAt time.Time `db:"user_created_at"`
	EmailVerified bool      `db:"email_verified"`
	// ImpersonationID is the session's Login As (internal/impersonation).
	ImpersonationID *string `db:"impersonation_id"`
	// Memberships are the user's, for authz (authz.MembershipsSQL).
	Memberships *string `db:"memberships"`
}

var errSessionEnded = errs.E(errs.Unauthorized, "session_expired", "Your session has ended. Log in again.")

// Authenticate returns the actor of a session cookie's secret, from the
// session cache when its answer is current (sessioncache.go). The
// last-seen time is written at most once a minute.
func (s *Service) Authenticate(ctx context.Context, secret, ip string) (*authz.Actor, error) {
	if secret == "" || len(secret) > 128 {
		return nil, errSessionEnded
	}
	hash := id.Hash(secret)
	now := s.now()
	gen, usable := s.db.AuthGeneration()
	if usable {
		if e := s.cache.get(hash, gen); e != nil && e.live(now) {
			s.touch(ctx, e, now, ip)
			return e.actor(ip), nil
		}
	}
	var r sessionRow
	err := s.db.Get(ctx, &r, s.sessionSQL, hash)
	if errors.Is(err, db.ErrNoRows) {
		s.cache.drop(hash)
		return nil, errSessionEnded
	}
	if err != nil {
		return nil, err
	}
	e := newCachedSession(gen, r)
	if !e.live(now) {
		s.cache.drop(hash)
		return nil, errSessionEnded
	}
	s.touch(ctx, e, now, ip)
	if usable {
		// Under the generation taken before the read: a change committed
		// meanwhile has moved it on, and this answer will not be used.
		s.cache.put(hash, e)
	}
	return e.actor(ip), nil
}

// touch writes the session's last-seen time when a minute has passed since
// the one this process knows.
func (s *Service) touch(ctx context.Context, e *cachedSession, now time.Time, ip string) {
	seen := e.lastSeen.Load()
	if now.Sub(time.Unix(0, seen)) < touchEvery || !e.lastSeen.CompareAndSwap(seen, now.UnixNano()) {
		return
	}
	if _, err := s.db.Exec(ctx, `UPDATE sessions SET last_seen_at = ?, ip = ? WHERE id = ? AND last_seen_at < ?`,
		now, ip, e.row.ID, now.Add(-touchEvery)); err != nil {
		s.log.Warn("touch session", "err", err)
	}
}

// Logout ends the actor's session.
func (s *Service) Logout(ctx context.Context, a *authz.Actor) error {
	if a.SessionID == "" {
		return nil // an API token has no session to end; revoke the token instead
	}
	return s.db.InTx(db.WithoutBeforeCommit(ctx), func(tx *db.Tx) error {
		now := s.now()
		res, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, now, a.SessionID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		// A logout is the client's own only when no agency user is
		// logged in as it (SPEC §5).
		if !a.Impersonating() {
			if err := s.hooks.loggedOut(ctx, tx, now, a); err != nil {
				return err
			}
		}
		// Its Login As ends with it (SPEC §6).
		return s.hooks.sessionsEnded(ctx, tx, now, a.SessionID, "", a.IP)
	})
}

// SessionInfo describes one of a user's sessions.
type SessionInfo struct {
	ID         string    `db:"id" json:"id"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	LastSeenAt time.Time `db:"last_seen_at" json:"last_seen_at"`
	ExpiresAt  time.Time `db:"expires_at" json:"expires_at"`
	IP         string    `db:"ip" json:"ip"`
	UserAgent  string    `db:"user_agent" json:"user_agent"`
	Current    bool      `db:"-" json:"current"`
}

// Sessions lists the actor's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, a *authz.Actor) ([]SessionInfo, error) {
	now := s.now()
	var out []SessionInfo
	err := s.db.Select(ctx, &out, `SELECT id, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? AND last_seen_at > ?
		ORDER BY created_at DESC, id`, a.UserID, now, now.Add(-IdleTimeout))
	for i := range out {
		out[i].Current = out[i].ID == a.SessionID
	}
	return out, err
}

// RevokeSession ends one of the actor's own sessions; another user's session
// is not found.
func (s *Service) RevokeSession(ctx context.Context, a *authz.Actor, sessionID string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		res, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL`, now, sessionID, a.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		if err := s.hooks.sessionsEnded(ctx, tx, now, sessionID, "", a.IP); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, now, audit.Entry{ActorID: a.UserID, ImpersonatorID: a.ImpersonatorID, Action: "session.revoke", TargetID: sessionID, IP: a.IP})
		return err
	})
}

// RevokeOtherSessions ends every session of the actor but the current one and
// returns how many ended.
func (s *Service) RevokeOtherSessions(ctx context.Context, a *authz.Actor) (int, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		res, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id <> ? AND revoked_at IS NULL`, now, a.UserID, a.SessionID)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = audit.Append(ctx, tx, now, audit.Entry{ActorID: a.UserID, ImpersonatorID: a.ImpersonatorID, Action: "session.revoke_others", IP: a.IP, After: map[string]any{"ended": n}})
		return err
	})
	return int(n), err
}

// revokeAllSessions ends every session of a user (password reset).
func (s *Service) revokeAllSessions(ctx context.Context, tx *db.Tx, now time.Time, userID string) error {
	if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, now, userID); err != nil {
		return err
	}
	return s.hooks.sessionsEnded(ctx, tx, now, "", userID, "")
}

// SwitchAccount makes accountID the session's current account. The user
// must be a member; otherwise the account is not found.
func (s *Service) SwitchAccount(ctx context.Context, a *authz.Actor, accountID string) error {
	if a.SessionID == "" {
		return errs.E(errs.Invalid, "no_session", "Only a browser session has a current account.")
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE sessions SET account_id = ? WHERE id = ?
			AND EXISTS (SELECT 1 FROM memberships WHERE account_id = ? AND user_id = ?)`, accountID, a.SessionID, accountID, a.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return nil
	})
}

// Sweep deletes sessions and reset tokens that can no longer be used, so the
// tables stay small. Revoked sessions are kept a week for the user's list.
func (s *Service) Sweep(ctx context.Context) (int64, error) {
	now := s.now()
	var total int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ? OR revoked_at < ?`, []any{now, now.Add(-IdleTimeout), now.Add(-7 * 24 * time.Hour)}},
			{`DELETE FROM password_resets WHERE expires_at < ?`, []any{now.Add(-24 * time.Hour)}},
			{sweepChallengesSQL, []any{now.Add(-time.Hour)}},
		} {
			res, err := tx.Exec(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return total, err
}
