package metricdata

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clientlist/due"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Units and aggregations of the catalogue (SPEC §12).
var (
	Units        = []string{"count", "currency", "percent", "seconds"}
	Aggregations = []string{"sum", "avg", "last"}
)

// Metric is one entry of a brand's catalogue: what agency users set, and
// what the points say (first and last day, count).
type Metric struct {
	Name        string  `db:"metric" json:"name"`
	Label       string  `db:"label" json:"label" doc:"Shown in reports; the name when unset"`
	Unit        string  `db:"unit" json:"unit" enum:"count,currency,percent,seconds"`
	Currency    string  `db:"currency" json:"currency,omitempty" doc:"ISO 4217 code of a currency metric; values are in minor units"`
	Aggregation string  `db:"aggregation" json:"aggregation" enum:"sum,avg,last" doc:"How days add up over a period"`
	FirstDate   *string `db:"first_day" json:"first_date"`
	LastDate    *string `db:"last_day" json:"last_date"`
	Points      int     `db:"points" json:"points"`
}

func (m *Metric) fill() {
	if m.Label == "" {
		m.Label = m.Name
	}
	m.Aggregation = EffectiveAggregation(m.Unit, m.Aggregation)
}

// EffectiveAggregation is the rule a metric is aggregated by: a percent is
// never summed (its average instead).
func EffectiveAggregation(unit, agg string) string {
	if unit == "percent" && agg == "sum" {
		return "avg"
	}
	return agg
}

// Metrics lists a brand's catalogue by name, with each metric's first and
// last day and point count.
func (s *Service) Metrics(ctx context.Context, rel authz.Relation, brandID string) ([]Metric, error) {
	if err := authz.OnBrand(rel, brandID, authz.BrandDataRead); err != nil {
		return nil, err
	}
	type stat struct {
		Metric
		First sql.NullInt64 `db:"first"`
		Last  sql.NullInt64 `db:"last"`
	}
	var rows []stat
	// Per metric, its series' first and last day and count of days: index
	// probes and a range of each series' primary key.
	err := s.db.Select(ctx, &rows, `SELECT c.metric, c.label, c.unit, c.currency, c.aggregation,
		(SELECT MIN(d.day) FROM metric_days d WHERE d.series_id IN (`+metricSeries+`)) AS first,
		(SELECT MAX(d.day) FROM metric_days d WHERE d.series_id IN (`+metricSeries+`)) AS last,
		(SELECT COUNT(*) FROM metric_days d WHERE d.series_id IN (`+metricSeries+`)) AS points
		FROM metric_catalogue c WHERE c.brand_id = ? ORDER BY c.metric`, brandID)
	out := make([]Metric, 0, len(rows))
	for _, r := range rows {
		m := r.Metric
		if r.First.Valid {
			f, l := DayString(int32(r.First.Int64)), DayString(int32(r.Last.Int64))
			m.FirstDate, m.LastDate = &f, &l
		}
		m.fill()
		out = append(out, m)
	}
	return out, err
}

// Catalogue returns the settings of a brand's metrics by name, without the
// point statistics (for report computations, which check access first). A
// metric not in the catalogue is absent.
func (s *Service) Catalogue(ctx context.Context, brandID string) (map[string]Metric, error) {
	var rows []Metric
	if err := s.db.Select(ctx, &rows, `SELECT metric, label, unit, currency, aggregation, 0 AS points
		FROM metric_catalogue WHERE brand_id = ?`, brandID); err != nil {
		return nil, err
	}
	out := make(map[string]Metric, len(rows))
	for _, m := range rows {
		m.fill()
		out[m.Name] = m
	}
	return out, nil
}

// MetricUpdate changes some of a metric's settings: nil keeps the value.
type MetricUpdate struct {
	Label, Unit, Currency, Aggregation *string
}

// PutMetric sets a metric's label, unit and aggregation (agency users who
// may push data). A metric not seen yet is added to the catalogue, so a
// brand can be prepared before its first push. A percent metric is never
// summed: asking for sum is a 400, and turning a summed metric into a
// percent makes it an average.
func (s *Service) PutMetric(ctx context.Context, a *authz.Actor, rel authz.Relation, brandID, name string, u MetricUpdate) (Metric, error) {
	if err := authz.OnBrand(rel, brandID, authz.BrandDataWrite); err != nil {
		return Metric{}, err
	}
	if !ValidMetricName(name) {
		return Metric{}, errs.InvalidField("name", "%q is not a metric name: a lower-case letter, then up to 63 of a-z, 0-9, _ and .", clip(name))
	}
	var out Metric
	now := s.now()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		cur := Metric{Name: name, Unit: "count", Aggregation: "sum"}
		err := tx.Get(ctx, &cur, `SELECT metric, label, unit, currency, aggregation, 0 AS points FROM metric_catalogue
			WHERE brand_id = ? AND metric = ?`, brandID, name)
		if err != nil && !errors.Is(err, db.ErrNoRows) {
			return err
		}
		before := cur
		next, err := apply(cur, u)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO metric_catalogue (brand_id, metric, label, unit, currency, aggregation, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (brand_id, metric) DO UPDATE SET label = excluded.label, unit = excluded.unit,
			currency = excluded.currency, aggregation = excluded.aggregation, updated_at = excluded.updated_at`,
			brandID, name, next.Label, next.Unit, next.Currency, next.Aggregation, now, now); err != nil {
			return err
		}
		out = next
		if err := bump(ctx, tx, brandID); err != nil {
			return err
		}
		if err := due.MarkHeadline(ctx, tx, brandID, []string{name}); err != nil { // the client list's headline metrics
			return err
		}
		b, n := settingsOf(before), settingsOf(next)
		b["metric"], n["metric"] = name, name
		return recordBA(ctx, tx, a, rel.BrandAgency(), now, "metric.update", brandID, b, n)
	})
	if err != nil {
		return Metric{}, err
	}
	ms, err := s.Metrics(ctx, rel, brandID)
	for _, m := range ms {
		if m.Name == name {
			return m, err
		}
	}
	out.fill()
	return out, err
}

func settingsOf(m Metric) map[string]any {
	return map[string]any{"label": m.Label, "unit": m.Unit, "currency": m.Currency, "aggregation": m.Aggregation}
}

// apply validates an update as a whole against the current settings.
func apply(m Metric, u MetricUpdate) (Metric, error) {
	if u.Label != nil {
		l := strings.TrimSpace(*u.Label)
		if !utf8.ValidString(l) || utf8.RuneCountInString(l) > 100 || strings.IndexFunc(l, unicode.IsControl) >= 0 {
			return m, errs.InvalidField("label", "Use at most 100 characters of plain text.")
		}
		m.Label = l
	}
	unitChanged := false
	if u.Unit != nil {
		if !oneOf(*u.Unit, Units) {
			return m, errs.InvalidField("unit", "Choose count, currency, percent or seconds.")
		}
		unitChanged = m.Unit != *u.Unit
		m.Unit = *u.Unit
	}
	if u.Currency != nil {
		m.Currency = strings.TrimSpace(*u.Currency)
	}
	if m.Unit != "currency" {
		if u.Currency != nil && m.Currency != "" {
			return m, errs.InvalidField("currency", "Only a currency metric has a currency.")
		}
		m.Currency = ""
	} else if !isCurrencyCode(m.Currency) {
		return m, errs.InvalidField("currency", "Give the 3-letter ISO 4217 code in capitals, e.g. EUR or USD.")
	}
	if u.Aggregation != nil {
		if !oneOf(*u.Aggregation, Aggregations) {
			return m, errs.InvalidField("aggregation", "Choose sum, avg or last.")
		}
		m.Aggregation = *u.Aggregation
	}
	if m.Unit == "percent" && m.Aggregation == "sum" {
		if u.Aggregation != nil && *u.Aggregation == "sum" {
			return m, &errs.Error{Kind: errs.Invalid, Code: "percent_not_summed", Field: "aggregation",
				Message: "A percent is never summed: choose avg or last."}
		}
		if unitChanged || u.Aggregation == nil {
			m.Aggregation = "avg"
		}
	}
	return m, nil
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func oneOf(s string, list []string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
