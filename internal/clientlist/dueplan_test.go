package clientlist_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestDueRowsPlanAsRun: on PostgreSQL the refresh's read of an agency's due
// rows, run as refreshBatch runs it, searches the (agency, valid_until)
// index when few of 8,000 rows are due. Its generic plan (the one a
// prepared statement gets on our connections) walked the agency's rows in
// client order, every row on every refresh: 874 blocks a call at 1,500
// clients, 3,340 at 4,000 in issue 23's soak.
func TestDueRowsPlanAsRun(t *testing.T) {
	ctx := context.Background()
	d := testkit.Open(t, db.Postgres)
	now := clock.Real()
	if _, err := d.Exec(ctx, `INSERT INTO client_list_due (agency_id, client_id, valid_until)
		SELECT 'acc_plan', 'cl_' || lpad(i::text, 5, '0'), CASE WHEN i % 1000 = 7 THEN CAST(? AS TIMESTAMPTZ) ELSE CAST(? AS TIMESTAMPTZ) END
		FROM generate_series(1, 8000) i`, now.Add(-time.Hour), now.Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ctx, `ANALYZE client_list_due`); err != nil {
		t.Fatal(err)
	}
	q := clientlist.DueRowsSQL(db.Postgres)
	var ids []string
	if err := d.Select(ctx, &ids, q, clientlist.DueRowsArgs(d, "acc_plan", now, "", 500)...); err != nil || len(ids) != 8 {
		t.Fatalf("due rows %v (%v), want 8", ids, err)
	}
	plan, err := d.PostgresPlan(ctx, true, q, clientlist.DueRowsArgs(d, "acc_plan", now, "", 500)...)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(plan, "\n")
	if !strings.Contains(all, "client_list_due_at") || strings.Contains(all, "client_list_due_pkey") || strings.Contains(all, "Seq Scan") {
		t.Errorf("the due rows are not read by their (agency, valid_until) index:\n%s", all)
	}
}
