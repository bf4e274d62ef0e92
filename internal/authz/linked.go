package authz

import (
	"context"
	"errors"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// SPEC §1, "who sees a client": an agency user sees a linked client when they
// are an agency admin; or the link's access is the entire agency; or they (or
// a group they are in) are in the link's access list; or they are an account
// manager assigned to that client. visibleVia is that rule as SQL over a
// links row `l` and the user's agency membership `m`; the client list uses the
// same condition through ClientScope, so the list and the checks agree.
const visibleVia = `(m.role = 'admin' OR l.access_all
	OR EXISTS (SELECT 1 FROM link_access_users lau WHERE lau.link_id = l.id AND lau.user_id = m.user_id)
	OR EXISTS (SELECT 1 FROM link_access_groups lag JOIN group_members gm ON gm.group_id = lag.group_id
	           WHERE lag.link_id = l.id AND gm.user_id = m.user_id)
	OR EXISTS (SELECT 1 FROM client_account_managers cam
	           WHERE cam.agency_id = l.agency_id AND cam.client_id = l.client_id AND cam.user_id = m.user_id))`

// linkedRole turns an agency role into the role on a client seen through a
// link. An account manager acts as one only on clients assigned to them; on
// other clients they see, they act as a member (SPEC §1: "account manager
// (assigned)").
func linkedRole(agencyRole string, assigned bool) Role {
	switch agencyRole {
	case "admin":
		return LinkedAdmin
	case "account_manager":
		if assigned {
			return LinkedAccountManager
		}
		return LinkedMember
	case "member":
		return LinkedMember
	case "viewer":
		return LinkedViewer
	}
	return ""
}

var linkedRank = map[Role]int{LinkedAdmin: 4, LinkedAccountManager: 3, LinkedMember: 2, LinkedViewer: 1}

type linkedRow struct {
	AgencyID string `db:"agency_id"`
	Role     string `db:"role"`
	Assigned bool   `db:"assigned"`
}

// linkedRelations lists the ways a user sees a client through active links:
// one row per agency of theirs that sees it. agencyID limits it to one agency.
func (z *Authorizer) linkedRelations(ctx context.Context, userID, clientID, agencyID string) ([]linkedRow, error) {
	q := `SELECT l.agency_id, m.role,
		CASE WHEN EXISTS (SELECT 1 FROM client_account_managers cam WHERE cam.agency_id = l.agency_id
			AND cam.client_id = l.client_id AND cam.user_id = m.user_id) THEN 1 ELSE 0 END AS assigned
		FROM links l JOIN memberships m ON m.account_id = l.agency_id AND m.user_id = ?
		WHERE l.client_id = ? AND l.status = 'active' AND ` + visibleVia
	args := []any{userID, clientID}
	if agencyID != "" {
		q += ` AND l.agency_id = ?`
		args = append(args, agencyID)
	}
	var rows []linkedRow
	err := z.db.Select(ctx, &rows, q, args...)
	return rows, err
}

// bestLinked picks the strongest relation when several agencies of the user
// see the client.
func bestLinked(clientID string, rows []linkedRow) Relation {
	var best Relation
	for _, r := range rows {
		role := linkedRole(r.Role, r.Assigned)
		if linkedRank[role] > linkedRank[best.Role] {
			best = Relation{AccountID: clientID, AccountKind: "client", Role: role, AgencyID: r.AgencyID}
		}
	}
	return best
}

// CheckClientOf decides an action on a client as seen from one agency (the
// /agencies/{id}/clients/{client_id} routes). The actor must be a member of
// the agency and see the client through its active link; otherwise the
// client is not found, exactly as if it did not exist.
func (z *Authorizer) CheckClientOf(ctx context.Context, a *Actor, agencyID, clientID string, action Action) (Relation, error) {
	if a == nil {
		return Relation{}, errs.ErrUnauthorized
	}
	if a.Impersonating() { // acting as a client, the user is in no agency
		return Relation{}, errs.ErrNotFound
	}
	rows, err := z.linkedRelations(ctx, a.UserID, clientID, agencyID)
	if err != nil {
		return Relation{}, err
	}
	rel := bestLinked(clientID, rows)
	if !rel.Visible() {
		return rel, errs.ErrNotFound
	}
	if !Allowed(rel.Role, action) {
		return rel, errs.ErrForbidden
	}
	return rel, nil
}

// ClientScope is the set of clients an agency user sees in one agency, as a
// condition for the client list's SQL.
type ClientScope struct {
	AgencyID string
	UserID   string
	// All is set when the user is the agency's admin, who sees every
	// client of it (visibleVia's first case): the list's statements then
	// need neither the membership join nor the access-list subqueries.
	// ClientScopeOf sets it from a checked relation; the zero value asks
	// the database, which is always right.
	All bool
}

// ClientScopeOf is the scope of the clients a user sees through the agency
// to which rel, a checked relation, is theirs.
func ClientScopeOf(rel Relation, userID string) ClientScope {
	return ClientScope{AgencyID: rel.AccountID, UserID: userID, All: rel.Role == AgencyAdmin}
}

// Condition returns a SQL condition (and its arguments) that holds for a
// client_list row aliased l when the scope's user sees that row's client.
// A client_list row stands for an active link (its id is the link's ID and
// it copies the link's access_all; migration 00010), so the rule reads it
// as it reads a links row. The query must join memberships m on
// (m.account_id = l.agency_id AND m.user_id = ?) — JoinMembership gives
// that join.
func (s ClientScope) Condition() (string, []any) {
	if s.All {
		return `l.agency_id = ?`, []any{s.AgencyID}
	}
	return `l.agency_id = ? AND ` + visibleVia, []any{s.AgencyID}
}

// JoinMembership is the join Condition needs, with its argument.
func (s ClientScope) JoinMembership() (string, []any) {
	if s.All {
		return ``, nil
	}
	return `JOIN memberships m ON m.account_id = l.agency_id AND m.user_id = ?`, []any{s.UserID}
}

// ClientScopeFor checks that the actor may list the agency's clients and
// returns the scope of the ones they see.
func (z *Authorizer) ClientScopeFor(ctx context.Context, a *Actor, agencyID string) (ClientScope, error) {
	rel, err := z.Check(ctx, a, agencyID, AgencyClientsList)
	if err != nil {
		return ClientScope{}, err
	}
	return ClientScopeOf(rel, a.UserID), nil
}

// LinkRelation is how an actor stands to a link request: from which side,
// with which role there.
type LinkRelation struct {
	LinkID, AgencyID, ClientID string
	InitiatedBy                string // agency | client
	Status                     string
	Side                       string // the actor's side: agency | client
	Role                       Role   // the actor's role on that side
}

// Link actions.
const (
	LinkRead       Action = "link.read"
	LinkCancel     Action = "link.cancel"
	LinkDisconnect Action = "link.disconnect"
)

// CheckLink decides an action on a link. Members of either side see it;
// nobody else does (404). Deciding belongs to the receiving side's admins,
// cancelling to the sender's admins and account managers, disconnecting to
// either side's admins.
func (z *Authorizer) CheckLink(ctx context.Context, a *Actor, linkID string, action Action) (LinkRelation, error) {
	if a == nil {
		return LinkRelation{}, errs.ErrUnauthorized
	}
	var l struct {
		AgencyID    string `db:"agency_id"`
		ClientID    string `db:"client_id"`
		InitiatedBy string `db:"initiated_by"`
		Status      string `db:"status"`
	}
	err := z.db.Get(ctx, &l, `SELECT agency_id, client_id, initiated_by, status FROM links WHERE id = ?`, linkID)
	if errors.Is(err, db.ErrNoRows) {
		return LinkRelation{}, errs.ErrNotFound
	}
	if err != nil {
		return LinkRelation{}, err
	}
	var roles []struct {
		AccountID string `db:"account_id"`
		Role      string `db:"role"`
	}
	if err := z.db.Select(ctx, &roles, `SELECT account_id, role FROM memberships WHERE user_id = ? AND account_id IN (?, ?)`,
		a.UserID, l.AgencyID, l.ClientID); err != nil {
		return LinkRelation{}, err
	}
	rel := LinkRelation{LinkID: linkID, AgencyID: l.AgencyID, ClientID: l.ClientID, InitiatedBy: l.InitiatedBy, Status: l.Status}
	byside := map[string]Role{}
	if a.Impersonating() { // the client's admin, on its side only
		roles = roles[:0]
		if l.ClientID == a.Impersonation.ClientID {
			byside["client"] = ClientAdmin
		}
	}
	for _, r := range roles {
		if r.AccountID == l.AgencyID {
			byside["agency"] = MemberRole("agency", r.Role)
		} else {
			byside["client"] = MemberRole("client", r.Role)
		}
	}
	if len(byside) == 0 {
		return rel, errs.ErrNotFound
	}
	receiving := "client"
	if l.InitiatedBy == "client" {
		receiving = "agency"
	}
	sending := map[string]string{"agency": "client", "client": "agency"}[receiving]
	var want []string
	var need Action
	switch action {
	case LinkDecide:
		want, need = []string{receiving}, LinkDecide
	case LinkCancel:
		want, need = []string{sending}, ClientInvite
	case LinkDisconnect:
		want, need = []string{"agency", "client"}, LinkDisconnect
	case LinkRead:
		want, need = []string{"agency", "client"}, LinkRead
	case AgencyManage: // the agency's sharing of the client: its admins
		want, need = []string{"agency"}, AgencyManage
	default:
		return rel, errs.ErrForbidden
	}
	for _, side := range want {
		if role, ok := byside[side]; ok && Allowed(role, need) {
			rel.Side, rel.Role = side, role
			return rel, nil
		}
	}
	for side, role := range byside { // visible, but not allowed
		rel.Side, rel.Role = side, role
	}
	return rel, errs.ErrForbidden
}
