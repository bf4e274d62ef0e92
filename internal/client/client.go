// Package client holds the commands on an agency's clients (SPEC §3): the
// client detail; seats, enabled, permissions, account managers and brand
// grants; revoking access; and the client's own users (roles, removal).
// The client list, its counts, CSV, health and digest reads are the read
// model of package clientlist, which Service embeds so that its callers
// reach both through one service.
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
	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Service is the client domain: the commands here and the list's reads
// (List, ExportCSV, Health, Digest) of the embedded clientlist.Service.
type Service struct {
	*clientlist.Service
	db *db.DB
	// read runs the read queries; it is db except in tests that count
	// statements.
	read db.Querier
	now  clock.Clock
}

// New returns the client service.
func New(d *db.DB, now clock.Clock) *Service {
	return &Service{Service: clientlist.New(d, now), db: d, read: d, now: now}
}

// The list's types, under the names the API and the pages use.
type (
	ClientBrand    = clientlist.ClientBrand
	ClientHealth   = clientlist.ClientHealth
	ListQuery      = clientlist.ListQuery
	ClientListItem = clientlist.ClientListItem
	ClientCounts   = clientlist.ClientCounts
	ClientPage     = clientlist.ClientPage
	HealthReport   = clientlist.HealthReport
	WeekLogins     = clientlist.WeekLogins
	DayScore       = clientlist.DayScore
	DigestClient   = clientlist.DigestClient
	DigestData     = clientlist.DigestData
)

// MaxLimit is the largest page of the list.
const MaxLimit = clientlist.MaxLimit

// Statuses are the values of the list's status filter, in tab order.
var Statuses = clientlist.Statuses

// Neutralize makes a CSV cell safe to open in a spreadsheet
// (clientlist.Neutralize).
func Neutralize(cell string) string { return clientlist.Neutralize(cell) }

// ClientPermissions are the switches an agency sets for a client (SPEC §3).
type ClientPermissions struct {
	CanExport     bool `json:"can_export"`
	ManageBilling bool `json:"manage_billing"`
	Reports       bool `json:"reports"`
	Users         bool `json:"users"`
}

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
