// Package testkit starts real databases and servers for tests.
//
// Every storage and API test runs on SQLite, and on PostgreSQL as well when
// LIAISON_TEST_DATABASE_URL is set; each PostgreSQL test gets a schema of its
// own, dropped when the test ends. With CI=true a missing PostgreSQL or
// Chromium fails the test instead of skipping it, so CI cannot pass by skipping.
package testkit

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
)

// PostgresURL is the variable that enables the PostgreSQL runs.
const PostgresURL = "LIAISON_TEST_DATABASE_URL"

// InCI reports whether the tests run in CI, where nothing may skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// SkipOrFail skips the test with a clear message, or fails it in CI.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true but "+format, args...)
	}
	t.Skipf(format, args...)
}

// Engines returns the engines to run storage tests on: always SQLite, plus
// PostgreSQL when LIAISON_TEST_DATABASE_URL is set.
func Engines() []db.Dialect {
	e := []db.Dialect{db.SQLite}
	if os.Getenv(PostgresURL) != "" {
		e = append(e, db.Postgres)
	}
	return e
}

// EachDB runs fn as a subtest once per engine, each with a fresh migrated
// database. Without PostgreSQL it runs the SQLite case and logs a skip for the
// other (a failure in CI).
func EachDB(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, e := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open returns a fresh, migrated database of the given engine, closed when the
// test ends. For PostgreSQL without LIAISON_TEST_DATABASE_URL the test skips.
func Open(t testing.TB, e db.Dialect) *db.DB {
	t.Helper()
	ctx := context.Background()
	var d *db.DB
	var err error
	switch e {
	case db.SQLite:
		d, err = db.Open(ctx, "", filepath.Join(t.TempDir(), "liaison.db"))
	case db.Postgres:
		d, err = db.Open(ctx, PostgresSchema(t), "")
	}
	if err != nil {
		t.Fatalf("open %s: %v", e, err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", e, err)
	}
	return d
}

// PostgresSchema creates a schema of its own for this test and returns a URL
// whose search_path points at it. The schema is dropped when the test ends.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresURL)
	if base == "" {
		SkipOrFail(t, "PostgreSQL test skipped: set %s=postgres://… to run it", PostgresURL)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	schema := "t_" + strings.TrimPrefix(id.New("x"), "x_")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := schemaURL(base, schema)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	return u
}

// schemaURL is the URL of a schema of the test database.
func schemaURL(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%s is not a URL: %v", PostgresURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	// Tests need no durability across a crash of PostgreSQL; skipping the
	// wait for the WAL flush makes each commit several times faster.
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// EachEngine runs fn as a subtest per engine; the PostgreSQL one skips (or
// fails in CI) without LIAISON_TEST_DATABASE_URL.
func EachEngine(t *testing.T, fn func(t *testing.T, e db.Dialect)) {
	t.Helper()
	for _, e := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			if e == db.Postgres && os.Getenv(PostgresURL) == "" {
				SkipOrFail(t, "PostgreSQL test skipped: set %s=postgres://… to run it", PostgresURL)
			}
			fn(t, e)
		})
	}
}
