package auth

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
)

// Hooks are what other domains record in the transactions of a login and
// of sessions that end: auth owns users and sessions and calls these
// rather than importing activity and impersonation (issue 22: the guard
// runs no capability). They are given to New once, in server.build; a
// nil hook does nothing (unit tests of auth alone).
type Hooks struct {
	// LoggedIn records a login of the user (activity.RecordLogin).
	LoggedIn func(ctx context.Context, tx *db.Tx, now time.Time, userID string) error
	// LoggedOut records the actor's own logout in the client they were in
	// (activity.RecordInClient); not called during a Login As.
	LoggedOut func(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor) error
	// SessionsEnded ends the Login As sessions of one session (sessionID)
	// or of all of a user's (userID) with them (impersonation.EndFor).
	SessionsEnded func(ctx context.Context, tx *db.Tx, now time.Time, sessionID, userID, ip string) error
}

func (h Hooks) loggedIn(ctx context.Context, tx *db.Tx, now time.Time, userID string) error {
	if h.LoggedIn == nil {
		return nil
	}
	return h.LoggedIn(ctx, tx, now, userID)
}

func (h Hooks) loggedOut(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor) error {
	if h.LoggedOut == nil {
		return nil
	}
	return h.LoggedOut(ctx, tx, now, a)
}

func (h Hooks) sessionsEnded(ctx context.Context, tx *db.Tx, now time.Time, sessionID, userID, ip string) error {
	if h.SessionsEnded == nil {
		return nil
	}
	return h.SessionsEnded(ctx, tx, now, sessionID, userID, ip)
}

// The writes of the sessions table that other domains need, so that auth
// alone writes it (issue 22; EndSessionsIn is in disabled.go).

// SetCurrentAccount makes accountID the current account of the user's
// session (an invitation just accepted opens in the account joined).
func SetCurrentAccount(ctx context.Context, tx *db.Tx, sessionID, userID, accountID string) error {
	_, err := tx.Exec(ctx, `UPDATE sessions SET account_id = ? WHERE id = ? AND user_id = ?`, accountID, sessionID, userID)
	return err
}

// SetImpersonation points a session at the Login As it is in.
func SetImpersonation(ctx context.Context, tx *db.Tx, sessionID, impersonationID string) error {
	_, err := tx.Exec(ctx, `UPDATE sessions SET impersonation_id = ? WHERE id = ?`, impersonationID, sessionID)
	return err
}

// ClearImpersonation clears a session's pointer to a Login As that has
// ended and been announced.
func ClearImpersonation(ctx context.Context, tx *db.Tx, sessionID, impersonationID string) error {
	_, err := tx.Exec(ctx, `UPDATE sessions SET impersonation_id = NULL WHERE id = ? AND impersonation_id = ?`, sessionID, impersonationID)
	return err
}
