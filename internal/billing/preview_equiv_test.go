package billing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
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

// The preview reads spans as microseconds and bills by segments (00051,
// issue 19); before, it read the timestamps and billed day by day. This
// test keeps the day-by-day computation as the reference and asserts that
// both give the same preview, line for line, and the same monthly totals,
// on random ledgers with the awkward cases: spans stopping exactly at
// midnight, within its first microsecond, just after; empty spans;
// spans that touch; renamed brands; plan and price changes inside the
// period.
func TestPreviewMatchesDayByDay(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		ctx := context.Background()
		d := testkit.Open(t, e)
		now := clock.Real().UTC()
		seed := uint64(now.UnixNano())
		t.Logf("ledger seed %d (rand.NewPCG(7, seed) replays a failure)", seed)
		rnd := rand.New(rand.NewPCG(7, seed))
		today := now.Truncate(24 * time.Hour)
		var agencyID string
		err := d.InTx(ctx, func(tx *db.Tx) error {
			a, err := account.Create(ctx, tx, now, "agency", "Equivalence")
			if err != nil {
				return err
			}
			agencyID = a.ID
			for i := range 25 {
				bid := id.New(id.Brand)
				at := today.AddDate(0, 0, -400-rnd.IntN(100))
				for k := 0; at.Before(now); k++ {
					start := at
					var stop time.Time
					switch rnd.IntN(8) {
					case 0: // exactly at a midnight
						stop = start.Truncate(24*time.Hour).AddDate(0, 0, 1+rnd.IntN(60))
					case 1: // within a midnight's first microsecond
						stop = start.Truncate(24*time.Hour).AddDate(0, 0, 1+rnd.IntN(60)).Add(time.Duration(1 + rnd.IntN(999)))
					case 2: // one microsecond after one
						stop = start.Truncate(24*time.Hour).AddDate(0, 0, 1+rnd.IntN(60)).Add(time.Microsecond)
					case 3: // empty
						stop = start
					default:
						stop = start.Add(time.Duration(rnd.Int64N(int64(90 * 24 * time.Hour))))
					}
					name := fmt.Sprintf("Brand %d.%d", i, k)
					open := !stop.Before(now) || rnd.IntN(30) == 0
					if open {
						_, err = tx.Exec(ctx, `INSERT INTO billing_spans (id, agency_id, brand_id, brand_name, start_at, start_us) VALUES (?, ?, ?, ?, ?, ?)`,
							id.New(id.Billing), agencyID, bid, name, start, start.UnixMicro())
					} else {
						_, err = tx.Exec(ctx, `INSERT INTO billing_spans (id, agency_id, brand_id, brand_name, start_at, start_us, stop_at, stop_us)
							VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id.New(id.Billing), agencyID, bid, name, start, start.UnixMicro(), stop, stop.UnixMicro())
					}
					if err != nil {
						return err
					}
					if open {
						break
					}
					// The next start: at the stop, later that day, or days later.
					switch rnd.IntN(3) {
					case 0:
						at = stop
					case 1:
						at = stop.Add(time.Duration(rnd.Int64N(int64(3 * time.Hour))))
					default:
						at = stop.Add(time.Duration(rnd.Int64N(int64(20 * 24 * time.Hour))))
					}
				}
			}
			plan := billing.Monthly
			for k := range 4 {
				plan = map[string]string{billing.Monthly: billing.Annual, billing.Annual: billing.Monthly}[plan]
				if _, err := tx.Exec(ctx, `INSERT INTO billing_plans (agency_id, effective_from, plan, changed_at) VALUES (?, ?, ?, ?)`,
					agencyID, today.AddDate(0, 0, -300+80*k+rnd.IntN(40)).Format(time.DateOnly), plan, now); err != nil {
					return err
				}
			}
			for k, p := range [][2]int{{4900, 4100}, {5100, 4100}, {5100, 4300}, {4900, 4100}} {
				from := today.AddDate(0, 0, -380+100*k+rnd.IntN(50)).Format(time.DateOnly)
				if k == 0 {
					from = "1970-01-01"
				}
				if _, err := tx.Exec(ctx, `INSERT INTO billing_prices (effective_from, monthly_cents, annual_cents, recorded_at) VALUES (?, ?, ?, ?)`,
					from, p[0], p[1], now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		s := billing.New(d, func() time.Time { return now })
		rel := authz.Relation{AccountID: agencyID, AccountKind: "agency", Role: authz.AgencyAdmin}
		ref := loadReference(t, d, agencyID)
		for k := range 60 {
			f := today.AddDate(0, 0, -rnd.IntN(500))
			to := f.AddDate(0, 0, rnd.IntN(400))
			if k == 0 {
				f, to = today.AddDate(-1, 0, 1), today // the benchmark's year
			}
			got, err := s.Preview(ctx, rel, f.Format(time.DateOnly), to.Format(time.DateOnly))
			if err != nil {
				t.Fatal(err)
			}
			want := ref.bill(f, to)
			if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
				i := 0
				for i < min(len(got.Lines), len(want.Lines)) && got.Lines[i] == want.Lines[i] {
					i++
				}
				t.Fatalf("preview %s..%s differs from the day-by-day bill (%d lines, want %d; total %d, want %d) from line %d:\n got %v\nwant %v",
					f.Format(time.DateOnly), to.Format(time.DateOnly), len(got.Lines), len(want.Lines), got.TotalCents, want.TotalCents, i,
					got.Lines[i:min(i+3, len(got.Lines))], want.Lines[i:min(i+3, len(want.Lines))])
			}
			if k == 0 && len(got.Lines) < 50 {
				t.Fatalf("only %d lines: the ledger is too thin to prove anything", len(got.Lines))
			}
		}
		months, err := s.LastMonths(ctx, rel, 12)
		if err != nil {
			t.Fatal(err)
		}
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -11, 0)
		for i, m := range months {
			start := first.AddDate(0, i, 0)
			end := start.AddDate(0, 1, -1)
			if end.After(today) {
				end = today
			}
			if want := ref.bill(start, end).TotalCents; m.TotalCents != want || m.Month != start.Format("2006-01") {
				t.Errorf("month %s: %d, want %s %d", m.Month, m.TotalCents, start.Format("2006-01"), want)
			}
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// reference is the ledger as the preview read it before 00051: every span
// with its timestamps, and the plans and prices.
type reference struct {
	spans []refSpan
	plans []billing.PlanChange
	// prices by the day they apply from
	prices []struct {
		From    string `db:"effective_from"`
		Monthly int64  `db:"monthly_cents"`
		Annual  int64  `db:"annual_cents"`
	}
}

type refSpan struct {
	BrandID string     `db:"brand_id"`
	Name    string     `db:"brand_name"`
	Start   time.Time  `db:"start_at"`
	Stop    *time.Time `db:"stop_at"`
}

func loadReference(t *testing.T, d *db.DB, agencyID string) *reference {
	t.Helper()
	ctx := context.Background()
	r := &reference{}
	if err := d.Select(ctx, &r.spans, `SELECT brand_id, brand_name, start_at, stop_at FROM billing_spans WHERE agency_id = ?`, agencyID); err != nil {
		t.Fatal(err)
	}
	if err := d.Select(ctx, &r.plans, `SELECT plan, effective_from FROM billing_plans WHERE agency_id = ? ORDER BY effective_from`, agencyID); err != nil {
		t.Fatal(err)
	}
	if err := d.Select(ctx, &r.prices, `SELECT effective_from, monthly_cents, annual_cents FROM billing_prices ORDER BY effective_from`); err != nil {
		t.Fatal(err)
	}
	sort.Slice(r.spans, func(i, j int) bool {
		if r.spans[i].BrandID != r.spans[j].BrandID {
			return r.spans[i].BrandID < r.spans[j].BrandID
		}
		// Spans that start at the same moment were in the order the
		// sort left them; both orders are now by stop, open last.
		if !r.spans[i].Start.Equal(r.spans[j].Start) {
			return r.spans[i].Start.Before(r.spans[j].Start)
		}
		a, b := r.spans[i].Stop, r.spans[j].Stop
		if a == nil && b == nil || a != nil && b != nil && a.Equal(*b) {
			// The same moment: the greater name last (it names the brand).
			return r.spans[i].Name < r.spans[j].Name
		}
		return b == nil && a != nil || a != nil && b != nil && a.Before(*b)
	})
	return r
}

// bill is the preview as computed before 00051, day by day, over the spans
// that overlap the period (start < the day after t, stop unset or > f).
func (r *reference) bill(f, t time.Time) billing.Preview {
	day := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }
	out := billing.Preview{From: day(f), To: day(t), Lines: []billing.Line{}, Currency: "USD",
		Rounding: "Each line is price × days ÷ days in its month, rounded half up to the cent; the total is the sum of the lines."}
	end := t.AddDate(0, 0, 1)
	names := map[string]string{}
	var order []string
	spans := map[string][][2]time.Time{}
	for _, s := range r.spans {
		if !s.Start.Before(end) || (s.Stop != nil && !s.Stop.After(f)) {
			continue
		}
		if _, ok := names[s.BrandID]; !ok {
			order = append(order, s.BrandID)
		}
		names[s.BrandID] = s.Name
		sp := [2]time.Time{s.Start.UTC()}
		if s.Stop != nil {
			sp[1] = s.Stop.UTC()
		}
		spans[s.BrandID] = append(spans[s.BrandID], sp)
	}
	planOn := func(d string) string {
		p := billing.Monthly
		for _, c := range r.plans {
			if c.EffectiveFrom <= d {
				p = c.Plan
			}
		}
		return p
	}
	priceOn := func(d, plan string) int64 {
		p := billing.Prices{MonthlyCents: 4900, AnnualCents: 4100}
		for _, x := range r.prices {
			if x.From <= d {
				p = billing.Prices{MonthlyCents: x.Monthly, AnnualCents: x.Annual}
			}
		}
		return p.Of(plan)
	}
	dayIndex := func(t time.Time) int {
		td := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return int(td.Sub(f) / (24 * time.Hour))
	}
	n := int(t.Sub(f)/(24*time.Hour)) + 1
	plan, price, month := make([]string, n), make([]int64, n), make([]time.Month, n)
	for i := range n {
		t := f.AddDate(0, 0, i)
		plan[i] = planOn(day(t))
		price[i] = priceOn(day(t), plan[i])
		month[i] = t.Month()
	}
	billed := make([]bool, n)
	for _, b := range order {
		clear(billed)
		any := false
		for _, sp := range spans[b] {
			first, last := dayIndex(sp[0]), n-1
			if !sp[1].IsZero() {
				last = dayIndex(sp[1].Add(-time.Microsecond))
			}
			for i := max(first, 0); i <= min(last, n-1); i++ {
				billed[i], any = true, true
			}
		}
		if !any {
			continue
		}
		for i := 0; i < n; {
			if !billed[i] {
				i++
				continue
			}
			start := f.AddDate(0, 0, i)
			j := i
			for j+1 < n && billed[j+1] && plan[j+1] == plan[i] && price[j+1] == price[i] && month[j+1] == month[i] {
				j++
			}
			days := j - i + 1
			dim := int64(time.Date(start.Year(), start.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day())
			amount := (2*price[i]*int64(days) + dim) / (2 * dim)
			out.Lines = append(out.Lines, billing.Line{BrandID: b, Name: names[b], From: day(start), To: day(f.AddDate(0, 0, j)),
				Days: days, Plan: plan[i], PriceCents: price[i], AmountCents: amount})
			out.TotalCents += amount
			i = j + 1
		}
	}
	return out
}
