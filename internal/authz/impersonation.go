package authz

import (
	"time"

	"github.com/liaison-dev/liaison/internal/errs"
)

// Impersonation describes a Login As session in progress (SPEC §6): an
// agency user acting as a client account with the view of its admins.
//
// While it lasts, the actor keeps the agency user's UserID, Email and Name
// (the person who acts), ImpersonatorID is that same user (so audit entries
// name the impersonator), AccountID is the client, and every access check
// answers as if the actor were an admin of that client and of nothing else:
// the agency itself, other clients and links between other accounts are
// not found. The internal/impersonation package sets it on each request.
//
// Impersonated requests are not the client's own: activity tracking (SPEC §5
// logins and page views for the health score) must skip every actor for
// which Impersonating() is true, and may record the event with
// ImpersonatorID and Impersonation.ClientID instead.
type Impersonation struct {
	ID         string
	AgencyID   string
	AgencyName string
	ClientID   string
	ClientName string
	StartedAt  time.Time
	// ExpiresAt is when it ends without another request (the sliding idle
	// timeout as of this request).
	ExpiresAt time.Time
	// Idle is the agency's impersonation_idle_minutes when it started.
	Idle time.Duration
	// ReturnTo is the agency page Login As was started from.
	ReturnTo string
}

// Impersonating reports whether the actor is an agency user acting as a
// client through Login As.
func (a *Actor) Impersonating() bool { return a != nil && a.Impersonation != nil }

// ErrImpersonating refuses what nobody may do while impersonating (SPEC §6:
// change client users' passwords or e-mails, start a second impersonation,
// delete the account; issue 7: accept link requests, create API tokens).
func ErrImpersonating(what string) error {
	return errs.E(errs.Forbidden, "impersonation_forbidden", "You cannot %s while you are logged in as a client. Return to your agency first.", what)
}

// impersonatedRelation is the relation of an impersonating actor: admin of
// the client acted as, a stranger everywhere else. It names the agency of
// the Login As, so that what the client shares with its other agencies
// stays theirs (Relation.Agency).
func impersonatedRelation(a *Actor, accountID string) Relation {
	if a.Impersonation.ClientID != accountID {
		return Relation{}
	}
	return Relation{AccountID: accountID, AccountKind: "client", Role: ClientAdmin, LoginAsAgencyID: a.Impersonation.AgencyID}
}

// ActingAgency is the agency of the actor's Login As, "" outside one: an
// audit entry made while an agency user acts as a client is that agency's
// (audit.Entry.AgencyID).
func (a *Actor) ActingAgency() string {
	if !a.Impersonating() {
		return ""
	}
	return a.Impersonation.AgencyID
}

// ClientSecurityManage is changing a client's own security settings
// (whether its agencies may Login As): its admins only.
const ClientSecurityManage Action = "client.security.manage"
