package db_test

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func TestMigrationStepsMatchAcrossEngines(t *testing.T) {
	names := func(d db.Dialect) []string {
		m, err := fs.Glob(db.MigrationFS(d), "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	s, p := names(db.SQLite), names(db.Postgres)
	if len(s) == 0 || len(s) != len(p) {
		t.Fatalf("sqlite has %v, postgres has %v", s, p)
	}
	for i := range s {
		if s[i] != p[i] {
			t.Errorf("step %d: sqlite %s, postgres %s", i, s[i], p[i])
		}
	}
}

func TestTxCommitRollbackAndErrors(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		insert := func(tx *db.Tx, id string) error {
			_, err := tx.Exec(ctx, `INSERT INTO accounts (id, kind, name, created_at, updated_at) VALUES (?, 'agency', 'A', ?, ?)`, id, now, now)
			return err
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error { return insert(tx, "acc_1") }); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := insert(tx, "acc_2"); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("want boom, got %v", err)
		}
		var n int
		if err := d.Get(ctx, &n, `SELECT COUNT(*) FROM accounts`); err != nil || n != 1 {
			t.Fatalf("rolled-back row visible: n=%d err=%v", n, err)
		}
		err := d.InTx(ctx, func(tx *db.Tx) error { return insert(tx, "acc_1") })
		if !errors.Is(err, db.ErrUnique) {
			t.Fatalf("duplicate key: want ErrUnique, got %v", err)
		}
		err = d.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO memberships (account_id, user_id, role, created_at) VALUES ('acc_x', 'usr_x', 'admin', ?)`, now)
			return err
		})
		if !errors.Is(err, db.ErrForeignKey) {
			t.Fatalf("missing parent: want ErrForeignKey, got %v", err)
		}
		var got time.Time
		if err := d.Get(ctx, &got, `SELECT created_at FROM accounts WHERE id = ?`, "acc_1"); err != nil || !got.Equal(now) {
			t.Fatalf("time round trip: %v %v want %v", got, err, now)
		}
		var mx db.Time
		if err := d.Get(ctx, &mx, `SELECT MAX(created_at) FROM accounts`); err != nil || !mx.Valid || !mx.Equal(now) {
			t.Fatalf("aggregate time: %+v %v", mx, err)
		}
		if err := d.Get(ctx, &mx, `SELECT MAX(created_at) FROM accounts WHERE id = 'none'`); err != nil || mx.Valid {
			t.Fatalf("null aggregate: %+v %v", mx, err)
		}
		var ran bool
		_ = d.InTx(ctx, func(tx *db.Tx) error { tx.AfterCommit(func() { ran = true }); return boom })
		if ran {
			t.Fatal("AfterCommit ran after a rollback")
		}
	})
}

// Writers on SQLite queue on the one write connection instead of failing
// with SQLITE_BUSY; on PostgreSQL they run in parallel.
func TestConcurrentWriters(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- d.InTx(ctx, func(tx *db.Tx) error {
					now := time.Now().UTC()
					_, err := tx.Exec(ctx, `INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1)`, "b"+string(rune('A'+i)), now)
					return err
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}
