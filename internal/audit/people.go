package audit

import (
	"context"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Named is a user or an account an audit page names: the log stores IDs.
type Named struct {
	ID    string `db:"id"`
	Name  string `db:"name"`
	Email string `db:"email"`
}

// Names reads the names of the users and accounts an entry mentions (its
// actor, impersonator and target), for entries the caller has already read
// through a checked relation: only IDs taken from those entries are asked.
func (l *Log) Names(ctx context.Context, ids []string) (map[string]Named, error) {
	out := map[string]Named{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := db.In(`SELECT id, name, email FROM users WHERE id IN (?)
		UNION ALL SELECT id, name, '' AS email FROM accounts WHERE id IN (?)`, ids, ids)
	if err != nil {
		return nil, err
	}
	var rows []Named
	if err := l.db.Select(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// Facets are the values of a log's filters: the actions and the people
// that occur in the entries the relation reads (newest 200 of each).
type Facets struct {
	Actions []string
	Actors  []Named
}

// Facets reads the filters' choices for the log rel reads.
func (l *Log) Facets(ctx context.Context, rel authz.Relation) (Facets, error) {
	if !rel.Visible() {
		return Facets{}, errs.ErrNotFound
	}
	cond, args := "account_id = ?", []any{rel.AccountID}
	if ag := rel.Agency(); ag != "" {
		cond += " AND (agency_id IS NULL OR agency_id = ?)"
		args = append(args, ag)
	}
	var f Facets
	if err := l.db.Select(ctx, &f.Actions, `SELECT DISTINCT action FROM audit_events WHERE `+cond+` ORDER BY action LIMIT 200`, args...); err != nil {
		return f, err
	}
	err := l.db.Select(ctx, &f.Actors, `SELECT u.id, u.name, u.email FROM users u WHERE u.id IN
		(SELECT DISTINCT actor_id FROM audit_events WHERE `+cond+`) ORDER BY u.name, u.id LIMIT 200`, args...)
	return f, err
}
