package clientlist

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/health"
)

// A client's status (active, at_risk, churned), health score and last
// activity move with the clock, not only with the data. client_list stores
// them, and client_list_due their valid_until, the moment they may next
// change on their own (health.NextChange): until then they are exact. Anything that changes
// their inputs marks the rows due (the triggers rebuild a row due; a
// recorded event sets valid_until in the past), and whoever reads an
// agency's rows first recomputes the due ones (refreshDue), in one write
// transaction. So the list, its counts, its sorts and the detail are right
// at any clock time with no job running — a job only saves the first reader
// the work.

// joined are the stored statuses of a client someone has joined, which the
// clock moves between.
var joined = map[string]bool{"active": true, "at_risk": true, "churned": true}

// IsDue reports whether a stored valid_until (a row's, or the earliest of an
// agency's rows) has passed at now: NULL never falls due.
func IsDue(validUntil db.Time, now time.Time) bool {
	return validUntil.Valid && !validUntil.Time.After(now)
}

// healthWindow is how far back the score reads (the 90 days before the last
// 30).
const healthWindow = 120 * health.Day

// DueRowsSQL reads the clients of an agency's due rows, one batch
// (arguments: the agency, now, the last client of the batch before or "",
// the batch's size), in client order: each batch of a refresh is its own
// transaction, so a large backlog never holds the writer for long and a
// reader can stop after a few batches (behind.go). TombstonesSQL reads its
// rows deleted and not yet versioned. On SQLite each names its index: with
// statistics taken while the agency was small (every row due at the same
// moment), the planner walked the agency's rows in client order to save a
// sort, so each refresh read the whole agency and the list's cost grew
// with it (issue 23's soak). TestRefreshPlans checks the plans.
//
// On PostgreSQL the statement is planned for its arguments on each call
// (dueRowsArgs, db.FreshPlan): the generic plan every other statement
// uses cannot know that valid_until <= now holds for few rows, and walked
// the agency's rows in client order (the primary key) to save a sort —
// 874 blocks a call at 1,500 clients and 3,340 at 4,000 in issue 23's
// soak, the statement run by every refresh (TestDueRowsPlanAsRun).
func DueRowsSQL(d db.Dialect) string {
	return `SELECT client_id FROM client_list_due` + indexedBy(d, "client_list_due_at") + `
		WHERE agency_id = ? AND valid_until <= ? AND client_id > ? ORDER BY client_id LIMIT ?`
}

// dueRowsArgs are DueRowsSQL's arguments, planned for their values on
// PostgreSQL (see DueRowsSQL).
func dueRowsArgs(q db.Querier, agencyID string, now time.Time, after string, batch int) []any {
	return db.FreshPlan(q, []any{agencyID, now, after, batch})
}

// TombstonesSQL: see DueRowsSQL (argument: the agency).
func TombstonesSQL(d db.Dialect) string {
	return `SELECT client_id FROM client_list_stamps` + indexedBy(d, "client_list_stamps_agency_v") + ` WHERE agency_id = ? AND v < 0 ORDER BY client_id`
}

func indexedBy(d db.Dialect, index string) string {
	if d == db.SQLite {
		return ` INDEXED BY ` + index
	}
	return ""
}

// refreshBatchSize is how many due rows one transaction of a refresh
// recomputes (about 90 ms of CPU on SQLite with 20 events a client; a
// reader's batches are smaller: behind.go).
const refreshBatchSize = 500

// RefreshDue recomputes all the agency's list rows that are due at now, a
// batch at a time (each batch its own transaction).
func (s *Service) RefreshDue(ctx context.Context, agencyID string, now time.Time) error {
	_, err := s.refreshUntil(ctx, agencyID, now, 0, refreshBatchSize)
	return err
}

// refreshUntil recomputes the agency's due rows in client order, batch
// after batch, until none is left or, after a batch, it has recomputed
// limit rows (0: no limit); it reports whether due rows are left. A row
// marked due again behind the batches (an event recorded meanwhile) is left
// to the next refresh, so a refresh always ends. The limit counts rows, not
// time, so that what a reader sees never depends on the machine's speed.
func (s *Service) refreshUntil(ctx context.Context, agencyID string, now time.Time, limit, batch int) (left bool, err error) {
	after := ""
	for done := batch; ; done += batch {
		last, more, err := s.refreshBatch(ctx, agencyID, now, after, batch)
		if err != nil || !more {
			return false, err
		}
		after = last
		if limit > 0 && done >= limit {
			return true, nil
		}
	}
}

// refreshBatch recomputes up to batch due rows of the agency
// after the client after (the first batch, after == "", also versions the
// tombstones) in one transaction. It returns the batch's last client and
// whether more due rows may follow it.
func (s *Service) refreshBatch(ctx context.Context, agencyID string, now time.Time, after string, batch int) (last string, more bool, err error) {
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var ids []string
		if err := tx.Select(ctx, &ids, DueRowsSQL(tx.Dialect()), dueRowsArgs(tx, agencyID, now, after, batch)...); err != nil {
			return err
		}
		last, more = "", len(ids) == batch
		if more {
			last = ids[len(ids)-1]
		}
		due, err := lockDue(ctx, tx, agencyID, ids, now)
		if err != nil {
			return err
		}
		// The tombstones of rows deleted for good (migration 00013) get a
		// version too. One locked by a transaction still deleting that
		// client's row again is left to the next refresh (SKIP LOCKED):
		// waiting on it could deadlock with the rows locked above.
		var shown []string // the clients whose rows changed, for copies (stampRows)
		skip := ""
		if tx.Dialect() == db.Postgres {
			skip = ` FOR UPDATE SKIP LOCKED`
		}
		if after == "" {
			if err := tx.Select(ctx, &shown, TombstonesSQL(tx.Dialect())+skip, agencyID); err != nil {
				return err
			}
		}
		if len(due) == 0 {
			return stampRows(ctx, tx, agencyID, shown)
		}
		set, err := agency.Settings(ctx, tx, agencyID)
		if err != nil {
			return err
		}
		// Headline metrics: this month's values, and the month's end, when
		// they must be computed again (headline.go).
		var from, to string
		var monthEnd time.Time
		if len(set.HeadlineMetrics) > 0 {
			loc, err := set.Location()
			if err != nil {
				loc = time.UTC
			}
			from, to, monthEnd = headlineMonth(now, loc)
		}
		statusMoved := false
		// One statement each for the batch's events and headline values.
		dueIDs := make([]string, len(due))
		for i, d := range due {
			dueIDs[i] = d.ClientID
		}
		acts, err := activityNow(ctx, tx, dueIDs, now)
		if err != nil {
			return err
		}
		var headline map[string]string
		if len(set.HeadlineMetrics) > 0 {
			if headline, err = headlineValues(ctx, tx, agencyID, dueIDs, set.HeadlineMetrics, from, to); err != nil {
				return err
			}
			if err := storeHeadline(ctx, tx, agencyID, headline, dueIDs); err != nil {
				return err
			}
		}
		rows := make([]fresh, len(due))
		var moved []fresh // the rows whose shown values changed
		for i, d := range due {
			a := acts[d.ClientID]
			rows[i] = fresh{clientID: d.ClientID, status: d.Status, lastActive: a.lastActive}
			if scored(d.Status, a) {
				rows[i] = computeFresh(d.ClientID, a, d.Status, now, set)
			}
			headlineMoved := false
			if headline != nil {
				if rows[i].validUntil.IsZero() || rows[i].validUntil.After(monthEnd) {
					rows[i].validUntil = monthEnd
				}
				headlineMoved = d.Headline == nil || *d.Headline != headline[d.ClientID]
			}
			statusMoved = statusMoved || rows[i].status != d.Status
			// A row due at due.Epoch was rebuilt from its data (the
			// triggers of migration 00010): copies read it again
			// whatever the refresh finds. A row marked due (due.Marked)
			// holds the last refresh's values, and is read again only
			// if they moved.
			valuesMoved := rows[i].status != d.Status || !sameScore(rows[i].health, d.Health) ||
				!sameTime(rows[i].lastActive, d.LastActive)
			if headlineMoved || valuesMoved || d.ValidUntil.Time.Unix() <= 0 {
				shown = append(shown, d.ClientID)
			}
			if valuesMoved {
				moved = append(moved, rows[i])
			}
		}
		if moved, rows, err = lockMoved(ctx, tx, agencyID, moved, rows); err != nil {
			return err
		}
		if err := storeFresh(ctx, tx, agencyID, moved); err != nil {
			return err
		}
		if err := storeValidity(ctx, tx, agencyID, rows); err != nil {
			return err
		}
		if err := stampRows(ctx, tx, agencyID, shown); err != nil {
			return err
		}
		// The counts per status read the statuses only: a score or a
		// last activity moving leaves them (and the caches holding them)
		// right. Scores move every few seconds in a large agency (each
		// event leaving a window), statuses only at the thresholds.
		if !statusMoved {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO client_list_access_versions (agency_id, v) VALUES (?, 1)
			ON CONFLICT (agency_id) DO UPDATE SET v = client_list_access_versions.v + 1`, agencyID)
		return err
	})
	return last, more, err
}

// stampRows records that the clients' rows changed (migration 00013): it
// moves the agency's row version and stamps the clients with it, so
// in-memory copies of the list (memory.go) read these rows again. Many
// refreshes change nothing shown (NextChange names every moment a score
// could move, not only those where it does), and they stamp nothing.
func stampRows(ctx context.Context, tx *db.Tx, agencyID string, clientIDs []string) error {
	if len(clientIDs) == 0 {
		return nil
	}
	// A client may be both due and a tombstone (its row rebuilt): one
	// statement may not upsert a key twice.
	slices.Sort(clientIDs)
	clientIDs = slices.Compact(clientIDs)
	var v int64
	if err := tx.Get(ctx, &v, `INSERT INTO client_list_agency_versions (agency_id, v) VALUES (?, 1)
		ON CONFLICT (agency_id) DO UPDATE SET v = client_list_agency_versions.v + 1 RETURNING v`, agencyID); err != nil {
		return err
	}
	for start := 0; start < len(clientIDs); start += 500 {
		batch := clientIDs[start:min(start+500, len(clientIDs))]
		args := make([]any, 0, 3*len(batch))
		for _, c := range batch {
			args = append(args, agencyID, c, v)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO client_list_stamps (agency_id, client_id, v) VALUES `+
			db.Tuples(`(?, ?, ?)`, len(batch))+`
			ON CONFLICT (agency_id, client_id) DO UPDATE SET v = excluded.v`, args...); err != nil {
			return err
		}
	}
	return nil
}

func sameScore(a *int, b *int64) bool {
	return a == nil && b == nil || a != nil && b != nil && int64(*a) == *b
}

// sameTime compares a computed last activity (zero: none) with a stored one.
func sameTime(a time.Time, b db.Time) bool {
	return a.IsZero() && !b.Valid || !a.IsZero() && b.Valid && a.Equal(b.Time)
}

// scored reports whether a client has a health score: one someone has
// joined, or a revoked one with a history (one that never had any has none,
// like a client nobody joined).
func scored(status string, a clientActivity) bool {
	return joined[status] || status == "revoked" && !a.lastActive.IsZero()
}

// fresh is what refreshDue stores for a client.
type fresh struct {
	clientID   string
	status     string
	health     *int
	lastActive time.Time
	validUntil time.Time // zero: never due again by itself
}

func computeFresh(clientID string, a clientActivity, stored string, now time.Time, set agency.AgencySettings) fresh {
	p := health.Score(a.Activity, now, set.ChurnDays)
	f := fresh{clientID: clientID, status: stored, health: &p.Score, lastActive: a.lastActive,
		validUntil: health.NextChange(a.Activity, now, set.ChurnDays)}
	if joined[stored] {
		f.status = health.Status(a.lastLogin, now, set.AtRiskDays, set.ChurnDays)
		// Status ticks at at_risk_days after the last login fall on the
		// daily ticks NextChange already counts.
	}
	return f
}

func (f fresh) healthDescKey() int64 {
	if f.health == nil {
		return 1
	}
	return -int64(*f.health)
}

func (f fresh) healthAscKey() int64 {
	if f.health == nil {
		return 101
	}
	return int64(*f.health)
}

func (f fresh) activeDescKey() int64 {
	if f.lastActive.IsZero() {
		return 1
	}
	return -f.lastActive.UnixMicro()
}

func (f fresh) activeAscKey() int64 {
	if f.lastActive.IsZero() {
		return math.MaxInt64
	}
	return f.lastActive.UnixMicro()
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Computed is a client's status, score and last activity as RefreshDue
// would store them now.
type Computed struct {
	Status     string
	Health     *int64
	LastActive db.Time
}

// Compute returns what RefreshDue would store for one client of the agency
// whose stored status is status, without writing: for a read inside a
// write transaction, or while the database takes no writes.
func (s *Service) Compute(ctx context.Context, q db.Querier, agencyID, clientID, status string) (Computed, error) {
	now := s.now()
	acts, err := activityNow(ctx, q, []string{clientID}, now)
	if err != nil {
		return Computed{}, err
	}
	a := acts[clientID]
	f := fresh{status: status, lastActive: a.lastActive}
	if scored(status, a) {
		set, err := agency.Settings(ctx, q, agencyID)
		if err != nil {
			return Computed{}, err
		}
		f = computeFresh(clientID, a, status, now, set)
	}
	c := Computed{Status: f.status, LastActive: db.Time{Time: f.lastActive, Valid: !f.lastActive.IsZero()}}
	if f.health != nil {
		h := int64(*f.health)
		c.Health = &h
	}
	return c, nil
}

// computeRows does what computeRow does for a page of list rows, in two
// statements.
func (s *Service) computeRows(ctx context.Context, agencyID string, rows []listRow) error {
	if len(rows) == 0 {
		return nil
	}
	now := s.now()
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	acts, err := activityNow(ctx, s.read, ids, now)
	if err != nil {
		return err
	}
	set, err := agency.Settings(ctx, s.read, agencyID)
	if err != nil {
		return err
	}
	for i := range rows {
		r := &rows[i]
		a := acts[r.ID]
		f := fresh{status: r.Status, lastActive: a.lastActive}
		if scored(r.Status, a) {
			f = computeFresh(r.ID, a, r.Status, now, set)
		}
		r.Status, r.LastActive, r.Health = f.status, db.Time{Time: f.lastActive, Valid: !f.lastActive.IsZero()}, nil
		r.from = nil // its values are no longer the copy's row's
		if f.health != nil {
			h := int64(*f.health)
			r.Health = &h
		}
	}
	return nil
}
