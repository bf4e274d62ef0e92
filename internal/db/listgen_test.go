package db_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// The client list's generation (listgen.go) on PostgreSQL, with three
// processes (three DBs, each with its pools and its listener) on one
// database: a commit that changes a table the list's state is read from,
// straight or through other tables' triggers, in a transaction or in an
// autocommit Exec, has moved the generation of every process by the time
// the writer returns; a write that changes none of them costs no
// announcement; a write from outside Liaison (no announcement) reaches
// the processes through the triggers' notification.
func TestListGenerationAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	url := testkit.PostgresSchema(t)
	var ds []*db.DB
	for i := 0; i < 3; i++ {
		d, err := db.Open(ctx, url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		if i == 0 {
			if _, err := d.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		ds = append(ds, d)
	}
	w := ds[0]
	gens := func() []uint64 {
		var g []uint64
		for i, d := range ds {
			n, exact := d.ListGeneration()
			if !exact {
				t.Fatalf("process %d: the list generation is not exact (listener down?)", i)
			}
			g = append(g, n)
		}
		return g
	}
	// moved runs a write through the first process and wants every
	// process's generation moved once it returned, and the write counted
	// as a list change (announced) or not.
	moved := func(what string, list bool, write func() error) {
		t.Helper()
		before, announced := gens(), db.ListAnnouncements(w)
		if err := write(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := db.ListAnnouncements(w) - announced; got != map[bool]uint64{true: 1, false: 0}[list] {
			t.Errorf("%s: %d list announcements by the writer, want list change %v", what, got, list)
		}
		if !list {
			return // other tests on the database may move the others: nothing to say
		}
		for i, g := range gens() {
			if g == before[i] {
				t.Errorf("%s: process %d's list generation has not moved when the writer returned", what, i)
			}
		}
	}
	now := clock.Real()
	var agencyID, clientID string
	moved("a client linked to an agency (cascades into client_list)", true, func() error {
		return w.InTx(ctx, func(tx *db.Tx) (err error) {
			agencyID, clientID, err = linkedPair(ctx, tx, now)
			return err
		})
	})
	var rows int
	if err := w.Get(ctx, &rows, `SELECT COUNT(*) FROM client_list_due WHERE agency_id = ?`, agencyID); err != nil || rows != 1 {
		t.Fatalf("the link made %d client_list_due rows (%v): the cascade this test relies on is gone", rows, err)
	}
	moved("a client renamed (a rebuild through accounts' triggers)", true, func() error {
		_, err := w.Exec(ctx, `UPDATE accounts SET name = 'Renamed' WHERE id = ?`, clientID)
		return err
	})
	moved("rows marked due (autocommit Exec)", true, func() error {
		_, err := w.Exec(ctx, `UPDATE client_list_due SET valid_until = ? WHERE agency_id = ?`, now.Add(time.Hour), agencyID)
		return err
	})
	moved("headline metrics set (agency_settings)", true, func() error {
		return w.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO agency_settings (agency_id, headline_metrics, updated_at) VALUES (?, '["a"]', ?)
				ON CONFLICT (agency_id) DO UPDATE SET headline_metrics = excluded.headline_metrics`, agencyID, now)
			return err
		})
	})
	moved("an UPDATE of the state's tables that changes no row", false, func() error {
		_, err := w.Exec(ctx, `UPDATE client_list_due SET valid_until = NULL WHERE agency_id = 'nobody'`)
		return err
	})
	moved("a write elsewhere (leases)", false, func() error {
		return w.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ('x', 'y', ?)`, now)
			return err
		})
	})
	// The notice came back before the rollback: an announcement too many
	// (harmless), never one too few.
	moved("a change rolled back to a savepoint", true, func() error {
		return w.InTx(ctx, func(tx *db.Tx) error {
			for _, q := range []string{`SAVEPOINT s`, `UPDATE client_list_due SET valid_until = NULL WHERE agency_id = '` + agencyID + `'`, `ROLLBACK TO SAVEPOINT s`} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
	})
	moved("a change that rolls back", false, func() error {
		err := w.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE client_list_due SET valid_until = NULL WHERE agency_id = ?`, agencyID); err != nil {
				return err
			}
			return sql.ErrNoRows
		})
		if err != sql.ErrNoRows {
			return err
		}
		return nil
	})

	// A writer outside Liaison: the triggers' notification alone.
	before := gens()
	other, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(ctx, `UPDATE client_list_due SET valid_until = NULL WHERE agency_id = $1`, agencyID); err != nil {
		t.Fatal(err)
	}
	for i, d := range ds {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if g, _ := d.ListGeneration(); g != before[i] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("process %d never heard of a change committed outside Liaison", i)
			}
		}
	}
}

// On SQLite the list generation is the write generation: exact, and moved
// by every write this process commits.
func TestListGenerationSQLite(t *testing.T) {
	d := testkit.Open(t, db.SQLite)
	g, exact := d.ListGeneration()
	if !exact {
		t.Fatal("not exact on SQLite")
	}
	if _, err := d.Exec(context.Background(), `INSERT INTO leases (name, holder, expires_at) VALUES ('x', 'y', ?)`, clock.Real()); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.ListGeneration(); n == g {
		t.Fatal("a write did not move the generation")
	}
}

// linkedPair creates an agency and a client with an active link between
// them, and returns their IDs.
func linkedPair(ctx context.Context, tx *db.Tx, now time.Time) (agencyID, clientID string, err error) {
	ag, err := account.Create(ctx, tx, now, "agency", "Agency")
	if err != nil {
		return "", "", err
	}
	c, err := account.Create(ctx, tx, now, "client", "Client")
	if err != nil {
		return "", "", err
	}
	_, err = tx.Exec(ctx, `INSERT INTO links (id, agency_id, client_id, status, initiated_by, access_all, created_at)
		VALUES (?, ?, ?, 'active', 'agency', TRUE, ?)`, id.New(id.Link), ag.ID, c.ID, now)
	return ag.ID, c.ID, err
}

// Two installations sharing one PostgreSQL database, a schema each (as
// every PostgreSQL test does): a change committed in one, announced or
// from outside Liaison, moves neither generation of the other, whose
// cached sessions and list states stay good; a change in its own schema
// still moves both. Before migration 00062 every write on the database
// moved every process's generations (a page from a current copy read the
// database because another test had written meanwhile).
func TestNotificationsOfAnotherSchema(t *testing.T) {
	ctx := context.Background()
	mineURL, theirsURL := testkit.PostgresSchema(t), testkit.PostgresSchema(t)
	mine, theirs := openMigrated(t, mineURL), openMigrated(t, theirsURL)
	gens := func() [2]uint64 {
		t.Helper()
		a, exactA := mine.AuthGeneration()
		l, exactL := mine.ListGeneration()
		if !exactA || !exactL {
			t.Fatal("the listener is down")
		}
		return [2]uint64{a, l}
	}
	now := clock.Real()
	link := func(d *db.DB) (agencyID string) {
		t.Helper()
		if err := d.InTx(ctx, func(tx *db.Tx) (err error) {
			agencyID, _, err = linkedPair(ctx, tx, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return agencyID
	}

	// Changes in the other schema: a link (announced, and the triggers'
	// notifications) and writes from plain connections (the triggers'
	// alone: a list table, and sessions, whose statement trigger fires
	// even for no row); then one change of sessions in this schema. Its
	// notification reaches the listener after theirs (notifications come
	// in commit order): once it moved the authentication generation, the
	// others have been heard, and they must have moved nothing.
	exec := func(url, q string, args ...any) {
		t.Helper()
		c, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	before := gens()
	theirAgency := link(theirs)
	exec(theirsURL, `UPDATE client_list_due SET valid_until = NULL WHERE agency_id = $1`, theirAgency)
	exec(theirsURL, `DELETE FROM sessions WHERE id = 'nobody'`)
	exec(mineURL, `DELETE FROM sessions WHERE id = 'nobody'`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if g := gens(); g[0] != before[0] {
			if g[0] != before[0]+1 || g[1] != before[1] {
				t.Fatalf("after changes in another schema and one of sessions in this one, the generations (auth, list) went from %v to %v, want %v", before, g, [2]uint64{before[0] + 1, before[1]})
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a change of sessions in this schema never reached its listener")
		}
	}
	// This schema's own changes still move both.
	before = gens()
	link(mine)
	if after := gens(); after[0] == before[0] || after[1] == before[1] {
		t.Fatalf("a link in this schema left its generations (auth, list) at %v, from %v", after, before)
	}
}
