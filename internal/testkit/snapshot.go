package testkit

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
)

// A Snapshot is a stopped test server's state, its database and its data
// directory (the audit key; SQLite's file), from which copies start: each
// copy is a server of its own (its own caches, jobs and port) on the same
// rows, IDs, sessions and tokens, so that clients of the snapshotted server
// work on every copy (APIClient.On). The access and page walks build their
// world once per engine and take a copy wherever they needed a fresh world
// (internal/api/access_test.go): a copy starts in tens of milliseconds
// where building the world took seconds (docs/ARCHITECTURE.md, "Test
// worlds from a snapshot").
//
// On SQLite a copy is a copy of the data directory. On PostgreSQL a copy
// is a schema of the test database whose rows are replaced by the
// snapshot's: the schemas are pooled (a copy's schema is reset for the next
// copy once its server stopped), so migrations run once per schema of the
// pool, not once per copy. CREATE DATABASE … TEMPLATE was measured too:
// 0.35–0.85 s to create and 0.6–20 s to drop (DROP DATABASE waits for a
// checkpoint), against 20–60 ms for a reset.
type Snapshot struct {
	engine  db.Dialect
	opts    ServerOptions
	dataDir string
	pg      *schemaPool // PostgreSQL only
}

// Snapshot stops the server (it serves no more requests; the test's other
// clients of it keep working on copies, see APIClient.On) and returns its
// state to start copies from. The snapshot lives until the test that
// started the server ends.
func (s *Server) Snapshot(t testing.TB) *Snapshot {
	t.Helper()
	s.stop()
	sn := &Snapshot{engine: s.engine, opts: s.opts, dataDir: s.dataDir}
	if s.engine == db.Postgres {
		p, err := newSchemaPool(s.dbURL)
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		// The snapshot's copies belong to the tests that take them, all of
		// which end before the test that owns the snapshot: its cleanup
		// drops the pool's schemas.
		s.t.Cleanup(p.close)
		sn.pg = p
	}
	return sn
}

// Start starts a server on a copy of the snapshot, stopped (and its copy
// given up) when the test ends, or before at Server.Stop.
func (sn *Snapshot) Start(t testing.TB) *Server {
	t.Helper()
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := copyDir(sn.dataDir, dataDir); err != nil {
		t.Fatalf("snapshot: copy the data directory: %v", err)
	}
	var dbURL string
	var release func()
	if sn.pg != nil {
		var err error
		if dbURL, release, err = sn.pg.take(); err != nil {
			t.Fatalf("snapshot: %v", err)
		}
	}
	// The schema goes back to the pool once the server stopped (at the
	// end of the test, or at Stop): no connection uses it when it is reset.
	return startServer(t, sn.engine, sn.opts, dataDir, dbURL, release)
}

// On returns a client of server s that calls as c does on its own server:
// the same bearer token, headers and cookies. Clients of a snapshotted
// server use it to call a copy. The cookies are copied: what one copy sets
// stays with that copy's clients.
func (c *APIClient) On(s *Server) *APIClient {
	n := &APIClient{S: s, HTTP: s.Client(), Bearer: c.Bearer, Header: c.Header.Clone()}
	CopyCookies(c.HTTP, c.S.URL, n.HTTP, s.URL)
	return n
}

// CopyCookies puts the cookies that client from holds for its server's
// URL into client to's jar, for URL toURL (the same host on another port:
// a server started from a snapshot).
func CopyCookies(from *http.Client, fromURL string, to *http.Client, toURL string) {
	if from.Jar == nil || to.Jar == nil {
		return
	}
	fu, err1 := url.Parse(fromURL + "/")
	tu, err2 := url.Parse(toURL + "/")
	if err1 != nil || err2 != nil {
		return
	}
	var cookies []*http.Cookie
	for _, k := range from.Jar.Cookies(fu) {
		cookies = append(cookies, &http.Cookie{Name: k.Name, Value: k.Value, Path: "/"})
	}
	to.Jar.SetCookies(tu, cookies)
}

// copyDir copies the regular files of a directory tree.
func copyDir(from, to string) error {
	return filepath.Walk(from, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, 0o750)
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// schemaPool holds the PostgreSQL schemas of a snapshot's copies. The
// snapshot's own schema (src) is the template; a copy takes a free schema
// of the pool (or a new, migrated one) and gets src's rows: every table
// emptied and filled from src's, every sequence set to src's position,
// with triggers and foreign keys off (session_replication_role = replica,
// which takes a superuser, as the tests' postgres user is) so that the
// rows are src's exactly, the ones triggers maintain included.
type schemaPool struct {
	base, src string // the test database's URL, the template schema
	admin     *sql.DB
	tables    []string // src's tables, with their columns
	columns   map[string]string
	seqs      []string // setval(…) of src's sequences, with %s for the schema
	mu        sync.Mutex
	free      []string // schemas whose copy ended
	all       []string // every schema the pool made, dropped at close
}

func newSchemaPool(dbURL string) (*schemaPool, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	src := q.Get("search_path")
	if src == "" {
		return nil, fmt.Errorf("%s names no schema", dbURL)
	}
	base := os.Getenv(PostgresURL)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return nil, err
	}
	admin.SetMaxOpenConns(2)
	p := &schemaPool{base: base, src: src, admin: admin, columns: map[string]string{}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.readTemplate(ctx); err != nil {
		admin.Close()
		return nil, err
	}
	return p, nil
}

// readTemplate lists src's tables, their columns (all but generated ones)
// and its sequences' positions.
func (p *schemaPool) readTemplate(ctx context.Context) error {
	rows, err := p.admin.QueryContext(ctx, `SELECT c.relname,
		string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FILTER (WHERE a.attgenerated = '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE n.nspname = $1 AND c.relkind = 'r' AND NOT c.relispartition
		GROUP BY c.relname ORDER BY c.relname`, p.src)
	if err != nil {
		return fmt.Errorf("read the template schema: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, cols string
		if err := rows.Scan(&table, &cols); err != nil {
			return err
		}
		p.tables = append(p.tables, table)
		p.columns[table] = cols
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(p.tables) == 0 {
		return fmt.Errorf("schema %s has no tables", p.src)
	}
	seqs, err := p.admin.QueryContext(ctx, `SELECT quote_ident(sequencename), last_value, start_value
		FROM pg_sequences WHERE schemaname = $1 ORDER BY 1`, p.src)
	if err != nil {
		return fmt.Errorf("read the template's sequences: %w", err)
	}
	defer seqs.Close()
	for seqs.Next() {
		var name string
		var last sql.NullInt64
		var start int64
		if err := seqs.Scan(&name, &last, &start); err != nil {
			return err
		}
		if last.Valid {
			p.seqs = append(p.seqs, fmt.Sprintf("SELECT setval('%%s.%s', %d, true);", name, last.Int64))
		} else { // never used
			p.seqs = append(p.seqs, fmt.Sprintf("SELECT setval('%%s.%s', %d, false);", name, start))
		}
	}
	return seqs.Err()
}

// resetSQL replaces schema dst's rows with src's.
func (p *schemaPool) resetSQL(dst string) string {
	var b strings.Builder
	b.WriteString("SET LOCAL session_replication_role = replica;\n")
	for _, t := range p.tables {
		fmt.Fprintf(&b, "DELETE FROM %s.%s;\n", dst, t)
		fmt.Fprintf(&b, "INSERT INTO %s.%s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %s.%s;\n",
			dst, t, p.columns[t], p.columns[t], p.src, t)
	}
	for _, s := range p.seqs {
		fmt.Fprintf(&b, s+"\n", dst)
	}
	return b.String()
}

// take returns the URL of a schema holding src's rows, and the function
// that gives it back once no connection uses it.
func (p *schemaPool) take() (string, func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p.mu.Lock()
	var schema string
	if n := len(p.free); n > 0 {
		schema, p.free = p.free[n-1], p.free[:n-1]
	}
	p.mu.Unlock()
	if schema == "" {
		var err error
		if schema, err = p.newSchema(ctx); err != nil {
			return "", nil, err
		}
	}
	give := func() {
		p.mu.Lock()
		p.free = append(p.free, schema)
		p.mu.Unlock()
	}
	tx, err := p.admin.BeginTx(ctx, nil)
	if err != nil {
		give()
		return "", nil, err
	}
	if _, err := tx.ExecContext(ctx, p.resetSQL(schema)); err != nil {
		_ = tx.Rollback()
		give()
		return "", nil, fmt.Errorf("copy schema %s into %s: %w", p.src, schema, err)
	}
	if err := tx.Commit(); err != nil {
		give()
		return "", nil, err
	}
	u, err := schemaURL(p.base, schema)
	if err != nil {
		give()
		return "", nil, err
	}
	return u, give, nil
}

// newSchema makes a schema for the pool, with the tables, triggers and
// functions of the migrations (its rows are replaced before use).
func (p *schemaPool) newSchema(ctx context.Context) (string, error) {
	schema := "t_" + strings.TrimPrefix(id.New("x"), "x_")
	if _, err := p.admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", fmt.Errorf("create schema: %w", err)
	}
	p.mu.Lock()
	p.all = append(p.all, schema)
	p.mu.Unlock()
	u, err := schemaURL(p.base, schema)
	if err != nil {
		return "", err
	}
	d, err := db.Open(ctx, u, "")
	if err != nil {
		return "", err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return "", fmt.Errorf("migrate %s: %w", schema, err)
	}
	return schema, nil
}

// close drops the pool's schemas.
func (p *schemaPool) close() {
	for _, s := range p.all {
		_, _ = p.admin.ExecContext(context.Background(), "DROP SCHEMA "+s+" CASCADE")
	}
	p.admin.Close()
}
