package testkit

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/metricdata"
)

// InsertPoint writes one point of a brand's metric (dimension "" is the
// brand's total line) straight into the tables that hold metric data
// (metric_series, metric_days: integer days, migration 00026), for tests
// that build a database by hand rather than through a push.
func InsertPoint(ctx context.Context, q db.Querier, brandID, metric, dimension string, day time.Time, value float64) error {
	if _, err := q.Exec(ctx, `INSERT INTO metric_series (brand_id, metric, dimension) VALUES (?, ?, ?)
		ON CONFLICT (brand_id, metric, dimension) DO NOTHING`, brandID, metric, dimension); err != nil {
		return err
	}
	_, err := q.Exec(ctx, `INSERT INTO metric_days (series_id, day, value)
		SELECT id, ?, ? FROM metric_series WHERE brand_id = ? AND metric = ? AND dimension = ?`,
		metricdata.DayNumber(day), value, brandID, metric, dimension)
	return err
}
