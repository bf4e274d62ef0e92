package db_test

import (
	"context"
	"testing"

	"github.com/liaison-dev/liaison/internal/clientlist/due"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestRebuiltRowDueWithoutValidUntil (migration 00061): client_list has no
// valid_until any more, and a row rebuilt from client_list_source (which
// must keep the table's columns, in order, for INSERT … SELECT *) is due at
// once in client_list_due, on both engines.
func TestRebuiltRowDueWithoutValidUntil(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := clock.Real()
		var agencyID, clientID string
		if err := d.InTx(ctx, func(tx *db.Tx) (err error) {
			agencyID, clientID, err = linkedPair(ctx, tx, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// A rebuild (the client renamed) after the refresh would have set
		// the row's moment: due at once again.
		if _, err := d.Exec(ctx, `UPDATE client_list_due SET valid_until = NULL WHERE agency_id = ?`, agencyID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `UPDATE accounts SET name = 'Renamed' WHERE id = ?`, clientID); err != nil {
			t.Fatal(err)
		}
		var r struct {
			Name  string  `db:"name"`
			Until db.Time `db:"valid_until"`
		}
		if err := d.Get(ctx, &r, `SELECT l.name, d.valid_until FROM client_list l
			JOIN client_list_due d ON d.agency_id = l.agency_id AND d.client_id = l.client_id WHERE l.agency_id = ?`, agencyID); err != nil {
			t.Fatal(err)
		}
		if r.Name != "Renamed" || !r.Until.Valid || !r.Until.Time.Equal(due.Epoch) {
			t.Errorf("rebuilt row %q due %v, want Renamed due at the epoch", r.Name, r.Until)
		}
		if _, err := d.Exec(ctx, `SELECT valid_until FROM client_list`); err == nil {
			t.Error("client_list still has valid_until")
		}
	})
}
