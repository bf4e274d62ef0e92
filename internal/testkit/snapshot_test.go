package testkit

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
)

// TestSnapshotCopiesAreExact checks what the walks rely on: a copy of a
// snapshot serves the snapshotted sessions, what one copy changes stays in
// it, and the next copy (on PostgreSQL, the same schema reset) holds the
// snapshot's rows and sequence positions exactly.
func TestSnapshotCopiesAreExact(t *testing.T) {
	EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := StartServer(t, e, ServerOptions{})
		c, _, _ := s.Signup(t, "Ann", "ann@example.com", "Ann's", "agency")
		c.Must(t, 201, "POST", "/api/v1/tokens", map[string]any{"name": "in the snapshot"})
		advance(t, s, 2)
		sn := s.Snapshot(t)
		if res, err := c.HTTP.Get(s.URL + "/healthz"); err == nil {
			res.Body.Close()
			t.Fatalf("the snapshotted server still answers: %d", res.StatusCode)
		}
		want := dumpCopy(t, sn, s.dataDir, s.dbURL)

		s1 := sn.Start(t)
		c1 := c.On(s1)
		c1.Must(t, 200, "GET", "/api/v1/me", nil)
		c1.Must(t, 201, "POST", "/api/v1/tokens", map[string]any{"name": "only in copy 1"})
		advance(t, s1, 1)
		s1.Stop()
		if dumpCopy(t, sn, s1.dataDir, s1.dbURL) == want {
			t.Fatal("copy 1's new token is not in its database")
		}

		// The copy as Start makes it, before a server runs on it (a
		// server's start writes: its jobs, the prices).
		dir := filepath.Join(t.TempDir(), "data")
		if err := copyDir(sn.dataDir, dir); err != nil {
			t.Fatal(err)
		}
		var u string
		if sn.pg != nil {
			var release func()
			var err error
			if u, release, err = sn.pg.take(); err != nil {
				t.Fatal(err)
			}
			if schemaOf(t, u) != schemaOf(t, s1.dbURL) {
				t.Fatalf("the pool made schema %s, want copy 1's %s again", schemaOf(t, u), schemaOf(t, s1.dbURL))
			}
			defer release()
		}
		if got := dumpCopy(t, sn, dir, u); got != want {
			t.Fatalf("a copy differs from the snapshot:\n%s", firstDiff(want, got))
		}

		s2 := sn.Start(t)
		c2 := c.On(s2)
		tokens := c2.Must(t, 200, "GET", "/api/v1/tokens", nil)
		if raw := string(tokens.Raw); !strings.Contains(raw, "in the snapshot") || strings.Contains(raw, "only in copy 1") {
			t.Fatalf("copy 2's tokens: %s", raw)
		}
	})
}

// advance moves a PostgreSQL sequence (an identity column's) n steps, so
// that a copy that did not take the snapshot's position differs.
func advance(t *testing.T, s *Server, n int) {
	t.Helper()
	if s.engine != db.Postgres {
		return
	}
	for range n {
		if _, err := s.DB.Exec(context.Background(), `SELECT nextval(pg_get_serial_sequence('activity_events', 'id'))`); err != nil {
			t.Fatal(err)
		}
	}
}

// dumpCopy writes out every row of every table and every sequence's
// position of a copy: its PostgreSQL schema, or the SQLite file of its
// data directory.
func dumpCopy(t *testing.T, sn *Snapshot, dataDir, dbURL string) string {
	t.Helper()
	ctx := context.Background()
	var d *sql.DB
	var tables, seqs string
	var err error
	if sn.engine == db.Postgres {
		schema := schemaOf(t, dbURL)
		d, err = sql.Open("pgx", os.Getenv(PostgresURL))
		tables = `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname = '` + schema + `' ORDER BY 1`
		seqs = `SELECT sequencename || ' ' || COALESCE(last_value::text, '-') FROM pg_sequences WHERE schemaname = '` + schema + `' ORDER BY 1`
	} else {
		d, err = sql.Open("sqlite", "file:"+filepath.Join(dataDir, "liaison.db")+"?mode=ro")
		tables = `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1`
	}
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	names := queryStrings(t, d, tables)
	if len(names) < 10 {
		t.Fatalf("only %d tables: %v", len(names), names)
	}
	var b strings.Builder
	for _, name := range names {
		rows, err := d.QueryContext(ctx, "SELECT * FROM "+name)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals...))
		}
		rows.Close()
		slices.Sort(lines)
		fmt.Fprintf(&b, "== %s\n%s\n", name, strings.Join(lines, "\n"))
	}
	if seqs != "" {
		fmt.Fprintf(&b, "== sequences\n%s\n", strings.Join(queryStrings(t, d, seqs), "\n"))
	}
	// The schema's name differs from copy to copy.
	if sn.engine == db.Postgres {
		return strings.ReplaceAll(b.String(), schemaOf(t, dbURL)+".", "")
	}
	return b.String()
}

func queryStrings(t *testing.T, d *sql.DB, q string) []string {
	t.Helper()
	rows, err := d.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func schemaOf(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("search_path")
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant %s\ngot  %s", i+1, a, b)
		}
	}
	return ""
}
