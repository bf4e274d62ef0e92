package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// The client list's state is kept in each process while nothing it is read
// from changes (issue 23: clientlist's currentCopy, db.ListGeneration).
// Three servers on one database, each with the list in memory: a client
// created, seats changed, a client disabled and a setting that moves a
// client's status (its rows marked due), each made through the first
// server, show on the very next list page of each of the three.
func TestClientListAcrossProcesses(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		a := w.s
		servers := threeProcesses(t, e, a)
		var admins []*testkit.APIClient
		for _, s := range servers {
			x := s.NewClient()
			for _, k := range w.admin.HTTP.Jar.Cookies(mustURL(t, a.URL)) {
				x.Header.Add("Cookie", k.Name+"="+k.Value)
			}
			admins = append(admins, x)
		}
		// A client whose only user last logged in 20 days ago: at risk
		// under the default at_risk_days (14).
		ctx := context.Background()
		var old string
		err := a.DB.InTx(ctx, func(tx *db.Tx) error {
			c, err := account.Create(ctx, tx, a.Now(), "client", "Old Co")
			if err != nil {
				return err
			}
			old = c.ID
			uid := id.New(id.User)
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, 'old@old.example', 'Old', 'x', ?, ?)`,
				uid, a.Now(), a.Now()); err != nil {
				return err
			}
			if err := account.AddMember(ctx, tx, a.Now(), c.ID, uid, "admin"); err != nil {
				return err
			}
			return activity.RecordLogin(ctx, tx, clock.Real().Add(-20*24*time.Hour), uid, "")
		})
		if err != nil {
			t.Fatal(err)
		}
		a.AddLink(t, testkit.LinkFixture{AgencyID: w.agency, ClientID: old, AccessAll: true})
		// item reads the client on each server's first page (of a status).
		item := func(what, query, clientID string) []map[string]any {
			t.Helper()
			var out []map[string]any
			for i, c := range admins {
				var found map[string]any
				for _, it := range clItems(w.list(t, c, query)) {
					if it["id"] == clientID {
						found = it
					}
				}
				if found == nil {
					t.Errorf("%s: server %d does not list %s (?%s)", what, i, clientID, query)
				}
				out = append(out, found)
			}
			return out
		}
		for _, it := range item("at first", "", old) {
			if it != nil && it["status"] != "at_risk" {
				t.Fatalf("at first: %v", it)
			}
		}

		// A client created on server 0 is on every server's next page.
		made := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/clients", map[string]any{"name": "Brand New Co"}).Body["id"].(string)
		item("a client created", "", made)

		// Seats changed.
		w.admin.Must(t, 200, "PATCH", w.clientPath(made), map[string]any{"seats": 7})
		for i, it := range item("seats changed", "", made) {
			if it != nil && it["seats"] != 7.0 {
				t.Errorf("seats changed: server %d lists %v", i, it)
			}
		}

		// Disabled.
		w.admin.Must(t, 200, "PATCH", w.clientPath(made), map[string]any{"enabled": false})
		for i, it := range item("disabled", "", made) {
			if it != nil && it["enabled"] != false {
				t.Errorf("disabled: server %d lists %v", i, it)
			}
		}

		// A setting marks the agency's rows due: 20 days is no longer at
		// risk under at_risk_days 30, on every server.
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.agency+"/settings", map[string]any{"at_risk_days": 30})
		for i, it := range item("at_risk_days 30", "", old) {
			if it != nil && it["status"] != "active" {
				t.Errorf("at_risk_days 30: server %d lists %v", i, it)
			}
		}
		// The counts too, under a status filter.
		for i, c := range admins {
			if n := w.list(t, c, "status=at_risk").Body["counts"].(map[string]any)["at_risk"].(float64); n != 0 {
				t.Errorf("at_risk_days 30: server %d counts %v at risk", i, n)
			}
		}
	})
}
