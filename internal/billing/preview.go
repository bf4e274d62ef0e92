package billing

import (
	"context"
	"database/sql"
	"math"
	"slices"
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

// A ledger is what a preview reads: for each brand billable during the
// period (in brand ID order), its spans in start order, as microseconds
// since 1970 (billing_spans.start_us, stop_us; 00051).
type ledger struct {
	brands []brandSpans
}

type brandSpans struct {
	id     string
	name   string // of the brand's latest span: its name when that started
	nameAt span   // that span
	spans  []span
}

// span is a time a brand was billable, [start, stop) in microseconds; stop
// is openSpan while it still is.
type span struct{ start, stop int64 }

// before orders a brand's spans by start, and spans that start at the same
// moment (an empty one, then the next, under a clock that stood still) by
// stop, so that the one still in effect comes last.
func (a span) before(b span) bool {
	return a.start < b.start || (a.start == b.start && a.stop < b.stop)
}

const (
	openSpan = math.MaxInt64
	usPerDay = 86400 * 1000000
)

// ledgerRows scans the spans without sqlx's reflection or any time
// parsing: the IDs and names arrive as bytes, and a brand's ID and name
// are copied into strings once, not once per span.
type ledgerRows struct {
	l     ledger
	index map[string]int // brand ID → l.brands
}

func (lr *ledgerRows) ScanRows(rows *sql.Rows) error {
	var brand, name sql.RawBytes
	var start int64
	var stop sql.NullInt64
	for rows.Next() {
		if err := rows.Scan(&brand, &name, &start, &stop); err != nil {
			return err
		}
		i, ok := lr.index[string(brand)] // no allocation for the lookup
		if !ok {
			i = len(lr.l.brands)
			lr.index[string(brand)] = i
			lr.l.brands = append(lr.l.brands, brandSpans{id: string(brand)})
		}
		b := &lr.l.brands[i]
		sp := span{start: start, stop: openSpan}
		if stop.Valid {
			sp.stop = stop.Int64
		}
		// The latest span names the brand; comparing first saves the copy
		// when the name is the same. Two spans of one moment (empty ones,
		// under a clock that stood still) come in no set order from the
		// database, so of those the greater name wins: the same bill
		// whatever order the rows arrive in.
		if len(b.spans) == 0 || b.nameAt.before(sp) || sp == b.nameAt && string(name) > b.name {
			if b.name != string(name) {
				b.name = string(name)
			}
			b.nameAt = sp
		}
		b.spans = append(b.spans, sp)
	}
	return nil
}

// ledgerQuery reads the spans of an agency that start before a moment and
// are open or stop after another (TestLedgerPlan checks that it reads the
// index only).
const ledgerQuery = `SELECT brand_id, brand_name, start_us, stop_us FROM billing_spans
		WHERE agency_id = ? AND stop_us IS NULL AND start_us < ?
		UNION ALL SELECT brand_id, brand_name, start_us, stop_us FROM billing_spans
		WHERE agency_id = ? AND stop_us > ? AND start_us < ?`

// ledger reads the spans that overlap the days f..t (UTC): two ranges of
// the covering index billing_spans_period (the open spans, and those
// stopped after f), however long the agency's history. Ordered here, not in
// SQL.
func (s *Service) ledger(ctx context.Context, agencyID string, f, t time.Time) (ledger, error) {
	end := t.AddDate(0, 0, 1).UnixMicro()
	lr := &ledgerRows{index: map[string]int{}}
	if err := s.db.Select(ctx, lr, ledgerQuery, agencyID, end, agencyID, f.UnixMicro(), end); err != nil {
		return ledger{}, err
	}
	l := lr.l
	sort.Slice(l.brands, func(i, j int) bool { return l.brands[i].id < l.brands[j].id })
	for _, b := range l.brands {
		sort.Slice(b.spans, func(i, j int) bool { return b.spans[i].before(b.spans[j]) })
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

// bill computes a preview from the ledger; pure, so tests call it
// directly. It is linear in the spans and the lines: the period is cut into
// segments of days that share a month, a plan and a price (their bounds
// are the month starts and the days plan and price changes take effect),
// each brand's spans into runs of billed days, and a line is a run's part
// in a segment — the same lines as billing day by day.
func bill(l ledger, plans planList, prices priceList, f, t time.Time) Preview {
	out := Preview{From: day(f), To: day(t), Lines: []Line{}, Currency: "USD", Rounding: roundingRule}
	fd := floorDiv(f.UnixMicro(), usPerDay)
	n := floorDiv(t.UnixMicro(), usPerDay) - fd + 1
	days := dayNames{first: fd, names: make([]string, n)}
	segs := segments(plans, prices, fd, n, &days)
	// At most one line per span plus one per segment bound inside a run:
	// allocated once, not grown (a year of 500 brands is ~9,000 lines).
	most := 0
	for _, b := range l.brands {
		most += len(b.spans) + len(segs) - 1
	}
	out.Lines = make([]Line, 0, most)
	for _, b := range l.brands {
		// Runs of billed days, as day indexes of the period: a span bills
		// each day whose [00:00, 24:00) overlaps [start, stop), so from the
		// day of start to the day of stop − 1µs. Spans come in start order;
		// runs that touch or overlap are one run.
		runFirst, runLast := int64(-1), int64(-2)
		emit := func() {
			if runLast < runFirst {
				return
			}
			for _, sg := range segs {
				a, z := max(runFirst, sg.first), min(runLast, sg.last)
				if a > z {
					continue
				}
				nd := z - a + 1
				amount := (2*sg.price*nd + sg.dim) / (2 * sg.dim)
				out.Lines = append(out.Lines, Line{BrandID: b.id, Name: b.name, From: days.at(a), To: days.at(z),
					Days: int(nd), Plan: sg.plan, PriceCents: sg.price, AmountCents: amount})
				out.TotalCents += amount
			}
		}
		for _, sp := range b.spans {
			first := floorDiv(sp.start, usPerDay) - fd
			last := n - 1
			if sp.stop != openSpan {
				last = floorDiv(sp.stop-1, usPerDay) - fd
			}
			first, last = max(first, 0), min(last, n-1)
			if first > last {
				continue
			}
			if first <= runLast+1 && runLast >= runFirst {
				runLast = max(runLast, last)
				continue
			}
			emit()
			runFirst, runLast = first, last
		}
		emit()
	}
	return out
}

// segment is a run of days of the period (indexes first..last) in one
// month under one plan and price.
type segment struct {
	first, last int64
	plan        string
	price, dim  int64
}

// segments cuts the n days from day fd (days since 1970) where the month,
// the plan or the price changes; neighbours that differ in none stay one.
func segments(plans planList, prices priceList, fd, n int64, days *dayNames) []segment {
	cuts := []int64{0}
	for i := int64(1); i < n; i++ {
		// Month starts; a year has 12, so this loop is the only per-day
		// work and it allocates nothing.
		if _, _, d := civil(fd + i); d == 1 {
			cuts = append(cuts, i)
		}
	}
	addCut := func(from string) {
		t, err := time.Parse(time.DateOnly, from)
		if err != nil {
			return
		}
		if i := floorDiv(t.Unix(), 86400) - fd; i > 0 && i < n {
			cuts = append(cuts, i)
		}
	}
	for _, c := range plans {
		addCut(c.EffectiveFrom)
	}
	for _, p := range prices {
		addCut(p.From)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var out []segment
	for k, c := range cuts {
		last := n - 1
		if k+1 < len(cuts) {
			last = cuts[k+1] - 1
		}
		d := days.at(c)
		plan := plans.on(d)
		y, m, _ := civil(fd + c)
		sg := segment{first: c, last: last, plan: plan, price: prices.on(d).Of(plan),
			dim: int64(time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day())}
		if len(out) > 0 {
			p := &out[len(out)-1]
			if _, pm, _ := civil(fd + p.first); p.plan == sg.plan && p.price == sg.price && pm == m {
				p.last = sg.last
				continue
			}
		}
		out = append(out, sg)
	}
	return out
}

// dayNames formats the period's days (YYYY-MM-DD) once each, on first use:
// lines share the strings.
type dayNames struct {
	first int64
	names []string
}

func (d *dayNames) at(i int64) string {
	if d.names[i] == "" {
		y, m, dd := civil(d.first + i)
		b := [10]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
			byte('0' + int(m)/10), byte('0' + int(m)%10), '-', byte('0' + dd/10), byte('0' + dd%10)}
		d.names[i] = string(b[:])
	}
	return d.names[i]
}

// civil is the calendar date of a day counted from 1970-01-01 (Howard
// Hinnant's days_from_civil, inverted), without building a time.Time.
func civil(z int64) (int, time.Month, int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), time.Month(m), int(d)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
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
