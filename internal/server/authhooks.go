package server

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/impersonation"
)

// authHooks are what a login and an ended session record in other
// domains, in auth's transaction (auth.Hooks): a login of a client's user
// counts in its activity (SPEC §5), a logout too when it is the client's
// own, and a session's Login As ends with it (SPEC §6). Installed here
// once, so that auth imports neither activity nor impersonation.
var authHooks = auth.Hooks{
	LoggedIn: func(ctx context.Context, tx *db.Tx, now time.Time, userID string) error {
		return activity.RecordLogin(ctx, tx, now, userID, "")
	},
	LoggedOut: func(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor) error {
		_, err := activity.RecordInClient(ctx, tx, activity.Event{ClientID: a.AccountID, UserID: a.UserID, Kind: activity.Logout, At: now})
		return err
	},
	SessionsEnded: func(ctx context.Context, tx *db.Tx, now time.Time, sessionID, userID, ip string) error {
		if sessionID == "" && userID == "" {
			return nil // an empty filter would end every Login As
		}
		_, err := impersonation.EndFor(ctx, tx, now, impersonation.Filter{SessionID: sessionID, UserID: userID}, impersonation.EndSessionEnded, ip)
		return err
	},
}
