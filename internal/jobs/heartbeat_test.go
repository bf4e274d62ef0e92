package jobs_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/jobs"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// A live worker renews its job's lock: however far the clock moves while
// the job runs, another process does not take it over. (A dead one stops
// renewing, and its job is reclaimed three heartbeats after the last
// renewal: TestAttemptInterruptedByCrash in internal/mail.)
func TestHeartbeatKeepsRunningJob(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		q1, fc := newQueue(d)
		q1.Heartbeat = 20 * time.Millisecond
		q1.Workers = 1
		q2 := jobs.New(d, fc.Now, quiet) // another process
		started, release := make(chan struct{}), make(chan struct{})
		h := func(context.Context, json.RawMessage) error { return nil }
		q1.Handle("long", func(context.Context, json.RawMessage) error {
			close(started)
			<-release
			return nil
		})
		q2.Handle("long", h)
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan struct{})
		go func() { _ = q1.Run(ctx); close(ran) }()
		enqueue(t, q1, d, jobs.Job{Kind: "long"})
		wait(t, started, "job to start")
		// The clock moves 5ms per 10ms of real time: in all, far past the
		// claim's lock of 60ms, which only the 20ms heartbeats keep ahead.
		for range 40 {
			fc.Advance(5 * time.Millisecond)
			time.Sleep(10 * time.Millisecond)
		}
		if n, err := q2.RunDue(ctx); err != nil || n != 0 {
			t.Fatalf("the other process took a running job: %d, %v", n, err)
		}
		var until db.Time
		if err := d.Get(ctx, &until, `SELECT locked_until FROM jobs WHERE kind = 'long'`); err != nil || !until.Valid || until.Time.Before(fc.Now()) {
			t.Fatalf("lock not renewed: %v at %v (%v)", until, fc.Now(), err)
		}
		close(release)
		cancel()
		wait(t, ran, "Run to return")
		if r := rowOf(t, d, "long"); r.Status != jobs.StatusDone || r.Attempts != 1 {
			t.Fatalf("%+v", r)
		}
	})
}
