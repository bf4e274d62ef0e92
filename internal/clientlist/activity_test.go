package clientlist_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestActivityNowScoresAsAll: the activity the refresh reads (one page view
// per page: its first of the last 30 days) gives every client the same
// score, next change, last login and last activity as all the events of
// the window did, on both engines: random logins and page views from 200
// days back to a day ahead, some impersonated, some of other kinds, some
// on the windows' edges, and clients without logins (whose next change is
// a view's).
func TestActivityNowScoresAsAll(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := clock.Real().Truncate(time.Second)
		r := rand.New(rand.NewPCG(5, 9))
		day := 24 * time.Hour
		var ids []string
		for c := range 40 {
			id := fmt.Sprintf("acc_act%02d", c)
			ids = append(ids, id)
			if _, err := d.Exec(ctx, `INSERT INTO accounts (id, kind, name, created_at, updated_at) VALUES (?, 'client', ?, ?, ?)`,
				id, id, now, now); err != nil {
				t.Fatal(err)
			}
			// Half the clients have no login: then the next change is a
			// view's leaving the last 30 days, not the next day since a
			// login.
			kinds := []string{"login", "page_view", "page_view", "export", "logout"}
			if c%2 == 1 {
				kinds = kinds[1:]
			}
			for range r.IntN(60) {
				kind := kinds[r.IntN(len(kinds))]
				at := now.Add(-time.Duration(r.Int64N(int64(200 * day)))).Add(day)
				switch r.IntN(8) { // the edges of the windows
				case 0:
					at = now.Add(-30 * day)
				case 1:
					at = now.Add(-120 * day)
				case 2:
					at = now
				case 3:
					at = now.Add(-30*day + time.Duration(r.Int64N(int64(3*day))))
				}
				var page, imp any
				if kind == "page_view" && r.IntN(10) > 0 {
					page = []string{"dashboard", "reports", "users", "billing", "brand", "settings"}[r.IntN(6)]
				}
				if r.IntN(6) == 0 {
					imp = "usr_imp"
				}
				if _, err := d.Exec(ctx, `INSERT INTO activity_events (client_id, kind, page, impersonator_id, at) VALUES (?, ?, ?, ?, ?)`,
					id, kind, page, imp, at); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, churn := range []int{30, 45, 730} {
			all, err := clientlist.ActivityScores(ctx, d, ids, now, churn, true)
			if err != nil {
				t.Fatal(err)
			}
			got, err := clientlist.ActivityScores(ctx, d, ids, now, churn, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				if got[id] != all[id] {
					t.Errorf("churn %d, %s:\n got %s\nwant %s", churn, id, got[id], all[id])
				}
			}
		}
	})
}
