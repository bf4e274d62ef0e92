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

	"golang.org/x/sync/singleflight"

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
	// copies keeps each agency's list rows, visible the clients each
	// user sees, for pages read from memory (memory.go).
	copies    copies
	visible   visibleSets
	memCounts memCountsCache
	// listFromMemory is always on except in tests that compare the
	// copies with SQL (export_test.go).
	listFromMemory bool
	// refreshes lets concurrent readers share one refresh (fresh.go).
	refreshes singleflight.Group
}

// New returns the client service.
func New(d *db.DB, now clock.Clock) *Service {
	return &Service{db: d, read: d, now: now, listFromMemory: true}
}

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

// A client's name, primary contact (the earliest-joined client admin's
// e-mail), status, user count, seats and brands, as the list and the detail
// show them, are stored per active link in client_list, whose one
// definition is the view client_list_source (migration 00010); triggers
// keep it up to date in every writing transaction. The status, health and
// last activity, which also move with the clock, are recomputed from the
// client's activity when due (fresh.go). SPEC §5's statuses: revoked,
// pending (nobody has joined), and for a joined client active, at_risk or
// churned by its last login. While nobody has joined: pending when an
// e-mail invitation is open, link_invite when only a link invitation is,
// pending otherwise; the invited e-mail is then the primary contact.

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
// client user changed their own account) on the client only. The entries
// are the agency's (audit.Entry.AgencyID; during Login As, the agency of
// the Login As), which another agency sharing the client does not read.
func auditBoth(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor, agencyID, clientID, action, target string, before, after any) error {
	tag := agencyID
	if tag == "" {
		tag = a.ActingAgency()
	}
	for _, acc := range []string{clientID, agencyID} {
		if acc == "" {
			continue
		}
		if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: acc, ActorID: a.UserID, ImpersonatorID: a.ImpersonatorID,
			Action: action, TargetID: target, IP: a.IP, Before: before, After: after, AgencyID: tag}); err != nil {
			return err
		}
	}
	return nil
}
