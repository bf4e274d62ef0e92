package authz

import (
	"context"
	"errors"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// InvitationManage is resending or cancelling an invitation (SPEC §4). It
// is decided on the account the invitation is into: a staff invitation
// needs AgencyManage on the agency; a client or team invitation needs
// ClientUsersManage on the client (its admins, and the agency admins and
// assigned account managers who see it). The row below makes the action
// known to the route table.
const InvitationManage Action = "invitation.manage"

func init() {
	matrix[InvitationManage] = []Role{AgencyAdmin, ClientAdmin, LinkedAdmin, LinkedAccountManager}
}

// InvitationAction is the action an invitation into an account of kind
// needs for action InvitationManage.
func InvitationAction(kind string) Action {
	if kind == "agency" {
		return AgencyManage
	}
	return ClientUsersManage
}

// CheckInvitation decides an action on an invitation, on the account it is
// into. Whoever does not see that account does not see the invitation
// (404, as for one that does not exist).
func (z *Authorizer) CheckInvitation(ctx context.Context, a *Actor, invitationID string, action Action) (Relation, error) {
	if a == nil {
		return Relation{}, errs.ErrUnauthorized
	}
	var inv struct {
		AccountID string `db:"account_id"`
		Kind      string `db:"kind"`
	}
	err := z.db.Get(ctx, &inv, `SELECT i.account_id, a.kind FROM invitations i JOIN accounts a ON a.id = i.account_id
		WHERE i.id = ?`, invitationID)
	if errors.Is(err, db.ErrNoRows) {
		return Relation{}, errs.ErrNotFound
	}
	if err != nil {
		return Relation{}, err
	}
	if action == InvitationManage {
		action = InvitationAction(inv.Kind)
	}
	return z.Check(ctx, a, inv.AccountID, action)
}
