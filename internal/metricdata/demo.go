package metricdata

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"time"

	"github.com/liaison-dev/liaison/internal/clientlist/due"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Demo data (`liaison demo`): a year of daily data that looks like a web
// shop's, so that a new installation shows real reports at once.

// demoChannels are the dimension values of the demo's channel metrics.
var demoChannels = []struct {
	name   string
	share  float64 // of the sessions
	conv   float64 // conversion rate
	basket float64 // average order, in cents
}{
	{"google", 0.38, 0.031, 6400},
	{"facebook", 0.22, 0.018, 5200},
	{"instagram", 0.16, 0.014, 4700},
	{"newsletter", 0.09, 0.052, 7100},
	{"direct", 0.15, 0.027, 5900},
}

// demoCatalogue is how the demo's metrics are shown.
var demoCatalogue = []struct{ name, label, unit, currency, agg string }{
	{"sessions", "Sessions", "count", "", "sum"},
	{"conversions", "Conversions", "count", "", "sum"},
	{"revenue", "Revenue", "currency", "EUR", "sum"},
	{"conversion_rate", "Conversion rate", "percent", "", "avg"},
	{"session_duration", "Average session", "seconds", "", "avg"},
}

// DemoPoints makes days of daily data ending on last: sessions, conversions
// and revenue per channel (and their totals), the conversion rate and the
// average session duration. The same seed gives the same data.
func DemoPoints(last time.Time, days int, seed uint64) []Point {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var out []Point
	for i := days - 1; i >= 0; i-- {
		day := last.AddDate(0, 0, -i)
		date := day.Format(time.DateOnly)
		t := float64(days-1-i) / float64(max(days-1, 1)) // 0 → 1 over the period: growth
		week := 1.0
		switch day.Weekday() {
		case time.Saturday:
			week = 0.72
		case time.Sunday:
			week = 0.65
		case time.Monday:
			week = 1.08
		}
		season := 1 + 0.18*math.Sin(2*math.Pi*float64(day.YearDay())/365.25-1.2) // a winter peak
		if day.Month() == time.November && day.Day() >= 24 || day.Month() == time.December && day.Day() <= 20 {
			season *= 1.35 // the holiday rush
		}
		base := 4200 * (0.8 + 0.45*t) * week * season
		var sessions, conversions, revenue float64
		for _, ch := range demoChannels {
			s := math.Round(base * ch.share * (0.88 + 0.24*rng.Float64()))
			c := math.Round(s * ch.conv * (0.8 + 0.4*rng.Float64()))
			r := math.Round(c * ch.basket * (0.85 + 0.3*rng.Float64()))
			sessions, conversions, revenue = sessions+s, conversions+c, revenue+r
			out = append(out, Point{Date: date, Metric: "sessions", Dimension: ch.name, Value: s},
				Point{Date: date, Metric: "conversions", Dimension: ch.name, Value: c},
				Point{Date: date, Metric: "revenue", Dimension: ch.name, Value: r})
		}
		rate := 0.0
		if sessions > 0 {
			rate = math.Round(conversions/sessions*10000) / 100
		}
		out = append(out, Point{Date: date, Metric: "sessions", Value: sessions},
			Point{Date: date, Metric: "conversions", Value: conversions},
			Point{Date: date, Metric: "revenue", Value: revenue},
			Point{Date: date, Metric: "conversion_rate", Value: rate},
			Point{Date: date, Metric: "session_duration", Value: math.Round(150 + 40*rng.Float64() + 20*t)})
	}
	return out
}

// Demo fills a brand with DemoPoints for the year ending today in its
// agency's time zone and sets the demo metrics' labels and units. Run by the
// operator from the command line (no actor); audited on the agency as
// metric_data.demo. Returns the number of points written.
func (s *Service) Demo(ctx context.Context, brandID string, days int) (int, error) {
	var agencyID string
	err := s.db.Get(ctx, &agencyID, `SELECT agency_id FROM brands WHERE id = ?`, brandID)
	if errors.Is(err, db.ErrNoRows) {
		return 0, errs.E(errs.NotFound, "not_found", "No brand %s.", brandID)
	}
	if err != nil {
		return 0, err
	}
	if days < 1 || days > MaxRangeDays {
		return 0, errs.InvalidField("days", "Choose 1 to %d days.", MaxRangeDays)
	}
	today, err := s.Today(ctx, agencyID)
	if err != nil {
		return 0, err
	}
	points := DemoPoints(today, days, uint64(len(brandID))*7919+uint64(brandID[len(brandID)-1]))
	now := s.now()
	for start := 0; start < len(points); start += MaxPoints {
		part := points[start:min(start+MaxPoints, len(points))]
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			b := batchOf(part)
			if err := learn(ctx, tx, brandID, b.metricNames(), now); err != nil {
				return err
			}
			_, err := store(ctx, tx, Owner{BrandID: brandID}, b)
			return err
		})
		if err != nil {
			return 0, err
		}
	}
	return len(points), s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, m := range demoCatalogue {
			if _, err := tx.Exec(ctx, `UPDATE metric_catalogue SET label = ?, unit = ?, currency = ?, aggregation = ?, updated_at = ?
				WHERE brand_id = ? AND metric = ?`, m.label, m.unit, m.currency, m.agg, now, brandID, m.name); err != nil {
				return err
			}
		}
		if err := bump(ctx, tx, brandID); err != nil {
			return err
		}
		if err := due.MarkHeadline(ctx, tx, brandID, nil); err != nil { // the client list's headline metrics
			return err
		}
		return record(ctx, tx, nil, agencyID, now, "metric_data.demo", brandID, map[string]any{"points": len(points), "days": days})
	})
}

// batchOf makes a batch of valid points (the demo's), the last value of a
// repeated key winning.
func batchOf(points []Point) *batch {
	d := &decoder{}
	for _, p := range points {
		day, _ := epochDay(p.Date)
		d.add(seriesKey{"", p.Metric, p.Dimension}, day, p.Value)
	}
	d.out.received = len(points)
	return &d.out
}
