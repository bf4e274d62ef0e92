package db

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/jackc/pgx/v5"

	"github.com/liaison-dev/liaison/internal/errs"
)

// The differences between SQLite and PostgreSQL that code above this package
// must know about are kept here, in one file.

// ErrNoRows is returned by Get when no row matches.
var ErrNoRows = sql.ErrNoRows

// ErrUnique is wrapped by errors from a unique-constraint violation.
var ErrUnique = errors.New("unique constraint violated")

// ErrForeignKey is wrapped by errors from a foreign-key violation.
var ErrForeignKey = errors.New("foreign key violated")

// errRetry marks a PostgreSQL serialization failure or deadlock.
var errRetry = errors.New("transaction must be retried")

// classify turns driver errors into the sentinel errors above, so callers
// test with errors.Is instead of matching driver strings.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if unavailable(err) {
		return fmt.Errorf("%w: %w", errs.ErrDatabaseUnavailable, err)
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return fmt.Errorf("%w: %s", ErrUnique, pg.ConstraintName)
		case "23503":
			return fmt.Errorf("%w: %s", ErrForeignKey, pg.ConstraintName)
		case "40001", "40P01":
			return fmt.Errorf("%w: %v", errRetry, err)
		}
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %v", ErrUnique, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %v", ErrForeignKey, err)
		}
	}
	return err
}

// unavailable reports whether err says the database cannot answer now,
// whatever the statement: the connection failed or was cut, the server is
// shutting down or out of resources (a full disk), the database is
// read-only. Such errors become errs.ErrDatabaseUnavailable (503 with
// Retry-After in the API); the activity recorder retries on them.
func unavailable(err error) bool {
	if errors.Is(err, errs.ErrDatabaseUnavailable) {
		return false // already classified
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case strings.HasPrefix(pg.Code, "08"), // connection exception
			strings.HasPrefix(pg.Code, "53"),                           // insufficient resources: disk full, out of memory, too many connections
			strings.HasPrefix(pg.Code, "58"),                           // system error: I/O
			pg.Code == "57P01", pg.Code == "57P02", pg.Code == "57P03", // shutting down, cannot connect now
			pg.Code == "25006": // read-only transaction (a standby, default_transaction_read_only)
			return true
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_BUSY:
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset")
}

func isRetryable(err error) bool { return errors.Is(err, errRetry) }

// Time scans a timestamp from either engine, including values that SQLite
// returns as text (aggregates such as MAX(created_at) lose the column type).
type Time struct {
	time.Time
	Valid bool
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 -0700 MST",
}

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*t = Time{}
		return nil
	case time.Time:
		*t = Time{Time: x.UTC(), Valid: true}
		return nil
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	}
	return fmt.Errorf("db.Time: cannot scan %T", v)
}

func (t *Time) parse(s string) error {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if p, err := time.Parse(l, s); err == nil {
			*t = Time{Time: p.UTC(), Valid: true}
			return nil
		}
	}
	return fmt.Errorf("db.Time: cannot parse %q", s)
}

// Value implements driver.Valuer.
func (t Time) Value() (driver.Value, error) {
	if !t.Valid {
		return nil, nil
	}
	return t.Time.UTC(), nil
}

// Ptr returns the time or nil when not valid, for JSON output.
func (t Time) Ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

// FreshPlan marks a query whose best plan depends on its arguments — a
// search pattern, which a trigram index serves only when the planner can
// see it: on PostgreSQL the query is then planned with its arguments on
// each call instead of from the generic plan every other statement uses
// (openPostgres). pgx's simple protocol does that: it sends the statement
// with its arguments quoted in (pgx escapes them; standard_conforming_strings
// is on), which PostgreSQL plans as a one-off. Pass the arguments through
// it; on SQLite they are unchanged.
func FreshPlan(q Querier, args []any) []any {
	if q.Dialect() == Postgres {
		return append([]any{pgx.QueryExecModeSimpleProtocol}, args...)
	}
	return args
}
