package clientlist_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// fromCopy is what a page read from a current copy costs: none while
// nothing its state is read from changed since it was read
// (db.ListGeneration), on either engine.
func fromCopy(d *db.DB) int64 { return 0 }

// counting counts the statements run through it.
type counting struct {
	db.Querier
	n atomic.Int64
}

func (c *counting) Get(ctx context.Context, dest any, q string, args ...any) error {
	c.n.Add(1)
	return c.Querier.Get(ctx, dest, q, args...)
}

func (c *counting) Select(ctx context.Context, dest any, q string, args ...any) error {
	c.n.Add(1)
	return c.Querier.Select(ctx, dest, q, args...)
}

func (c *counting) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	c.n.Add(1)
	return c.Querier.Exec(ctx, q, args...)
}

// seed adds n clients linked to the agency (entire agency), each with one
// admin and one granted brand.
func seed(t *testing.T, d *db.DB, agencyID, brandID string, from, n int) {
	t.Helper()
	ctx := context.Background()
	now := clock.Real()
	err := d.InTx(ctx, func(tx *db.Tx) error {
		for i := from; i < from+n; i++ {
			c, err := account.Create(ctx, tx, now, "client", fmt.Sprintf("Client %04d", i))
			if err != nil {
				return err
			}
			uid := id.New(id.User)
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?)`,
				uid, fmt.Sprintf("u%d@example.com", i), "User", now, now); err != nil {
				return err
			}
			if err := account.AddMember(ctx, tx, now, c.ID, uid, "admin"); err != nil {
				return err
			}
			if err := activity.RecordLogin(ctx, tx, now, uid, ""); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO links (id, agency_id, client_id, status, initiated_by, access_all, created_at)
				VALUES (?, ?, ?, 'active', 'agency', TRUE, ?)`, id.New(id.Link), agencyID, c.ID, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO agency_clients (agency_id, client_id, created_at, updated_at) VALUES (?, ?, ?, ?)`,
				agencyID, c.ID, now, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`, c.ID, brandID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// staffedAgency creates an agency with an admin, a second member of the
// given role and a brand, and returns their IDs.
func staffedAgency(t *testing.T, d *db.DB, brand, role string) (agencyID, adminID, otherID, brandID string) {
	t.Helper()
	ctx := context.Background()
	now := clock.Real()
	err := d.InTx(ctx, func(tx *db.Tx) error {
		ag, err := account.Create(ctx, tx, now, "agency", "Agency")
		if err != nil {
			return err
		}
		agencyID, adminID, otherID, brandID = ag.ID, id.New(id.User), id.New(id.User), id.New(id.Brand)
		for _, u := range []string{adminID, otherID} {
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, 'U', 'x', ?, ?)`,
				u, u+"@agency.example", now, now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO brands (id, agency_id, name, name_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			brandID, agencyID, brand, strings.ToLower(brand), now, now); err != nil {
			return err
		}
		if err := account.AddMember(ctx, tx, now, agencyID, adminID, "admin"); err != nil {
			return err
		}
		return account.AddMember(ctx, tx, now, agencyID, otherID, role)
	})
	if err != nil {
		t.Fatal(err)
	}
	return agencyID, adminID, otherID, brandID
}

// The list costs the same number of statements whatever the page size and
// however deep the page: no query per row (every column is stored on the row)
// and no OFFSET.
func TestListStatementsDoNotGrowWithRows(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := clock.Real()
		var agencyID, userID, brandID string
		err := d.InTx(ctx, func(tx *db.Tx) error {
			ag, err := account.Create(ctx, tx, now, "agency", "Agency")
			if err != nil {
				return err
			}
			agencyID, userID, brandID = ag.ID, id.New(id.User), id.New(id.Brand)
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, 'a@example.com', 'A', 'x', ?, ?)`,
				userID, now, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO brands (id, agency_id, name, name_key, created_at, updated_at) VALUES (?, ?, 'Nike', 'nike', ?, ?)`,
				brandID, agencyID, now, now); err != nil {
				return err
			}
			return account.AddMember(ctx, tx, now, agencyID, userID, "viewer")
		})
		if err != nil {
			t.Fatal(err)
		}
		svc := clientlist.New(d, clock.Real)
		cq := &counting{Querier: d}
		clientlist.SetReader(svc, cq)
		scope := authz.ClientScope{AgencyID: agencyID, UserID: userID}
		run := func(q clientlist.ListQuery) (clientlist.ClientPage, int64) {
			t.Helper()
			cq.n.Store(0)
			p, err := svc.List(ctx, scope, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Clients {
				if len(it.Brands) != 1 || it.Users != 1 || it.Email == nil {
					t.Fatalf("item not filled in: %+v", it)
				}
			}
			return p, cq.n.Load()
		}
		// Each size is read by a service with nothing in memory yet, which
		// refreshes the whole backlog of 390 new rows itself (more than a
		// reader does by default: behind.go).
		fresh := func() {
			svc = clientlist.New(d, clock.Real)
			clientlist.SetReader(svc, cq)
			clientlist.SetReaderRows(svc, 500)
		}
		seed(t, d, agencyID, brandID, 0, 10)
		fresh()
		_, small := run(clientlist.ListQuery{Limit: 200})
		seed(t, d, agencyID, brandID, 10, 390)
		fresh()
		p, large := run(clientlist.ListQuery{Limit: 200})
		if len(p.Clients) != 200 || p.ClientCounts.All != 400 {
			t.Fatalf("%d clients, counts %+v", len(p.Clients), p.ClientCounts)
		}
		// In SQL: the page; the page again if stored statuses or scores
		// were due (the new clients are, until someone reads them; the
		// recomputing runs on the write side, not counted here); and the
		// counts when the data changed since they were last counted. From
		// memory (PostgreSQL): the agency's rows and the clients the user
		// sees, instead of the first page; the refreshed rows instead of
		// the second; the counts.
		if small != large || large > 4 {
			t.Fatalf("statements: %d for 10 clients, %d for a page of 200", small, large)
		}
		// A deep page: no statement (nothing is due and the data did not
		// change, so the state and the counts are the cached ones), and
		// the keyset picks up where the first page stopped.
		p2, deep := run(clientlist.ListQuery{Limit: 200, Cursor: p.NextCursor})
		if deep != fromCopy(d) || len(p2.Clients) != 200 || p2.Clients[0].Name != "Client 0200" || p2.NextCursor != "" {
			t.Fatalf("second page: %d statements, %d clients, first %q, next %q", deep, len(p2.Clients), p2.Clients[0].Name, p2.NextCursor)
		}
		// Timing as a sanity check on the plan, generous enough for a slow
		// machine: a page of 200 out of 400 should take well under a second.
		start := time.Now()
		run(clientlist.ListQuery{Limit: 200, Sort: "-health", Q: "client"})
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("a page took %v", el)
		}
	})
}

// The counts are kept in memory until the data they are counted from
// changes (the agency's access version, moved by triggers). After each kind of
// change, made straight in SQL as any writer (another process included)
// would, the counts of a service that cached them are those of a service
// that never did, and the change shows. The page order follows a rename.
func TestListCountsFollowEveryChange(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := clock.Real()
		agencyID, adminID, viewerID, brandID := staffedAgency(t, d, "Nike", "viewer")
		seed(t, d, agencyID, brandID, 0, 6) // Client 0000 … 0005, entire agency, one admin, brand Nike
		var clients []struct {
			ID     string `db:"id"`
			Name   string `db:"name"`
			LinkID string `db:"link_id"`
			UserID string `db:"user_id"`
		}
		if err := d.Select(ctx, &clients, `SELECT a.id, a.name, l.id AS link_id, m.user_id FROM accounts a
			JOIN links l ON l.client_id = a.id JOIN memberships m ON m.account_id = a.id ORDER BY a.name`); err != nil || len(clients) != 6 {
			t.Fatalf("%d clients, %v", len(clients), err)
		}
		cached := clientlist.New(d, clock.Real)
		clientlist.ListFromMemory(cached) // on SQLite too: its copy must follow every change
		admin := authz.ClientScope{AgencyID: agencyID, UserID: adminID}
		viewer := authz.ClientScope{AgencyID: agencyID, UserID: viewerID}
		type view struct {
			scope authz.ClientScope
			q     string
		}
		// An admin's scope as the routes make it reads no memberships
		// (authz.ClientScope.All); it must list what the full rule does.
		adminAll := authz.ClientScope{AgencyID: agencyID, UserID: adminID, All: true}
		views := []view{{admin, ""}, {viewer, ""}, {admin, "nik"}, {admin, "renamed"}, {admin, "changed@"}, {viewer, "client 000"},
			{adminAll, ""}, {adminAll, "renamed"}}
		counts := func(svc *clientlist.Service, v view) clientlist.ClientCounts {
			t.Helper()
			p, err := svc.List(ctx, v.scope, clientlist.ListQuery{Q: v.q, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			return p.ClientCounts
		}
		pageIDs := func(svc *clientlist.Service, v view) []string {
			t.Helper()
			p, err := svc.List(ctx, v.scope, clientlist.ListQuery{Q: v.q})
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, c := range p.Clients {
				ids = append(ids, c.ID)
			}
			return ids
		}
		// The whole first page in each sort, read through the cached
		// service's in-memory copy and in SQL.
		samePages := func(v view) {
			t.Helper()
			inSQL := clientlist.New(d, clock.Real)
			clientlist.ListInSQL(inSQL)
			for _, sort := range []string{"name", "-health", "last_active"} {
				got, err := cached.List(ctx, v.scope, clientlist.ListQuery{Q: v.q, Sort: sort})
				if err != nil {
					t.Fatal(err)
				}
				want, err := inSQL.List(ctx, v.scope, clientlist.ListQuery{Q: v.q, Sort: sort})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(clientlist.Plain(t, got), clientlist.Plain(t, want)) {
					t.Fatalf("%+v sort %s: from memory %s\nin SQL %s", v, sort, describe(got), describe(want))
				}
			}
		}
		// The stored list rows (client_list, kept by triggers) are what
		// their definition computes from the data now.
		type listRow struct {
			ID        string  `db:"id"`
			AgencyID  string  `db:"agency_id"`
			ClientID  string  `db:"client_id"`
			AccessAll bool    `db:"access_all"`
			Name      string  `db:"name"`
			SortName  string  `db:"sort_name"`
			Email     *string `db:"email"`
			Status    string  `db:"status"`
			Users     int     `db:"users"`
			Seats     int     `db:"seats"`
			Brands    string  `db:"brands"`
			Search    string  `db:"search"`
		}
		storedRowsAreFresh := func() {
			t.Helper()
			var stored, fresh []listRow
			const cols = `id, agency_id, client_id, access_all, name, sort_name, email, status, users, seats, brands, search`
			if err := d.Select(ctx, &stored, `SELECT `+cols+` FROM client_list ORDER BY id`); err != nil {
				t.Fatal(err)
			}
			if err := d.Select(ctx, &fresh, `SELECT `+cols+` FROM client_list_source ORDER BY id`); err != nil {
				t.Fatal(err)
			}
			// The clock moves a joined client between active, at_risk
			// and churned; the definition says only "joined" (active).
			for i := range stored {
				if stored[i].Status == "at_risk" || stored[i].Status == "churned" {
					stored[i].Status = "active"
				}
			}
			if !reflect.DeepEqual(stored, fresh) {
				t.Fatalf("stored list rows differ from their definition:\nstored %+v\nfresh  %+v", stored, fresh)
			}
		}
		snapshot := func() map[view]clientlist.ClientCounts {
			t.Helper()
			storedRowsAreFresh()
			fresh := clientlist.New(d, clock.Real)
			clientlist.ListInSQL(fresh) // counted in SQL, never cached before
			out := map[view]clientlist.ClientCounts{}
			for _, v := range views {
				got, want := counts(cached, v), counts(fresh, v)
				if got != want {
					t.Fatalf("%+v: cached counts %+v, counted afresh %+v", v, got, want)
				}
				out[v] = got
				// The rows too: the cached service reads them from its
				// in-memory copy (memory.go), which must follow every
				// change as the counts do.
				samePages(v)
			}
			for _, q := range []string{"", "renamed"} {
				all, full := view{adminAll, q}, view{admin, q}
				if out[all] != out[full] || !reflect.DeepEqual(pageIDs(fresh, all), pageIDs(fresh, full)) {
					t.Fatalf("q %q: the admin's scope without memberships differs from the full rule", q)
				}
			}
			return out
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if err := d.InTx(ctx, func(tx *db.Tx) error { _, err := tx.Exec(ctx, q, args...); return err }); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		before := snapshot()
		if c := before[view{admin, ""}]; c.All != 6 || c.Active != 6 {
			t.Fatalf("start: %+v", c)
		}
		c0, c1, c2, c3, c4, c5 := clients[0], clients[1], clients[2], clients[3], clients[4], clients[5]
		changes := []struct {
			what string
			do   func()
			v    view // a view whose counts must change
		}{
			{"revoke", func() { exec(`UPDATE agency_clients SET revoked_at = ? WHERE client_id = ?`, now, c0.ID) }, view{admin, ""}},
			{"last member leaves", func() { exec(`DELETE FROM memberships WHERE account_id = ?`, c1.ID) }, view{admin, ""}},
			{"a member joins", func() {
				exec(`INSERT INTO memberships (account_id, user_id, role, created_at) VALUES (?, ?, 'admin', ?)`, c1.ID, c2.UserID, now)
			}, view{admin, ""}},
			{"disconnect", func() { exec(`UPDATE links SET status = 'disconnected' WHERE id = ?`, c3.LinkID) }, view{admin, ""}},
			{"new client", func() { seed(t, d, agencyID, brandID, 6, 1) }, view{admin, ""}},
			{"access list instead of entire agency", func() { exec(`UPDATE links SET access_all = FALSE WHERE id = ?`, c4.LinkID) }, view{viewer, ""}},
			{"listed user", func() { exec(`INSERT INTO link_access_users (link_id, user_id) VALUES (?, ?)`, c4.LinkID, viewerID) }, view{viewer, ""}},
			{"unlisted", func() { exec(`DELETE FROM link_access_users WHERE link_id = ?`, c4.LinkID) }, view{viewer, ""}},
			{"group", func() {
				exec(`INSERT INTO agency_groups (id, agency_id, name, name_key, created_at) VALUES ('grp_t', ?, 'G', 'g', ?)`, agencyID, now)
				exec(`INSERT INTO link_access_groups (link_id, group_id) VALUES (?, 'grp_t')`, c4.LinkID)
				exec(`INSERT INTO group_members (group_id, user_id) VALUES ('grp_t', ?)`, viewerID)
			}, view{viewer, ""}},
			{"group deleted", func() { exec(`DELETE FROM agency_groups WHERE id = 'grp_t'`) }, view{viewer, ""}},
			{"account manager", func() {
				exec(`INSERT INTO client_account_managers (agency_id, client_id, user_id) VALUES (?, ?, ?)`, agencyID, c4.ID, viewerID)
			}, view{viewer, ""}},
			{"account manager unassigned", func() { exec(`DELETE FROM client_account_managers WHERE user_id = ?`, viewerID) }, view{viewer, ""}},
			{"promoted to admin", func() {
				exec(`UPDATE memberships SET role = 'admin' WHERE account_id = ? AND user_id = ?`, agencyID, viewerID)
			}, view{viewer, "client 000"}},
			{"brand renamed", func() { exec(`UPDATE brands SET name = 'Adidas' WHERE id = ?`, brandID) }, view{admin, "nik"}},
			{"brand granted", func() {
				exec(`INSERT INTO brands (id, agency_id, name, name_key, created_at, updated_at) VALUES ('brd_t', ?, 'Nikon', 'nikon', ?, ?)`, agencyID, now, now)
				exec(`INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, 'brd_t', ?)`, c5.ID, now)
			}, view{admin, "nik"}},
			{"client renamed", func() { exec(`UPDATE accounts SET name = 'A renamed client' WHERE id = ?`, c5.ID) }, view{admin, "renamed"}},
			{"e-mail changed", func() { exec(`UPDATE users SET email = 'changed@example.com' WHERE id = ?`, c2.UserID) }, view{admin, "changed@"}},
			{"user deleted", func() { exec(`DELETE FROM users WHERE id = ?`, c2.UserID) }, view{admin, ""}},
			{"brand deleted", func() { exec(`DELETE FROM brands WHERE id = 'brd_t'`) }, view{admin, "nik"}},
			{"client deleted", func() { exec(`DELETE FROM accounts WHERE id = ?`, c0.ID) }, view{admin, ""}},
		}
		seatsChanged := func() {
			exec(`UPDATE agency_clients SET seats = 7 WHERE client_id = ?`, c5.ID)
			// A client nobody has joined, with no activity: its rebuilt
			// row shows nothing a refresh computes differently, and moves
			// no version of the counts; the copy reads it again all the
			// same (fresh.go stamps rows rebuilt by the triggers).
			exec(`DELETE FROM activity_events WHERE client_id = ?`, c1.ID)
			exec(`UPDATE agency_clients SET seats = 9 WHERE client_id = ?`, c1.ID)
			storedRowsAreFresh()
			var seats int
			if err := d.Get(ctx, &seats, `SELECT seats FROM client_list WHERE client_id = ?`, c5.ID); err != nil || seats != 7 {
				t.Fatalf("seats after a change: %d, %v", seats, err)
			}
		}
		for _, ch := range changes {
			ch.do()
			after := snapshot()
			if after[ch.v] == before[ch.v] {
				t.Errorf("%s: counts of %+v did not change (%+v)", ch.what, ch.v, after[ch.v])
			}
			before = after
		}
		seatsChanged()
		samePages(view{admin, ""})
		// A login weeks ago moves a score but no status: no version of
		// the counts moves; the refresh stamps the row and the copy reads
		// it again.
		scoreOf := func() int {
			t.Helper()
			p, err := cached.List(ctx, admin, clientlist.ListQuery{Q: "renamed"})
			if err != nil || len(p.Clients) != 1 || p.Clients[0].Health == nil {
				t.Fatalf("the renamed client: %+v, %v", p.Clients, err)
			}
			return p.Clients[0].Health.Score
		}
		score := scoreOf()
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			return activity.RecordLogin(ctx, tx, now.Add(-20*24*time.Hour), c5.UserID, "")
		}); err != nil {
			t.Fatal(err)
		}
		samePages(view{admin, ""})
		if scoreOf() == score {
			t.Fatalf("a login 20 days ago left the score at %d", score)
		}
		if after := snapshot(); after[view{admin, ""}] != before[view{admin, ""}] {
			t.Fatalf("the counts moved with a score: %+v, then %+v", before[view{admin, ""}], after[view{admin, ""}])
		}
		// The renamed client leads the name order.
		p, err := cached.List(ctx, admin, clientlist.ListQuery{Limit: 1})
		if err != nil || len(p.Clients) != 1 || p.Clients[0].Name != "A renamed client" {
			t.Fatalf("after the rename: %+v, %v", p.Clients, err)
		}
	})
}

// Concurrent changes to one client's data (users joining at once, a rename
// and a brand grant among them) leave its stored list row equal to what its
// definition computes: on PostgreSQL the triggers take the client's row
// lock before recomputing, so no transaction writes a row computed without
// another's committed change.
func TestListRowsStayExactUnderConcurrentChanges(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := clock.Real()
		var agencyID, brandID string
		err := d.InTx(ctx, func(tx *db.Tx) error {
			ag, err := account.Create(ctx, tx, now, "agency", "Agency")
			if err != nil {
				return err
			}
			agencyID, brandID = ag.ID, id.New(id.Brand)
			_, err = tx.Exec(ctx, `INSERT INTO brands (id, agency_id, name, name_key, created_at, updated_at) VALUES (?, ?, 'Zeta', 'zeta', ?, ?)`,
				brandID, agencyID, now, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		seed(t, d, agencyID, brandID, 0, 1)
		var clientID string
		if err := d.Get(ctx, &clientID, `SELECT client_id FROM client_list WHERE agency_id = ?`, agencyID); err != nil {
			t.Fatal(err)
		}
		const joiners = 24
		errc := make(chan error, joiners+2)
		for i := range joiners {
			go func() {
				errc <- d.InTx(ctx, func(tx *db.Tx) error {
					uid := id.New(id.User)
					if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, 'J', 'x', ?, ?)`,
						uid, fmt.Sprintf("joiner%d@example.com", i), now, now); err != nil {
						return err
					}
					return account.AddMember(ctx, tx, now, clientID, uid, "member")
				})
			}()
		}
		go func() {
			errc <- d.InTx(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE accounts SET name = 'Renamed at once' WHERE id = ?`, clientID)
				return err
			})
		}()
		go func() {
			errc <- d.InTx(ctx, func(tx *db.Tx) error {
				b := id.New(id.Brand)
				if _, err := tx.Exec(ctx, `INSERT INTO brands (id, agency_id, name, name_key, created_at, updated_at) VALUES (?, ?, 'Alpha', 'alpha', ?, ?)`,
					b, agencyID, now, now); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`, clientID, b, now)
				return err
			})
		}()
		for range joiners + 2 {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
		var got struct {
			Name   string `db:"name"`
			Users  int    `db:"users"`
			Brands string `db:"brands"`
			Search string `db:"search"`
		}
		if err := d.Get(ctx, &got, `SELECT name, users, brands, search FROM client_list WHERE client_id = ?`, clientID); err != nil {
			t.Fatal(err)
		}
		var want = got
		if err := d.Get(ctx, &want, `SELECT name, users, brands, search FROM client_list_source WHERE client_id = ?`, clientID); err != nil {
			t.Fatal(err)
		}
		if got != want || got.Users != joiners+1 || got.Name != "Renamed at once" {
			t.Fatalf("stored %+v, computed %+v (want %d users)", got, want, joiners+1)
		}
	})
}
