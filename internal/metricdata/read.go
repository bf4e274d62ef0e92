package metricdata

import (
	"context"
	"database/sql"
	"sort"

	"github.com/liaison-dev/liaison/internal/db"
)

// Reading a brand's data: first its series (a small table), then their
// days as ranges of metric_days' primary key.

// A brand's series are its own (brand_id) and those of the data source
// items mapped to it (source_items): a read-time union, so that mapping or
// unmapping an item changes what the brand's reports read at once, with
// nothing copied (docs/ARCHITECTURE.md, "Data sources").

// metricSeries selects the IDs of the series of catalogue row c's metric
// (in a subquery over metric_catalogue c).
const metricSeries = `SELECT s.id FROM metric_series s WHERE s.brand_id = c.brand_id AND s.metric = c.metric
	UNION ALL SELECT s.id FROM source_items m JOIN metric_series s ON s.source_id = m.source_id AND s.item = m.item
	WHERE m.brand_id = c.brand_id AND s.metric = c.metric`

// seriesOf lists the series of a brand's metrics, its own and its mapped
// items'; on one dimension value when dimension is not nil.
func (s *Service) seriesOf(ctx context.Context, brandID string, metrics []string, dimension *string) ([]seriesRow, error) {
	own, mapped := `SELECT id, item, metric, dimension FROM metric_series WHERE brand_id = ? AND metric IN (?)`,
		`SELECT s.id, s.item, s.metric, s.dimension FROM source_items m JOIN metric_series s ON s.source_id = m.source_id AND s.item = m.item
		WHERE m.brand_id = ? AND s.metric IN (?)`
	args := []any{brandID, metrics}
	if dimension != nil {
		own, mapped = own+` AND dimension = ?`, mapped+` AND s.dimension = ?`
		args = append(args, *dimension)
	}
	args = append(args, brandID, metrics)
	if dimension != nil {
		args = append(args, *dimension)
	}
	q, args, err := db.In(own+` UNION ALL `+mapped+` ORDER BY 1`, args...)
	if err != nil {
		return nil, err
	}
	var rows []seriesRow
	err = s.db.Select(ctx, &rows, q, args...)
	return rows, err
}

// dayRows scans (series_id, day, value) rows without reflection: a report
// reads thousands.
type dayRows struct {
	at   map[int64]int
	days [][]DayValue
}

func (d *dayRows) ScanRows(rows *sql.Rows) error {
	var id int64
	var v DayValue
	for rows.Next() {
		if err := rows.Scan(&id, &v.Day, &v.Value); err != nil {
			return err
		}
		if i, ok := d.at[id]; ok {
			d.days[i] = append(d.days[i], v)
		}
	}
	return nil
}

// days reads the days of series in a range, in day order, per series.
func (s *Service) days(ctx context.Context, series []seriesRow, r Range) ([][]DayValue, error) {
	out := &dayRows{at: make(map[int64]int, len(series)), days: make([][]DayValue, len(series))}
	ids := make([]int64, len(series))
	for i, sr := range series {
		out.at[sr.ID], ids[i] = i, sr.ID
	}
	for start := 0; start < len(ids); start += 500 {
		q, args, err := db.In(`SELECT series_id, day, value FROM metric_days WHERE series_id IN (?) AND day >= ? AND day <= ?
			ORDER BY series_id, day`, ids[start:min(start+500, len(ids))], DayNumber(r.From), DayNumber(r.To))
		if err != nil {
			return nil, err
		}
		if err := s.db.Select(ctx, out, q, args...); err != nil {
			return nil, err
		}
	}
	return out.days, nil
}

// aggRows scans (series_id, sum, count, last value) rows.
type aggRows map[int64]Agg

func (a aggRows) ScanRows(rows *sql.Rows) error {
	for rows.Next() {
		var id int64
		var g Agg
		if err := rows.Scan(&id, &g.Sum, &g.Days, &g.Last); err != nil {
			return err
		}
		a[id] = g
	}
	return nil
}

// reduce has the database reduce each series' days in a range.
func (s *Service) reduce(ctx context.Context, ids []int64, r Range) (map[int64]Agg, error) {
	out := aggRows{}
	from, to := DayNumber(r.From), DayNumber(r.To)
	for start := 0; start < len(ids); start += 500 {
		// The last day's value: one index probe per series, from the end.
		q, args, err := db.In(`SELECT series_id, SUM(value), COUNT(*), (SELECT l.value FROM metric_days l
			WHERE l.series_id = d.series_id AND l.day <= ? ORDER BY l.day DESC LIMIT 1)
			FROM metric_days d WHERE series_id IN (?) AND day >= ? AND day <= ? GROUP BY series_id`,
			to, ids[start:min(start+500, len(ids))], from, to)
		if err != nil {
			return nil, err
		}
		if err := s.db.Select(ctx, out, q, args...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// merge adds two series' days (each in day order): a day in both has the
// sum of their values.
func merge(a, b []DayValue) []DayValue {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	out := make([]DayValue, 0, len(a)+len(b))
	out = append(append(out, a...), b...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	n := 0
	for _, v := range out {
		if n > 0 && out[n-1].Day == v.Day {
			out[n-1].Value += v.Value
			continue
		}
		out[n] = v
		n++
	}
	return out[:n]
}
