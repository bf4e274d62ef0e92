package clientlist_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestActivityReadPlans: the refresh's read of a client's activity
// (activityNow) seeks its maxima and first views at the ends of migration
// 00060's partial indexes, and does not walk the client's history: on
// SQLite every step on activity_events searches one of them (or, for the
// last event, the (client, at) index) with its columns bound up to the
// seek, and it is as fast for both clients; and
// on PostgreSQL, as the application runs the statements (generic plans),
// a client with 20,000 events reads about the blocks one with 10 does
// (before 00060: the maxima statement read every event the client had,
// the first views every view of the last 30 days).
func TestActivityReadPlans(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := clock.Real().Truncate(time.Second)
		seedActivity(t, d, "acc_many", 20000, 5000, now)
		seedActivity(t, d, "acc_few", 10, 5000, now)
		analyze(t, d)
		blocks := map[string][]int{}
		for _, c := range []string{"acc_many", "acc_few"} {
			for _, q := range clientlist.ActivityReads(d.Dialect(), []string{c}, now) {
				if d.Dialect() == db.SQLite {
					plan, err := d.QueryPlan(ctx, q.SQL, q.Args...)
					if err != nil {
						t.Fatal(err)
					}
					checkSQLiteActivityPlan(t, plan)
					// Its plan cannot tell a seek at an end of an
					// index (MIN, MAX) from a walk of a range: the
					// time does, the fastest of 20 runs (a walk of
					// 20,000 events takes milliseconds, the seeks
					// tens of microseconds).
					fastest := time.Hour
					for range 20 {
						start := time.Now()
						var rows []struct {
							ClientID    string  `db:"client_id"`
							Kind        string  `db:"kind"`
							Page        *string `db:"page"`
							At          db.Time `db:"at"`
							LastLogin   db.Time `db:"last_login"`
							LastActive  db.Time `db:"last_active"`
							LoginBefore db.Time `db:"login_before"`
						}
						if err := d.Select(ctx, &rows, q.SQL, q.Args...); err != nil {
							t.Fatal(err)
						}
						fastest = min(fastest, time.Since(start))
					}
					blocks[c] = append(blocks[c], int(fastest.Microseconds()))
					continue
				}
				plan, err := d.PostgresPlan(ctx, true, q.SQL, q.Args...)
				if err != nil {
					t.Fatal(err)
				}
				all := strings.Join(plan, "\n")
				if strings.Contains(all, "Seq Scan on activity_events") || strings.Contains(all, "activity_events_client_kind") {
					t.Errorf("%s: the activity is not read from the partial indexes:\n%s", c, all)
				}
				n := -1
				for _, l := range plan {
					if _, err := fmt.Sscanf(strings.TrimSpace(l), "Buffers: shared hit=%d", &n); err == nil {
						break
					}
				}
				if n < 0 {
					t.Fatalf("no buffers in the plan:\n%s", all)
				}
				blocks[c] = append(blocks[c], n)
			}
		}
		// Per statement: the seeks of a client with 20,000 events cross
		// a deeper index (a level more) and its 4 logins of the window.
		unit, most := "blocks", func(few int) int { return 2*few + 20 }
		if d.Dialect() == db.SQLite {
			unit, most = "µs", func(few int) int { return 10*few + 1000 }
		}
		for i := range blocks["acc_few"] {
			if few, many := blocks["acc_few"][i], blocks["acc_many"][i]; many > most(few) {
				t.Errorf("statement %d: %d %s for a client with 20,000 events, %d for one with 10", i, many, unit, few)
			} else {
				t.Logf("statement %d: %d %s for a client with 20,000 events, %d for one with 10", i, many, unit, few)
			}
		}
	})
}

// checkSQLiteActivityPlan checks that every read of activity_events in an
// EXPLAIN QUERY PLAN is one of the seeks of activityNow, bound up to the
// column it seeks on.
func checkSQLiteActivityPlan(t *testing.T, plan []string) {
	t.Helper()
	seeks := []string{
		"activity_events_own (client_id=? AND kind=? AND at>? AND at<?)",       // logins of the window
		"activity_events_own (client_id=? AND kind=? AND at<?)",                // the last logins
		"activity_events_client_at (client_id=? AND at<?)",                     // the last event, backwards
		"activity_events_own_views (client_id=?)",                              // the first page viewed
		"activity_events_own_views (client_id=? AND page>?)",                   // the next page
		"activity_events_own_views (client_id=? AND page=? AND at>? AND at<?)", // a page's first view
	}
	for _, l := range plan {
		if strings.Contains(l, "GROUP BY") || strings.Contains(l, "ORDER BY") {
			t.Errorf("the activity read groups or sorts rows: %q in\n%s", l, strings.Join(plan, "\n"))
		}
		if !strings.Contains(l, "activity_events") && !strings.Contains(l, " e ") && !strings.HasSuffix(l, " e") {
			continue
		}
		ok := false
		for _, s := range seeks {
			ok = ok || strings.HasSuffix(l, "USING INDEX "+s)
		}
		if !ok {
			t.Errorf("not a seek of the activity read: %q in\n%s", l, strings.Join(plan, "\n"))
		}
	}
}

// seedActivity gives the client n events: page views of seven pages over
// the last 20 days, one in loginEvery a login, one in twenty impersonated.
func seedActivity(t testing.TB, d *db.DB, clientID string, n, loginEvery int, now time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := d.Exec(ctx, `INSERT INTO accounts (id, kind, name, created_at, updated_at) VALUES (?, 'client', ?, ?, ?)`,
		clientID, clientID, now, now); err != nil {
		t.Fatal(err)
	}
	pages := []string{"dashboard", "reports", "users", "agencies", "security", "profile", "billing"}
	err := d.InTx(ctx, func(tx *db.Tx) error {
		for start := 0; start < n; start += 500 {
			var args []any
			k := min(500, n-start)
			for i := start; i < start+k; i++ {
				kind, page, imp := "page_view", any(pages[i%len(pages)]), any(nil)
				if i%loginEvery == 3 {
					kind, page = "login", nil
				}
				if i%20 == 1 {
					imp = "usr_imp"
				}
				at := now.Add(-time.Duration(n-i) * 20 * 24 * time.Hour / time.Duration(n))
				args = append(args, clientID, kind, page, imp, at)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO activity_events (client_id, kind, page, impersonator_id, at) VALUES `+
				db.Tuples(`(?, ?, ?, ?, ?)`, k), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
