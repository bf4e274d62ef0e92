// Package jobs is Liaison's job queue: a table (jobs) that works the same on
// SQLite and PostgreSQL, so a job is enqueued in the same transaction as the
// change that causes it and runs only if that change commits.
//
// A runner claims due jobs by taking a lease (status running, locked_by,
// locked_until) in one UPDATE…RETURNING, and renews locked_until every
// Heartbeat while the job runs. On PostgreSQL the candidate rows are
// picked FOR UPDATE SKIP LOCKED, so several processes never claim one row; on
// SQLite the single writer connection with BEGIN IMMEDIATE serialises claims
// across processes. A worker that dies keeps its lease until locked_until (at
// most three heartbeats away), after which any runner reclaims the job: delivery is at least once, so handlers must
// be idempotent, but a job with a live lease never runs twice.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
)

// Job is a unit of work to enqueue.
type Job struct {
	Kind    string
	Payload any       // JSON-encoded; nil is stored as {}
	RunAt   time.Time // zero means now
	// UniqueKey, when set, makes a second Enqueue with the same key a no-op for
	// as long as the first row exists (done rows are kept for a retention period;
	// failed rows are kept), e.g. "invite-reminder:inv_…".
	UniqueKey   string
	MaxAttempts int // 0 means DefaultMaxAttempts
}

// Handler runs one job. Returning an error retries the job later (unless it is
// Permanent or the attempts are used up); a panic counts as an error.
type Handler func(ctx context.Context, payload json.RawMessage) error

// Statuses of a job row.
const (
	StatusQueued  = "queued"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// DefaultMaxAttempts is the attempts a job gets when Job.MaxAttempts is 0.
const DefaultMaxAttempts = 10

// PeriodPayload is the payload of the jobs that Every enqueues, so a handler
// knows which period it works for (e.g. the day of a daily report).
type PeriodPayload struct {
	Start time.Time `json:"period_start"`
}

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps a handler error so that the job fails at once instead of
// being retried (e.g. the payload names a row that no longer exists).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was wrapped by Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

type periodic struct {
	kind  string
	every time.Duration
	last  time.Time // start of the last period this process enqueued
}

// Queue enqueues and runs jobs. Set the exported fields before Run.
type Queue struct {
	// Workers is the number of jobs run at once by Run (default 2).
	Workers int
	// Lease is the longest a job may run: its handler is cancelled at 4/5 of
	// it. With Heartbeat 0, a claim also holds the job for all of Lease, so
	// a job whose process died waits that long to be reclaimed.
	Lease time.Duration
	// Heartbeat is how often a worker renews the lock of the job it runs
	// (default 5s). A claim then holds the job for 3 heartbeats, renewed
	// while the handler runs, so the jobs of a process that died (kill -9,
	// a lost machine) are reclaimed within seconds instead of after Lease:
	// an e-mail waits ~15s, not 5 minutes. 0 turns renewal off.
	Heartbeat time.Duration
	// Poll is how often an idle runner looks for due jobs (default 1s); Wake
	// makes it look at once.
	Poll time.Duration
	// ShutdownWait bounds how long Run waits for running jobs once its context
	// is cancelled; the leases of jobs still running then are released.
	ShutdownWait time.Duration
	// Backoff is the delay before retry number attempt (1 = after the first
	// failure). Default: exponential from 5s, capped at 1h, with jitter.
	Backoff func(attempt int) time.Duration
	// Retention is how long done rows are kept (default 7 days, and at least
	// twice the longest Every period so its unique keys outlive the period).
	Retention time.Duration

	d    *db.DB
	now  clock.Clock
	log  *slog.Logger
	wake chan struct{}
	name string       // identifies this process in locked_by
	seq  atomic.Int64 // makes each claim's lease token unique

	mu       sync.Mutex
	handlers map[string]Handler
	periods  []*periodic
	inflight map[string]string // job id -> lease token, for release on shutdown
	running  bool
}

// New returns a queue on d that takes the time from now and logs to log.
func New(d *db.DB, now clock.Clock, log *slog.Logger) *Queue {
	host, _ := os.Hostname()
	return &Queue{
		Workers:      2,
		Lease:        5 * time.Minute,
		Heartbeat:    5 * time.Second,
		Poll:         time.Second,
		ShutdownWait: 10 * time.Second,
		Backoff:      DefaultBackoff,
		Retention:    7 * 24 * time.Hour,
		d:            d,
		now:          now,
		log:          log,
		wake:         make(chan struct{}, 1),
		name:         fmt.Sprintf("%s/%d/%s", host, os.Getpid(), strings.TrimPrefix(id.New("w"), "w_")[:8]),
		handlers:     map[string]Handler{},
		inflight:     map[string]string{},
	}
}

// lockFor is how long a claim or a heartbeat locks a job.
func (q *Queue) lockFor() time.Duration {
	if q.Heartbeat > 0 && 3*q.Heartbeat < q.Lease {
		return 3 * q.Heartbeat
	}
	return q.Lease
}

// DefaultBackoff doubles from 5s up to 1h. Half of the delay is random ("equal
// jitter") so that many jobs failing together (an SMTP outage) spread out.
func DefaultBackoff(attempt int) time.Duration {
	d := 5 * time.Second << min(max(attempt-1, 0), 20)
	if d > time.Hour {
		d = time.Hour
	}
	return d/2 + rand.N(d/2+1)
}

// Handle registers the handler of a kind. Register every kind before Run;
// registering a kind twice is a programming error and panics.
func (q *Queue) Handle(kind string, h Handler) {
	if kind == "" || h == nil {
		panic("jobs: Handle needs a kind and a handler")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, dup := q.handlers[kind]; dup {
		panic("jobs: handler for " + kind + " registered twice")
	}
	q.handlers[kind] = h
}

// Every registers h for kind and has the runner enqueue kind once per period
// (periods are aligned on UTC, e.g. midnight for 24h). The job's unique key is
// kind + ":" + period start, so however many processes run, it runs once per
// period. Periods missed while nothing ran are not caught up.
func (q *Queue) Every(kind string, every time.Duration, h Handler) {
	if every <= 0 {
		panic("jobs: Every needs a positive period")
	}
	q.Handle(kind, h)
	q.mu.Lock()
	q.periods = append(q.periods, &periodic{kind: kind, every: every})
	q.mu.Unlock()
}

// Wake makes an idle runner look for due jobs now instead of at its next poll.
func (q *Queue) Wake() {
	select {
	case q.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Enqueue adds j inside the caller's transaction: it runs only if tx commits,
// and the runner is woken after the commit. A job whose UniqueKey is already
// taken is dropped silently.
func (q *Queue) Enqueue(ctx context.Context, tx *db.Tx, j Job) error {
	if err := Insert(ctx, tx, q.now(), j); err != nil {
		return err
	}
	tx.AfterCommit(q.Wake)
	return nil
}

// Insert is Enqueue for code that has a transaction but no Queue: the
// webhook deliveries queued from audit.Append and billing.Sync, which every
// domain service reaches without holding the queue. now stamps the row (the
// caller's clock, so a fake clock in tests). No runner is woken: the job
// runs at the next poll of any process (Queue.Poll, a second by default).
func Insert(ctx context.Context, tx *db.Tx, now time.Time, j Job) error {
	if j.Kind == "" {
		return errors.New("jobs: enqueue without a kind")
	}
	payload := []byte("{}")
	if j.Payload != nil {
		var err error
		if payload, err = json.Marshal(j.Payload); err != nil {
			return fmt.Errorf("jobs: encode %s payload: %w", j.Kind, err)
		}
	}
	now = now.UTC().Truncate(time.Microsecond)
	runAt := now
	if !j.RunAt.IsZero() {
		// UTC and microseconds: SQLite compares times as text, and both engines
		// keep microseconds, so stored values compare and round-trip exactly.
		runAt = j.RunAt.UTC().Truncate(time.Microsecond)
	}
	maxAttempts := j.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	var key any
	if j.UniqueKey != "" {
		key = j.UniqueKey
	}
	// ON CONFLICT DO NOTHING rather than catching ErrUnique: on PostgreSQL a
	// failed INSERT would abort the caller's whole transaction.
	_, err := tx.Exec(ctx, `INSERT INTO jobs (id, kind, payload, unique_key, status, run_at, attempts, max_attempts, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'queued', ?, 0, ?, ?, ?) ON CONFLICT (unique_key) DO NOTHING`,
		id.New(id.Job), j.Kind, string(payload), key, runAt, maxAttempts, now, now)
	if err != nil {
		return fmt.Errorf("jobs: enqueue %s: %w", j.Kind, err)
	}
	return nil
}

// Stats counts jobs by status (every status present, zero included), for /metrics.
func (q *Queue) Stats(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := q.d.Select(ctx, &rows, `SELECT status, COUNT(*) AS n FROM jobs GROUP BY status`); err != nil {
		return nil, fmt.Errorf("jobs: stats: %w", err)
	}
	out := map[string]int{StatusQueued: 0, StatusRunning: 0, StatusDone: 0, StatusFailed: 0}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// Cleanup deletes done jobs older than the retention and returns how many. Run
// calls it hourly; several processes doing so at once is harmless.
func (q *Queue) Cleanup(ctx context.Context) (int64, error) {
	keep := q.Retention
	q.mu.Lock()
	for _, p := range q.periods {
		keep = max(keep, 2*p.every)
	}
	q.mu.Unlock()
	cutoff := q.now().UTC().Add(-keep)
	res, err := q.d.Exec(ctx, `DELETE FROM jobs WHERE status = 'done' AND updated_at < ?`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("jobs: cleanup: %w", err)
	}
	return res.RowsAffected()
}

// schedule enqueues the current period's job of every Every kind that this
// process has not enqueued yet; the unique key dedups across processes.
func (q *Queue) schedule(ctx context.Context) error {
	now := q.now().UTC()
	q.mu.Lock()
	var due []*periodic
	for _, p := range q.periods {
		if !now.Truncate(p.every).Equal(p.last) {
			due = append(due, p)
		}
	}
	q.mu.Unlock()
	for _, p := range due {
		start := now.Truncate(p.every)
		err := q.d.InTx(ctx, func(tx *db.Tx) error {
			return q.Enqueue(ctx, tx, Job{
				Kind:      p.kind,
				Payload:   PeriodPayload{Start: start},
				RunAt:     start,
				UniqueKey: p.kind + ":" + start.Format(time.RFC3339),
			})
		})
		if err != nil {
			return err
		}
		q.mu.Lock()
		p.last = start
		q.mu.Unlock()
	}
	return nil
}

// kinds lists the job kinds this queue has handlers for, as query arguments.
func (q *Queue) kinds() []any {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]any, 0, len(q.handlers))
	for k := range q.handlers {
		out = append(out, k)
	}
	return out
}

func (q *Queue) handler(kind string) Handler {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.handlers[kind]
}
