package testkit

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// migrated is the test process's pool of PostgreSQL schemas for
// StartServer: each holds the rows of a freshly migrated schema (the
// template, migrated once per process), so that a server's database costs
// a reset (20–60 ms) instead of the migrations (1.2–3.5 s on the shared
// 2 cores; the API package starts some 130 PostgreSQL servers one after
// the other). A schema comes back to the pool when its server stopped,
// unless its structure changed (a test altered it): then it is dropped.
// The pool's schemas (tp_<unix time>_…) outlive the process: the next
// process drops those older than three hours, CI drops its whole database.
var migrated struct {
	once sync.Once
	pool *schemaPool
	err  error
}

// migratedSchema returns the URL of a schema holding a freshly migrated
// database's rows, given back to the pool when the test ends: callers
// start their server after this call, so that it stops first.
func migratedSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresURL)
	if base == "" {
		SkipOrFail(t, "PostgreSQL test skipped: set %s=postgres://… to run it", PostgresURL)
	}
	migrated.once.Do(func() { migrated.pool, migrated.err = newMigratedPool(base) })
	if migrated.err != nil {
		t.Fatalf("postgres: %v", migrated.err)
	}
	u, release, err := migrated.pool.take()
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	t.Cleanup(release)
	return u
}

func newMigratedPool(base string) (*schemaPool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return nil, err
	}
	dropStalePools(ctx, admin)
	tp := &schemaPool{base: base, admin: admin, prefix: fmt.Sprintf("tp_%d_", time.Now().Unix())}
	src, err := tp.newSchema(ctx)
	admin.Close()
	if err != nil {
		return nil, err
	}
	u, err := schemaURL(base, src)
	if err != nil {
		return nil, err
	}
	p, err := newSchemaPool(u)
	if err != nil {
		return nil, err
	}
	p.prefix = tp.prefix
	if p.print, err = p.fingerprint(ctx, src); err != nil {
		return nil, err
	}
	return p, nil
}

// dropStalePools drops the schemas of pools of processes that started
// more than three hours ago.
func dropStalePools(ctx context.Context, admin *sql.DB) {
	rows, err := admin.QueryContext(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tp\_%'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		parts := strings.SplitN(name, "_", 3)
		if len(parts) < 3 {
			continue
		}
		if at, err := strconv.ParseInt(parts[1], 10, 64); err == nil && time.Since(time.Unix(at, 0)) > 3*time.Hour {
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, s := range stale {
		_, _ = admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+s+" CASCADE")
	}
}

// fingerprint sums up a schema's structure: its relations and their
// columns and privileges, its constraints, triggers and functions.
func (p *schemaPool) fingerprint(ctx context.Context, schema string) (string, error) {
	var fp string
	// Definitions name tables of a schema not on the search path with
	// the schema's name: taken out, so that copies compare equal.
	err := p.admin.QueryRowContext(ctx, `SELECT md5(string_agg(replace(x, $1 || '.', ''), ',' ORDER BY x)) FROM (
		SELECT c.relname || ':' || c.relkind::text || ':' || COALESCE(c.relacl::text, '') || ':' || COALESCE((SELECT string_agg(
			a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text, ',' ORDER BY a.attnum)
			FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') AS x
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1
		UNION ALL SELECT 'constraint ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
		FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace WHERE n.nspname = $1
		UNION ALL SELECT 'trigger ' || tg.tgname || ' ' || tg.tgenabled::text
		FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1
		UNION ALL SELECT 'function ' || pr.proname || ' ' || md5(pr.prosrc)
		FROM pg_proc pr JOIN pg_namespace n ON n.oid = pr.pronamespace WHERE n.nspname = $1) s`, schema).Scan(&fp)
	return fp, err
}
