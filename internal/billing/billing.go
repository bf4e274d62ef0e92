// Package billing is what an agency pays (SPEC §8): per brand that at least
// one client has access to, not per client. It owns the billing_* tables.
//
// The rule lives in one place, billableNow: a brand of the agency is
// billable while some client has it through an active, unrevoked link, or
// while a pending, unexpired invitation of the agency grants it. Every
// change that can move that set — a brand granted or removed, a client
// created, revoked, restored or disconnected, a link accepted, an
// invitation created, cancelled, expired or accepted, a brand deleted —
// calls Sync in its own transaction, after its other writes. Sync compares
// the set with the open rows and writes the start and stop rows of the
// difference, with the cause and the actor, so the ledger cannot disagree
// with access and a crash between the change and its ledger row is
// impossible. Syncs of one agency are serialised by the lock on its
// billing_accounts row, which also numbers the ledger.
package billing

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/webhook/outbox"
)

// Cause says what made a brand start or stop being billable.
type Cause string

// The causes of ledger rows.
const (
	CauseGrant               Cause = "brand_granted"
	CauseBrandRemoved        Cause = "brand_removed"
	CauseClientCreated       Cause = "client_created"
	CauseRevoke              Cause = "client_revoked"
	CauseRestore             Cause = "client_restored"
	CauseDisconnect          Cause = "link_disconnected"
	CauseLinkExpired         Cause = "link_expired" // its end date came (issue 21)
	CauseLinkActive          Cause = "link_accepted"
	CauseInvitationCreated   Cause = "invitation_created"
	CauseInvitationCancelled Cause = "invitation_cancelled"
	CauseInvitationExpired   Cause = "invitation_expired"
	CauseInvitationAccepted  Cause = "invitation_accepted"
	CauseInvitationResent    Cause = "invitation_resent"
	CauseBrandDeleted        Cause = "brand_deleted"
)

// Change is what Sync records as the reason of its rows: the cause, the
// object that changed (an invitation, a client, a link, a brand) and who
// changed it ("" for a background job).
type Change struct {
	Cause   Cause
	RefID   string
	ActorID string
}

// Sync brings the agency's open brands in line with who has access now,
// writing one ledger row per brand that started or stopped. Call it in the
// transaction of the change, after the change's own writes.
func Sync(ctx context.Context, tx *db.Tx, now time.Time, agencyID string, c Change) error {
	if agencyID == "" {
		return nil
	}
	seq, err := lockAgency(ctx, tx, agencyID)
	if err != nil {
		return err
	}
	billable, err := billableBrands(ctx, tx, now, agencyID, false)
	if err != nil {
		return err
	}
	var open []string
	if err := tx.Select(ctx, &open, `SELECT brand_id FROM billing_open WHERE agency_id = ?`, agencyID); err != nil {
		return err
	}
	isOpen := make(map[string]bool, len(open))
	var stops []string
	for _, b := range open {
		isOpen[b] = true
		if _, ok := billable[b]; !ok {
			stops = append(stops, b)
		}
	}
	var starts []string
	for b := range billable {
		if !isOpen[b] {
			starts = append(starts, b)
		}
	}
	if len(starts) == 0 && len(stops) == 0 {
		return nil
	}
	sort.Strings(starts)
	sort.Strings(stops)
	names, err := brandNames(ctx, tx, agencyID, append(append([]string{}, starts...), stops...))
	if err != nil {
		return err
	}
	write := func(brandID, kind string) error {
		seq++
		_, err := tx.Exec(ctx, `INSERT INTO billing_events (id, agency_id, seq, brand_id, brand_name, kind, at, cause, ref_id, actor_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id.New(id.Billing), agencyID, seq, brandID, names[brandID], kind, now,
			string(c.Cause), nullable(c.RefID), nullable(c.ActorID))
		if err != nil {
			return err
		}
		// Each ledger row is a webhook event of the agency's (issue 21).
		return outbox.BrandBilling(ctx, tx, now, agencyID, seq, brandID, names[brandID], kind == "start", string(c.Cause), c.RefID, c.ActorID)
	}
	for _, b := range stops {
		if _, err := tx.Exec(ctx, `DELETE FROM billing_open WHERE agency_id = ? AND brand_id = ?`, agencyID, b); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE billing_spans SET stop_at = ?, stop_us = ? WHERE agency_id = ? AND brand_id = ? AND stop_us IS NULL`,
			now, now.UnixMicro(), agencyID, b); err != nil {
			return err
		}
		if err := write(b, "stop"); err != nil {
			return err
		}
	}
	for _, b := range starts {
		if _, err := tx.Exec(ctx, `INSERT INTO billing_open (agency_id, brand_id, since) VALUES (?, ?, ?)`, agencyID, b, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO billing_spans (id, agency_id, brand_id, brand_name, start_at, start_us) VALUES (?, ?, ?, ?, ?, ?)`,
			id.New(id.Billing), agencyID, b, names[b], now, now.UnixMicro()); err != nil {
			return err
		}
		if err := write(b, "start"); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `UPDATE billing_accounts SET seq = ? WHERE agency_id = ?`, seq, agencyID)
	return err
}

// lockAgency takes the agency's billing lock (its billing_accounts row,
// created on first use) and returns the ledger's last number. SQLite's
// single writer already excludes every other transaction.
func lockAgency(ctx context.Context, tx *db.Tx, agencyID string) (int64, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO billing_accounts (agency_id, seq) VALUES (?, 0) ON CONFLICT (agency_id) DO NOTHING`, agencyID); err != nil {
		return 0, err
	}
	q := `SELECT seq FROM billing_accounts WHERE agency_id = ?`
	if tx.Dialect() == db.Postgres {
		q += ` FOR UPDATE`
	}
	var seq int64
	err := tx.Get(ctx, &seq, q, agencyID)
	return seq, err
}

// billableNow is THE rule of what an agency pays for: its brands that a
// client has through an active link the agency has not revoked, and the
// brands a pending, unexpired invitation of the agency would grant. The
// values are how many clients (and open invitations) give each brand.
func billableNow(ctx context.Context, q db.Querier, now time.Time, agencyID string) (map[string]int, error) {
	return billableBrands(ctx, q, now, agencyID, true)
}

// billableBrands is billableNow; without counts, each brand's count is 1:
// Sync, which runs in every change of access, needs only which brands are
// billable, and counting every grant of the agency made a client's
// creation cost more the more clients the agency had (a fifth of the
// server's CPU at 2,000 clients in bench/mixed). EXISTS stops at a brand's
// first billable grant.
func billableBrands(ctx context.Context, q db.Querier, now time.Time, agencyID string, counts bool) (map[string]int, error) {
	var rows []struct {
		BrandID string `db:"brand_id"`
		N       int    `db:"n"`
	}
	query := `SELECT cb.brand_id, COUNT(*) AS n FROM brands b
		JOIN client_brands cb ON cb.brand_id = b.id
		JOIN links l ON l.agency_id = b.agency_id AND l.client_id = cb.client_id AND l.status = 'active'
		JOIN agency_clients ac ON ac.agency_id = b.agency_id AND ac.client_id = cb.client_id AND ac.revoked_at IS NULL
		WHERE b.agency_id = ? GROUP BY cb.brand_id`
	if !counts {
		query = `SELECT b.id AS brand_id, 1 AS n FROM brands b WHERE b.agency_id = ? AND EXISTS (SELECT 1 FROM client_brands cb
		JOIN links l ON l.agency_id = b.agency_id AND l.client_id = cb.client_id AND l.status = 'active'
		JOIN agency_clients ac ON ac.agency_id = b.agency_id AND ac.client_id = cb.client_id AND ac.revoked_at IS NULL
		WHERE cb.brand_id = b.id)`
	}
	if err := q.Select(ctx, &rows, query, agencyID); err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.BrandID] = r.N
	}
	var lists []string
	if err := q.Select(ctx, &lists, `SELECT brand_ids FROM invitations WHERE agency_id = ? AND status = 'pending'
		AND (expires_at IS NULL OR expires_at > ?) AND brand_ids <> '[]'`, agencyID, now); err != nil {
		return nil, err
	}
	var invited []string
	for _, l := range lists {
		var ids []string
		if json.Unmarshal([]byte(l), &ids) == nil {
			invited = append(invited, ids...)
		}
	}
	if len(invited) > 0 {
		// Only brands that still exist and are the agency's.
		mine, err := agencyBrands(ctx, q, agencyID, invited)
		if err != nil {
			return nil, err
		}
		for _, b := range invited {
			if _, ok := mine[b]; ok {
				out[b]++
			}
		}
	}
	return out, nil
}

// brandNames returns the names of the agency's brands among ids; a deleted
// brand keeps the name its last ledger row gave it.
func brandNames(ctx context.Context, q db.Querier, agencyID string, ids []string) (map[string]string, error) {
	out, err := agencyBrands(ctx, q, agencyID, ids)
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, b := range ids {
		if _, ok := out[b]; !ok {
			gone = append(gone, b)
			out[b] = b
		}
	}
	if len(gone) == 0 {
		return out, nil
	}
	// Deleted brands: the name of their ledger rows, in one query.
	query, args, err := db.In(`SELECT brand_id, brand_name FROM billing_events WHERE agency_id = ? AND brand_id IN (?) ORDER BY seq`, agencyID, gone)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		BrandID string `db:"brand_id"`
		Name    string `db:"brand_name"`
	}
	if err := q.Select(ctx, &rows, query, args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.BrandID] = r.Name // the last row's name wins
	}
	return out, nil
}

// agencyBrands returns the names of those of ids that are brands of the
// agency now.
func agencyBrands(ctx context.Context, q db.Querier, agencyID string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	query, args, err := db.In(`SELECT id, name FROM brands WHERE agency_id = ? AND id IN (?)`, agencyID, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := q.Select(ctx, &rows, query, args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
