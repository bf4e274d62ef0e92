package billing

import (
	"context"
	"sort"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
)

// An invoice preview bills each brand by the day: a brand billable at any
// moment of a UTC day is billed for that day, at the price of the plan and
// prices in force that day, prorated over the days of its month. A line is
// a run of days of one brand within one month at one price, and its amount
// is price × days ÷ days-in-month rounded half up to the cent; the total is
// the sum of the lines, so the lines always add up to it exactly.

// Line is one brand's run of billed days.
type Line struct {
	BrandID     string `json:"brand_id"`
	Name        string `json:"name"`
	From        string `json:"from" doc:"First day billed, YYYY-MM-DD (UTC)"`
	To          string `json:"to" doc:"Last day billed, YYYY-MM-DD (UTC)"`
	Days        int    `json:"days"`
	Plan        string `json:"plan" enum:"monthly,annual"`
	PriceCents  int64  `json:"price_cents" doc:"The month's price for the brand"`
	AmountCents int64  `json:"amount_cents" doc:"price_cents × days ÷ days in the month, rounded half up"`
}

// Preview is an invoice preview for a period.
type Preview struct {
	From       string `json:"from"`
	To         string `json:"to"`
	Lines      []Line `json:"lines"`
	TotalCents int64  `json:"total_cents" doc:"The sum of the lines"`
	Currency   string `json:"currency"`
	Rounding   string `json:"rounding"`
}

const roundingRule = "Each line is price × days ÷ days in its month, rounded half up to the cent; the total is the sum of the lines."

// interval is a time a brand was billable: [start, stop), stop zero while
// it still is.
type interval struct{ start, stop time.Time }

type ledger struct {
	names map[string]string
	order []string
	spans map[string][]interval
}

// ledger reads the spans that overlap the days f..t (UTC): one walk of
// billing_spans_time, however long the agency's history.
func (s *Service) ledger(ctx context.Context, agencyID string, f, t time.Time) (ledger, error) {
	var rows []struct {
		BrandID string     `db:"brand_id"`
		Name    string     `db:"brand_name"`
		Start   time.Time  `db:"start_at"`
		Stop    *time.Time `db:"stop_at"`
	}
	end := t.AddDate(0, 0, 1)
	// Two index ranges of billing_spans_stop: the open spans, and those
	// stopped after f. Ordered here, not in SQL.
	if err := s.db.Select(ctx, &rows, `SELECT brand_id, brand_name, start_at, stop_at FROM billing_spans
		WHERE agency_id = ? AND stop_at IS NULL AND start_at < ?
		UNION ALL SELECT brand_id, brand_name, start_at, stop_at FROM billing_spans
		WHERE agency_id = ? AND stop_at > ? AND start_at < ?`, agencyID, end, agencyID, f, end); err != nil {
		return ledger{}, err
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].BrandID != rows[j].BrandID {
			return rows[i].BrandID < rows[j].BrandID
		}
		return rows[i].Start.Before(rows[j].Start)
	})
	l := ledger{names: map[string]string{}, spans: map[string][]interval{}}
	for _, r := range rows {
		if _, ok := l.names[r.BrandID]; !ok {
			l.order = append(l.order, r.BrandID)
		}
		l.names[r.BrandID] = r.Name
		sp := interval{start: r.Start.UTC()}
		if r.Stop != nil {
			sp.stop = r.Stop.UTC()
		}
		l.spans[r.BrandID] = append(l.spans[r.BrandID], sp)
	}
	return l, nil
}

// Preview bills the days from..to (inclusive, YYYY-MM-DD).
func (s *Service) Preview(ctx context.Context, rel authz.Relation, from, to string) (Preview, error) {
	agencyID, err := agencyOf(rel)
	if err != nil {
		return Preview{}, err
	}
	f, t, err := parseRange(from, to)
	if err != nil {
		return Preview{}, err
	}
	l, err := s.ledger(ctx, agencyID, f, t)
	if err != nil {
		return Preview{}, err
	}
	plans, err := s.plans(ctx, agencyID)
	if err != nil {
		return Preview{}, err
	}
	prices, err := s.prices(ctx)
	if err != nil {
		return Preview{}, err
	}
	return bill(l, plans, prices, f, t), nil
}

// bill computes a preview from the ledger; pure, so the model test and the
// benchmarks call it directly.
func bill(l ledger, plans planList, prices priceList, f, t time.Time) Preview {
	out := Preview{From: day(f), To: day(t), Lines: []Line{}, Currency: "USD", Rounding: roundingRule}
	n := int(t.Sub(f)/(24*time.Hour)) + 1
	// The plan and price of each day, computed once.
	plan := make([]string, n)
	price := make([]int64, n)
	month := make([]time.Month, n)
	for i := range n {
		t := f.AddDate(0, 0, i)
		d := day(t)
		plan[i] = plans.on(d)
		price[i] = prices.on(d).Of(plan[i])
		month[i] = t.Month()
	}
	billed := make([]bool, n)
	for _, b := range l.order {
		clear(billed)
		any := false
		for _, sp := range l.spans[b] {
			// Days whose [00:00, 24:00) overlaps [start, stop).
			first := dayIndex(f, sp.start)
			last := n - 1
			if !sp.stop.IsZero() {
				last = dayIndex(f, sp.stop.Add(-time.Microsecond))
			}
			for i := max(first, 0); i <= min(last, n-1); i++ {
				billed[i] = true
				any = true
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
			dim := int64(daysIn(start))
			amount := (2*price[i]*int64(days) + dim) / (2 * dim)
			out.Lines = append(out.Lines, Line{BrandID: b, Name: l.names[b], From: day(start), To: day(f.AddDate(0, 0, j)),
				Days: days, Plan: plan[i], PriceCents: price[i], AmountCents: amount})
			out.TotalCents += amount
			i = j + 1
		}
	}
	return out
}

// dayIndex is the number of whole UTC days from f's day to t's day.
func dayIndex(f, t time.Time) int {
	td := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return int(td.Sub(f) / (24 * time.Hour))
}

func daysIn(t time.Time) int {
	return time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// MonthTotal is one month's billed total, for the chart.
type MonthTotal struct {
	Month      string `json:"month" doc:"YYYY-MM"`
	TotalCents int64  `json:"total_cents"`
}

// LastMonths returns the billed totals of the last n calendar months, the
// current one (to date) last.
func (s *Service) LastMonths(ctx context.Context, rel authz.Relation, n int) ([]MonthTotal, error) {
	agencyID, err := agencyOf(rel)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -(n - 1), 0)
	l, err := s.ledger(ctx, agencyID, first, now)
	if err != nil {
		return nil, err
	}
	plans, err := s.plans(ctx, agencyID)
	if err != nil {
		return nil, err
	}
	prices, err := s.prices(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MonthTotal, 0, n)
	for m := first; !m.After(now); m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 1, -1)
		if end.After(now) {
			end = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		}
		p := bill(l, plans, prices, m, end)
		out = append(out, MonthTotal{Month: m.Format("2006-01"), TotalCents: p.TotalCents})
	}
	return out, nil
}
