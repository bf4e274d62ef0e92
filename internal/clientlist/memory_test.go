package clientlist_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// On PostgreSQL a page of the client list is read from an in-memory copy of
// the agency's rows (memory.go). Every page of every sort, for an admin
// (both scopes) and a member who sees one client in three, with status
// filters and searches, is the page that SQL gives: clients with scores
// and last activities spread over weeks (ties included), revoked and
// pending ones, non-ASCII names (whose searches run in SQL). It runs on
// both engines: the memory path is forced on SQLite.
func TestListFromMemoryMatchesSQL(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := clock.Real()
		at := func() time.Time { return now }
		agencyID, adminID, viewerID, brandID := staffedAgency(t, d, "Nike 100%_x", "member")
		seed(t, d, agencyID, brandID, 0, 90)
		var clients []struct {
			LinkID   string `db:"id"`
			ClientID string `db:"client_id"`
			UserID   string `db:"user_id"`
		}
		if err := d.Select(ctx, &clients, `SELECT l.id, l.client_id, m.user_id FROM links l JOIN accounts a ON a.id = l.client_id
			JOIN memberships m ON m.account_id = l.client_id WHERE l.agency_id = ? ORDER BY a.name`, agencyID); err != nil || len(clients) != 90 {
			t.Fatalf("%d clients, %v", len(clients), err)
		}
		// Headline metrics: sessions (summed over brands) and a percent
		// (averaged), from two brands, the second granted to some clients.
		adidas := id.New(id.Brand)
		today := now.UTC().Format(time.DateOnly)
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO agency_settings (agency_id, headline_metrics, updated_at) VALUES (?, '["sessions","conv"]', ?)`, []any{agencyID, now}},
				{`INSERT INTO brands (id, agency_id, name, name_key, created_at, updated_at) VALUES (?, ?, 'Adidas', 'adidas', ?, ?)`, []any{adidas, agencyID, now, now}},
				{`INSERT INTO metric_catalogue (brand_id, metric, unit, aggregation, created_at, updated_at) VALUES (?, 'conv', 'percent', 'sum', ?, ?),
					(?, 'conv', 'percent', 'sum', ?, ?)`, []any{brandID, now, now, adidas, now, now}},
			} {
				if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
					return err
				}
			}
			day, _ := time.Parse(time.DateOnly, today)
			for _, p := range []struct {
				brand, metric string
				value         float64
			}{{brandID, "sessions", 3}, {brandID, "conv", 2}, {adidas, "sessions", 4}, {adidas, "conv", 6}} {
				if err := testkit.InsertPoint(ctx, tx, p.brand, p.metric, "", day, p.value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = d.InTx(ctx, func(tx *db.Tx) error {
			for i, c := range clients {
				exec := func(q string, args ...any) error { _, err := tx.Exec(ctx, q, args...); return err }
				var err error
				switch {
				case i%3 != 0:
					err = exec(`UPDATE links SET access_all = FALSE WHERE id = ?`, c.LinkID)
				}
				if err == nil && i%4 == 1 {
					err = exec(`INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`, c.ClientID, adidas, now)
				}
				if err == nil && i%10 == 7 {
					err = exec(`UPDATE accounts SET name = 'Ünïcode Harbor' WHERE id = ?`, c.ClientID)
				}
				if err == nil && i%11 == 5 {
					err = exec(`UPDATE agency_clients SET revoked_at = ? WHERE client_id = ?`, now, c.ClientID)
				}
				if err == nil && i%13 == 4 {
					err = exec(`DELETE FROM memberships WHERE account_id = ?`, c.ClientID)
				}
				// Logins spread over 60 days (a day apart, so some
				// clients share their last login and score).
				for k := 0; err == nil && k < i%5; k++ {
					err = activity.RecordLogin(ctx, tx, now.Add(-time.Duration(i%23+k*9)*24*time.Hour), c.UserID, "")
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		memory := clientlist.New(d, at)
		clientlist.ListFromMemory(memory)
		cq := &counting{Querier: d}
		clientlist.SetReader(memory, cq)
		inSQL := clientlist.New(d, at)
		clientlist.ListInSQL(inSQL)
		scopes := map[string]authz.ClientScope{"admin": {AgencyID: agencyID, UserID: adminID}, "member": {AgencyID: agencyID, UserID: viewerID},
			"admin (All)": {AgencyID: agencyID, UserID: adminID, All: true}}
		searches := []string{"", "client", "CLIENT 00", "5@ex", "nike", "%_", "ünïcode", "nothing at all"}
		sorts := []string{"name", "-health", "health", "-last_active", "last_active"}
		statuses := []string{"all", "active", "at_risk", "revoked", "pending"}
		seen := map[string]int{}
		for who, scope := range scopes {
			for _, sort := range sorts {
				for _, status := range statuses {
					for _, q := range searches {
						if status != "all" && q != "" && q != "client" {
							continue
						}
						for _, limit := range []int{13, 50} {
							cur, wantCur := "", ""
							for page := 0; ; page++ {
								lq := clientlist.ListQuery{Sort: sort, Status: status, Q: q, Limit: limit}
								// A page for JSON only (the API's), read before the
								// page with items on odd pages (the rows' JSON made
								// by it) and after on even ones (kept from it).
								var only clientlist.ClientPage
								readOnly := func() {
									oq := lq
									oq.Cursor, oq.JSONOnly = cur, true
									var err error
									if only, err = memory.List(ctx, scope, oq); err != nil {
										t.Fatal(err)
									}
								}
								if page%2 == 1 {
									readOnly()
								}
								cq.n.Store(0)
								lq.Cursor = cur
								got, err := memory.List(ctx, scope, lq)
								if err != nil {
									t.Fatal(err)
								}
								// At most: the rows and the visible clients, the
								// refreshed rows (all of them again when a status
								// moved), the visible clients again, the counts.
								if n := cq.n.Load(); n > 6 {
									t.Errorf("%s %s %s %q: %d statements for a page", who, sort, status, q, n)
								}
								lq.Cursor = wantCur
								want, err := inSQL.List(ctx, scope, lq)
								if err != nil {
									t.Fatal(err)
								}
								if !reflect.DeepEqual(clientlist.Plain(t, got), clientlist.Plain(t, want)) {
									t.Fatalf("%s sort %s status %s q %q limit %d page %d:\nfrom memory %s\nin SQL      %s",
										who, sort, status, q, limit, page, describe(got), describe(want))
								}
								// The same page for JSON only writes the same bytes.
								if page%2 == 0 {
									readOnly()
								}
								if a, b := clientlist.JSON(t, only), clientlist.JSON(t, got); a != b {
									t.Fatalf("%s sort %s status %s q %q limit %d page %d: for JSON only\n%s\nwith items\n%s", who, sort, status, q, limit, page, a, b)
								}
								for _, c := range got.Clients {
									seen[c.Status]++
									seen[fmt.Sprint(c.Metrics)]++
								}
								cur, wantCur = got.NextCursor, want.NextCursor
								if cur == "" {
									break
								}
							}
						}
					}
				}
			}
		}
		// The data covers what it means to: every status, several scores.
		for _, st := range []string{"active", "at_risk", "revoked", "pending", "map[conv:4 sessions:7]", "map[conv:2 sessions:3]"} {
			if seen[st] == 0 {
				t.Errorf("no %s client was listed (%v)", st, seen)
			}
		}
		// A current copy costs a page no statement (db.ListGeneration).
		cq.n.Store(0)
		if _, err := memory.List(ctx, scopes["admin (All)"], clientlist.ListQuery{Sort: "-health", Q: "client"}); err != nil || cq.n.Load() != fromCopy(d) {
			t.Fatalf("a page from a current copy: %d statements, %v", cq.n.Load(), err)
		}
	})
}

func describe(p clientlist.ClientPage) string {
	s := fmt.Sprintf("counts %+v next %q headline %v:", p.ClientCounts, p.NextCursor, p.HeadlineMetrics)
	for _, c := range p.Clients {
		h := "-"
		if c.Health != nil {
			h = fmt.Sprint(c.Health.Score)
		}
		s += fmt.Sprintf(" [%s %s %s %v]", c.Name, c.Status, h, c.Metrics)
	}
	return s
}

// A copy follows its own agency's rows only: a change in another agency
// (which moves the agency's access version) costs a page its one statement and
// nothing more, counts included, while a change in its own agency is read
// as a few stamped rows, not the whole agency.
func TestCopyReadsOnlyItsAgencysChanges(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		agencyID, adminID, _, brandID := staffedAgency(t, d, "Nike", "member")
		seed(t, d, agencyID, brandID, 0, 30)
		otherID, _, _, otherBrand := staffedAgency(t, d, "Puma", "member")
		seed(t, d, otherID, otherBrand, 100, 5)
		svc := clientlist.New(d, clock.Real)
		cq := &counting{Querier: d}
		clientlist.SetReader(svc, cq)
		scope := authz.ClientScope{AgencyID: agencyID, UserID: adminID, All: true}
		page := func() (clientlist.ClientPage, int64) {
			t.Helper()
			cq.n.Store(0)
			p, err := svc.List(ctx, scope, clientlist.ListQuery{Sort: "-health"})
			if err != nil {
				t.Fatal(err)
			}
			return p, cq.n.Load()
		}
		page() // the copy is read and its rows refreshed
		if _, n := page(); n != fromCopy(d) {
			t.Fatalf("a page from a current copy: %d statements", n)
		}
		rename := func(agency, from, to string) {
			t.Helper()
			if _, err := d.Exec(ctx, `UPDATE accounts SET name = ? WHERE id = (SELECT l.client_id FROM links l
				JOIN accounts a ON a.id = l.client_id WHERE l.agency_id = ? AND a.name = ?)`, to, agency, from); err != nil {
				t.Fatal(err)
			}
		}
		rename(otherID, "Client 0100", "Elsewhere")
		if _, n := page(); n != 1 {
			t.Fatalf("after another agency's change: %d statements", n)
		}
		rename(agencyID, "Client 0007", "Zebra")
		p, n := page()
		// The copy's statement finds the rebuilt row due; it is refreshed
		// (on the write side, not counted) and stamped; the copy's
		// statement again, with the stamped row.
		if n != 2 {
			t.Fatalf("after a change in the agency: %d statements", n)
		}
		inSQL := clientlist.New(d, clock.Real)
		clientlist.ListInSQL(inSQL)
		want, err := inSQL.List(ctx, scope, clientlist.ListQuery{Sort: "-health"})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(clientlist.Plain(t, p), clientlist.Plain(t, want)) {
			t.Fatalf("from memory %s\nin SQL %s", describe(p), describe(want))
		}
		if _, err := d.Exec(ctx, `UPDATE links SET status = 'disconnected' WHERE agency_id = ? AND client_id = (SELECT id FROM accounts WHERE name = 'Zebra')`, agencyID); err != nil {
			t.Fatal(err)
		}
		p, _ = page()
		for _, c := range p.Clients {
			if c.Name == "Zebra" {
				t.Fatal("a disconnected client is still listed from memory")
			}
		}
		if p.ClientCounts.All != 29 {
			t.Fatalf("counts after the disconnection: %+v", p.ClientCounts)
		}
	})
}

// Readers sharing one service (and so its copies, their sorted orders, the
// counts and the visible clients) while a writer changes the agency: every
// page succeeds, and once the writer is done every reader's page is SQL's.
// Run with -race, it also checks that the shared copies are only read.
func TestCopySharedByConcurrentReaders(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		agencyID, adminID, viewerID, brandID := staffedAgency(t, d, "Nike", "member")
		seed(t, d, agencyID, brandID, 0, 40)
		var clients []struct {
			ClientID string `db:"client_id"`
			UserID   string `db:"user_id"`
		}
		if err := d.Select(ctx, &clients, `SELECT l.client_id, m.user_id FROM links l JOIN memberships m ON m.account_id = l.client_id
			WHERE l.agency_id = ? ORDER BY l.client_id`, agencyID); err != nil || len(clients) != 40 {
			t.Fatalf("%d clients, %v", len(clients), err)
		}
		svc := clientlist.New(d, clock.Real)
		scopes := []authz.ClientScope{{AgencyID: agencyID, UserID: adminID, All: true}, {AgencyID: agencyID, UserID: viewerID}}
		queries := []clientlist.ListQuery{{Sort: "-health"}, {Sort: "name", Q: "client 00"}, {Sort: "last_active", Status: "active"}}
		stop := make(chan struct{})
		errc := make(chan error, 8)
		for i := range 8 {
			go func() {
				for {
					select {
					case <-stop:
						errc <- nil
						return
					default:
					}
					if _, err := svc.List(ctx, scopes[i%2], queries[i%3]); err != nil {
						errc <- err
						return
					}
				}
			}()
		}
		now := clock.Real()
		for i, c := range clients[:20] {
			err := d.InTx(ctx, func(tx *db.Tx) error {
				switch i % 4 {
				case 0:
					return activity.RecordLogin(ctx, tx, now.Add(-time.Duration(i)*24*time.Hour), c.UserID, "")
				case 1:
					_, err := tx.Exec(ctx, `UPDATE accounts SET name = ? WHERE id = ?`, fmt.Sprintf("Renamed %02d", i), c.ClientID)
					return err
				case 2:
					_, err := tx.Exec(ctx, `UPDATE agency_clients SET seats = ? WHERE client_id = ?`, i, c.ClientID)
					return err
				default:
					_, err := tx.Exec(ctx, `UPDATE links SET status = 'disconnected' WHERE client_id = ?`, c.ClientID)
					return err
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		close(stop)
		for range 8 {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
		inSQL := clientlist.New(d, clock.Real)
		clientlist.ListInSQL(inSQL)
		for _, scope := range scopes {
			for _, q := range queries {
				got, err := svc.List(ctx, scope, q)
				if err != nil {
					t.Fatal(err)
				}
				want, err := inSQL.List(ctx, scope, q)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(clientlist.Plain(t, got), clientlist.Plain(t, want)) {
					t.Fatalf("%+v %+v:\nfrom memory %s\nin SQL      %s", scope.All, q, describe(got), describe(want))
				}
			}
		}
	})
}

// Versions are per agency (migration 00024): a change of another agency's
// access (a role, an access list) or of its clients moves that agency's
// version only, so a member's page here — whose visible clients and counts
// are kept by this agency's version — still costs its one statement, and
// this agency's version row is not written. A change here re-reads the
// visible clients (one more statement), which shows the test can fail.
func TestAnotherAgencysWritesCostNothing(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		agencyID, _, memberID, brandID := staffedAgency(t, d, "Nike", "member")
		seed(t, d, agencyID, brandID, 0, 20)
		otherID, _, otherMember, otherBrand := staffedAgency(t, d, "Puma", "member")
		seed(t, d, otherID, otherBrand, 100, 5)
		svc := clientlist.New(d, clock.Real)
		cq := &counting{Querier: d}
		clientlist.SetReader(svc, cq)
		scope := authz.ClientScope{AgencyID: agencyID, UserID: memberID}
		page := func() (clientlist.ClientPage, int64) {
			t.Helper()
			cq.n.Store(0)
			p, err := svc.List(ctx, scope, clientlist.ListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			return p, cq.n.Load()
		}
		version := func(agency string) int64 {
			t.Helper()
			var v int64
			if err := d.Get(ctx, &v, `SELECT COALESCE((SELECT v FROM client_list_access_versions WHERE agency_id = ?), 0)`, agency); err != nil {
				t.Fatal(err)
			}
			return v
		}
		page()
		if p, n := page(); n != fromCopy(d) || p.ClientCounts.All != 20 {
			t.Fatalf("a member's page from a current copy: %d statements, counts %+v", n, p.ClientCounts)
		}
		mine, theirs := version(agencyID), version(otherID)
		writes := []string{
			`UPDATE memberships SET role = 'account_manager' WHERE account_id = '` + otherID + `' AND user_id = '` + otherMember + `'`,
			`UPDATE links SET access_all = FALSE WHERE agency_id = '` + otherID + `'`,
			`UPDATE accounts SET name = 'Renamed' WHERE id = (SELECT MIN(client_id) FROM links WHERE agency_id = '` + otherID + `')`,
			`DELETE FROM client_brands WHERE brand_id = '` + otherBrand + `'`,
		}
		for _, w := range writes {
			if _, err := d.Exec(ctx, w); err != nil {
				t.Fatal(err)
			}
			if _, n := page(); n != 1 {
				t.Fatalf("after another agency's write %q: %d statements", w, n)
			}
		}
		if got := version(agencyID); got != mine {
			t.Fatalf("another agency's writes moved this agency's version from %d to %d", mine, got)
		}
		if got := version(otherID); got <= theirs {
			t.Fatalf("the other agency's writes did not move its own version (%d → %d)", theirs, got)
		}
		if _, err := d.Exec(ctx, `UPDATE links SET access_all = FALSE WHERE agency_id = ? AND client_id = (SELECT MIN(client_id) FROM links WHERE agency_id = ?)`,
			agencyID, agencyID); err != nil {
			t.Fatal(err)
		}
		if p, n := page(); n < 2 || p.ClientCounts.All != 19 {
			t.Fatalf("after this agency's access change: %d statements, counts %+v", n, p.ClientCounts)
		}
		if version(agencyID) <= mine {
			t.Fatal("this agency's access change did not move its version")
		}
	})
}
