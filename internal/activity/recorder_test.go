package activity_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// clientWithUser creates a client account with one member, and a user
// outside it.
func clientWithUser(t *testing.T, d *db.DB) (clientID, userID, strangerID string) {
	t.Helper()
	ctx := context.Background()
	now := clock.Real()
	err := d.InTx(ctx, func(tx *db.Tx) error {
		c, err := account.Create(ctx, tx, now, "client", "Client")
		if err != nil {
			return err
		}
		clientID, userID, strangerID = c.ID, id.New(id.User), id.New(id.User)
		for _, u := range []string{userID, strangerID} {
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, 'U', 'x', ?, ?)`,
				u, u+"@example.com", now, now); err != nil {
				return err
			}
		}
		return account.AddMember(ctx, tx, now, clientID, userID, "member")
	})
	if err != nil {
		t.Fatal(err)
	}
	return clientID, userID, strangerID
}

// While the database cannot take writes, acknowledged page views wait in the
// queue and are retried, never dropped; once the queue is full a view is
// refused with 503 and Retry-After instead of being acknowledged; when the
// database is back, every acknowledged view is written.
func TestPageViewsSurviveAnUnavailableDatabase(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clientID, userID, _ := clientWithUser(t, d)
		svc := activity.NewWithQueue(d, clock.Real, slog.New(slog.DiscardHandler), 8)
		defer svc.Close()
		var down atomic.Bool
		var attempts atomic.Int64
		down.Store(true)
		activity.SetWriteContext(svc, db.WithBeforeCommit(ctx, func(context.Context, *db.Tx) error {
			attempts.Add(1)
			if down.Load() {
				return fmt.Errorf("%w: disk full", errs.ErrDatabaseUnavailable)
			}
			return nil
		}))
		a := &authz.Actor{UserID: userID, AccountID: clientID}
		accepted := 0
		var refused error
		for range 1000 {
			if refused = svc.PageView(ctx, a, "reports", ""); refused != nil {
				break
			}
			accepted++
		}
		e := errs.As(refused)
		if e == nil || e.Kind != errs.Unavailable || e.RetryAfter <= 0 {
			t.Fatalf("after %d views accepted with the database down: %v, want 503 with Retry-After", accepted, refused)
		}
		count := func() int {
			var n int
			if err := d.Get(ctx, &n, `SELECT COUNT(*) FROM activity_events WHERE kind = 'page_view'`); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 0 {
			t.Fatalf("%d views written while the database took none", n)
		}
		for attempts.Load() < 3 { // the recorder keeps trying
			time.Sleep(5 * time.Millisecond)
		}
		down.Store(false)
		svc.Flush(ctx)
		if n := count(); n != accepted {
			t.Fatalf("%d of the %d acknowledged views written once the database came back", n, accepted)
		}
	})
}

// Page views recorded by many callers at once are all written, each once,
// and mark the client's list rows due (the recorder batches them); Close
// writes what is still queued; a view after Close is written at once; a
// user outside the client is refused and nothing is written for them.
func TestPageViewsAreAllWritten(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clientID, userID, strangerID := clientWithUser(t, d)
		svc := activity.New(d, clock.Real, slog.New(slog.DiscardHandler))
		a := &authz.Actor{UserID: userID, AccountID: clientID}
		const callers, each = 8, 250
		var wg sync.WaitGroup
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					if err := svc.PageView(ctx, a, "reports", ""); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		stranger := &authz.Actor{UserID: strangerID, AccountID: clientID}
		if err := svc.PageView(ctx, stranger, "reports", ""); err == nil {
			t.Fatal("a user outside the client recorded a page view")
		}
		svc.Close() // writes what is queued
		if err := svc.PageView(ctx, a, "users", ""); err != nil {
			t.Fatal(err)
		}
		var n, users, strangers int
		if err := d.Get(ctx, &n, `SELECT COUNT(*) FROM activity_events WHERE kind = 'page_view' AND page = 'reports'`); err != nil {
			t.Fatal(err)
		}
		d.Get(ctx, &users, `SELECT COUNT(*) FROM activity_events WHERE page = 'users'`)
		d.Get(ctx, &strangers, `SELECT COUNT(*) FROM activity_events WHERE user_id = ?`, strangerID)
		if n != callers*each || users != 1 || strangers != 0 {
			t.Fatalf("%d views of reports (want %d), %d after Close, %d of the stranger", n, callers*each, users, strangers)
		}
	})
}
