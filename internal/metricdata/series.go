package metricdata

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Granularities of a series.
var Granularities = []string{"day", "week", "month"}

// MaxRangeDays bounds a range (ten years and a little).
const MaxRangeDays = 3700

// Range is a span of days, both ends included.
type Range struct{ From, To time.Time }

// Days is the number of days in the range.
func (r Range) Days() int { return int(r.To.Sub(r.From).Hours()/24) + 1 }

// String is "from..to" as days.
func (r Range) String() string {
	return r.From.Format(time.DateOnly) + ".." + r.To.Format(time.DateOnly)
}

// ParseRange reads from/to query values: both days that exist, not
// backwards, at most MaxRangeDays long.
func ParseRange(from, to string) (Range, error) {
	f, ok := ParseDate(from)
	if !ok {
		return Range{}, errs.InvalidField("from", "%q is not a day that exists, as YYYY-MM-DD.", clip(from))
	}
	t, ok := ParseDate(to)
	if !ok {
		return Range{}, errs.InvalidField("to", "%q is not a day that exists, as YYYY-MM-DD.", clip(to))
	}
	if t.Before(f) {
		return Range{}, &errs.Error{Kind: errs.Invalid, Code: "invalid_range", Field: "from",
			Message: fmt.Sprintf("The range is backwards: from %s is after to %s.", from, to)}
	}
	r := Range{f, t}
	if r.Days() > MaxRangeDays {
		return Range{}, &errs.Error{Kind: errs.Invalid, Code: "invalid_range", Field: "from",
			Message: fmt.Sprintf("A range may cover at most %d days.", MaxRangeDays)}
	}
	return r, nil
}

// DayValue is one stored day of one series: its epoch day (days.go) and
// value. Where two series make one line (a brand's own points and a mapped
// item's), their values on a day are added.
type DayValue struct {
	Day   int32
	Value float64
}

// Value is one bucket of a series: its first day and its value by the
// metric's aggregation, null when no day of the bucket has data.
type Value struct {
	Date  string   `json:"date"`
	Value *float64 `json:"value"`
}

// Series is one metric over a range.
type Series struct {
	Metric    string  `json:"metric"`
	Dimension string  `json:"dimension"`
	Points    []Value `json:"points"`
}

// SeriesSet answers GET …/data.
type SeriesSet struct {
	From        string   `json:"from"`
	To          string   `json:"to"`
	Granularity string   `json:"granularity"`
	Dimension   string   `json:"dimension"`
	Metrics     []Metric `json:"metrics"`
	Series      []Series `json:"series"`
}

// SeriesQuery is what GET …/data asks: From/To empty means the last 30 days
// in the agency's time zone.
type SeriesQuery struct {
	Metrics     []string
	From, To    string
	Granularity string
	Dimension   string
}

// Read answers a series query for a brand (everyone who reads its data).
func (s *Service) Read(ctx context.Context, rel authz.Relation, brandID string, q SeriesQuery) (SeriesSet, error) {
	if err := authz.OnBrand(rel, brandID, authz.BrandDataRead); err != nil {
		return SeriesSet{}, err
	}
	if len(q.Metrics) == 0 {
		return SeriesSet{}, errs.InvalidField("metrics", "Name the metrics to read, e.g. metrics=sessions,revenue.")
	}
	if err := checkMetrics(q.Metrics, 20); err != nil {
		return SeriesSet{}, err
	}
	if q.Granularity == "" {
		q.Granularity = "day"
	}
	if !oneOf(q.Granularity, Granularities) {
		return SeriesSet{}, errs.InvalidField("granularity", "Choose day, week or month.")
	}
	if !ValidDimension(q.Dimension) {
		return SeriesSet{}, errs.InvalidField("dimension", "A dimension is at most %d characters of plain text.", MaxDimensionLen)
	}
	if q.From == "" && q.To == "" {
		today, err := s.Today(ctx, rel.BrandAgency())
		if err != nil {
			return SeriesSet{}, err
		}
		q.From, q.To = today.AddDate(0, 0, -29).Format(time.DateOnly), today.Format(time.DateOnly)
	}
	r, err := ParseRange(q.From, q.To)
	if err != nil {
		return SeriesSet{}, err
	}
	cat, err := s.Catalogue(ctx, brandID)
	if err != nil {
		return SeriesSet{}, err
	}
	days, err := s.Daily(ctx, brandID, q.Metrics, q.Dimension, r)
	if err != nil {
		return SeriesSet{}, err
	}
	out := SeriesSet{From: q.From, To: q.To, Granularity: q.Granularity, Dimension: q.Dimension, Metrics: []Metric{}, Series: []Series{}}
	for _, m := range q.Metrics {
		info := Info(cat, m)
		out.Metrics = append(out.Metrics, info)
		out.Series = append(out.Series, Series{Metric: m, Dimension: q.Dimension,
			Points: Bucketize(days[m], r, q.Granularity, info.Aggregation)})
	}
	return out, nil
}

// Info is a metric's catalogue entry, or the defaults for one never seen.
func Info(cat map[string]Metric, name string) Metric {
	if m, ok := cat[name]; ok {
		return m
	}
	m := Metric{Name: name, Unit: "count", Aggregation: "sum"}
	m.fill()
	return m
}

// Daily reads the stored days of metrics on one line (dimension, "" for the
// brand's total) in a range, by metric in day order. For other domain
// packages, which have checked access to the brand.
func (s *Service) Daily(ctx context.Context, brandID string, metrics []string, dimension string, r Range) (map[string][]DayValue, error) {
	series, err := s.seriesOf(ctx, brandID, metrics, &dimension)
	if err != nil || len(series) == 0 {
		return map[string][]DayValue{}, err
	}
	days, err := s.days(ctx, series, r)
	if err != nil {
		return nil, err
	}
	out := map[string][]DayValue{}
	for i, sr := range series {
		out[sr.Metric] = merge(out[sr.Metric], days[i])
	}
	return out, nil
}

// Agg is a series' days in a range reduced: their sum, how many, and the
// last day's value, enough for every aggregation rule (and for a table's
// "Other" row, which combines several).
type Agg struct {
	Sum  float64
	Days int
	Last float64
}

// Value is the aggregate by a rule; nil when there is no day.
func (a Agg) Value(agg string) *float64 {
	if a.Days == 0 {
		return nil
	}
	v := a.Sum
	switch agg {
	case "last":
		v = a.Last
	case "avg":
		v /= float64(a.Days)
	}
	return &v
}

// AggOf reduces days (in day order).
func AggOf(days []DayValue) Agg {
	a := Agg{Days: len(days)}
	for _, d := range days {
		a.Sum += d.Value
	}
	if len(days) > 0 {
		a.Last = days[len(days)-1].Value
	}
	return a
}

// ByDimension reduces a metric's days on every dimension value (the total
// line excluded) in a range, by dimension. The database does the reducing
// (a year of 50 dimensions is 18,250 rows that need not travel), except
// for a dimension made of several series, whose days are added up first.
func (s *Service) ByDimension(ctx context.Context, brandID, metric string, r Range) (map[string]Agg, error) {
	series, err := s.seriesOf(ctx, brandID, []string{metric}, nil)
	if err != nil {
		return nil, err
	}
	perDim := map[string][]int{}
	var single []int64
	for i, sr := range series {
		if sr.Dimension == "" {
			continue
		}
		perDim[sr.Dimension] = append(perDim[sr.Dimension], i)
	}
	var several []seriesRow
	dimOf := map[int64]string{}
	for dim, is := range perDim {
		if len(is) == 1 {
			single = append(single, series[is[0]].ID)
			dimOf[series[is[0]].ID] = dim
			continue
		}
		for _, i := range is {
			several = append(several, series[i])
		}
	}
	out := make(map[string]Agg, len(perDim))
	if len(single) > 0 {
		aggs, err := s.reduce(ctx, single, r)
		if err != nil {
			return nil, err
		}
		for id, a := range aggs {
			out[dimOf[id]] = a
		}
	}
	if len(several) > 0 {
		days, err := s.days(ctx, several, r)
		if err != nil {
			return nil, err
		}
		merged := map[string][]DayValue{}
		for i, sr := range several {
			merged[sr.Dimension] = merge(merged[sr.Dimension], days[i])
		}
		for dim, ds := range merged {
			if len(ds) > 0 {
				out[dim] = AggOf(ds)
			}
		}
	}
	return out, nil
}

// Aggregate combines days (in day order) by a rule: sum, avg (the mean of
// the days with data) or last (the latest day's value). Nil when there is
// no day.
func Aggregate(agg string, days []DayValue) *float64 {
	if len(days) == 0 {
		return nil
	}
	var v float64
	switch agg {
	case "last":
		v = days[len(days)-1].Value
	case "avg":
		for _, d := range days {
			v += d.Value
		}
		v /= float64(len(days))
	default:
		for _, d := range days {
			v += d.Value
		}
	}
	return &v
}

// BucketStart is the first day of the bucket holding day.
func BucketStart(day time.Time, granularity string) time.Time {
	switch granularity {
	case "week": // ISO weeks start on Monday
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case "month":
		return time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

// nextBucket is the first day of the bucket after the one starting at b.
func nextBucket(b time.Time, granularity string) time.Time {
	switch granularity {
	case "week":
		return b.AddDate(0, 0, 7)
	case "month":
		return b.AddDate(0, 1, 0)
	}
	return b.AddDate(0, 0, 1)
}

// Bucketize turns a series' stored days (in day order, within r) into one
// value per bucket of the range, every bucket present. A bucket cut by the
// range counts only the range's days; its date is its own first day.
func Bucketize(days []DayValue, r Range, granularity, agg string) []Value {
	var out []Value
	i := 0
	for b := BucketStart(r.From, granularity); !b.After(r.To); b = nextBucket(b, granularity) {
		end := DayNumber(nextBucket(b, granularity))
		j := i
		for j < len(days) && days[j].Day < end {
			j++
		}
		out = append(out, Value{Date: b.Format(time.DateOnly), Value: Aggregate(agg, days[i:j])})
		i = j
	}
	return out
}
