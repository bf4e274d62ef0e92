package activity_test

// BenchmarkRecord measures what recording one event costs —
// activity.Service.PageView for a session's actor: the membership check on
// the memberships read with the session, and the hand-over to the recorder,
// which writes the event rows and the marks on the clients' stored list
// rows in batches meanwhile — under load: 8
// goroutines (GOMAXPROCS×4 on this machine) recording page views of 16
// clients at once, and reports the 50th and 99th percentile of one call.
// Issue 6's target: under 1 ms at p99.
//
//	go test -run XXX -bench Record -benchtime 20000x ./internal/activity/
//	LIAISON_TEST_DATABASE_URL=postgres://… go test -run XXX -bench Record ./internal/activity/

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func BenchmarkRecord(b *testing.B) {
	for _, e := range []db.Dialect{db.SQLite, db.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			if e == db.Postgres && os.Getenv(testkit.PostgresURL) == "" {
				b.Skipf("PostgreSQL benchmark skipped: set %s=postgres://… to run it", testkit.PostgresURL)
			}
			ctx := context.Background()
			d := testkit.Open(b, e)
			now := clock.Real()
			const clients = 16
			actors := make([]*authz.Actor, clients)
			err := d.InTx(ctx, func(tx *db.Tx) error {
				for i := range clients {
					c, err := account.Create(ctx, tx, now, "client", fmt.Sprintf("Client %d", i))
					if err != nil {
						return err
					}
					uid := id.New(id.User)
					if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, 'U', 'x', ?, ?)`,
						uid, fmt.Sprintf("u%d@example.com", i), now, now); err != nil {
						return err
					}
					if err := account.AddMember(ctx, tx, now, c.ID, uid, "admin"); err != nil {
						return err
					}
					actors[i] = &authz.Actor{UserID: uid, AccountID: c.ID}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			// A session's actor carries the memberships read with the
			// session (authz/preload.go), as auth.Authenticate sets them.
			for _, a := range actors {
				var stored *string
				if err := d.Get(ctx, &stored, `SELECT `+authz.MembershipsSQL(d.Dialect(), "u.id")+` FROM users u WHERE u.id = ?`, a.UserID); err != nil {
					b.Fatal(err)
				}
				if a.SetMemberships(stored); !a.Preloaded() {
					b.Fatal("memberships not preloaded")
				}
			}
			// Unpaced, the 8 goroutines record as fast as they can:
			// the machine is saturated and the tail is mostly the
			// operating system sharing two cores between them, the
			// recorder and PostgreSQL. Paced, they record 4,000 page views
			// a second in all — a heavy load for one server (every portal
			// page sends one) that leaves the cores some room.
			for _, rate := range []int{0, 4000} {
				name := "unpaced"
				if rate > 0 {
					name = fmt.Sprintf("%d-per-s", rate)
				}
				b.Run(name, func(b *testing.B) {
					svc := activity.New(d, clock.Real, slog.New(slog.DiscardHandler))
					defer svc.Close()
					var mu sync.Mutex
					var lat testkit.Latencies
					next := 0
					b.SetParallelism(4)
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						mu.Lock()
						a := actors[next%clients]
						next++
						mu.Unlock()
						var every time.Duration
						if rate > 0 {
							every = time.Duration(4*runtime.GOMAXPROCS(0)) * time.Second / time.Duration(rate)
						}
						var mine []time.Duration
						due := time.Now()
						for pb.Next() {
							if every > 0 {
								due = due.Add(every)
								time.Sleep(time.Until(due))
							}
							start := time.Now()
							if err := svc.PageView(ctx, a, "reports", ""); err != nil {
								b.Error(err)
								return
							}
							mine = append(mine, time.Since(start))
						}
						lat.Add(mine)
					})
					b.StopTimer()
					lat.Report(b)
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
				})
			}
		})
	}
}
