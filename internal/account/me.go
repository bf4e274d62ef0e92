package account

import (
	"context"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
)

// Me is what GET /api/v1/me answers: the user auth proved, the accounts
// they belong to, and the Login As in progress. It lives here, beside the
// memberships it lists, so that auth (the guard) needs no account types;
// its OpenAPI schema keeps the name AuthMe (api.schemaName).
type Me struct {
	User          auth.User             `json:"user"`
	Memberships   []Membership          `json:"memberships"`
	CurrentAcctID string                `json:"current_account_id,omitempty"`
	EmailVerified bool                  `json:"email_verified" doc:"Whether the user has confirmed their e-mail address; until then no account joins them by it"`
	Impersonation *auth.MeImpersonation `json:"impersonation" doc:"The Login As in progress, or null"`
}

// Me returns the actor's user and memberships.
func (s *Service) Me(ctx context.Context, a *authz.Actor) (Me, error) {
	var ms []Membership
	if a.Preloaded() {
		// Read with the session, in MembershipsOf's order: no round trip
		// (TestMeFromPreloadedMemberships compares the bytes).
		pre := a.PreloadedMemberships()
		ms = make([]Membership, len(pre))
		for i, m := range pre {
			ms[i] = Membership{Account: Ref{ID: m.AccountID, Kind: m.Kind, Name: m.Name}, Role: m.Role}
		}
	} else {
		var err error
		if ms, err = MembershipsOf(ctx, s.db, a.UserID); err != nil {
			return Me{}, err
		}
	}
	u := auth.User{ID: a.UserID, Email: a.Email, Name: a.Name, IsOperator: a.IsOperator, CreatedAt: a.UserCreatedAt}
	me := Me{User: u, Memberships: ms, CurrentAcctID: a.AccountID, EmailVerified: a.EmailVerified}
	if a.Impersonating() {
		meDuringImpersonation(a, &me)
	}
	return me, nil
}

// meDuringImpersonation is /me while an agency user acts as a client: the
// user is still the agency user, but the only account is the client, as its
// admin, and it is the current one (SPEC §6, "its admin view").
func meDuringImpersonation(a *authz.Actor, me *Me) {
	imp := a.Impersonation
	me.Memberships = []Membership{{Account: Ref{ID: imp.ClientID, Kind: Client, Name: imp.ClientName}, Role: "admin"}}
	me.CurrentAcctID = imp.ClientID
	me.Impersonation = auth.MeImpersonationOf(a)
}
