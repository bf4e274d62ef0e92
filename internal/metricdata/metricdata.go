// Package metricdata holds the metric data of brands (SPEC §12 "Metric
// data"): points pushed in batches (validated whole, upserted on brand,
// metric, dimension and day), each brand's metric catalogue (label, unit,
// aggregation), and series read back aggregated by each metric's rule. It
// owns the tables metric_points and metric_catalogue (migration 00014).
//
// Every function that serves a request takes the authz.Relation that
// CheckBrand decided for the brand; a relation for anything else finds
// nothing. Reads for other domain packages (internal/report), which check
// access themselves, take the brand ID (Reader).
package metricdata

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clientlist/due"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Service is the metric data of brands.
type Service struct {
	db  *db.DB
	now func() time.Time
}

// New returns the service.
func New(d *db.DB, now func() time.Time) *Service { return &Service{db: d, now: now} }

// PushResult answers a push: points received, rows inserted and updated
// (a point repeated in the batch counts once, as its last value).
type PushResult struct {
	Received int `json:"received"`
	Inserted int `json:"inserted"`
	Updated  int `json:"updated"`
}

// Push decodes, validates and stores a batch (the raw request body). The
// whole batch is checked before anything is written; then, in one
// transaction, the catalogue learns new metrics, the points are upserted by
// prepared multi-row statements and the push is audited with its counts.
func (s *Service) Push(ctx context.Context, a *authz.Actor, rel authz.Relation, brandID string, body []byte) (PushResult, error) {
	if err := authz.OnBrand(rel, brandID, authz.BrandDataWrite); err != nil {
		return PushResult{}, err
	}
	b, err := decode(body, false)
	if err != nil {
		return PushResult{}, err
	}
	res := PushResult{Received: b.received}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		metrics := b.metricNames()
		if err := learn(ctx, tx, brandID, metrics, now); err != nil {
			return err
		}
		ins, err := store(ctx, tx, Owner{BrandID: brandID}, b)
		if err != nil {
			return err
		}
		res.Inserted, res.Updated = ins, len(b.points)-ins
		if err := due.MarkHeadline(ctx, tx, brandID, metrics); err != nil { // the client list's headline metrics
			return err
		}
		return record(ctx, tx, a, rel.BrandAgency(), now, "metric_data.push", brandID, map[string]any{
			"received": res.Received, "inserted": res.Inserted, "updated": res.Updated, "metrics": metrics})
	})
	return res, err
}

func (b *batch) metricNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range b.series {
		if !seen[k.metric] {
			seen[k.metric] = true
			out = append(out, k.metric)
		}
	}
	return out
}

// learn adds the metrics a brand has not seen to its catalogue, with the
// defaults (count, sum).
func learn(ctx context.Context, tx *db.Tx, brandID string, metrics []string, now time.Time) error {
	for _, m := range metrics {
		if _, err := tx.Exec(ctx, `INSERT INTO metric_catalogue (brand_id, metric, created_at, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (brand_id, metric) DO NOTHING`, brandID, m, now, now); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes a range of a brand's data: the named metrics, every
// dimension, days from–to (either may be empty: no bound). Admins and
// account managers (SPEC §12); audited with the count.
func (s *Service) Delete(ctx context.Context, a *authz.Actor, rel authz.Relation, brandID string, metrics []string, from, to string) (int64, error) {
	if err := authz.OnBrand(rel, brandID, authz.BrandDataDelete); err != nil {
		return 0, err
	}
	if len(metrics) == 0 {
		return 0, errs.InvalidField("metrics", "Name the metrics to delete, e.g. metrics=sessions,revenue.")
	}
	if err := checkMetrics(metrics, 100); err != nil {
		return 0, err
	}
	if err := checkBounds(from, to); err != nil {
		return 0, err
	}
	q, args, err := db.In(`DELETE FROM metric_days WHERE series_id IN (SELECT id FROM metric_series WHERE brand_id = ? AND metric IN (?))`, brandID, metrics)
	if err != nil {
		return 0, err
	}
	if f, ok := ParseDate(from); ok {
		q, args = q+` AND day >= ?`, append(args, DayNumber(f))
	}
	if t, ok := ParseDate(to); ok {
		q, args = q+` AND day <= ?`, append(args, DayNumber(t))
	}
	var n int64
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		r, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		n, _ = r.RowsAffected()
		if err := bump(ctx, tx, brandID); err != nil {
			return err
		}
		if err := due.MarkHeadline(ctx, tx, brandID, metrics); err != nil { // the client list's headline metrics
			return err
		}
		return record(ctx, tx, a, rel.BrandAgency(), now, "metric_data.delete", brandID, map[string]any{
			"metrics": metrics, "from": from, "to": to, "deleted": n})
	})
	return n, err
}

func checkMetrics(metrics []string, most int) error {
	if len(metrics) > most {
		return errs.InvalidField("metrics", "Name at most %d metrics.", most)
	}
	for _, m := range metrics {
		if !ValidMetricName(m) {
			return errs.InvalidField("metrics", "%q is not a metric name: a lower-case letter, then up to 63 of a-z, 0-9, _ and .", clip(m))
		}
	}
	return nil
}

// checkBounds checks optional from/to days: each a day that exists, and not
// backwards.
func checkBounds(from, to string) error {
	if _, ok := ParseDate(from); from != "" && !ok {
		return errs.InvalidField("from", "%q is not a day that exists, as YYYY-MM-DD.", clip(from))
	}
	if _, ok := ParseDate(to); to != "" && !ok {
		return errs.InvalidField("to", "%q is not a day that exists, as YYYY-MM-DD.", clip(to))
	}
	if from != "" && to != "" && from > to {
		return &errs.Error{Kind: errs.Invalid, Code: "invalid_range", Field: "from",
			Message: fmt.Sprintf("The range is backwards: from %s is after to %s.", from, to)}
	}
	return nil
}

func record(ctx context.Context, tx *db.Tx, a *authz.Actor, agencyID string, now time.Time, action, target string, after any) error {
	return recordBA(ctx, tx, a, agencyID, now, action, target, nil, after)
}

func recordBA(ctx context.Context, tx *db.Tx, a *authz.Actor, agencyID string, now time.Time, action, target string, before, after any) error {
	return audit.AppendAs(ctx, tx, now, a, audit.Entry{AccountID: agencyID, Action: action, TargetID: target, Before: before, After: after})
}

// Today is the day it is now in the brand's agency's time zone.
func (s *Service) Today(ctx context.Context, agencyID string) (time.Time, error) {
	loc, err := s.Location(ctx, agencyID)
	if err != nil {
		return time.Time{}, err
	}
	n := s.now().In(loc)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC), nil
}

// Location is the agency's time zone (agency settings), UTC when unset.
func (s *Service) Location(ctx context.Context, agencyID string) (*time.Location, error) {
	set, err := agency.Settings(ctx, s.db, agencyID)
	if err != nil {
		return nil, err
	}
	loc, err := set.Location()
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}
