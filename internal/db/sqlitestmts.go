package db

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"sync/atomic"
)

// stmtConnector opens SQLite connections that keep their statements
// prepared, for the write pool. SQLite compiles a statement (parse, plan,
// and the code of every trigger the statement fires) on every call that is
// not prepared, and every write went through unprepared: in issue 23's
// mixed soak compiling write statements was 14–22 % of the server's CPU.
//
// Why at the driver and not with database/sql's prepared statements (as
// stmtCache does for the read pool): a *sql.Stmt is prepared on the pool,
// and the write pool's one connection is held by the open transaction, so
// preparing a statement first seen inside InTx waits for that transaction,
// that is for ever; Tx.StmtContext could reuse one prepared earlier but
// allocates a statement per call and closes them all at the commit. Here a
// connection keeps a map of the driver's own statements (modernc keeps a
// single statement compiled and resets it after each run, an error
// included), and database/sql sees a connection that runs SQL directly
// (ExecerContext, QueryerContext), inside a transaction or not.
type stmtConnector struct {
	driver.Connector
	// compiles counts the statements compiled on the pool's connections:
	// one per statement prepared for the cache, one per call that runs
	// unprepared. Tests see with it that a statement is compiled once.
	compiles atomic.Uint64
}

func (c *stmtConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := dc.(sqliteConn)
	if !ok {
		// Not modernc's connection any more: run it as it is.
		return dc, nil
	}
	return &stmtConn{sqliteConn: inner, m: map[string]*list.Element{}, lru: list.New(), compiles: &c.compiles}, nil
}

// sqliteConn is what modernc's connection implements and database/sql
// looks for; a wrapper that hid one would change how the pool behaves.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// The bounds of a connection's statements. Texts that vary with their
// input (IN lists over IDs, Tuples for multi-row VALUES) must not push the
// fixed statements out: a text with more than maxStmtArgs placeholders or
// longer than maxStmtLen is never kept, and past maxConnStmts the
// statement used least recently is finalized. Liaison has a few hundred
// fixed statements, all of them small.
const (
	maxConnStmts = 256
	maxStmtArgs  = 64
	maxStmtLen   = 16 << 10
)

// stmtConn is one SQLite connection with its prepared statements.
// database/sql never uses a connection from two goroutines at once (it
// locks the connection around every call, Rows.Next and Rows.Close
// included), so the map needs no lock of its own.
type stmtConn struct {
	sqliteConn
	m        map[string]*list.Element // of *connStmt, most recent at the front
	lru      *list.List
	compiles *atomic.Uint64
}

type connStmt struct {
	q  string
	st sqliteStmt
	// busy: rows of the statement are still open. Running it again would
	// reset it under them, so a second query with the same text (a query
	// inside the loop over another's rows) runs unprepared meanwhile.
	busy bool
}

// Unwrap gives modernc's functions that take a *sql.Conn (sqlite.Limit)
// the connection behind the wrapper.
func (c *stmtConn) Unwrap() driver.Conn { return c.sqliteConn }

func (c *stmtConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	s := c.stmt(ctx, q)
	if s == nil {
		c.compiles.Add(1)
		return c.sqliteConn.ExecContext(ctx, q, args)
	}
	return s.st.ExecContext(ctx, args)
}

func (c *stmtConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	s := c.stmt(ctx, q)
	if s == nil {
		c.compiles.Add(1)
		return c.sqliteConn.QueryContext(ctx, q, args)
	}
	r, err := s.st.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	rr, ok := r.(sqliteRows)
	if !ok {
		// Rows whose end we could not see: the statement stays busy.
		s.busy = true
		return r, nil
	}
	s.busy = true
	return &stmtRows{sqliteRows: rr, s: s}, nil
}

// stmt returns q's prepared statement, preparing it the first time; nil
// when q runs unprepared: a text that is not kept (cacheable), or whose
// statement has rows open, or that does not prepare (the plain call then
// reports why).
func (c *stmtConn) stmt(ctx context.Context, q string) *connStmt {
	if e, ok := c.m[q]; ok {
		s := e.Value.(*connStmt)
		if s.busy {
			return nil
		}
		c.lru.MoveToFront(e)
		return s
	}
	if !cacheable(q) {
		return nil
	}
	ds, err := c.sqliteConn.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	st, ok := ds.(sqliteStmt)
	if !ok {
		_ = ds.Close()
		return nil
	}
	c.compiles.Add(1)
	if c.lru.Len() >= maxConnStmts {
		c.evict()
	}
	s := &connStmt{q: q, st: st}
	c.m[q] = c.lru.PushFront(s)
	return s
}

// evict finalizes the statement used least recently whose rows are closed.
func (c *stmtConn) evict() {
	for e := c.lru.Back(); e != nil; e = e.Prev() {
		s := e.Value.(*connStmt)
		if s.busy {
			continue
		}
		c.lru.Remove(e)
		delete(c.m, s.q)
		_ = s.st.Close()
		return
	}
}

// cacheable reports whether q is kept prepared: one statement that reads
// or writes rows, with a fixed text. Schema changes, PRAGMAs and VACUUM
// run once (migrations) or rarely, and a script of several statements is
// compiled statement by statement on every run by modernc anyway.
func cacheable(q string) bool {
	if len(q) > maxStmtLen || strings.Count(q, "?") > maxStmtArgs {
		return false
	}
	t := strings.TrimSpace(q)
	if i := strings.IndexByte(t, ';'); i >= 0 && strings.TrimSpace(t[i+1:]) != "" {
		return false // a script (or a ';' in a literal: then merely unprepared)
	}
	end := strings.IndexAny(t, " \t\r\n(")
	if end < 0 {
		return false
	}
	switch strings.ToUpper(t[:end]) {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE":
		return true
	}
	return false
}

// Close finalizes the connection's statements before the connection:
// sqlite3_close_v2 would otherwise keep the database open for them.
func (c *stmtConn) Close() error {
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		errs = append(errs, e.Value.(*connStmt).st.Close())
	}
	c.m, c.lru = map[string]*list.Element{}, list.New()
	return errors.Join(append(errs, c.sqliteConn.Close())...)
}

// sqliteRows is what modernc's rows implement; database/sql's ColumnTypes
// reads the ColumnType methods.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// stmtRows frees its statement for the next call when it is closed
// (modernc's Close resets the statement instead of finalizing it).
type stmtRows struct {
	sqliteRows
	s *connStmt
}

func (r *stmtRows) Close() error {
	err := r.sqliteRows.Close()
	if r.s != nil {
		r.s.busy = false
		r.s = nil
	}
	return err
}
