package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Optimize keeps SQLite's query planner informed: without statistics
// (sqlite_stat1) it guesses, and guessed wrong on the membership query of
// every login (activity.RecordLogin), which walked every client account of
// the database: 6.13 ms a login on the seeded database, 0.005 ms after
// ANALYZE (bench/README.md). SQLite's advice is to run `PRAGMA optimize`
// when a connection opens (with 0x10000, so that every table is looked at,
// not only the ones this connection used), after the schema changes, and
// every few hours; it analyzes only the tables whose size changed much
// since they last were, with a bounded sample (analysis_limit), so it is
// cheap. TestHotStatementPlans checks the plans it leads to.
//
// initial runs it as at start and after migrations; false is the periodic
// run. PostgreSQL gathers statistics itself (autovacuum): a no-op there.
func (d *DB) Optimize(ctx context.Context, initial bool) error {
	if d.dialect != SQLite {
		return nil
	}
	q := `PRAGMA optimize`
	if initial {
		q = `PRAGMA optimize=0x10002`
	}
	// On the write connection: ANALYZE writes sqlite_stat1, and the read
	// connections are query_only. ANALYZE changes the schema cookie, so
	// each read connection loads the schema, and the new statistics, when
	// its next statement starts (TestHotStatementPlans).
	// The first analysis of a table reads all of it (its row count), a
	// seeded 381 MB file whole: through the mapping, that made 396 MB
	// resident at start. The write connection reads through read(2) for
	// it (the page cache's, not ours), and analysis_limit bounds what each
	// index's analysis samples.
	for _, p := range []string{`PRAGMA analysis_limit = 1000`, `PRAGMA mmap_size = 0`, q,
		`PRAGMA mmap_size = ` + strconv.FormatInt(d.mmap, 10)} {
		if _, err := d.write.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("sqlite optimize: %w", classify(err))
		}
	}
	return nil
}

// QueryPlan returns SQLite's EXPLAIN QUERY PLAN of q on a read connection,
// one line per step ("SEARCH m USING INDEX …", "SCAN a"), for tests that
// check the plans of the hot statements.
func (d *DB) QueryPlan(ctx context.Context, q string, args ...any) ([]string, error) {
	if d.dialect != SQLite {
		return nil, fmt.Errorf("query plans are read on SQLite only")
	}
	c, err := d.read.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// EXPLAIN does not run the statement, so it would plan with whatever
	// schema (and statistics) the connection loaded last; a statement that
	// reads checks the schema cookie and reloads first, as the real
	// statement's execution would.
	var n int
	if err := c.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema`).Scan(&n); err != nil {
		return nil, err
	}
	rows, err := c.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		out = append(out, detail)
	}
	return out, rows.Err()
}

// PostgresPlan returns PostgreSQL's plan of q as the application runs it,
// one line per step: every connection plans its prepared statements once,
// generically (plan_cache_mode force_generic_plan, openPostgres), so a
// statement's plan is the one PREPARE and EXPLAIN EXECUTE show, which
// cannot see the arguments — unless the arguments go through FreshPlan,
// when the plan is made for their values. Plain EXPLAIN with parameters
// would plan for the values too, and so hide a generic plan that walks
// (issue 23's soak). With analyze the statement runs (EXPLAIN ANALYZE,
// BUFFERS: the lines give the blocks it read). For tests.
func (d *DB) PostgresPlan(ctx context.Context, analyze bool, q string, args ...any) ([]string, error) {
	if d.dialect != Postgres {
		return nil, fmt.Errorf("PostgresPlan: PostgreSQL only")
	}
	c, err := d.write.Connx(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	explain := `EXPLAIN `
	if analyze {
		explain = `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) `
	}
	var plan []string
	if len(args) > 0 && args[0] == pgx.QueryExecModeSimpleProtocol {
		err = c.SelectContext(ctx, &plan, explain+rebind(Postgres, q), args...)
		return plan, classify(err)
	}
	if _, err := c.ExecContext(ctx, `PREPARE liaison_plan AS `+rebind(Postgres, q)); err != nil {
		return nil, classify(err)
	}
	defer c.ExecContext(context.WithoutCancel(ctx), `DEALLOCATE liaison_plan`)
	marks := strings.Repeat(`?, `, len(args))
	if marks != "" {
		marks = `(` + marks[:len(marks)-2] + `)`
	}
	// The arguments as literals (simple protocol), so that EXECUTE's own
	// parameters need no types.
	err = c.SelectContext(ctx, &plan, explain+`EXECUTE liaison_plan`+rebind(Postgres, marks),
		append([]any{pgx.QueryExecModeSimpleProtocol}, args...)...)
	return plan, classify(err)
}
