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
	"github.com/liaison-dev/liaison/internal/health"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestActivityNowScoresAsAll: the activity the refresh reads (one page view
// per page: its first of the last 30 days) gives every client the same
// score, next change, last login and last activity as all the events of
// the window did, on both engines: random logins and page views from 200
// days back to a day ahead, some impersonated, some of other kinds, some
// on the windows' edges, and clients without logins (whose next change is
// a view's). Both are compared with the same read in Go from every event
// (scoresFromEvents), as the statements before migration 00060 read them:
// the maxima are now read per kind and the first views per page, as index
// seeks, and edge clients have impersonated events at those maxima.
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
		// Clients made for the edges: impersonated events at the maxima
		// (a login and an export at now, a view before the page's first
		// own view of the last 30 days), only impersonated events, none,
		// only events after now but for an old logout, and a page viewed
		// only before the last 30 days.
		type ev struct {
			kind, page string
			imp        bool
			at         time.Time
		}
		edges := [][]ev{
			{{"login", "", false, now.Add(-10 * day)}, {"page_view", "reports", false, now.Add(-5 * day)},
				{"login", "", true, now}, {"export", "", true, now}, {"page_view", "reports", true, now.Add(-29 * day)},
				{"page_view", "users", true, now}, {"login", "", true, now.Add(-125 * day)}, {"login", "", false, now.Add(-130 * day)}},
			{{"login", "", true, now.Add(-time.Hour)}, {"page_view", "reports", true, now.Add(-time.Hour)}},
			{},
			{{"login", "", false, now.Add(time.Hour)}, {"page_view", "reports", false, now.Add(time.Hour)}, {"logout", "", false, now.Add(-200 * day)}},
			{{"login", "", false, now.Add(-2 * day)}, {"page_view", "billing", false, now.Add(-31 * day)}, {"page_view", "dashboard", false, now.Add(-30 * day)}},
		}
		for c, evs := range edges {
			id := fmt.Sprintf("acc_edge%02d", c)
			ids = append(ids, id)
			if _, err := d.Exec(ctx, `INSERT INTO accounts (id, kind, name, created_at, updated_at) VALUES (?, 'client', ?, ?, ?)`,
				id, id, now, now); err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				var page, imp any
				if e.page != "" {
					page = e.page
				}
				if e.imp {
					imp = "usr_imp"
				}
				if _, err := d.Exec(ctx, `INSERT INTO activity_events (client_id, kind, page, impersonator_id, at) VALUES (?, ?, ?, ?, ?)`,
					id, e.kind, page, imp, e.at); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, churn := range []int{30, 45, 730} {
			want := scoresFromEvents(t, d, now, churn)
			for _, all := range []bool{true, false} {
				got, err := clientlist.ActivityScores(ctx, d, ids, now, churn, all)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range ids {
					if got[id] != want[id] {
						t.Errorf("churn %d, every view %v, %s:\n got %s\nwant %s", churn, all, id, got[id], want[id])
					}
				}
			}
		}
	})
}

// scoresFromEvents is what ActivityScores should give, from every event in
// the table read one by one, in Go: the own (not impersonated) logins and
// views of the window, the last own login before it, the last own login
// and event at or before now. For a client with no own event at or before
// now, nothing.
func scoresFromEvents(t *testing.T, d *db.DB, now time.Time, churn int) map[string]string {
	t.Helper()
	var evs []struct {
		ClientID string  `db:"client_id"`
		Kind     string  `db:"kind"`
		Page     *string `db:"page"`
		Imp      *string `db:"impersonator_id"`
		At       db.Time `db:"at"`
	}
	if err := d.Select(context.Background(), &evs, `SELECT client_id, kind, page, impersonator_id, at FROM activity_events`); err != nil {
		t.Fatal(err)
	}
	type acc struct {
		a                                  health.Activity
		lastLogin, lastActive, loginBefore time.Time
		any                                bool
	}
	by := map[string]*acc{}
	from := now.Add(-clientlist.HealthWindow)
	for _, e := range evs {
		at := e.At.Time.UTC()
		if e.Imp != nil || at.After(now) {
			continue
		}
		c := by[e.ClientID]
		if c == nil {
			c = &acc{}
			by[e.ClientID] = c
		}
		c.any = true
		if at.After(c.lastActive) {
			c.lastActive = at
		}
		switch {
		case e.Kind == "login" && at.After(from):
			c.a.Logins = append(c.a.Logins, at)
		case e.Kind == "login" && at.After(c.loginBefore):
			c.loginBefore = at
		case e.Kind == "page_view" && e.Page != nil && at.After(from):
			c.a.Views = append(c.a.Views, health.View{Page: *e.Page, At: at})
		}
		if e.Kind == "login" && at.After(c.lastLogin) {
			c.lastLogin = at
		}
	}
	out := map[string]string{}
	for id, c := range by {
		if !c.loginBefore.IsZero() {
			c.a.Logins = append(c.a.Logins, c.loginBefore)
		}
		out[id] = clientlist.ScoreOf(c.a, c.lastLogin, c.lastActive, now, churn)
	}
	return out
}
