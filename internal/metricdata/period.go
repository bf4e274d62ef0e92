package metricdata

import (
	"context"

	"github.com/liaison-dev/liaison/internal/db"
)

// BrandPeriod is one brand's value of one metric over a period, by the
// metric's rule in the brand's catalogue (EffectiveAggregation): the sum
// of its days, their average, or the last day's value. A brand's day is
// the sum of its series on that day, its own and its mapped source items'
// (as reports read it), on the brand's total line (dimension ”).
type BrandPeriod struct {
	BrandID, Metric string
	Value           float64
	// Additive is false when brands' values must be averaged rather than
	// added (percent metrics, averages).
	Additive bool
}

// PeriodValues computes BrandPeriod for every brand and metric given that
// has data between from and to (YYYY-MM-DD, inclusive), in two queries
// whatever the number of brands: the client list's headline metrics read
// it for a page of clients at once.
func PeriodValues(ctx context.Context, q db.Querier, brands, metrics []string, from, to string) ([]BrandPeriod, error) {
	f, okF := ParseDate(from)
	t, okT := ParseDate(to)
	if len(brands) == 0 || len(metrics) == 0 || !okF || !okT {
		return nil, nil
	}
	sql, args, err := db.In(`SELECT x.brand_id, x.metric, d.day, SUM(d.value) AS value
		FROM (SELECT id, brand_id, metric FROM metric_series WHERE brand_id IN (?) AND metric IN (?) AND dimension = ''
			UNION ALL SELECT s.id, m.brand_id, s.metric FROM source_items m
			JOIN metric_series s ON s.source_id = m.source_id AND s.item = m.item
			WHERE m.brand_id IN (?) AND s.metric IN (?) AND s.dimension = '') x
		JOIN metric_days d ON d.series_id = x.id AND d.day >= ? AND d.day <= ?
		GROUP BY x.brand_id, x.metric, d.day ORDER BY x.brand_id, x.metric, d.day`,
		brands, metrics, brands, metrics, DayNumber(f), DayNumber(t))
	if err != nil {
		return nil, err
	}
	var days []struct {
		BrandID string  `db:"brand_id"`
		Metric  string  `db:"metric"`
		Day     int32   `db:"day"`
		Value   float64 `db:"value"`
	}
	if err := q.Select(ctx, &days, sql, args...); err != nil {
		return nil, err
	}
	if len(days) == 0 {
		return nil, nil
	}
	sql, args, err = db.In(`SELECT brand_id, metric, unit, aggregation FROM metric_catalogue
		WHERE brand_id IN (?) AND metric IN (?)`, brands, metrics)
	if err != nil {
		return nil, err
	}
	var cat []struct {
		BrandID     string `db:"brand_id"`
		Metric      string `db:"metric"`
		Unit        string `db:"unit"`
		Aggregation string `db:"aggregation"`
	}
	if err := q.Select(ctx, &cat, sql, args...); err != nil {
		return nil, err
	}
	type rule struct{ unit, agg string }
	rules := make(map[[2]string]rule, len(cat))
	for _, c := range cat {
		rules[[2]string{c.BrandID, c.Metric}] = rule{c.Unit, c.Aggregation}
	}
	var out []BrandPeriod
	for start := 0; start < len(days); {
		end := start
		var total float64
		for end < len(days) && days[end].BrandID == days[start].BrandID && days[end].Metric == days[start].Metric {
			total += days[end].Value
			end++
		}
		key := [2]string{days[start].BrandID, days[start].Metric}
		r, ok := rules[key]
		if !ok {
			r = rule{"count", "sum"}
		}
		bp := BrandPeriod{BrandID: key[0], Metric: key[1], Additive: r.unit != "percent"}
		switch EffectiveAggregation(r.unit, r.agg) {
		case "avg":
			bp.Value, bp.Additive = total/float64(end-start), false
		case "last":
			bp.Value = days[end-1].Value
		default:
			bp.Value = total
		}
		out = append(out, bp)
		start = end
	}
	return out, nil
}
