package billing_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Migration 00051 converts the spans already stored to microseconds: on
// SQLite from the text the driver wrote (fractions of every length, none,
// a midnight, the last microsecond before one), on PostgreSQL from its
// timestamps. Each must equal what Sync writes for the same moment now
// (time.UnixMicro), or a preview would bill a day more or less.
func TestSpanMicrosMigration(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		ctx := context.Background()
		var raw *sql.DB
		var err error
		dialect := goose.DialectSQLite3
		if e == db.SQLite {
			// The DSN's time format is the one db.Open uses.
			raw, err = sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "m.db")+"?_pragma=foreign_keys(1)&_time_format=sqlite")
		} else {
			dialect = goose.DialectPostgres
			raw, err = sql.Open("pgx", testkit.PostgresSchema(t))
		}
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		p, err := goose.NewProvider(dialect, raw, db.MigrationFS(e))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(ctx, 50); err != nil {
			t.Fatal(err)
		}
		now := clock.Real()
		midnight := now.UTC().Truncate(24 * time.Hour)
		times := []time.Time{
			now, now.UTC(), midnight, midnight.Add(-time.Microsecond), midnight.Add(time.Microsecond),
			midnight.Add(time.Nanosecond), midnight.Add(999 * time.Nanosecond), midnight.Add(1500 * time.Nanosecond),
			midnight.Add(-time.Nanosecond), midnight.Add(time.Second / 2), midnight.Add(-time.Second / 10000),
			midnight.Add(999999999 * time.Nanosecond), now.In(time.FixedZone("x", -5*3600-1800)), now.In(time.FixedZone("y", 9*3600)),
			midnight.In(time.FixedZone("z", 3*3600)),
		}
		var agency string
		if err := raw.QueryRowContext(ctx, rebind(e, `INSERT INTO accounts (id, kind, name, created_at, updated_at) VALUES (?, 'agency', 'M', ?, ?) RETURNING id`),
			id.New(id.Account), now, now).Scan(&agency); err != nil {
			t.Fatal(err)
		}
		for i, at := range times {
			stop := at.Add(time.Duration(i) * 977 * time.Nanosecond)
			if _, err := raw.ExecContext(ctx, rebind(e, `INSERT INTO billing_spans (id, agency_id, brand_id, brand_name, start_at, stop_at) VALUES (?, ?, ?, ?, ?, ?)`),
				id.New(id.Billing), agency, id.New(id.Brand), "B", at, stop); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := raw.ExecContext(ctx, rebind(e, `INSERT INTO billing_spans (id, agency_id, brand_id, brand_name, start_at) VALUES (?, ?, ?, ?, ?)`),
			id.New(id.Billing), agency, id.New(id.Brand), "Open", now); err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(ctx, 51); err != nil {
			t.Fatal(err)
		}
		rows, err := raw.QueryContext(ctx, `SELECT start_at, stop_at, start_us, stop_us FROM billing_spans`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var start time.Time
			var stop sql.NullTime
			var startUS int64
			var stopUS sql.NullInt64
			if err := rows.Scan(&start, &stop, &startUS, &stopUS); err != nil {
				t.Fatal(err)
			}
			n++
			if startUS != start.UnixMicro() {
				t.Errorf("start %s: %d µs, want %d", start.Format(time.RFC3339Nano), startUS, start.UnixMicro())
			}
			if stop.Valid != stopUS.Valid || stop.Valid && stopUS.Int64 != stop.Time.UnixMicro() {
				t.Errorf("stop %v: %v µs, want %d", stop, stopUS, stop.Time.UnixMicro())
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if n != len(times)+1 {
			t.Fatalf("%d spans after the migration, want %d", n, len(times)+1)
		}
	})
}

func rebind(e db.Dialect, q string) string {
	if e != db.Postgres {
		return q
	}
	return sqlx.Rebind(sqlx.DOLLAR, q)
}
