package auth

import (
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
)

// MeImpersonation is the Login As in progress, as GET /me shows it.
type MeImpersonation struct {
	ID           string         `json:"id"`
	ClientID     string         `json:"client_id"`
	ClientName   string         `json:"client_name"`
	AgencyID     string         `json:"agency_id"`
	AgencyName   string         `json:"agency_name"`
	Impersonator MeImpersonator `json:"impersonator"`
	StartedAt    time.Time      `json:"started_at"`
	ExpiresAt    time.Time      `json:"expires_at" doc:"When it ends without another request (sliding)"`
	IdleSeconds  int            `json:"idle_seconds" doc:"The sliding idle timeout"`
	ReturnTo     string         `json:"return_to" doc:"The agency page to go back to"`
}

// MeImpersonator is the agency user who acts as the client.
type MeImpersonator struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// MeImpersonationOf is the actor's Login As as /me shows it (account.Me),
// or nil when the actor acts as themselves. The user is still the agency
// user: they are the impersonator.
func MeImpersonationOf(a *authz.Actor) *MeImpersonation {
	if !a.Impersonating() {
		return nil
	}
	imp := a.Impersonation
	return &MeImpersonation{ID: imp.ID, ClientID: imp.ClientID, ClientName: imp.ClientName, AgencyID: imp.AgencyID,
		AgencyName: imp.AgencyName, Impersonator: MeImpersonator{ID: a.UserID, Name: a.Name, Email: a.Email},
		StartedAt: imp.StartedAt, ExpiresAt: imp.ExpiresAt, IdleSeconds: int(imp.Idle / time.Second), ReturnTo: imp.ReturnTo}
}
