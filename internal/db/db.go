// Package db opens Liaison's database — SQLite by default, PostgreSQL when a
// postgres:// URL is given — runs the embedded migrations, and offers the one
// transaction helper that every write goes through.
//
// SQL in Liaison is written once, with ? placeholders, in the subset both
// engines share (ON CONFLICT, RETURNING); Querier rebinds placeholders for
// PostgreSQL. Dialect differences live in dialect.go.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite" // also registers the "sqlite" driver
)

// Dialect names the database engine.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database: one pool for writes and one for reads. On SQLite the
// write pool has a single connection whose transactions begin IMMEDIATE, so
// writers queue in Go instead of failing with SQLITE_BUSY, while readers use
// WAL snapshots in parallel. On PostgreSQL both are the same pool.
type DB struct {
	dialect Dialect
	write   *sqlx.DB
	read    *sqlx.DB
	path    string // SQLite file, for backups
	// stmts keeps the read pool's prepared statements on SQLite (stmtcache.go).
	stmts *stmtCache
	// writeStmts opens the write pool's connections, which keep their
	// statements prepared on SQLite (sqlitestmts.go); nil on PostgreSQL.
	writeStmts *stmtConnector
	// auth is the generation of cached sessions (authgen.go).
	auth *authGen
	// mmap is SQLite's mmap_size (Options.SQLiteMmap).
	mmap int64
}

// Open connects to PostgreSQL when databaseURL is set, else to the SQLite file
// at sqlitePath (its directory is created). It does not run migrations.
func Open(ctx context.Context, databaseURL, sqlitePath string) (*DB, error) {
	return OpenWith(ctx, databaseURL, sqlitePath, Options{})
}

// Options tune an open database.
type Options struct {
	// SQLiteMmap is how many bytes of the SQLite file reads map (PRAGMA
	// mmap_size); 0, the default, maps nothing and reads pages through
	// read(2). Mapped pages a read touched count in the process's resident
	// memory: with the former 1 GiB, a login burst on a seeded 381 MB file
	// peaked at 196–215 MB of RSS; 64 MiB still 214 MB (all of it
	// touched); none, 148 MB (bench/README.md).
	SQLiteMmap int64
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, databaseURL, sqlitePath string, o Options) (*DB, error) {
	if databaseURL != "" {
		return openPostgres(ctx, databaseURL)
	}
	mmap := max(o.SQLiteMmap, 0)
	return openSQLite(ctx, sqlitePath, mmap)
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	rawURL, conns, err := poolSize(rawURL)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	// Every statement is prepared once per connection (pgx's statement
	// cache). Left on "auto", PostgreSQL plans a statement again on every
	// call whenever it estimates the generic plan a little dearer than the
	// plans made for the values: the client list's page paid 0.7 ms of
	// planning per request for the same index walk (measured with
	// log_min_duration_statement; bench/README.md). Our statements look
	// rows up by keys, so the generic plan is the right one; the few whose
	// plan depends on a value (a search pattern) say so with FreshPlan. A
	// plan_cache_mode in the URL wins.
	if _, set := cfg.RuntimeParams["plan_cache_mode"]; !set {
		cfg.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	// A write that changed the client list's state says so with a notice
	// (listgen.go).
	cfg.OnNotice = noticeHandler
	x := sqlx.NewDb(stdlib.OpenDB(*cfg), "pgx")
	x.SetMaxOpenConns(conns)
	x.SetMaxIdleConns(conns)
	x.SetConnMaxIdleTime(5 * time.Minute)
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	d := &DB{dialect: Postgres, write: x, read: x, auth: &authGen{}}
	lc := cfg.Copy()
	lc.RuntimeParams["application_name"] = listenerConnecting
	d.listenAuth(lc)
	return d, nil
}

// poolSize takes pool_max_conns (the name pgx's own pool uses) out of a
// PostgreSQL URL, where PostgreSQL would take it for a setting, and returns
// it; without it the pool holds max(4, number of CPUs) connections, pgx's
// own default. Why so few: a connection busy in PostgreSQL is a backend
// process wanting a core, and more of them than cores only queue in the
// kernel instead of in the pool. With PostgreSQL on the same two cores, 4
// connections instead of 20 took the client list's p99 under load from
// 12–16 ms to 10–10.5 ms at the same throughput (bench/README.md). A
// database on a larger machine of its own wants more: set pool_max_conns.
func poolSize(rawURL string) (string, int, error) {
	n := max(4, runtime.NumCPU())
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", 0, fmt.Errorf("open postgres: %w", err)
	}
	q := u.Query()
	if v := q.Get("pool_max_conns"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 1000 {
			return "", 0, fmt.Errorf("open postgres: pool_max_conns=%q is not a number from 1 to 1000", v)
		}
		q.Del("pool_max_conns")
		u.RawQuery = q.Encode()
	}
	return u.String(), n, nil
}

func openSQLite(ctx context.Context, path string, mmap int64) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// modernc takes pragmas as _pragma=name(value); its default busy timeout is 0.
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_time_format=sqlite" +
		// Reads may map the file instead of copying pages through
		// read(2) (Options.SQLiteMmap): measured 1.8x on the client list's
		// first page once (bench/README.md), but mapped pages count as
		// resident memory, so it is off unless configured.
		"&_pragma=mmap_size(" + strconv.FormatInt(mmap, 10) + ")"
	// The write pool's connection keeps its statements prepared
	// (sqlitestmts.go).
	wc, err := sqlite.NewConnector(base + "&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	stmts := &stmtConnector{Connector: wc}
	w := sqlx.NewDb(sql.OpenDB(stmts), "sqlite")
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sqlx.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	n := max(4, runtime.NumCPU()*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	return &DB{dialect: SQLite, write: w, read: r, path: path, stmts: newStmtCache(r), writeStmts: stmts,
		auth: sqliteAuthGen(path), mmap: mmap}, nil
}

// Close closes both pools.
func (d *DB) Close() error {
	d.stopListening()
	d.stmts.close()
	err := d.write.Close()
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.read.PingContext(ctx) }

// SQLitePath is the file of a SQLite database ("" on PostgreSQL).
func (d *DB) SQLitePath() string { return d.path }

// Querier runs SQL written with ? placeholders on either engine. Both *DB (reads
// on the read pool, writes on the write pool) and *Tx implement it.
type Querier interface {
	Get(ctx context.Context, dest any, query string, args ...any) error
	Select(ctx context.Context, dest any, query string, args ...any) error
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Dialect() Dialect
}

type runner interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func rebind(d Dialect, q string) string {
	if d == Postgres {
		return sqlx.Rebind(sqlx.DOLLAR, q)
	}
	return q
}

func get(ctx context.Context, r runner, d Dialect, dest any, q string, args []any) error {
	return classify(r.GetContext(ctx, dest, rebind(d, q), args...))
}

func sel(ctx context.Context, r runner, d Dialect, dest any, q string, args []any) error {
	if rs, ok := dest.(RowsScanner); ok {
		rows, err := r.QueryContext(ctx, rebind(d, q), args...)
		return scanRows(rows, err, rs)
	}
	return classify(r.SelectContext(ctx, dest, rebind(d, q), args...))
}

// RowsScanner is a Select destination that reads the rows itself, column
// by column in the statement's order, instead of through sqlx's reflection:
// for the hottest lists only, where mapping columns to fields took a
// tenth of a client-list request's CPU (bench/README.md).
type RowsScanner interface {
	ScanRows(rows *sql.Rows) error
}

func scanRows(rows *sql.Rows, err error, rs RowsScanner) error {
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	if err := rs.ScanRows(rows); err != nil {
		return classify(err)
	}
	return classify(rows.Err())
}

func exec(ctx context.Context, r runner, d Dialect, q string, args []any) (sql.Result, error) {
	res, err := r.ExecContext(ctx, rebind(d, q), args...)
	return res, classify(err)
}

// Get reads one row on the read pool; ErrNoRows when there is none.
func (d *DB) Get(ctx context.Context, dest any, q string, args ...any) error {
	if st := d.stmts.get(ctx, q); st != nil {
		return classify(st.GetContext(ctx, dest, args...))
	}
	return get(ctx, d.read, d.dialect, dest, q, args)
}

// Select reads rows on the read pool.
func (d *DB) Select(ctx context.Context, dest any, q string, args ...any) error {
	if st := d.stmts.get(ctx, q); st != nil {
		if rs, ok := dest.(RowsScanner); ok {
			rows, err := st.QueryContext(ctx, args...)
			return scanRows(rows, err, rs)
		}
		return classify(st.SelectContext(ctx, dest, args...))
	}
	return sel(ctx, d.read, d.dialect, dest, q, args)
}

// Exec runs one statement on the write pool, outside any transaction. Use it
// only for writes that stand alone (e.g. a session's last-seen time).
func (d *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if d.dialect == Postgres {
		res, list, err := d.execMarked(ctx, q, args)
		d.changed(ctx, touchesAuth(q), list || err != nil) // after the statement's own commit
		return res, err
	}
	res, err := exec(ctx, d.write, d.dialect, q, args)
	d.auth.writes.Add(1)
	d.changed(ctx, touchesAuth(q), false) // after the statement's own commit, error or not
	return res, err
}

// SetReadOnlyForTest makes SQLite's write connection refuse every write
// (PRAGMA query_only) or take them again, so tests see what Liaison does
// while its database takes no writes (a full disk, a read-only file).
func (d *DB) SetReadOnlyForTest(ctx context.Context, on bool) error {
	if d.dialect != SQLite {
		return errors.New("SetReadOnlyForTest: SQLite only")
	}
	_, err := d.write.ExecContext(ctx, fmt.Sprintf(`PRAGMA query_only = %t`, on))
	return err
}

// Dialect returns the engine.
func (d *DB) Dialect() Dialect { return d.dialect }

// Tx is a write transaction.
type Tx struct {
	tx      *sqlx.Tx
	dialect Dialect
	after   []func()
	// auth: a statement touched what cached sessions say (authgen.go).
	auth bool
}

func (t *Tx) Get(ctx context.Context, dest any, q string, args ...any) error {
	if !t.auth && touchesAuth(q) {
		t.auth = true // UPDATE … RETURNING
	}
	return get(ctx, t.tx, t.dialect, dest, q, args)
}
func (t *Tx) Select(ctx context.Context, dest any, q string, args ...any) error {
	if !t.auth && touchesAuth(q) {
		t.auth = true
	}
	return sel(ctx, t.tx, t.dialect, dest, q, args)
}
func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if !t.auth && touchesAuth(q) {
		t.auth = true
	}
	return exec(ctx, t.tx, t.dialect, q, args)
}

// Dialect returns the engine.
func (t *Tx) Dialect() Dialect { return t.dialect }

// AfterCommit registers fn to run once the transaction has committed, e.g. to
// wake the job runner. It never runs when the transaction rolls back.
func (t *Tx) AfterCommit(fn func()) { t.after = append(t.after, fn) }

// InTx runs fn in a write transaction: committed when fn returns nil, rolled
// back otherwise (and on panic, which is re-raised). Everything a change writes
// — the change, its audit entry, its e-mails and jobs — goes through one call.
// On PostgreSQL a serialization failure or deadlock is retried a few times.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := d.inTxOnce(ctx, fn)
		if err != nil && d.dialect == Postgres && attempt < 4 && isRetryable(err) {
			time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
			continue
		}
		return err
	}
}

func (d *DB) inTxOnce(ctx context.Context, fn func(tx *Tx) error) (err error) {
	var (
		conn *sqlx.Conn // PostgreSQL: the transaction's, to read the list mark on (listgen.go)
		x    *sqlx.Tx
	)
	if d.dialect == Postgres {
		if conn, err = d.write.Connx(ctx); err != nil {
			return classify(err)
		}
		// Back to the pool before the announcement, which takes a
		// connection of the pool: writers holding theirs while they wait
		// for one would wait for ever.
		defer func() { conn.Close() }() // after the rollback below; again is harmless
		x, err = conn.BeginTxx(ctx, nil)
	} else {
		x, err = d.write.BeginTxx(ctx, nil)
	}
	if err != nil {
		return classify(err)
	}
	tx := &Tx{tx: x, dialect: d.dialect}
	defer func() {
		if p := recover(); p != nil {
			_ = x.Rollback()
			panic(p)
		}
		if err != nil {
			_ = x.Rollback()
			if conn != nil {
				listMarked(conn) // a mark of what rolled back
			}
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if hook := beforeCommit(ctx); hook != nil {
		if err = hook(ctx, tx); err != nil {
			return err
		}
	}
	err = classify(x.Commit())
	d.auth.writes.Add(1) // after the commit, even a failed one (WriteGeneration)
	// Even when the commit's answer is an error: it may have committed.
	// (The list mark also comes from triggers deferred to the commit.)
	list := false
	if conn != nil {
		list = listMarked(conn) || err != nil
		conn.Close()
	}
	d.changed(ctx, tx.auth, list)
	if err != nil {
		return err
	}
	for _, f := range tx.after {
		f()
	}
	return nil
}

// In expands a query with an IN (?) clause over a slice, as sqlx.In does.
func In(q string, args ...any) (string, []any, error) { return sqlx.In(q, args...) }

// Tuples returns n copies of one, "(?, ?), (?, ?), …", for a multi-row
// VALUES list.
func Tuples(one string, n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(one+", ", n-1) + one
}

// Placeholders returns "?, ?, …" for n values.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// Prepare prepares a statement on the transaction's connection, for a
// statement run many times in one transaction (e.g. chunks of a bulk upsert).
// The caller closes it.
func (t *Tx) Prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	if !t.auth && touchesAuth(q) {
		t.auth = true
	}
	st, err := t.tx.PrepareContext(ctx, rebind(t.dialect, q))
	return st, classify(err)
}
