package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/metrics"
)

// claimed is a job this runner holds the lease of.
type claimed struct {
	ID          string `db:"id"`
	Kind        string `db:"kind"`
	Payload     string `db:"payload"`
	Attempts    int    `db:"attempts"`
	MaxAttempts int    `db:"max_attempts"`
	token       string // locked_by of this claim
}

// writeTimeout bounds the bookkeeping writes that must happen even while Run
// shuts down (they use a context detached from Run's).
const writeTimeout = 10 * time.Second

// maxErrorLen keeps last_error readable and the row small.
const maxErrorLen = 2000

// Run runs jobs until ctx is cancelled. It then stops claiming, waits up to
// ShutdownWait for running jobs to finish, releases the leases of those that
// have not (back to queued, the attempt not counted) and cancels them. It
// returns nil after a shutdown; errors on the way are logged and retried.
func (q *Queue) Run(ctx context.Context) error {
	q.mu.Lock()
	if q.running {
		q.mu.Unlock()
		return errors.New("jobs: Run called twice")
	}
	q.running = true
	q.mu.Unlock()
	defer func() { q.mu.Lock(); q.running = false; q.mu.Unlock() }()

	// Handlers get a context of their own, so that cancelling Run lets them
	// finish; it is cancelled only when the shutdown wait runs out.
	hctx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()

	var wg sync.WaitGroup
	for range max(q.Workers, 1) {
		wg.Go(func() { q.work(ctx, hctx) })
	}
	wg.Go(func() { q.tend(ctx) })

	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(q.ShutdownWait):
	}
	// Release first, then cancel: a handler that returns on cancellation then
	// finds its lease gone and records nothing, so the attempt does not count.
	n := q.releaseInflight()
	cancelHandlers()
	q.log.Warn("jobs: shutdown wait over, released running jobs", "released", n)
	select {
	case <-done:
	case <-time.After(time.Second): // handlers that ignore ctx are abandoned
	}
	return nil
}

// work is one worker: claim a due job, run it, repeat; when none is due, sleep
// until Wake or the next poll.
func (q *Queue) work(ctx, hctx context.Context) {
	timer := time.NewTimer(q.Poll)
	defer timer.Stop()
	failures := 0 // claims failed in a row
	for ctx.Err() == nil {
		jobs, err := q.claim(ctx, 1)
		wait := q.Poll
		switch {
		case err != nil && ctx.Err() == nil:
			// The database is failing: each worker backs off instead of
			// asking (and logging) every poll.
			failures++
			wait = claimBackoff(q.Poll, failures)
			q.log.Error("jobs: claim", "err", err, "failures", failures, "retry_in", wait)
		case err == nil && failures > 0:
			q.log.Info("jobs: claim works again", "after_failures", failures)
			failures = 0
		}
		if len(jobs) > 0 {
			q.Wake() // another job may be due: let a sibling look too
			for _, j := range jobs {
				q.process(hctx, j)
			}
			continue
		}
		timer.Reset(wait)
		wake := q.wake
		if failures > 0 {
			wake = nil
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-timer.C:
		}
	}
}

// maxClaimBackoff bounds a worker's wait between failed claims.
const maxClaimBackoff = time.Minute

// claimBackoff is how long a worker waits after failures claims failed in
// a row: the poll interval doubled per failure, at most maxClaimBackoff.
// Wake does not cut it short: a failing database gets no more requests
// because jobs were enqueued.
func claimBackoff(poll time.Duration, failures int) time.Duration {
	d := poll
	for i := 1; i < failures && d < maxClaimBackoff; i++ {
		d *= 2
	}
	return min(d, maxClaimBackoff)
}

// tend enqueues periodic jobs each poll and deletes old done jobs hourly.
func (q *Queue) tend(ctx context.Context) {
	var cleaned time.Time
	ticker := time.NewTicker(q.Poll)
	defer ticker.Stop()
	for {
		if err := q.schedule(ctx); err != nil && ctx.Err() == nil {
			q.log.Error("jobs: schedule periodic jobs", "err", err)
		}
		if now := q.now(); now.Sub(cleaned) >= time.Hour {
			if n, err := q.Cleanup(ctx); err != nil && ctx.Err() == nil {
				q.log.Error("jobs: cleanup", "err", err)
			} else if n > 0 {
				q.log.Info("jobs: deleted old done jobs", "count", n)
			}
			cleaned = now
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// RunDue enqueues the periodic jobs of the current period, then claims and runs
// every job due now, one by one, and returns how many ran. Tests call it after
// moving a fake clock; it may run alongside Run.
func (q *Queue) RunDue(ctx context.Context) (int, error) {
	if err := q.schedule(ctx); err != nil {
		return 0, err
	}
	n := 0
	for {
		jobs, err := q.claim(ctx, 1)
		if err != nil {
			return n, err
		}
		if len(jobs) == 0 {
			return n, nil
		}
		for _, j := range jobs {
			q.process(ctx, j)
			n++
		}
	}
}

// claim leases up to n due jobs: queued ones whose run_at has come and running
// ones whose lease expired (their worker died). attempts counts claims.
func (q *Queue) claim(ctx context.Context, n int) ([]claimed, error) {
	now := q.now().UTC()
	token := fmt.Sprintf("%s#%d", q.name, q.seq.Add(1))
	// PostgreSQL: SKIP LOCKED lets concurrent runners pass over rows another
	// one is claiming, and the row lock rechecks the WHERE on the latest row
	// version, so a row is claimed once. SQLite has no row locks and needs none:
	// BEGIN IMMEDIATE on the one writer serialises claims, across processes too.
	lock := ""
	if q.d.Dialect() == db.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	// Look on the read pool first: idle runners poll every second, and on
	// SQLite an empty claim would still take the one write lock each time.
	// Only kinds this process has a handler for: during a rolling upgrade an
	// older process must leave a newer kind to the processes that know it,
	// rather than fail it.
	kinds := q.kinds()
	if len(kinds) == 0 {
		return nil, nil
	}
	known := "kind IN (" + db.Placeholders(len(kinds)) + ")"
	var due []string
	if err := q.d.Select(ctx, &due, `SELECT id FROM jobs
		WHERE `+known+` AND ((status = 'queued' AND run_at <= ?) OR (status = 'running' AND locked_until < ?)) LIMIT 1`,
		append(kinds, now, now)...); err != nil {
		return nil, fmt.Errorf("jobs: look for due jobs: %w", err)
	}
	if len(due) == 0 {
		return nil, nil
	}
	var jobs []claimed
	err := q.d.InTx(ctx, func(tx *db.Tx) error {
		return tx.Select(ctx, &jobs, `UPDATE jobs
			SET status = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1, updated_at = ?
			WHERE id IN (SELECT id FROM jobs
				WHERE `+known+` AND ((status = 'queued' AND run_at <= ?) OR (status = 'running' AND locked_until < ?))
				ORDER BY run_at LIMIT ?`+lock+`)
			RETURNING id, kind, payload, attempts, max_attempts`,
			append(append([]any{token, now.Add(q.lockFor()), now}, kinds...), now, now, n)...)
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: claim: %w", err)
	}
	for i := range jobs {
		jobs[i].token = token
	}
	return jobs, nil
}

// process runs one claimed job and records its outcome.
func (q *Queue) process(ctx context.Context, j claimed) {
	q.mu.Lock()
	q.inflight[j.ID] = j.token
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		delete(q.inflight, j.ID)
		q.mu.Unlock()
	}()

	log := q.log.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
	h := q.handler(j.Kind)
	var err error
	switch {
	case h == nil:
		err = Permanent(fmt.Errorf("no handler registered for job kind %q", j.Kind))
	case j.Attempts > j.MaxAttempts:
		// Only reclaims of expired leases get here: the job kept killing or
		// outliving its workers.
		err = Permanent(fmt.Errorf("lease expired on the last of %d attempts", j.MaxAttempts))
	default:
		// Cancelled before the lease ends, so the job is over before another
		// runner may reclaim it.
		hctx, cancel := context.WithTimeout(ctx, q.Lease*4/5)
		stopBeat := q.heartbeat(j, log)
		err = q.safeCall(hctx, log, h, json.RawMessage(j.Payload))
		stopBeat()
		cancel()
	}

	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	now := q.now().UTC()
	var outcome string
	var args []any
	set := ""
	switch {
	case err == nil:
		outcome, set, args = StatusDone, `status = 'done', last_error = ''`, nil
	case !IsPermanent(err) && j.Attempts < j.MaxAttempts:
		runAt := now.Add(q.Backoff(j.Attempts)).Truncate(time.Microsecond)
		outcome, set, args = "retry", `status = 'queued', run_at = ?, last_error = ?`, []any{runAt, errText(err)}
		log.Warn("jobs: job failed, will retry", "err", err, "run_at", runAt)
	default:
		outcome, set, args = StatusFailed, `status = 'failed', last_error = ?`, []any{errText(err)}
		log.Error("jobs: job failed for good", "err", err)
	}
	// Only the holder of the lease may record the outcome: if it expired and
	// another runner reclaimed the job, this result is stale and dropped.
	args = append(args, now, j.ID, j.token)
	res, werr := q.d.Exec(wctx, `UPDATE jobs SET `+set+`, locked_by = '', locked_until = NULL, updated_at = ?
		WHERE id = ? AND locked_by = ? AND status = 'running'`, args...)
	if werr != nil {
		log.Error("jobs: record outcome", "err", werr, "outcome", outcome)
		return
	}
	if k, _ := res.RowsAffected(); k == 0 {
		log.Warn("jobs: lease lost before the job ended; outcome dropped", "outcome", outcome)
		return
	}
	metrics.JobsProcessed.WithLabelValues(j.Kind, outcome).Inc()
}

// safeCall runs h, turning a panic into an error so one bad job cannot kill
// the runner. The stack goes to the log, too long for last_error.
func (q *Queue) safeCall(ctx context.Context, log *slog.Logger, h Handler, payload json.RawMessage) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
			log.Error("jobs: handler panicked", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	return h(ctx, payload)
}

func errText(err error) string {
	s := err.Error()
	if len(s) > maxErrorLen {
		// Cut on a rune boundary: PostgreSQL refuses invalid UTF-8.
		s = strings.ToValidUTF8(s[:maxErrorLen], "")
	}
	return s
}

// releaseInflight puts the jobs this runner still runs back to queued, not
// counting the interrupted attempt, so another process takes them over now
// rather than after the lease. It returns how many it released.
func (q *Queue) releaseInflight() int {
	q.mu.Lock()
	held := make(map[string]string, len(q.inflight))
	for id, token := range q.inflight {
		held[id] = token
	}
	q.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	n := 0
	now := q.now().UTC()
	for id, token := range held {
		res, err := q.d.Exec(ctx, `UPDATE jobs SET status = 'queued', locked_by = '', locked_until = NULL,
			attempts = attempts - 1, updated_at = ? WHERE id = ? AND locked_by = ? AND status = 'running'`, now, id, token)
		if err != nil {
			q.log.Error("jobs: release lease", "job", id, "err", err)
			continue
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
		}
	}
	return n
}

// heartbeat renews j's lock every Heartbeat until the returned stop is
// called. A renewal that finds the lease gone (another runner reclaimed the
// job after missed beats) stops; the job's outcome is then dropped by the
// lease check in process. Renewals use the real ticker and the queue's
// clock, so a fake clock only moves the locked_until they write.
func (q *Queue) heartbeat(j claimed, log *slog.Logger) (stop func()) {
	if q.Heartbeat <= 0 || q.lockFor() >= q.Lease {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(q.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), q.Heartbeat)
			res, err := q.d.Exec(ctx, `UPDATE jobs SET locked_until = ? WHERE id = ? AND locked_by = ? AND status = 'running'`,
				q.now().UTC().Add(q.lockFor()), j.ID, j.token)
			cancel()
			if err != nil {
				// The next beat tries again; three missed beats let another
				// runner take the job, which is the at-least-once contract.
				log.Warn("jobs: heartbeat", "err", err)
				continue
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
