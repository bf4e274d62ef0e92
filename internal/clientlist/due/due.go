// Package due is how other packages' transactions tell the client list
// (package clientlist) that stored rows must be recomputed: it marks rows
// due (client_list_due.valid_until in the past, migration 00058), which the next read of the agency's list
// recomputes (clientlist's RefreshDue). It is a package of its own, holding
// only these writes, so that the packages whose changes feed the list
// (activity, agency, metricdata) can call it without importing the read
// model, which reads their data. Marking touches valid_until only: no
// in-memory copy holds it, so no version moves (see clientlist's package
// doc).
package due

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
)

// Epoch is the valid_until of a row rebuilt from its data (migration
// 00061's trigger client_list_due_row_added writes it): its status, score
// and last activity are blank until the refresh computes them, and the
// refresh versions it whatever it finds, since its other columns may have
// changed.
var Epoch = time.Unix(0, 0).UTC()

// Marked is the valid_until these functions write: due at once, but its
// stored values are those of the last refresh, so the refresh versions it
// only if what it shows changed (an event that moved nothing, a threshold
// that moved no status, makes no in-memory copy read the row again).
var Marked = Epoch.Add(time.Second)

// MarkClientsSQL is MarkClients' statement (its plan is tested: it runs with
// every batch of recorded events).
const MarkClientsSQL = `UPDATE client_list_due SET valid_until = ? WHERE client_id IN (?) AND (valid_until IS NULL OR valid_until > ?)`

// MarkClients marks the list rows of the clients (in every agency) due, in
// the caller's transaction: their activity changed. clientIDs must be
// sorted, so that every transaction locks rows in one order. Rows already
// due (at Epoch or Marked) are left alone (no write, no lock).
func MarkClients(ctx context.Context, tx *db.Tx, clientIDs []string) error {
	if len(clientIDs) == 0 {
		return nil
	}
	q, args, err := db.In(MarkClientsSQL, Marked, clientIDs, Marked)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, q, args...)
	return err
}

// MarkAgency marks every list row of the agency due, in the caller's
// transaction: a setting the rows are computed with changed.
func MarkAgency(ctx context.Context, tx *db.Tx, agencyID string) error {
	_, err := tx.Exec(ctx, `UPDATE client_list_due SET valid_until = ? WHERE agency_id = ? AND (valid_until IS NULL OR valid_until > ?)`,
		Marked, agencyID, Marked)
	return err
}

// MarkHeadline marks due, in the caller's transaction, the list rows of the
// clients granted the brand (in the brand's agency) when the metrics
// changed — points pushed or deleted, or their catalogue rule — include
// one of the agency's headline metrics (none named: any). The list's
// refresh then computes their headline values again (clientlist's
// headline.go). An agency without headline metrics costs one read by key.
func MarkHeadline(ctx context.Context, tx *db.Tx, brandID string, metrics []string) error {
	var stored string
	err := tx.Get(ctx, &stored, `SELECT s.headline_metrics FROM brands b JOIN agency_settings s ON s.agency_id = b.agency_id
		WHERE b.id = ?`, brandID)
	if errors.Is(err, db.ErrNoRows) {
		return nil // the defaults: no headline metrics
	}
	if err != nil {
		return err
	}
	var headline []string
	if err := json.Unmarshal([]byte(stored), &headline); err != nil || len(headline) == 0 {
		return nil
	}
	if len(metrics) > 0 && !slices.ContainsFunc(metrics, func(m string) bool { return slices.Contains(headline, m) }) {
		return nil
	}
	_, err = tx.Exec(ctx, `UPDATE client_list_due SET valid_until = ?
		WHERE agency_id = (SELECT agency_id FROM brands WHERE id = ?)
		AND client_id IN (SELECT client_id FROM client_brands WHERE brand_id = ?)
		AND (valid_until IS NULL OR valid_until > ?)`, Marked, brandID, brandID, Marked)
	return err
}
