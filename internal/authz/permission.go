package authz

import (
	"context"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Client permissions (SPEC §3) are switches an agency sets for a client;
// some of them bind what the client's own users may do on top of their
// role (seed 001: a client admin manages billing information only when the
// agency enabled manage_billing). gates is that rule as data: an action
// listed here needs, besides the matrix, its permission to be on when the
// actor stands on the client's own side — a client user, or an agency user
// logged in as the client, who sees what the client's admin would. Agency
// users acting through a link are never gated: the switch is theirs.

// ClientPermission names a client permission.
type ClientPermission string

// ManageBilling: the client's admins manage its billing details.
const ManageBilling ClientPermission = "manage_billing"

// permissionColumns are the permissions' columns of agency_clients (the
// one place the SQL takes a name from; never from input).
var permissionColumns = map[ClientPermission]string{
	ManageBilling: "cc.manage_billing",
}

// gate is the permission an action needs on the client's side, and the
// refusal when it is off.
type gate struct {
	perm ClientPermission
	err  *errs.Error
}

var errBillingNotAllowed = errs.E(errs.Forbidden, "billing_not_allowed",
	"Your agency has not enabled billing management for this account. Ask your agency to turn it on.")

var gates = map[Action]gate{
	BillingDetailsRead:  {ManageBilling, errBillingNotAllowed},
	BillingDetailsWrite: {ManageBilling, errBillingNotAllowed},
}

// Gated reports the permission that binds action on the client's side, if
// any (the route-walk test and the pages read it).
func Gated(action Action) (ClientPermission, bool) {
	g, ok := gates[action]
	return g.perm, ok
}

// ownSide reports whether rel is a client's own side: a membership of the
// client, or Login As on it; not an agency user seeing it through a link.
func ownSide(rel Relation) bool { return rel.AccountKind == "client" && rel.AgencyID == "" }

// checkGate refuses action on rel when a permission binds it and is off.
func (z *Authorizer) checkGate(ctx context.Context, rel Relation, action Action) error {
	g, ok := gates[action]
	if !ok || !ownSide(rel) {
		return nil
	}
	on, err := PermissionOn(ctx, z.db, rel.AccountID, g.perm)
	if err != nil {
		return err
	}
	if !on {
		return g.err
	}
	return nil
}

// PermissionOn reports whether a client permission is on for the client:
// when at least one agency managing it through an active link has switched
// it on (as the users switch, a client shared by two agencies may use what
// either allows). A client no agency manages has no such permission.
func PermissionOn(ctx context.Context, q db.Querier, clientID string, perm ClientPermission) (bool, error) {
	col, ok := permissionColumns[perm]
	if !ok {
		return false, nil
	}
	var n int
	err := q.Get(ctx, &n, `SELECT COUNT(*) FROM agency_clients cc JOIN links cl ON cl.agency_id = cc.agency_id
		AND cl.client_id = cc.client_id AND cl.status = 'active' WHERE cc.client_id = ? AND `+col, clientID)
	return n > 0, err
}
