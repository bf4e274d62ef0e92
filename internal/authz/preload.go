package authz

import (
	"encoding/json"
	"strconv"

	"github.com/liaison-dev/liaison/internal/db"
)

// Authentication reads the user's own memberships in the statement that
// reads the session (MembershipsSQL), and RelationTo answers from them
// instead of asking the database again: every authenticated request costs
// one round trip less (on PostgreSQL a round trip is about a tenth of a
// client-list request's CPU; bench/README.md). Page views (activity) check
// the actor's client membership the same way.
//
// Only a membership found there is trusted, and it is what the database
// said at the start of the request, the moment the session itself was
// checked: as fresh as asking at the first check, which every route makes
// before its handler runs. Anything not found — a client seen through an
// agency's link, an account joined since — is asked of the database as
// before. A user with more than maxPreloaded memberships gets none
// preloaded (Preloaded false) and every check asks the database.

// Membership is one of the actor's own memberships.
type Membership struct {
	AccountID string
	Kind      string // agency | client
	Name      string // the account's
	Role      string
	// Closed is ClientClosed for the account: its own members do not
	// see it.
	Closed bool
}

const maxPreloaded = 64

// MembershipsSQL is a scalar subquery, for the session's statement, giving
// the memberships of the user whose ID is the SQL expression userCol as a
// JSON array of {"a": account_id, "k": kind, "r": role, "c": closed (0|1)}
// — or NULL when there are more than maxPreloaded of them.
func MembershipsSQL(d db.Dialect, userCol string) string {
	item := `'a', m.account_id, 'k', a.kind, 'n', a.name, 'r', m.role, 'c', CASE WHEN ` + ClientClosed("m.account_id") + ` THEN 1 ELSE 0 END`
	// In account.MembershipsOf's order (the engine's own ordering of
	// names), so that /me answers from them (auth.Service.Me).
	agg := `json_group_array(json_object(` + item + `) ORDER BY a.name, a.id)`
	if d == db.Postgres {
		agg = `COALESCE(json_agg(json_build_object(` + item + `) ORDER BY a.name, a.id)::text, '[]')`
	}
	return `(SELECT CASE WHEN COUNT(*) <= ` + strconv.Itoa(maxPreloaded) + ` THEN ` + agg + ` END
		FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.user_id = ` + userCol + `)`
}

// SetMemberships stores what MembershipsSQL read on the actor; nil (too
// many, or unreadable) leaves the actor asking the database.
func (a *Actor) SetMemberships(stored *string) {
	if ms, ok := ParseMemberships(stored); ok {
		a.UseMemberships(ms)
	}
}

// ParseMemberships reads what MembershipsSQL returned; false when there is
// nothing to trust (too many, or unreadable).
func ParseMemberships(stored *string) ([]Membership, bool) {
	if stored == nil {
		return nil, false
	}
	var rows []struct {
		AccountID string `json:"a"`
		Kind      string `json:"k"`
		Name      string `json:"n"`
		Role      string `json:"r"`
		Closed    int    `json:"c"`
	}
	if json.Unmarshal([]byte(*stored), &rows) != nil {
		return nil, false
	}
	out := make([]Membership, len(rows))
	for i, r := range rows {
		out[i] = Membership{AccountID: r.AccountID, Kind: r.Kind, Name: r.Name, Role: r.Role, Closed: r.Closed == 1}
	}
	return out, true
}

// UseMemberships gives the actor memberships that ParseMemberships read
// (the session cache shares one slice between requests: it is read only).
func (a *Actor) UseMemberships(ms []Membership) { a.memberships, a.preloaded = ms, true }

// PreloadedMemberships are the actor's memberships read with the session,
// by account name (nil when not Preloaded). Read only.
func (a *Actor) PreloadedMemberships() []Membership { return a.memberships }

// Preloaded reports whether the actor carries its memberships.
func (a *Actor) Preloaded() bool { return a.preloaded }

// MembershipOn returns the actor's preloaded membership on the account, if
// it has one there.
func (a *Actor) MembershipOn(accountID string) (Membership, bool) {
	for _, m := range a.memberships {
		if m.AccountID == accountID {
			return m, true
		}
	}
	return Membership{}, false
}
