package authz

import (
	"context"
	"errors"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Client groups and report sharing (SPEC §12 "Client groups and per-client
// branding", issue 24). A client's groups are the client's own: its admins
// manage them, as do the agency users who manage the client (any agency
// that sees it: the groups belong to the client, not to one agency), and
// every agency user who sees the client reads them, to share reports with
// them. A client's members neither read nor change them.
//
// A report is shared with every user of a client that has its brand,
// unless the agency chose groups for that client; then a member of the
// client sees it only when they are in one of those groups. The client's
// admins (and Login As, which acts as one) always see it. SharedCondition
// is that rule, the one place it is written: CheckReport applies it to one
// report (so every route and page on a report — get, data, export, page,
// scheduled e-mails — goes through it) and report.List to a brand's list.

// Actions of client groups, report sharing and per-client branding.
const (
	ClientGroupsRead   Action = "client.groups.read"
	ClientGroupsManage Action = "client.groups.manage"
	// ReportShare changes a report's sharing; ReportSharingRead reads it
	// (agency users only: decided on the brand, never a client's).
	ReportShare       Action = "brand.report.share"
	ReportSharingRead Action = "brand.report.sharing.read"
	// ClientBrandingRead and ClientBrandingManage are an agency's own
	// branding of one client's portal: set by the agency's admins, read by
	// whoever of the agency sees the client.
	ClientBrandingRead   Action = "client.branding.read"
	ClientBrandingManage Action = "client.branding.manage"
)

func init() {
	matrix[ClientGroupsRead] = []Role{ClientAdmin, LinkedAdmin, LinkedAccountManager, LinkedMember, LinkedViewer}
	matrix[ClientGroupsManage] = []Role{ClientAdmin, LinkedAdmin, LinkedAccountManager}
	matrix[ReportShare] = []Role{AgencyAdmin, AgencyAccountManager, AgencyMember}
	matrix[ReportSharingRead] = []Role{AgencyAdmin, AgencyAccountManager, AgencyMember, AgencyViewer}
	matrix[ClientBrandingRead] = []Role{LinkedAdmin, LinkedAccountManager, LinkedMember, LinkedViewer}
	matrix[ClientBrandingManage] = []Role{LinkedAdmin}
}

// SharedCondition is the report-sharing rule as a SQL condition on the
// report ID column col, for a relation decided on the report's brand: true
// for everyone but a client's member, for whom it holds when the report is
// shared with all of their client's users or with a group they are in.
func SharedCondition(rel Relation, col string) (string, []any) {
	if rel.Role != ClientMember {
		return `1 = 1`, nil
	}
	if rel.UserID == "" || rel.AccountID == "" { // a relation built elsewhere: fail closed
		return `1 = 0`, nil
	}
	return `(NOT EXISTS (SELECT 1 FROM report_sharing rs WHERE rs.report_id = ` + col + ` AND rs.client_id = ?)
		OR EXISTS (SELECT 1 FROM report_sharing_groups rsg JOIN client_group_members cgm ON cgm.group_id = rsg.group_id
			WHERE rsg.report_id = ` + col + ` AND rsg.client_id = ? AND cgm.user_id = ?))`,
		[]any{rel.AccountID, rel.AccountID, rel.UserID}
}

// ReportShared reports whether the report is shared with the relation's
// user (SharedCondition).
func ReportShared(ctx context.Context, q db.Querier, rel Relation, reportID string) (bool, error) {
	if rel.Role != ClientMember {
		return true, nil
	}
	cond, args := SharedCondition(rel, "r.id")
	var n int
	err := q.Get(ctx, &n, `SELECT COUNT(*) FROM reports r WHERE r.id = ? AND `+cond, append([]any{reportID}, args...)...)
	return n > 0, err
}

// checkShared turns a report not shared with the relation's user into
// ErrNotFound: to them it does not exist.
func (z *Authorizer) checkShared(ctx context.Context, rel Relation, reportID string) error {
	ok, err := ReportShared(ctx, z.db, rel, reportID)
	if err != nil {
		return err
	}
	if !ok {
		return errs.ErrNotFound
	}
	return nil
}

// ReportSharedWithUser reports whether a report reaches a user of a client
// by the sharing rule, for work that runs without a request (scheduled
// e-mails decide each recipient with it, on top of CheckReport's other
// conditions): their role in the client is read, and the rule applied as
// for a request of theirs. A user who is no longer in the client gets false.
func ReportSharedWithUser(ctx context.Context, q db.Querier, reportID, clientID, userID string) (bool, error) {
	var role string
	err := q.Get(ctx, &role, `SELECT role FROM memberships WHERE account_id = ? AND user_id = ?`, clientID, userID)
	if errors.Is(err, db.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	rel := Relation{AccountID: clientID, AccountKind: "client", Role: MemberRole("client", role), UserID: userID}
	return ReportShared(ctx, q, rel, reportID)
}
