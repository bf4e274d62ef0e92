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
// assigned account managers who see it) and, for an agency, to be the
// agency that sent it (SeesInvitation, ActsOnInvitation). The row below
// makes the action known to the route table.
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

// A client may be linked to several agencies; each reads and acts on its
// own invitations into the client, never the other's (issue 15). The
// invitations a relation to the client's account covers, by who sent them
// (sentBy, the invitation's agency_id; fromClient, a team invitation of the
// client's own admin, whose agency_id only names the brand it wears):
//
//   - the client's own users (Agency() == ""): every invitation into it;
//   - an agency user who sees the client through agency X: reads X's and
//     the client's own, acts on X's only (SPEC §4: an agency resends or
//     cancels what it sent);
//   - an agency user of X logged in as the client: X's and the client's
//     own, acting as the client's admin.
//
// SeesInvitation and ActsOnInvitation are that rule in Go (the pages'
// buttons, CheckInvitation); InvitationCondition is the same rule in SQL
// (the lists), so they cannot disagree.

// SeesInvitation reports whether the relation reads an invitation into its
// account that sentBy sent (fromClient: the client's own).
func (r Relation) SeesInvitation(sentBy string, fromClient bool) bool {
	ag := r.Agency()
	return r.Visible() && (ag == "" || fromClient || sentBy == ag)
}

// ActsOnInvitation reports whether the relation may resend or cancel such
// an invitation (the role still decides, through InvitationManage).
func (r Relation) ActsOnInvitation(sentBy string, fromClient bool) bool {
	if r.AgencyID != "" {
		return r.Visible() && !fromClient && sentBy == r.AgencyID
	}
	return r.SeesInvitation(sentBy, fromClient)
}

// InvitationCondition is SeesInvitation (act false) or ActsOnInvitation
// (act true) as a SQL condition over an invitations row aliased i, with its
// arguments; it is "" when the relation covers every invitation into its
// account.
func (r Relation) InvitationCondition(act bool) (string, []any) {
	switch {
	case r.AgencyID != "" && act:
		return ` AND i.agency_id = ? AND NOT i.from_client`, []any{r.AgencyID}
	case r.Agency() != "":
		return ` AND (i.from_client OR i.agency_id = ?)`, []any{r.Agency()}
	}
	return "", nil
}

var errClientsOwn = errs.E(errs.Forbidden, "invitation_of_client",
	"The client's own admin sent this invitation: only the client's admins can resend or cancel it.")

// CheckInvitation decides an action on an invitation. A staff invitation
// is decided on its agency. A client or team invitation is decided on the
// client it is into: for the client's own users (and a Login As) by their
// role there and SeesInvitation; for an agency user through the link of the
// agency that sent it (CheckClientOf), so that another agency sharing the
// client does not find it; the client's own team invitation, which its
// agencies read, is theirs to see only (403). Whoever else may not act on an invitation does not
// see it (404, as for one that does not exist).
func (z *Authorizer) CheckInvitation(ctx context.Context, a *Actor, invitationID string, action Action) (Relation, error) {
	if a == nil {
		return Relation{}, errs.ErrUnauthorized
	}
	var inv struct {
		AccountID  string  `db:"account_id"`
		Kind       string  `db:"kind"`
		AgencyID   *string `db:"agency_id"`
		FromClient bool    `db:"from_client"`
	}
	err := z.db.Get(ctx, &inv, `SELECT i.account_id, a.kind, i.agency_id, i.from_client FROM invitations i
		JOIN accounts a ON a.id = i.account_id WHERE i.id = ?`, invitationID)
	if errors.Is(err, db.ErrNoRows) {
		return Relation{}, errs.ErrNotFound
	}
	if err != nil {
		return Relation{}, err
	}
	if action == InvitationManage {
		action = InvitationAction(inv.Kind)
	}
	if inv.Kind == "agency" {
		return z.Check(ctx, a, inv.AccountID, action)
	}
	sentBy := ""
	if inv.AgencyID != nil {
		sentBy = *inv.AgencyID
	}
	rel, err := z.RelationTo(ctx, a, inv.AccountID)
	if err != nil {
		return Relation{}, err
	}
	if rel.Visible() && rel.AgencyID == "" { // the client's own user, or a Login As
		if !rel.ActsOnInvitation(sentBy, inv.FromClient) {
			return Relation{}, errs.ErrNotFound
		}
		if !Allowed(rel.Role, action) {
			return rel, errs.ErrForbidden
		}
		return rel, nil
	}
	if inv.FromClient && rel.Visible() { // the client's own, which its agency reads
		return rel, errClientsOwn
	}
	if sentBy == "" || inv.FromClient {
		return Relation{}, errs.ErrNotFound
	}
	return z.CheckClientOf(ctx, a, sentBy, inv.AccountID, action)
}
