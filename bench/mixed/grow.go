package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// schedule starts the growth: the agency reaches growClients clients and
// the audit log growAudit entries by the end of d, evenly. workers
// connections create a client, or change a client's seats (one audit
// entry), whenever the growth is behind where the schedule puts it now;
// a sampler reads the agency's size from the database every second.
func (r *run) schedule(ctx context.Context, wg *sync.WaitGroup, growClients, growAudit, workers int, d time.Duration) {
	start := time.Now()
	c0, a0 := float64(r.clientsNow.Load()), float64(r.audit.Load())
	// The seat changes are paced on their own count, not on the audit
	// log's size: the mix's own writes add entries too, at a rate that
	// falls as the machine gets busier, and the growth would then make up
	// for it with more writes at the end than at the start. So the growth
	// is the same load every minute, and the log ends a little past
	// growAudit (a creation writes about three entries).
	seats := max(0, float64(growAudit)-a0-3*max(0, float64(growClients)-c0))
	r.goal = func() (float64, float64) {
		f := min(1, time.Since(start).Seconds()/d.Seconds())
		return c0 + f*max(0, float64(growClients)-c0), f * seats
	}
	r.scheduled = growClients > 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.sample(ctx)
			}
		}
	}()
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{r: r, rng: rand.New(rand.NewPCG(uint64(1000+i), 11))}
			for ctx.Err() == nil {
				var name string
				var status int
				var err error
				start := time.Now()
				switch {
				case growClients > 0 && r.behind(false):
					name = "grow_create"
					status, err = w.create()
					r.clientsNow.Add(1)
				case growAudit > 0 && r.behind(true):
					name = "grow_seats"
					status, err = w.send(r.admins[0], "PATCH", "/api/v1/agencies/"+r.agency+"/clients/"+r.someClient(w),
						map[string]any{"seats": 25 + w.rng.IntN(1000)})
					r.grownSeats.Add(1)
				default:
					time.Sleep(20 * time.Millisecond)
					continue
				}
				r.record(name, time.Since(start), status, err)
			}
		}()
	}
}

// behind reports whether the agency's clients (or, with audit, the audit
// log) are behind the schedule.
func (r *run) behind(audit bool) bool {
	c, a := r.goal()
	if audit {
		return float64(r.grownSeats.Load()) < a
	}
	return float64(r.clientsNow.Load()) < c
}

// sample reads the agency's client count and the audit log's last
// sequence number (cheap at any size, unlike a count).
func (r *run) sample(ctx context.Context) {
	var clients, audit int64
	if r.db.Get(ctx, &clients, `SELECT COUNT(*) FROM agency_clients WHERE agency_id = ?`, r.agency) == nil {
		r.clientsNow.Store(clients)
	}
	if r.db.Get(ctx, &audit, `SELECT COALESCE(MAX(seq), 0) FROM audit_events`) == nil {
		r.audit.Store(audit)
	}
}

// vacuum runs VACUUM (of the tables whose rows are updated) and ANALYZE
// every d while autovacuum is off on the
// server (as on a shared test server, where it is turned off in the
// configuration file): without it the planner keeps the statistics of the
// start and dead row versions pile up, which no production server sees.
func (r *run) vacuum(ctx context.Context, wg *sync.WaitGroup, d time.Duration) {
	var on string
	if err := r.db.Get(ctx, &on, `SHOW autovacuum`); err != nil || on == "on" {
		return
	}
	fmt.Fprintf(os.Stderr, "mixed: autovacuum is off on this server: VACUUM ANALYZE every %s\n", d)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				start := time.Now()
				// The tables rows are updated in, whose dead versions
				// pile up; statistics of all (ANALYZE samples).
				_, err := r.db.Exec(ctx, `VACUUM client_list, client_list_stamps, client_list_agency_versions,
					client_list_access_versions, agency_clients, audit_head, sessions, accounts, users, jobs`)
				if err == nil {
					_, err = r.db.Exec(ctx, `ANALYZE`)
				}
				if err != nil && ctx.Err() == nil {
					fmt.Fprintf(os.Stderr, "mixed: vacuum: %v\n", err)
				} else {
					r.vacuumed.Add(int64(time.Since(start)))
				}
			}
		}
	}()
}
