package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// A write statement is compiled once on SQLite's write connection and then
// reused: in transactions (Exec, Get with RETURNING, Select) and in
// autocommit Execs alike. A text with a long placeholder list is compiled
// on every call and kept by nobody (sqlitestmts.go).
func TestWriteStatementsCompiledOnce(t *testing.T) {
	d := testkit.Open(t, db.SQLite)
	ctx := context.Background()
	if _, err := d.Exec(ctx, `CREATE TABLE w (k TEXT PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const (
		ins  = `INSERT INTO w (k, n) VALUES (?, 0)`
		upd  = `UPDATE w SET n = n + 1 WHERE k = ? RETURNING n`
		sel  = `SELECT k FROM w WHERE n >= ? ORDER BY k`
		bump = `UPDATE w SET n = n + ? WHERE k = ?`
	)
	run := func(i int) {
		t.Helper()
		err := d.InTx(ctx, func(tx *db.Tx) error {
			k := fmt.Sprint("k", i)
			if _, err := tx.Exec(ctx, ins, k); err != nil {
				return err
			}
			var n int
			if err := tx.Get(ctx, &n, upd, k); err != nil || n != 1 {
				return fmt.Errorf("returning: %d %v", n, err)
			}
			var ks []string
			if err := tx.Select(ctx, &ks, sel, 1); err != nil || len(ks) != i+1 {
				return fmt.Errorf("select: %v %v", ks, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, bump, 1, fmt.Sprint("k", i)); err != nil {
			t.Fatal(err)
		}
	}
	run(0)
	before := db.WriteCompiles(d)
	for i := 1; i <= 50; i++ {
		run(i)
	}
	if n := db.WriteCompiles(d) - before; n != 0 {
		t.Fatalf("50 more runs of 4 statements compiled %d statements, want 0", n)
	}

	// IN lists over many IDs: compiled on each call, never kept.
	ids := make([]any, 100)
	for i := range ids {
		ids[i] = fmt.Sprint("k", i)
	}
	in := `UPDATE w SET n = 0 WHERE k IN (` + db.Placeholders(len(ids)) + `)`
	before = db.WriteCompiles(d)
	for range 3 {
		if _, err := d.Exec(ctx, in, ids...); err != nil {
			t.Fatal(err)
		}
	}
	if n := db.WriteCompiles(d) - before; n != 3 {
		t.Fatalf("3 runs of a 100-placeholder text compiled %d statements, want 3", n)
	}
}

// The connection keeps a bounded number of statements: past the bound the
// one used least recently goes, the ones in use stay.
func TestWriteStatementsBounded(t *testing.T) {
	d := testkit.Open(t, db.SQLite)
	ctx := context.Background()
	hot := `SELECT 'hot' WHERE ? = 1`
	for i := range 600 {
		err := d.InTx(ctx, func(tx *db.Tx) error {
			var s string
			if err := tx.Get(ctx, &s, hot, 1); err != nil {
				return err
			}
			return tx.Get(ctx, &s, fmt.Sprintf(`SELECT 'one-off %d' WHERE ? = 1`, i), 1)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	before := db.WriteCompiles(d)
	if err := d.InTx(ctx, func(tx *db.Tx) error {
		var s string
		return tx.Get(ctx, &s, hot, 1)
	}); err != nil {
		t.Fatal(err)
	}
	if n := db.WriteCompiles(d) - before; n != 0 {
		t.Fatalf("the statement used on every transaction was compiled again (%d)", n)
	}
	before = db.WriteCompiles(d)
	if err := d.InTx(ctx, func(tx *db.Tx) error {
		var s string
		return tx.Get(ctx, &s, `SELECT 'one-off 0' WHERE ? = 1`, 1)
	}); err != nil {
		t.Fatal(err)
	}
	if n := db.WriteCompiles(d) - before; n != 1 {
		t.Fatalf("the first one-off, 600 statements ago, was still kept (compiled %d)", n)
	}
}

// rowsFunc is a Select destination that runs fn for each row's first column.
type rowsFunc func(k string) error

func (f rowsFunc) ScanRows(rows *sql.Rows) error {
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		if err := f(k); err != nil {
			return err
		}
	}
	return nil
}

// A query run again, with the same text, while the rows of the first run
// are still open (inside the loop over them) gets its own statement: the
// outer rows are neither reset nor mixed with the inner ones. SQLite only:
// pgx runs one query at a time on a connection ("conn busy").
func TestSameStatementInsideItsOwnRows(t *testing.T) {
	func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Exec(ctx, `CREATE TABLE nest (k TEXT PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		const q = `SELECT k FROM nest WHERE n >= ? ORDER BY k`
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for i := range 5 {
				if _, err := tx.Exec(ctx, `INSERT INTO nest (k, n) VALUES (?, ?)`, fmt.Sprint("k", i), i); err != nil {
					return err
				}
			}
			var outer []string
			err := tx.Select(ctx, rowsFunc(func(k string) error {
				outer = append(outer, k)
				var inner []string
				if err := tx.Select(ctx, &inner, q, 3); err != nil {
					return err
				}
				if strings.Join(inner, ",") != "k3,k4" {
					return fmt.Errorf("inner rows %v", inner)
				}
				var n int
				return tx.Get(ctx, &n, `SELECT n FROM nest WHERE k = ?`, k)
			}), q, 0)
			if err != nil {
				return err
			}
			if strings.Join(outer, ",") != "k0,k1,k2,k3,k4" {
				return fmt.Errorf("outer rows %v", outer)
			}
			// And the statement is whole again once its rows are closed.
			var again []string
			if err := tx.Select(ctx, &again, q, 4); err != nil || strings.Join(again, ",") != "k4" {
				return fmt.Errorf("after: %v %v", again, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}(t, testkit.Open(t, db.SQLite))
}

// A kept statement that failed (a unique violation) is reset: it runs again
// in the next transaction, and the error keeps its class.
func TestStatementAfterError(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Exec(ctx, `CREATE TABLE uq (k TEXT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		const ins = `INSERT INTO uq (k) VALUES (?)`
		insert := func(k string) error {
			return d.InTx(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(ctx, ins, k)
				return err
			})
		}
		if err := insert("dup"); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := insert("dup"); !errors.Is(err, db.ErrUnique) {
				t.Fatalf("duplicate %d: %v", i, err)
			}
			if err := insert(fmt.Sprint("ok", i)); err != nil {
				t.Fatal(i, err)
			}
		}
		if _, err := d.Exec(ctx, ins, "dup"); !errors.Is(err, db.ErrUnique) {
			t.Fatalf("autocommit duplicate: %v", err)
		}
		if _, err := d.Exec(ctx, ins, "ok3"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.Get(ctx, &n, `SELECT COUNT(*) FROM uq`); err != nil || n != 5 {
			t.Fatalf("rows: %d %v", n, err)
		}
	})
}

// Kept statements follow schema changes made on the same connection
// (migrations, PRAGMA optimize): SQLite compiles them again by itself
// (sqlite3_prepare_v2). SQLite only: on PostgreSQL pgx's cached `SELECT *`
// fails once with "cached plan must not change result type", as before.
func TestStatementAfterSchemaChange(t *testing.T) {
	func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Exec(ctx, `CREATE TABLE sc (a TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		const (
			ins = `INSERT INTO sc (a) VALUES (?)`
			all = `SELECT * FROM sc ORDER BY a`
		)
		cols := func(want string) {
			t.Helper()
			err := d.InTx(ctx, func(tx *db.Tx) error {
				if _, err := tx.Exec(ctx, ins, fmt.Sprint(time.Now().UnixNano())); err != nil {
					return err
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			err = d.InTx(ctx, func(tx *db.Tx) error {
				return tx.Select(ctx, columnsOf{&got}, all)
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != want {
				t.Fatalf("columns %v, want %s", got, want)
			}
		}
		cols("a")
		if _, err := d.Exec(ctx, `ALTER TABLE sc ADD COLUMN b TEXT NOT NULL DEFAULT 'x'`); err != nil {
			t.Fatal(err)
		}
		cols("a,b")
		if err := d.Optimize(ctx, true); err != nil {
			t.Fatal(err)
		}
		cols("a,b")
		// The table replaced by one of another shape.
		if _, err := d.Exec(ctx, `DROP TABLE sc`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `CREATE TABLE sc (c INTEGER, a TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		cols("c,a")
	}(t, testkit.Open(t, db.SQLite))
}

// columnsOf is a Select destination that reads the names of the columns.
type columnsOf struct{ cols *[]string }

func (c columnsOf) ScanRows(rows *sql.Rows) error {
	cs, err := rows.Columns()
	*c.cols = cs
	for rows.Next() {
	}
	return err
}
