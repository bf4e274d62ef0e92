package db_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
	"modernc.org/libc"
)

// BenchmarkKeptStatementsMemory measures what the write connection's kept
// statements (sqlitestmts.go) cost in memory when the map is full: 256
// statements that change Liaison's own tables, their triggers' programs
// included, kept on the write connection. It reports the growth of
// SQLite's memory, which is modernc's allocator's, outside the Go heap
// (what it asked of the system, counted only with the build tag
// memory.counters; sqlite3_memory_used is compiled out, and the process's
// RSS moved by ±2 MB from one run to the next), per kept statement. The
// Go side of one is a few small objects (connStmt, its list element and
// map entry, modernc's statement).
//
//	go test -tags memory.counters ./internal/db -run '^$' -bench KeptStatementsMemory -benchtime 1x
func BenchmarkKeptStatementsMemory(b *testing.B) {
	d := testkit.Open(b, db.SQLite)
	ctx := context.Background()
	var tables []string
	if err := d.Select(ctx, &tables, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
		AND name NOT LIKE 'goose_%' ORDER BY name`); err != nil || len(tables) == 0 {
		b.Fatalf("%d tables: %v", len(tables), err)
	}
	var triggered int
	if err := d.Get(ctx, &triggered, `SELECT COUNT(DISTINCT tbl_name) FROM sqlite_master WHERE type = 'trigger'`); err != nil {
		b.Fatal(err)
	}
	// An UPDATE of every column compiles the table's UPDATE triggers; a
	// comment makes each of the 256 texts distinct. No row matches.
	var stmts []string
	for i := 0; len(stmts) < 256; i++ {
		t := tables[i%len(tables)]
		var cols []string
		if err := d.Select(ctx, &cols, `SELECT name FROM pragma_table_info(?)`, t); err != nil {
			b.Fatal(err)
		}
		set := make([]string, len(cols))
		for j, c := range cols {
			set[j] = `"` + c + `" = "` + c + `"`
		}
		stmts = append(stmts, `UPDATE "`+t+`" SET `+strings.Join(set, ", ")+` WHERE "`+cols[0]+`" IS NULL AND "`+cols[0]+`" IS NOT NULL -- `+strconv.Itoa(i))
	}
	errDone := errors.New("rolled back")
	run := func() {
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for _, q := range stmts {
				if _, err := tx.Exec(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			return errDone
		})
		if !errors.Is(err, errDone) {
			b.Fatal(err)
		}
	}
	sqliteKB := func() int64 { return int64(libc.MemStat().Bytes) / 1024 }
	if sqliteKB() == 0 {
		b.Skip("SQLite's memory is counted only with -tags memory.counters")
	}
	sq0 := sqliteKB()
	compiles0 := db.WriteCompiles(d)
	run()
	sq1 := sqliteKB()
	run() // kept: compiled no more
	if n := db.WriteCompiles(d) - compiles0; n != uint64(len(stmts)) {
		b.Fatalf("%d compilations for %d statements run twice", n, len(stmts))
	}
	b.ReportMetric(float64(sq1-sq0)/float64(len(stmts)), "sqlite-KB/stmt")
	b.Logf("%d tables (%d with triggers), 256 statements kept: SQLite's memory +%d KB", len(tables), triggered, sq1-sq0)
	for i := 0; i < b.N; i++ {
		run()
	}
}
