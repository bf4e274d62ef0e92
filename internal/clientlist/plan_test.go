package clientlist_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/clientlist/due"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestRefreshPlans: on SQLite the refresh's reads of due rows and of
// tombstones search their (agency, valid_until) and (agency, v) indexes,
// and marking a client's rows due finds them by client,
// whatever the statistics say, instead of walking the agency's rows in
// client order (a cost that grew with the agency in issue 23's soak).
func TestRefreshPlans(t *testing.T) {
	ctx := context.Background()
	d := testkit.Open(t, db.SQLite)
	if err := d.Optimize(ctx, true); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{clientlist.DueRowsSQL(db.SQLite): "client_list_due_at (agency_id=? AND valid_until<?)",
		due.MarkClientsSQL:                  "client_list_due_client (client_id=?)",
		clientlist.TombstonesSQL(db.SQLite): "client_list_stamps_agency_v (agency_id=? AND v<?)"} {
		args := []any{"acc_1", "2000-01-01", "", 500}[:strings.Count(q, "?")]
		if q == due.MarkClientsSQL {
			args = []any{"1970-01-01", "acc_1", "1970-01-01"}
		}
		plan, err := d.QueryPlan(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		if len(plan) == 0 || !strings.Contains(plan[0], want) {
			t.Errorf("plan %q does not search %s", plan, want)
		}
	}
}
