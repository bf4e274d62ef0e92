package clientlist

import (
	"context"
	"slices"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
)

// The refresh's writes and locks (fresh.go reads and computes).

// storeFresh writes the recomputed status, score and last activity (and
// their sort keys) of one agency's rows in one statement: an UPDATE joined
// to a VALUES list (both engines), so recomputing 10,000 clients after a
// change of thresholds is 20 statements, not 10,000. The typed casts let
// PostgreSQL know each parameter's type; SQLite stores the values as they
// come (a cast to TIMESTAMP there would make them numbers).
func storeFresh(ctx context.Context, tx *db.Tx, agencyID string, rows []fresh) error {
	if len(rows) == 0 {
		return nil
	}
	one := `(?, ?, CAST(? AS INTEGER), ?, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))`
	if tx.Dialect() == db.Postgres {
		one = `(?, ?, CAST(? AS INTEGER), CAST(? AS TIMESTAMPTZ), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))`
	}
	args := make([]any, 0, len(rows)*8+1)
	for _, f := range rows {
		args = append(args, f.clientID, f.status, f.health, timeOrNil(f.lastActive),
			f.healthDescKey(), f.healthAscKey(), f.activeDescKey(), f.activeAscKey())
	}
	args = append(args, agencyID)
	_, err := tx.Exec(ctx, `UPDATE client_list SET status = v.column2, health = v.column3, last_active_at = v.column4,
		health_desc_key = v.column5, health_asc_key = v.column6, active_desc_key = v.column7, active_asc_key = v.column8
		FROM (VALUES `+db.Tuples(one, len(rows))+`) AS v
		WHERE client_list.client_id = v.column1 AND client_list.agency_id = ?`, args...)
	return err
}

// storeValidity writes the rows' new valid_until (client_list_due,
// migration 00058): a narrow table, so that this most frequent write
// rewrites two small indexes, not the list's ten.
func storeValidity(ctx context.Context, tx *db.Tx, agencyID string, rows []fresh) error {
	if len(rows) == 0 {
		return nil
	}
	one := `(?, ?)`
	if tx.Dialect() == db.Postgres {
		one = `(?, CAST(? AS TIMESTAMPTZ))`
	}
	args := make([]any, 0, len(rows)*2+1)
	for _, f := range rows {
		args = append(args, f.clientID, timeOrNil(f.validUntil))
	}
	args = append(args, agencyID)
	_, err := tx.Exec(ctx, `UPDATE client_list_due SET valid_until = v.column2
		FROM (VALUES `+db.Tuples(one, len(rows))+`) AS v
		WHERE client_list_due.client_id = v.column1 AND client_list_due.agency_id = ?`, args...)
	return err
}

// dueRow is a due row as the refresh reads it.
type dueRow struct {
	ClientID   string  `db:"client_id"`
	Status     string  `db:"status"`
	Health     *int64  `db:"health"`
	LastActive db.Time `db:"last_active_at"`
	ValidUntil db.Time `db:"valid_until"`
	Headline   *string `db:"headline"`
}

// lockDue reads the stored values of the clients' rows that are still due
// at now, and on PostgreSQL locks their validity rows (in client order), so
// that an event recorded meanwhile, whose mark waits for the validity row,
// marks the row due after this refresh, never before it. A row refreshed
// elsewhere between the statements is left out.
func lockDue(ctx context.Context, tx *db.Tx, agencyID string, ids []string, now time.Time) ([]dueRow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	sql := `SELECT l.client_id, l.status, l.health, l.last_active_at, d.valid_until, h.vals AS headline
		FROM client_list_due d JOIN client_list l ON l.agency_id = d.agency_id AND l.client_id = d.client_id
		LEFT JOIN client_list_headline h ON h.agency_id = l.agency_id AND h.client_id = l.client_id
		WHERE d.agency_id = ? AND d.client_id ` + inClients(tx.Dialect()) + ` AND d.valid_until <= ? ORDER BY d.client_id`
	if tx.Dialect() == db.Postgres {
		sql += ` FOR UPDATE OF d`
	}
	sql, args, err := clientsArg(tx.Dialect(), sql, agencyID, ids, now)
	if err != nil {
		return nil, err
	}
	var due []dueRow
	err = tx.Select(ctx, &due, sql, args...)
	return due, err
}

// lockMoved locks, on PostgreSQL, the list rows whose values the refresh
// changed, before it writes them, and drops from moved and from rows (the
// batch) any that a rebuild holds (SKIP LOCKED): a rebuild locks the list
// row and then its validity row (migration 00058), which this refresh
// holds, so waiting for it would deadlock; the rebuilt row is due again
// anyway.
func lockMoved(ctx context.Context, tx *db.Tx, agencyID string, moved, rows []fresh) ([]fresh, []fresh, error) {
	if tx.Dialect() != db.Postgres || len(moved) == 0 {
		return moved, rows, nil
	}
	ids := make([]string, len(moved))
	for i, f := range moved {
		ids[i] = f.clientID
	}
	var locked []string
	if err := tx.Select(ctx, &locked, `SELECT client_id FROM client_list WHERE agency_id = ? AND client_id `+inClients(db.Postgres)+`
		ORDER BY client_id FOR UPDATE SKIP LOCKED`, agencyID, ids); err != nil {
		return nil, nil, err
	}
	if len(locked) == len(ids) {
		return moved, rows, nil
	}
	held := map[string]bool{}
	for _, id := range ids {
		held[id] = true
	}
	for _, id := range locked {
		delete(held, id)
	}
	keep := func(f fresh) bool { return held[f.clientID] }
	return slices.DeleteFunc(moved, keep), slices.DeleteFunc(rows, keep), nil
}

// inClients is the test of a column against a list of clients: an array
// on PostgreSQL, whose planner chose a scan of the agency's rows over a
// list of 500 parameters; a list on SQLite (clientsArg expands it).
func inClients(d db.Dialect) string {
	if d == db.Postgres {
		return `= ANY(CAST(? AS TEXT[]))`
	}
	return `IN (?)`
}

// clientsArg binds the arguments of a statement using inClients.
func clientsArg(d db.Dialect, sql string, args ...any) (string, []any, error) {
	if d == db.Postgres {
		return sql, args, nil
	}
	return db.In(sql, args...)
}
