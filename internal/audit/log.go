package audit

import (
	"context"
	"github.com/liaison-dev/liaison/internal/clock"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Log reads the audit trail for the API, scoped by a checked relation.
type Log struct {
	db  *db.DB
	now clock.Clock
}

// NewLog returns the audit reader.
func NewLog(d *db.DB) *Log { return &Log{db: d, now: clock.Real} }

// SetClock sets the clock that stamps exports (tests' fake clocks).
func (l *Log) SetClock(now clock.Clock) { l.now = now }

// List returns the events of the account that rel was checked against. A
// zero relation (no access check was made) finds nothing. An agency's view
// of a client (rel.Agency()) finds the entries of that agency and of none,
// never another agency's that shares the client.
func (l *Log) List(ctx context.Context, rel authz.Relation, f Filter) ([]Event, string, error) {
	if !rel.Visible() {
		return nil, "", errs.ErrNotFound
	}
	f.AccountIDs = []string{rel.AccountID}
	f.AgencyID = rel.Agency()
	return List(ctx, l.db, f)
}

// Verify checks the whole chain (for `liaison audit verify`).
func (l *Log) Verify(ctx context.Context) (int, *Break, error) { return Verify(ctx, l.db) }
