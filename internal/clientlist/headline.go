package clientlist

import (
	"context"
	"encoding/json"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/metricdata"
)

// Headline metrics (SPEC §3, §12; migration 00025). An agency names up to
// three metrics (agency_settings.headline_metrics); each list row carries
// the client's value of each for the current calendar month in the
// agency's time zone, over the brands of that agency granted to the client.
//
// A brand's value of a metric for the month is by the metric's own rule in
// the brand's catalogue (metricdata.EffectiveAggregation: sum, avg of the
// days with data, last; a percent is never summed). The brands' values are
// then added up when the rule is sum or last and the unit is not a
// percent (sessions, revenue, followers), and averaged otherwise (a rate, a
// duration): adding two brands' conversion rates would mean nothing.
//
// The values are stored (client_list_headline) and kept like the status
// and the score: the refresh of due rows computes them for a batch of 500
// clients in two statements (no query per row), caps the rows' valid_until
// at the end of the month, and stamps the rows whose values changed, so
// copies follow. What makes rows due: a push, a deletion or a catalogue
// change of a brand (due.MarkHeadline, in metricdata's transactions), a
// grant or a revocation (the row is rebuilt), a change of the setting or of
// the time zone (due.MarkAgency).

// headlineMonth is the current month in the agency's time zone: its first
// and last days (YYYY-MM-DD, as metric points store them) and the moment
// it ends.
func headlineMonth(now time.Time, loc *time.Location) (from, to string, end time.Time) {
	t := now.In(loc)
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	next := first.AddDate(0, 1, 0)
	return first.Format(time.DateOnly), next.AddDate(0, 0, -1).Format(time.DateOnly), next.UTC()
}

// headlineValues returns, for each of the agency's clients given, its
// values of the metrics this month as stored (a JSON object, metric →
// value, without the metrics it has no data for).
func headlineValues(ctx context.Context, q db.Querier, agencyID string, clientIDs, metrics []string, from, to string) (map[string]string, error) {
	out := make(map[string]string, len(clientIDs))
	for _, c := range clientIDs {
		out[c] = "{}"
	}
	if len(metrics) == 0 || len(clientIDs) == 0 {
		return out, nil
	}
	sql, args, err := db.In(`SELECT cb.client_id, cb.brand_id FROM client_brands cb JOIN brands b ON b.id = cb.brand_id
		WHERE b.agency_id = ? AND cb.client_id IN (?) ORDER BY cb.client_id, cb.brand_id`, agencyID, clientIDs)
	if err != nil {
		return nil, err
	}
	var grants []struct {
		ClientID string `db:"client_id"`
		BrandID  string `db:"brand_id"`
	}
	if err := q.Select(ctx, &grants, sql, args...); err != nil {
		return nil, err
	}
	if len(grants) == 0 {
		return out, nil
	}
	brandSet := map[string]bool{}
	var brands []string
	for _, g := range grants {
		if !brandSet[g.BrandID] {
			brandSet[g.BrandID] = true
			brands = append(brands, g.BrandID)
		}
	}
	// Each brand's month of each metric, by its catalogue's rule, over its
	// own series and its mapped source items' (metricdata.PeriodValues).
	months, err := metricdata.PeriodValues(ctx, q, brands, metrics, from, to)
	if err != nil {
		return nil, err
	}
	type brandValue struct {
		v      float64
		summed bool // the brands' values add up
	}
	byBrand := make(map[[2]string]brandValue, len(months))
	for _, m := range months {
		byBrand[[2]string{m.BrandID, m.Metric}] = brandValue{v: m.Value, summed: m.Additive}
	}
	for start := 0; start < len(grants); {
		end := start
		for end < len(grants) && grants[end].ClientID == grants[start].ClientID {
			end++
		}
		vals := map[string]float64{}
		for _, metric := range metrics {
			var sum float64
			n, summed := 0, true
			for _, g := range grants[start:end] {
				if bv, ok := byBrand[[2]string{g.BrandID, metric}]; ok {
					sum += bv.v
					n++
					summed = summed && bv.summed
				}
			}
			if n == 0 {
				continue
			}
			if !summed {
				sum /= float64(n)
			}
			vals[metric] = sum
		}
		b, err := json.Marshal(vals)
		if err != nil {
			return nil, err
		}
		out[grants[start].ClientID] = string(b)
		start = end
	}
	return out, nil
}

// storeHeadline writes the clients' values, in one statement per call.
func storeHeadline(ctx context.Context, tx *db.Tx, agencyID string, vals map[string]string, order []string) error {
	if len(order) == 0 {
		return nil
	}
	args := make([]any, 0, 3*len(order))
	sql := `INSERT INTO client_list_headline (agency_id, client_id, vals) VALUES `
	for i, c := range order {
		if i > 0 {
			sql += `, `
		}
		sql += `(?, ?, ?)`
		args = append(args, agencyID, c, vals[c])
	}
	_, err := tx.Exec(ctx, sql+` ON CONFLICT (agency_id, client_id) DO UPDATE SET vals = excluded.vals`, args...)
	return err
}

// parseHeadline reads a row's stored values ("" or "{}": none).
func parseHeadline(stored string) (map[string]float64, error) {
	out := map[string]float64{}
	if stored == "" || stored == "{}" {
		return out, nil
	}
	return out, json.Unmarshal([]byte(stored), &out)
}
