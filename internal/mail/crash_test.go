package mail_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/jobs"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// recorder is a Sender that checks, as the SMTP server is reached, that
// the attempt was already committed, and keeps each Message-ID it sent.
type recorder struct {
	t       *testing.T
	d       *db.DB
	ids     []string
	started []bool
}

func (r *recorder) Send(ctx context.Context, m mail.Message) error {
	var n int
	// Read on another connection: only a committed attempt is seen.
	if err := r.d.Get(ctx, &n, `SELECT COUNT(*) FROM mail_outbox WHERE id = ? AND attempt_started_at IS NOT NULL`, m.ID); err != nil {
		r.t.Error(err)
	}
	r.started = append(r.started, n == 1)
	r.ids = append(r.ids, m.MessageID)
	return nil
}

// A process killed while talking to the SMTP server leaves its attempt
// recorded and its job locked. The job is reclaimed after the claim's
// three heartbeats (seconds, not the 5-minute lease); the next run sends
// the message again with the same Message-ID and counts the interruption.
func TestAttemptInterruptedByCrash(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		rec := &recorder{t: t, d: d}
		e := newEnv(t, d, mail.Config{Sender: rec})
		e.send(t, reset("ann@example.com"))
		stored := e.only(t)
		if stored.MessageID == "" || stored.MessageID != stored.ID+"@liaison.example" {
			t.Fatalf("stored Message-ID %q for %s", stored.MessageID, stored.ID)
		}

		// The dead process: it committed its attempt and held the job's
		// lock for three heartbeats from its claim, as a claim does.
		now := e.clock.Now().UTC()
		lock := 3 * e.q.Heartbeat
		if _, err := d.Exec(ctx, `UPDATE mail_outbox SET attempt_started_at = ?`, now); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `UPDATE jobs SET status = 'running', locked_by = 'killed', attempts = 1, locked_until = ?`,
			now.Add(lock)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(lock - time.Second)
		e.runDue(t, 0) // still locked
		e.clock.Advance(2 * time.Second)
		e.runDue(t, 1) // reclaimed seconds after the crash
		if len(rec.ids) != 1 || rec.ids[0] != stored.MessageID || !rec.started[0] {
			t.Fatalf("sent %v (attempt committed first: %v), want once with %s", rec.ids, rec.started, stored.MessageID)
		}
		m := e.only(t)
		if m.Status != mail.StatusSent || m.Interrupted != 1 || m.AttemptStarted != nil {
			t.Fatalf("row after the resend: %+v", m)
		}
	})
}

// An ordinary delivery commits its attempt before sending, clears it after,
// and counts no interruption.
func TestAttemptCommittedBeforeSending(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		rec := &recorder{t: t, d: d}
		e := newEnv(t, d, mail.Config{Sender: rec})
		e.send(t, reset("ann@example.com"))
		e.runDue(t, 1)
		m := e.only(t)
		if len(rec.started) != 1 || !rec.started[0] {
			t.Fatalf("the attempt was not committed before the SMTP conversation: %v", rec.started)
		}
		if m.Status != mail.StatusSent || m.Interrupted != 0 || m.AttemptStarted != nil || rec.ids[0] != m.MessageID {
			t.Fatalf("row: %+v, sent %v", m, rec.ids)
		}
	})
}

// A claim locks a job for three heartbeats, and a running job's lock is
// renewed, so a live worker keeps it however long it runs.
func TestClaimLocksForHeartbeats(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mail.Config{})
		if e.q.Heartbeat <= 0 || 3*e.q.Heartbeat > 30*time.Second {
			t.Fatalf("default heartbeat %v: a dead process's e-mails would wait too long", e.q.Heartbeat)
		}
		var until db.Time
		e.q.Handle("probe", func(ctx context.Context, _ json.RawMessage) error {
			return d.Get(ctx, &until, `SELECT locked_until FROM jobs WHERE kind = 'probe'`)
		})
		if err := d.InTx(ctx, func(tx *db.Tx) error { return e.q.Enqueue(ctx, tx, jobs.Job{Kind: "probe"}) }); err != nil {
			t.Fatal(err)
		}
		e.runDue(t, 1)
		if want := e.clock.Now().UTC().Add(3 * e.q.Heartbeat); !until.Valid || !until.Time.Equal(want) {
			t.Fatalf("locked until %v, want %v", until, want)
		}
	})
}

// The age of the oldest queued e-mail, the /metrics gauge to alert on.
func TestOldestQueuedAge(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mail.Config{})
		if age, err := e.m.OldestQueuedAge(ctx); err != nil || age != 0 {
			t.Fatalf("empty outbox: %v %v", age, err)
		}
		e.send(t, reset("ann@example.com"))
		e.clock.Advance(90 * time.Second)
		e.send(t, reset("bob@example.com"))
		if age, err := e.m.OldestQueuedAge(ctx); err != nil || age != 90*time.Second {
			t.Fatalf("oldest queued: %v %v", age, err)
		}
		e.runDue(t, 2)
		if age, err := e.m.OldestQueuedAge(ctx); err != nil || age != 0 {
			t.Fatalf("all sent: %v %v", age, err)
		}
	})
}
