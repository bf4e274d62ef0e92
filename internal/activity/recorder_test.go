package activity_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Page views recorded by many callers at once are all written, each once,
// and mark the client's list rows due (the recorder batches them); Close
// writes what is still queued; a view after Close is written at once; a
// user outside the client is refused and nothing is written for them.
func TestPageViewsAreAllWritten(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := clock.Real()
		var clientID, userID, strangerID string
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
