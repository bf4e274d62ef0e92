package billing_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/billing"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// seedLedger makes an agency with brands brands and a ledger of years
// years: each brand starts and stops every 90 days or so, and ends
// billable. It returns the billing service and the agency's relation.
func seedLedger(b *testing.B, e db.Dialect, brands, years int) (*billing.Service, authz.Relation) {
	b.Helper()
	ctx := context.Background()
	d := testkit.Open(b, e)
	now := clock.Real()
	start := now.AddDate(-years, 0, 0)
	var agencyID string
	err := d.InTx(ctx, func(tx *db.Tx) error {
		a, err := account.Create(ctx, tx, now, "agency", "Bench Agency")
		if err != nil {
			return err
		}
		agencyID = a.ID
		seq := 0
		for i := range brands {
			bid := id.New(id.Brand)
			name := fmt.Sprintf("Brand %d", i)
			if _, err := tx.Exec(ctx, `INSERT INTO brands (id, agency_id, name, name_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				bid, agencyID, name, fmt.Sprintf("brand %d", i), start, start); err != nil {
				return err
			}
			at, kind := start.Add(time.Duration(i)*time.Hour), "start"
			for at.Before(now) {
				seq++
				if _, err := tx.Exec(ctx, `INSERT INTO billing_events (id, agency_id, seq, brand_id, brand_name, kind, at, cause)
					VALUES (?, ?, ?, ?, ?, ?, ?, 'brand_granted')`, id.New(id.Billing), agencyID, seq, bid, name, kind, at); err != nil {
					return err
				}
				if kind == "start" {
					_, err = tx.Exec(ctx, `INSERT INTO billing_spans (id, agency_id, brand_id, brand_name, start_at, start_us) VALUES (?, ?, ?, ?, ?, ?)`,
						id.New(id.Billing), agencyID, bid, name, at, at.UnixMicro())
				} else {
					_, err = tx.Exec(ctx, `UPDATE billing_spans SET stop_at = ?, stop_us = ? WHERE agency_id = ? AND brand_id = ? AND stop_us IS NULL`,
						at, at.UnixMicro(), agencyID, bid)
				}
				if err != nil {
					return err
				}
				if kind == "start" {
					at, kind = at.Add(80*24*time.Hour), "stop"
				} else {
					at, kind = at.Add(10*24*time.Hour), "start"
				}
			}
			if kind == "stop" { // the last row was a start: open
				if _, err := tx.Exec(ctx, `INSERT INTO billing_open (agency_id, brand_id, since) VALUES (?, ?, ?)`, agencyID, bid, at.Add(-80*24*time.Hour)); err != nil {
					return err
				}
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO billing_accounts (agency_id, seq) VALUES (?, ?)`, agencyID, seq)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	s := billing.New(d, clock.Real)
	if err := s.RecordPrices(ctx, billing.Prices{MonthlyCents: 4900, AnnualCents: 4100}); err != nil {
		b.Fatal(err)
	}
	return s, authz.Relation{AccountID: agencyID, AccountKind: "agency", Role: authz.AgencyAdmin}
}

// What the Billing page reads for an agency of 500 brands and 5 years of
// ledger: the overview, the last 12 months, the newest ledger page and this
// month's preview (issue 19: under 50 ms).
func BenchmarkBillingPage(b *testing.B) {
	for _, e := range testkit.Engines() {
		b.Run(string(e), func(b *testing.B) {
			s, rel := seedLedger(b, e, 500, 5)
			ctx := context.Background()
			now := time.Now().UTC()
			from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
			b.ResetTimer()
			c0 := cpuTime()
			for b.Loop() {
				if _, err := s.Overview(ctx, rel); err != nil {
					b.Fatal(err)
				}
				if _, err := s.LastMonths(ctx, rel, 12); err != nil {
					b.Fatal(err)
				}
				if _, _, err := s.Events(ctx, rel, "", 25); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Preview(ctx, rel, from, now.Format(time.DateOnly)); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, c0)
		})
	}
}

// An invoice preview for a year of that agency (issue 19: under 20 ms).
func BenchmarkPreviewYear(b *testing.B) {
	for _, e := range testkit.Engines() {
		b.Run(string(e), func(b *testing.B) {
			s, rel := seedLedger(b, e, 500, 5)
			ctx := context.Background()
			now := time.Now().UTC()
			from, to := now.AddDate(-1, 0, 1).Format(time.DateOnly), now.Format(time.DateOnly)
			b.ResetTimer()
			c0 := cpuTime()
			for b.Loop() {
				if _, err := s.Preview(ctx, rel, from, to); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, c0)
		})
	}
}

// cpuTime is the CPU time this process has used. On a machine whose cores
// other work keeps busy, wall time per operation measures the queue for a
// core more than the code; the CPU time per operation (cpu-ms/op) does
// not. It leaves out PostgreSQL's own CPU, which is another process's.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64(cpuTime()-since)/float64(b.N)/1e6, "cpu-ms/op")
}
