// Package client is the agency's view of its clients (SPEC §3): the client
// list with its filters, sort, search and CSV export; the client detail;
// seats, enabled, permissions, account managers and brand grants; revoking
// access; and the client's own users (roles, removal).
//
// Every function takes what authz checked — an authz.ClientScope for the
// list, an authz.Relation for one client — and scopes its SQL by it, so a
// function called without a check finds nothing. Changes write their audit
// entries on every account concerned (the agency and the client) in the same
// transaction.
package client

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Service is the client domain.
type Service struct {
	db *db.DB
	// read runs the read queries; it is db except in tests that count
	// statements (see export_test.go).
	read db.Querier
	now  clock.Clock
	// countsCache keeps the client list's counts until the data changes
	// (list.go).
	countsCache countsCache
}

// New returns the client service.
func New(d *db.DB, now clock.Clock) *Service { return &Service{db: d, read: d, now: now} }

// ClientBrand is a brand granted to a client, as the list and detail show it.
// (The Client prefix keeps the OpenAPI schema names unique across packages.)
type ClientBrand struct {
	ID   string `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

// ClientHealth is a client's health score and its band (SPEC §5).
type ClientHealth struct {
	Score int    `json:"score"`
	Band  string `json:"band" enum:"healthy,at_risk,churned"`
}

// healthOf turns a stored score into its band; nil while no score exists.
func healthOf(score *int64) *ClientHealth {
	if score == nil {
		return nil
	}
	h := &ClientHealth{Score: int(*score)}
	switch {
	case h.Score >= 70:
		h.Band = "healthy"
	case h.Score >= 40:
		h.Band = "at_risk"
	default:
		h.Band = "churned"
	}
	return h
}

// ClientPermissions are the switches an agency sets for a client (SPEC §3).
type ClientPermissions struct {
	CanExport     bool `json:"can_export"`
	ManageBilling bool `json:"manage_billing"`
	Reports       bool `json:"reports"`
	Users         bool `json:"users"`
}

// The SQL expressions that the list, the detail and the filters share. Each
// is written once so that a status shown and a status filtered on are the
// same thing. They read the agency's active link as l (l.client_id is the
// client, l.agency_id the agency) and its management row as ac (LEFT JOIN
// agency_clients on both), and nothing else, so the list can evaluate them
// on the links it walks before it reads the clients' accounts.
const (
	// primaryEmail: the earliest-joined client admin's e-mail; while nobody
	// has joined, the address of the client's most recent pending or
	// expired invitation (SPEC §4: the person invited is its contact).
	primaryEmailSQL = `COALESCE((SELECT u.email FROM memberships pm JOIN users u ON u.id = pm.user_id
		WHERE pm.account_id = l.client_id AND pm.role = 'admin' ORDER BY pm.created_at, pm.user_id LIMIT 1),
		CASE WHEN NOT EXISTS (SELECT 1 FROM memberships em WHERE em.account_id = l.client_id)
		THEN (SELECT iv.email FROM invitations iv WHERE iv.account_id = l.client_id AND iv.status IN ('pending', 'expired')
			ORDER BY iv.created_at DESC, iv.id DESC LIMIT 1) END)`
	usersSQL = `(SELECT COUNT(*) FROM memberships um WHERE um.account_id = l.client_id)`
	// healthSQL and lastActiveSQL are NULL until activity tracking exists
	// (SPEC §5, a later issue); the list already sorts on them, nulls last.
	// While one of them is a constant NULL (alwaysNull), its sort is the
	// name order, which the list reads straight from an index.
	healthSQL     = `CAST(NULL AS INTEGER)`
	lastActiveSQL = `CAST(NULL AS TIMESTAMP)`
	// statusSQL is SPEC §5's status from what the data holds today (logins,
	// hence at_risk and churned, come with a later issue): revoked; active
	// once someone has joined; while nobody has, pending when an e-mail
	// invitation is open, link_invite when only a link invitation is, and
	// pending otherwise (an agency-created client not yet populated, or its
	// invitations expired or cancelled). "Open" is the stored status
	// 'pending', not a comparison with the clock: the expiry job marks
	// invitations expired, and the invitations triggers move
	// client_list_version then, so the cached counts stay exact. The list
	// keeps its counts per status in memory until a table these read
	// changes (Service.counts): a status that will move with the clock
	// alone (at_risk, churned) must then enter that cache's key too.
	statusSQL = `CASE WHEN ac.revoked_at IS NOT NULL THEN 'revoked'
		WHEN EXISTS (SELECT 1 FROM memberships sm WHERE sm.account_id = l.client_id) THEN 'active'
		WHEN EXISTS (SELECT 1 FROM invitations si WHERE si.account_id = l.client_id AND si.status = 'pending'
			AND si.delivery = 'email') THEN 'pending'
		WHEN EXISTS (SELECT 1 FROM invitations si WHERE si.account_id = l.client_id AND si.status = 'pending') THEN 'link_invite'
		ELSE 'pending' END`
)

// alwaysNull names the sort values above that are NULL for every client
// today.
var alwaysNull = map[string]bool{`CAST(NULL AS INTEGER)`: true, `CAST(NULL AS TIMESTAMP)`: true}

// Statuses are the values of the status filter, in tab order.
var Statuses = []string{"all", "pending", "link_invite", "active", "at_risk", "churned", "revoked"}

// ensureRow creates the agency's management row for a client it sees
// through an active link, in case the link was made without one, so that
// the conditional UPDATEs below always have a row to act on. It also locks
// that row on PostgreSQL for the rest of the transaction (the no-op UPDATE),
// so concurrent changes to one client apply one after the other and the
// "before" read for the audit is exact.
func ensureRow(ctx context.Context, tx *db.Tx, now time.Time, rel authz.Relation) error {
	if _, err := tx.Exec(ctx, `INSERT INTO agency_clients (agency_id, client_id, created_at, updated_at)
		SELECT l.agency_id, l.client_id, ?, ? FROM links l
		WHERE l.agency_id = ? AND l.client_id = ? AND l.status = 'active'
		ON CONFLICT (agency_id, client_id) DO NOTHING`, now, now, rel.AgencyID, rel.AccountID); err != nil {
		return err
	}
	res, err := tx.Exec(ctx, `UPDATE agency_clients SET updated_at = updated_at WHERE agency_id = ? AND client_id = ?`,
		rel.AgencyID, rel.AccountID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.ErrNotFound
	}
	return nil
}

// linked reports whether rel is an agency user's checked view of a client.
func linked(rel authz.Relation) bool {
	return rel.Visible() && rel.AccountKind == "client" && rel.AgencyID != ""
}

// auditBoth records a change to a client on the client and on the agency
// (SPEC §9: changes to a client are visible to both); with no agency (a
// client user changed their own account) on the client only.
func auditBoth(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor, agencyID, clientID, action, target string, before, after any) error {
	for _, acc := range []string{clientID, agencyID} {
		if acc == "" {
			continue
		}
		if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: acc, ActorID: a.UserID, ImpersonatorID: a.ImpersonatorID,
			Action: action, TargetID: target, IP: a.IP, Before: before, After: after}); err != nil {
			return err
		}
	}
	return nil
}
