package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/jobs"
	"github.com/liaison-dev/liaison/internal/metrics"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// t0 is half past an hour, computed from the real time (never a written date).
var t0 = time.Now().UTC().Truncate(time.Hour).Add(30 * time.Minute)

var quiet = slog.New(slog.DiscardHandler)

func newQueue(d *db.DB) (*jobs.Queue, *clock.Fake) {
	fc := clock.NewFake(t0)
	return jobs.New(d, fc.Now, quiet), fc
}

func enqueue(t *testing.T, q *jobs.Queue, d *db.DB, js ...jobs.Job) {
	t.Helper()
	err := d.InTx(context.Background(), func(tx *db.Tx) error {
		for _, j := range js {
			if err := q.Enqueue(context.Background(), tx, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func runDue(t *testing.T, q *jobs.Queue, want int) {
	t.Helper()
	n, err := q.RunDue(context.Background())
	if err != nil || n != want {
		t.Fatalf("RunDue = %d, %v; want %d jobs run", n, err, want)
	}
}

type jobRow struct {
	Status    string  `db:"status"`
	Attempts  int     `db:"attempts"`
	LastError string  `db:"last_error"`
	LockedBy  string  `db:"locked_by"`
	RunAt     db.Time `db:"run_at"`
}

// rowOf reads the one job of a kind.
func rowOf(t *testing.T, d *db.DB, kind string) jobRow {
	t.Helper()
	var r jobRow
	if err := d.Get(context.Background(), &r, `SELECT status, attempts, last_error, locked_by, run_at FROM jobs WHERE kind = ?`, kind); err != nil {
		t.Fatalf("job %s: %v", kind, err)
	}
	return r
}

func counter(kind, outcome string) float64 {
	var m dto.Metric
	_ = metrics.JobsProcessed.WithLabelValues(kind, outcome).Write(&m)
	return m.GetCounter().GetValue()
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// Run must pick a committed job up through Wake, not through polling: the
// poll interval is an hour.
func TestEnqueueCommittedRunsAndWakes(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		q, _ := newQueue(d)
		q.Poll = time.Hour
		got := make(chan json.RawMessage, 1)
		q.Handle("greet", func(ctx context.Context, p json.RawMessage) error { got <- p; return nil })
		before := counter("greet", "done")
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan struct{})
		go func() { _ = q.Run(ctx); close(ran) }()

		enqueue(t, q, d, jobs.Job{Kind: "greet", Payload: map[string]int{"n": 7}})
		select {
		case p := <-got:
			var v struct{ N int }
			if err := json.Unmarshal(p, &v); err != nil || v.N != 7 {
				t.Fatalf("payload %s: %v", p, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("job not run after commit")
		}
		cancel()
		wait(t, ran, "Run to return")
		if r := rowOf(t, d, "greet"); r.Status != jobs.StatusDone || r.Attempts != 1 || r.LockedBy != "" {
			t.Fatalf("after run: %+v", r)
		}
		if c := counter("greet", "done") - before; c != 1 {
			t.Fatalf("metric done = %v, want 1", c)
		}
		st, err := q.Stats(context.Background())
		if err != nil || st[jobs.StatusDone] != 1 || st[jobs.StatusQueued] != 0 || len(st) != 4 {
			t.Fatalf("stats %v %v", st, err)
		}
	})
}

func TestRolledBackEnqueueNeverRuns(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		q, fc := newQueue(d)
		q.Handle("ghost", func(context.Context, json.RawMessage) error { t.Error("rolled-back job ran"); return nil })
		boom := errors.New("boom")
		err := d.InTx(context.Background(), func(tx *db.Tx) error {
			if err := q.Enqueue(context.Background(), tx, jobs.Job{Kind: "ghost"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		fc.Advance(time.Hour)
		runDue(t, q, 0)
		st, _ := q.Stats(context.Background())
		if st[jobs.StatusQueued]+st[jobs.StatusDone] != 0 {
			t.Fatalf("stats %v", st)
		}
	})
}

func TestUniqueKeyDedups(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		q, _ := newQueue(d)
		var runs atomic.Int32
		q.Handle("remind", func(context.Context, json.RawMessage) error { runs.Add(1); return nil })
		j := jobs.Job{Kind: "remind", UniqueKey: "remind:inv_1"}
		enqueue(t, q, d, j, j)                                               // twice in one transaction
		enqueue(t, q, d, j)                                                  // and again in another
		enqueue(t, q, d, jobs.Job{Kind: "remind"}, jobs.Job{Kind: "remind"}) // no key: never deduped
		runDue(t, q, 3)
		enqueue(t, q, d, j) // the done row still holds the key
		runDue(t, q, 0)
		if runs.Load() != 3 {
			t.Fatalf("ran %d times, want 3", runs.Load())
		}
	})
}

func TestRetriesWithBackoffThenFails(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		q, fc := newQueue(d)
		var calls atomic.Int32
		q.Handle("flaky", func(context.Context, json.RawMessage) error { calls.Add(1); return errors.New("smtp down") })
		retries, fails := counter("flaky", "retry"), counter("flaky", "failed")
		enqueue(t, q, d, jobs.Job{Kind: "flaky", MaxAttempts: 3})

		// Default backoff: 2.5–5s after the first failure, 5–10s after the second.
		for attempt, lo := range []time.Duration{2500 * time.Millisecond, 5 * time.Second} {
			runDue(t, q, 1)
			r := rowOf(t, d, "flaky")
			now := fc.Now()
			if r.Status != jobs.StatusQueued || r.Attempts != attempt+1 || r.LastError != "smtp down" || r.LockedBy != "" {
				t.Fatalf("attempt %d: %+v", attempt+1, r)
			}
			if r.RunAt.Before(now.Add(lo)) || r.RunAt.After(now.Add(2*lo)) {
				t.Fatalf("attempt %d: run_at %v not in [%v, %v] after %v", attempt+1, r.RunAt, lo, 2*lo, now)
			}
			fc.Set(r.RunAt.Add(-time.Microsecond))
			runDue(t, q, 0) // not due yet
			fc.Set(r.RunAt.Time)
		}
		runDue(t, q, 1)
		if r := rowOf(t, d, "flaky"); r.Status != jobs.StatusFailed || r.Attempts != 3 || r.LastError != "smtp down" {
			t.Fatalf("after last attempt: %+v", r)
		}
		fc.Advance(24 * time.Hour)
		runDue(t, q, 0)
		if calls.Load() != 3 || counter("flaky", "retry")-retries != 2 || counter("flaky", "failed")-fails != 1 {
			t.Fatalf("calls %d, retry metric +%v, failed metric +%v", calls.Load(),
				counter("flaky", "retry")-retries, counter("flaky", "failed")-fails)
		}
	})
}

func TestPermanentErrorFailsAtOnce(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		q, fc := newQueue(d)
		q.Handle("doomed", func(context.Context, json.RawMessage) error {
			return jobs.Permanent(fmt.Errorf("link lnk_1 is gone"))
		})
		enqueue(t, q, d, jobs.Job{Kind: "doomed"})
		runDue(t, q, 1)
		if r := rowOf(t, d, "doomed"); r.Status != jobs.StatusFailed || r.Attempts != 1 || r.LastError != "link lnk_1 is gone" {
			t.Fatalf("%+v", r)
		}
		fc.Advance(24 * time.Hour)
		runDue(t, q, 0)
	})
}

func TestPermanentWraps(t *testing.T) {
	base := errors.New("base")
	err := fmt.Errorf("ctx: %w", jobs.Permanent(base))
	if !jobs.IsPermanent(err) || !errors.Is(err, base) || jobs.IsPermanent(base) || jobs.Permanent(nil) != nil {
		t.Fatal("Permanent does not wrap as documented")
	}
}

func TestPanicIsRecoveredAndRetried(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		q, _ := newQueue(d)
		q.Handle("bomb", func(context.Context, json.RawMessage) error { panic("kaboom") })
		var fine atomic.Int32
		q.Handle("fine", func(context.Context, json.RawMessage) error { fine.Add(1); return nil })
		enqueue(t, q, d, jobs.Job{Kind: "bomb"}, jobs.Job{Kind: "fine"})
		runDue(t, q, 2)
		if r := rowOf(t, d, "bomb"); r.Status != jobs.StatusQueued || r.Attempts != 1 || !strings.Contains(r.LastError, "panic: kaboom") {
			t.Fatalf("%+v", r)
		}
		if fine.Load() != 1 {
			t.Fatal("the job after the panic did not run")
		}
	})
}

// A kind this process has no handler for is left for a process that has one
// (a rolling upgrade runs old and new processes side by side).
func TestUnknownKindWaitsForAProcessThatKnowsIt(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		old, _ := newQueue(d)
		old.Handle("known", func(context.Context, json.RawMessage) error { return nil })
		enqueue(t, old, d, jobs.Job{Kind: "new.kind"})
		runDue(t, old, 0)
		if r := rowOf(t, d, "new.kind"); r.Status != jobs.StatusQueued || r.Attempts != 0 {
			t.Fatalf("an old process touched a kind it does not know: %+v", r)
		}
		upgraded, _ := newQueue(d)
		var ran atomic.Int32
		upgraded.Handle("new.kind", func(context.Context, json.RawMessage) error { ran.Add(1); return nil })
		runDue(t, upgraded, 1)
		if r := rowOf(t, d, "new.kind"); r.Status != jobs.StatusDone || ran.Load() != 1 {
			t.Fatalf("%+v", r)
		}
	})
}

// A worker that crashed keeps its lease until locked_until; then the job is
// claimed again.
func TestExpiredLeaseIsReclaimed(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		q, fc := newQueue(d)
		var runs atomic.Int32
		q.Handle("orphan", func(context.Context, json.RawMessage) error { runs.Add(1); return nil })
		enqueue(t, q, d, jobs.Job{Kind: "orphan"})
		if _, err := d.Exec(context.Background(), `UPDATE jobs SET status = 'running', locked_by = 'crashed', locked_until = ?, attempts = 1`,
			fc.Now().Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		fc.Advance(4 * time.Minute)
		runDue(t, q, 0) // lease still held
		fc.Advance(2 * time.Minute)
		runDue(t, q, 1)
		if r := rowOf(t, d, "orphan"); r.Status != jobs.StatusDone || r.Attempts != 2 || runs.Load() != 1 {
			t.Fatalf("%+v, runs %d", r, runs.Load())
		}
	})
}

// A worker whose lease was taken over must not record its stale outcome.
func TestLostLeaseOutcomeIsDropped(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		q, _ := newQueue(d)
		q.Handle("slow", func(ctx context.Context, _ json.RawMessage) error {
			_, err := d.Exec(ctx, `UPDATE jobs SET locked_by = 'other-runner'`)
			return err
		})
		enqueue(t, q, d, jobs.Job{Kind: "slow"})
		runDue(t, q, 1)
		if r := rowOf(t, d, "slow"); r.Status != jobs.StatusRunning || r.LockedBy != "other-runner" {
			t.Fatalf("stale outcome overwrote the new lease: %+v", r)
		}
	})
}

func TestEveryRunsOncePerPeriod(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		var starts []time.Time
		var mu sync.Mutex
		h := func(_ context.Context, p json.RawMessage) error {
			var v jobs.PeriodPayload
			if err := json.Unmarshal(p, &v); err != nil {
				return err
			}
			mu.Lock()
			starts = append(starts, v.Start)
			mu.Unlock()
			return nil
		}
		q1, fc := newQueue(d)
		q2 := jobs.New(d, fc.Now, quiet) // a second process on the same database
		q1.Every("report.hourly", time.Hour, h)
		q2.Every("report.hourly", time.Hour, h)

		runDue(t, q1, 1) // 10:30: the 10:00 period
		runDue(t, q2, 0)
		runDue(t, q1, 0)
		fc.Advance(20 * time.Minute) // 10:50
		runDue(t, q1, 0)
		runDue(t, q2, 0)
		fc.Advance(20 * time.Minute) // 11:10
		runDue(t, q2, 1)
		runDue(t, q1, 0)
		want := []time.Time{t0.Truncate(time.Hour), t0.Truncate(time.Hour).Add(time.Hour)}
		if len(starts) != 2 || !starts[0].Equal(want[0]) || !starts[1].Equal(want[1]) {
			t.Fatalf("periods run %v, want %v", starts, want)
		}
	})
}

func TestCleanupKeepsRecentAndPeriodicRows(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		q, fc := newQueue(d)
		q.Handle("once", func(context.Context, json.RawMessage) error { return nil })
		q.Every("monthly", 30*24*time.Hour, func(context.Context, json.RawMessage) error { return nil })
		enqueue(t, q, d, jobs.Job{Kind: "once"})
		runDue(t, q, 2)
		ctx := context.Background()
		fc.Advance(6 * 24 * time.Hour)
		if n, err := q.Cleanup(ctx); err != nil || n != 0 {
			t.Fatalf("cleanup after 6 days: %d %v", n, err)
		}
		// Retention is twice the longest period (60 days), so the monthly key
		// cannot be deleted within its period and run a second time.
		fc.Advance(55 * 24 * time.Hour)
		if n, err := q.Cleanup(ctx); err != nil || n != 2 {
			t.Fatalf("cleanup after 61 days: %d %v", n, err)
		}
	})
}

func TestDefaultBackoff(t *testing.T) {
	for range 100 {
		if b := jobs.DefaultBackoff(1); b < 2500*time.Millisecond || b > 5*time.Second {
			t.Fatalf("backoff(1) = %v", b)
		}
		if b := jobs.DefaultBackoff(1000); b < 30*time.Minute || b > time.Hour {
			t.Fatalf("backoff(1000) = %v", b)
		}
	}
}

// openTwice opens the same database through two *db.DB, as two processes would.
func openTwice(t *testing.T, e db.Dialect) (*db.DB, *db.DB) {
	ctx := context.Background()
	var d1, d2 *db.DB
	var err error
	if e == db.SQLite {
		d1 = testkit.Open(t, db.SQLite)
		d2, err = db.Open(ctx, "", d1.SQLitePath())
	} else {
		url := testkit.PostgresSchema(t)
		if d1, err = db.Open(ctx, url, ""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d1.Close() })
		if _, err = d1.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		d2, err = db.Open(ctx, url, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d2.Close() })
	return d1, d2
}

func TestRunsOnceWithTwoRunners(t *testing.T) {
	const total = 200
	for _, e := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			d1, d2 := openTwice(t, e)
			fc := clock.NewFake(t0)
			var counts [total]atomic.Int32
			var ran atomic.Int32
			all := make(chan struct{})
			var byRunner [2]atomic.Int32
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			qs := make([]*jobs.Queue, 2)
			for i, d := range []*db.DB{d1, d2} {
				q := jobs.New(d, fc.Now, quiet)
				q.Workers, q.Poll = 3, 5*time.Millisecond
				q.Handle("count", func(_ context.Context, p json.RawMessage) error {
					var n int
					if err := json.Unmarshal(p, &n); err != nil {
						return jobs.Permanent(err)
					}
					counts[n].Add(1)
					byRunner[i].Add(1)
					if ran.Add(1) == total {
						close(all)
					}
					return nil
				})
				qs[i] = q
				wg.Go(func() { _ = q.Run(ctx) })
			}
			// Enqueue while both run, in small batches, so claims race with inserts.
			for b := 0; b < total; b += 10 {
				batch := make([]jobs.Job, 10)
				for k := range batch {
					batch[k] = jobs.Job{Kind: "count", Payload: b + k}
				}
				enqueue(t, qs[b/10%2], []*db.DB{d1, d2}[b/10%2], batch...)
			}
			wait(t, all, "all jobs to run")
			cancel()
			wg.Wait()
			for n := range counts {
				if c := counts[n].Load(); c != 1 {
					t.Errorf("job %d ran %d times", n, c)
				}
			}
			st, err := qs[0].Stats(context.Background())
			if err != nil || st[jobs.StatusDone] != total || ran.Load() != total {
				t.Fatalf("stats %v %v, ran %d", st, err, ran.Load())
			}
			t.Logf("runner 1 ran %d, runner 2 ran %d", byRunner[0].Load(), byRunner[1].Load())
		})
	}
}

func TestShutdownLetsRunningJobFinish(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		q, _ := newQueue(d)
		started, release := make(chan struct{}), make(chan struct{})
		var ctxErr error
		q.Handle("long", func(ctx context.Context, _ json.RawMessage) error {
			close(started)
			<-release
			ctxErr = ctx.Err()
			return nil
		})
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan struct{})
		go func() { _ = q.Run(ctx); close(ran) }()
		enqueue(t, q, d, jobs.Job{Kind: "long"})
		wait(t, started, "job to start")
		cancel()
		select {
		case <-ran:
			t.Fatal("Run returned while its job was still running")
		case <-time.After(20 * time.Millisecond):
		}
		close(release)
		wait(t, ran, "Run to return")
		if r := rowOf(t, d, "long"); r.Status != jobs.StatusDone || ctxErr != nil {
			t.Fatalf("%+v, handler ctx err %v", r, ctxErr)
		}
	})
}

func TestShutdownReleasesLeaseAfterWait(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		q, _ := newQueue(d)
		q.ShutdownWait = 50 * time.Millisecond
		started := make(chan struct{})
		q.Handle("stuck", func(ctx context.Context, _ json.RawMessage) error {
			close(started)
			<-ctx.Done() // cancelled only once the lease is released
			return ctx.Err()
		})
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan struct{})
		go func() { _ = q.Run(ctx); close(ran) }()
		enqueue(t, q, d, jobs.Job{Kind: "stuck"})
		wait(t, started, "job to start")
		cancel()
		wait(t, ran, "Run to return")
		// Back to queued, the interrupted attempt not counted, ready for another process.
		if r := rowOf(t, d, "stuck"); r.Status != jobs.StatusQueued || r.Attempts != 0 || r.LockedBy != "" || r.LastError != "" {
			t.Fatalf("%+v", r)
		}
	})
}
