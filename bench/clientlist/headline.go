package main

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/clientlist/due"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/metricdata"
)

// seedHeadline names three headline metrics for the agency (SPEC §12) and
// gives each of its brands a point a day of each for this month so far, so
// that the list's rows carry headline values (issue 16: the list with
// headline metrics keeps its figures). The rows are computed by the
// server's refresh of due rows when it first reads them, as after a push.
func seedHeadline(ctx context.Context, d *db.DB, agencyID string, now time.Time) error {
	return d.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO agency_settings (agency_id, headline_metrics, updated_at) VALUES (?, '["sessions","revenue","conv_rate"]', ?)
			ON CONFLICT (agency_id) DO UPDATE SET headline_metrics = excluded.headline_metrics`, agencyID, now); err != nil {
			return err
		}
		var brands []string
		if err := tx.Select(ctx, &brands, `SELECT id FROM brands WHERE agency_id = ?`, agencyID); err != nil {
			return err
		}
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		for i, b := range brands {
			for _, m := range []string{"sessions", "revenue", "conv_rate"} {
				if _, err := tx.Exec(ctx, `INSERT INTO metric_series (brand_id, metric, dimension) VALUES (?, ?, '')`, b, m); err != nil {
					return err
				}
				for day := first; !day.After(now); day = day.AddDate(0, 0, 1) {
					if _, err := tx.Exec(ctx, `INSERT INTO metric_days (series_id, day, value)
						SELECT id, ?, ? FROM metric_series WHERE brand_id = ? AND metric = ? AND dimension = ''`,
						metricdata.DayNumber(day), float64(100+i%50+day.Day()), b, m); err != nil {
						return err
					}
				}
			}
		}
		return due.MarkAgency(ctx, tx, agencyID)
	})
}
