package billing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/billing"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// The preview's read of the spans walks two ranges of billing_spans_period
// and never visits the table (00051): both halves must say COVERING INDEX.
func TestLedgerPlan(t *testing.T) {
	d := testkit.Open(t, db.SQLite)
	plan, err := d.QueryPlan(context.Background(), billing.LedgerQuery, "acc_x", int64(1), "acc_x", int64(0), int64(1))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, step := range plan {
		if strings.Contains(step, "billing_spans") {
			n++
			if !strings.Contains(step, "COVERING INDEX billing_spans_period") {
				t.Errorf("step %q does not read the covering index only (plan %q)", step, plan)
			}
		}
	}
	t.Logf("plan: %q", plan)
	if n != 2 {
		t.Fatalf("plan %q: want two reads of billing_spans", plan)
	}
}
