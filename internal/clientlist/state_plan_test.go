package clientlist_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestStatePlan: the state every page reads finds the agency's tombstones
// by its (agency, v) index on both engines, even with statistics taken
// while every stamp was a tombstone (as after a bulk load): a walk of
// every stamp on every request grew with the agency in issue 23's soak.
func TestStatePlan(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fill := func(prefix string, n, v int) {
			t.Helper()
			if _, err := d.Exec(ctx, `INSERT INTO client_list_stamps (agency_id, client_id, v)
				WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
				SELECT 'acc_plan', ? || i, ? FROM n`, n, prefix, v); err != nil {
				t.Fatal(err)
			}
		}
		// Statistics taken when the agency's 200 stamps were tombstones,
		// then 8,000 clients stamped.
		fill("acc_c", 200, -1)
		if _, err := d.Exec(ctx, `ANALYZE`); err != nil {
			t.Fatal(err)
		}
		fill("acc_d", 8000, 5)
		if _, err := d.Exec(ctx, `UPDATE client_list_stamps SET v = 5 WHERE agency_id = ?`, "acc_plan"); err != nil {
			t.Fatal(err)
		}
		args := []any{"acc_plan", "acc_plan", "acc_plan", "acc_plan", "acc_plan"}
		var plan []string
		if d.Dialect() == db.SQLite {
			p, err := d.QueryPlan(ctx, clientlist.StateSQL, args...)
			if err != nil {
				t.Fatal(err)
			}
			plan = p
		} else if err := d.Select(ctx, &plan, `EXPLAIN `+clientlist.StateSQL, args...); err != nil {
			t.Fatal(err)
		}
		all := strings.Join(plan, "\n")
		for _, scan := range []string{"Seq Scan on client_list_stamps", "SCAN client_list_stamps"} {
			if strings.Contains(all, scan) {
				t.Errorf("the state walks every stamp:\n%s", all)
			}
		}
		if !strings.Contains(all, "client_list_stamps_agency_v") {
			t.Errorf("the state does not read the (agency, v) index:\n%s", all)
		}
		var dead int
		if err := d.Get(ctx, &dead, `SELECT dead FROM (`+clientlist.StateSQL+`) v`, args...); err != nil || dead != 0 {
			t.Fatalf("dead = %d (%v), want 0 with no tombstone", dead, err)
		}
		if _, err := d.Exec(ctx, `UPDATE client_list_stamps SET v = -1 WHERE agency_id = ? AND client_id = ?`, "acc_plan", "acc_d1000"); err != nil {
			t.Fatal(err)
		}
		if err := d.Get(ctx, &dead, `SELECT dead FROM (`+clientlist.StateSQL+`) v`, args...); err != nil || dead != 1 {
			t.Fatalf("dead = %d (%v), want 1 with a tombstone", dead, err)
		}
	})
}
