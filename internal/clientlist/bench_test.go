package clientlist_test

// Benchmarks of the client list read from an agency's in-memory copy
// (memory.go), in process (no HTTP), over a seed of 10,000 clients
// (bench/clientlist/seed, no events): what a request costs once the copy
// is current, and what reading the whole agency again costs (after any
// change that moves the agency's access version).
//
//	go test -run XXX -bench ListFromMemory ./internal/client/
//	LIAISON_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable go test -run XXX -bench ListFromMemory ./internal/client/

import (
	"context"
	"runtime"
	"testing"
	"time"

	benchseed "github.com/liaison-dev/liaison/bench/clientlist/seed"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/clientlist/due"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func BenchmarkListFromMemory(b *testing.B) {
	for _, e := range testkit.Engines() {
		b.Run(string(e), func(b *testing.B) {
			d := testkit.Open(b, e)
			ctx := context.Background()
			now := clock.Real()
			res, err := benchseed.Seed(ctx, d, benchseed.Options{Clients: 10000, AdminEmail: "bench-admin@example.com", AdminName: "Admin",
				AgencyName: "Bench Agency", PasswordHash: "x", Seed: 1, Now: now})
			if err != nil {
				b.Fatal(err)
			}
			scope := authz.ClientScope{AgencyID: res.AgencyID, UserID: res.AdminID, All: true}
			svc := clientlist.New(d, clock.Real)
			clientlist.ListFromMemory(svc)
			// The first read refreshes every row (most of them behind it);
			// then the copy is current.
			if _, err := svc.List(ctx, scope, clientlist.ListQuery{}); err != nil {
				b.Fatal(err)
			}
			svc.WaitBehind()
			for _, q := range []struct {
				name string
				q    clientlist.ListQuery
			}{{"page/name", clientlist.ListQuery{}}, {"page/-health", clientlist.ListQuery{Sort: "-health"}},
				{"page/q", clientlist.ListQuery{Q: benchseed.Common}}} {
				b.Run(q.name, func(b *testing.B) {
					b.ReportAllocs()
					for range b.N {
						if p, err := svc.List(ctx, scope, q.q); err != nil || len(p.Clients) != 50 {
							b.Fatalf("%d clients, %v", len(p.Clients), err)
						}
					}
				})
			}
			// A collection with the copy in memory, every row's JSON
			// kept (each page of the agency read once): what the copy
			// costs the collector on every cycle.
			b.Run("gc", func(b *testing.B) {
				q := clientlist.ListQuery{Limit: clientlist.MaxLimit}
				for {
					p, err := svc.List(ctx, scope, q)
					if err != nil {
						b.Fatal(err)
					}
					if q.Cursor = p.NextCursor; q.Cursor == "" {
						break
					}
				}
				runtime.GC()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				b.ResetTimer()
				for range b.N {
					runtime.GC()
				}
				b.ReportMetric(float64(m.HeapObjects), "heap-objects")
				b.ReportMetric(float64(m.HeapAlloc)/1e6, "heap-MB")
			})
			// A service with nothing in memory reads the agency's 10,000
			// rows (and, as the counts are not cached either, counts them).
			b.Run("load", func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					cold := clientlist.New(d, clock.Real)
					clientlist.ListFromMemory(cold)
					if p, err := cold.List(ctx, scope, clientlist.ListQuery{}); err != nil || len(p.Clients) != 50 {
						b.Fatalf("%d clients, %v", len(p.Clients), err)
					}
				}
			})
		})
	}
}

// BenchmarkRefreshAgency: every row of a 10,000-client agency (200,000
// events) falls due at once (a change of its thresholds, or the first read
// after a bulk load). first: what the next page's reader waits (issue 23:
// < 300 ms), the rest being refreshed behind it (behind.go; waited for
// outside the timer); start: the same in a new process (its copy read
// whole); whole: the whole refresh, what the rows wait.
func BenchmarkRefreshAgency(b *testing.B) {
	for _, e := range testkit.Engines() {
		b.Run(string(e), func(b *testing.B) {
			d := testkit.Open(b, e)
			ctx := context.Background()
			res, err := benchseed.Seed(ctx, d, benchseed.Options{Clients: 10000, AdminEmail: "bench-admin@example.com", AdminName: "Admin",
				AgencyName: "Bench Agency", PasswordHash: "x", Seed: 1, Now: clock.Real().UTC().Truncate(time.Microsecond), Events: 200000})
			if err != nil {
				b.Fatal(err)
			}
			scope := authz.ClientScope{AgencyID: res.AgencyID, UserID: res.AdminID, All: true}
			svc := clientlist.New(d, clock.Real)
			markDue := func() {
				if err := d.InTx(ctx, func(tx *db.Tx) error { return due.MarkAgency(ctx, tx, res.AgencyID) }); err != nil {
					b.Fatal(err)
				}
			}
			if err := svc.RefreshDue(ctx, res.AgencyID, clock.Real()); err != nil {
				b.Fatal(err)
			}
			b.Run("first", func(b *testing.B) {
				for range b.N {
					b.StopTimer()
					markDue()
					b.StartTimer()
					if p, err := svc.List(ctx, scope, clientlist.ListQuery{}); err != nil || len(p.Clients) != 50 {
						b.Fatalf("%d clients, %v", len(p.Clients), err)
					}
					b.StopTimer()
					svc.WaitBehind()
					b.StartTimer()
				}
			})
			b.Run("start", func(b *testing.B) { // a new process: no copy yet
				for range b.N {
					b.StopTimer()
					markDue()
					cold := clientlist.New(d, clock.Real)
					b.StartTimer()
					if p, err := cold.List(ctx, scope, clientlist.ListQuery{}); err != nil || len(p.Clients) != 50 {
						b.Fatalf("%d clients, %v", len(p.Clients), err)
					}
					b.StopTimer()
					cold.WaitBehind()
					b.StartTimer()
				}
			})
			b.Run("whole", func(b *testing.B) {
				for range b.N {
					b.StopTimer()
					markDue()
					b.StartTimer()
					if err := svc.RefreshDue(ctx, res.AgencyID, clock.Real()); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
