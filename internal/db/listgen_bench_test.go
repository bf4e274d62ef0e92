package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// BenchmarkWriteCost is what one write costs on PostgreSQL, with 1 or 3
// processes (DBs, each with its listener) on the database: a write to a
// table of the client list's state (announced: migration 00059, listgen.go)
// and one elsewhere, each in a transaction and as an autocommit Exec. Run
// the same file on an older commit to see what the announcement adds
// (bench/README.md).
func BenchmarkWriteCost(b *testing.B) {
	ctx := context.Background()
	for _, procs := range []int{1, 3} {
		url := testkit.PostgresSchema(b)
		var w *db.DB
		for i := 0; i < procs; i++ {
			d, err := db.Open(ctx, url, "")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { d.Close() })
			if i == 0 {
				if _, err := d.Migrate(ctx); err != nil {
					b.Fatal(err)
				}
				w = d
			}
		}
		benchWrites(b, w, fmt.Sprintf("procs=%d/", procs))
	}
}

// BenchmarkSQLiteWriteTx is BenchmarkWriteCost's two writes on SQLite, in
// a transaction and as an autocommit Exec: what compiling a write
// statement on every call cost before the write connection kept them
// prepared (sqlitestmts.go, bench/README.md).
func BenchmarkSQLiteWriteTx(b *testing.B) {
	benchWrites(b, testkit.Open(b, db.SQLite), "")
}

// benchWrites runs, on w, a write to the client list's state and one
// elsewhere, each in a transaction and as an autocommit Exec, as
// sub-benchmarks named from prefix.
func benchWrites(b *testing.B, w *db.DB, prefix string) {
	ctx := context.Background()
	if _, err := w.Exec(ctx, `INSERT INTO client_list_due (agency_id, client_id, valid_until) VALUES ('a', 'c', NULL)`); err != nil {
		b.Fatal(err)
	}
	now := clock.Real()
	for _, wr := range []struct{ name, q string }{
		{"list", `UPDATE client_list_due SET valid_until = ? WHERE agency_id = 'a'`},
		{"other", `INSERT INTO leases (name, holder, expires_at) VALUES ('x', 'y', ?) ON CONFLICT (name) DO UPDATE SET expires_at = excluded.expires_at`},
	} {
		b.Run(prefix+wr.name+"/tx", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := w.InTx(ctx, func(tx *db.Tx) error {
					_, err := tx.Exec(ctx, wr.q, now)
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(prefix+wr.name+"/exec", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := w.Exec(ctx, wr.q, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
