package report

import (
	"context"
	"html/template"
	"sort"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/metricdata"
)

// Data is a report computed for a range: every widget's numbers. The page,
// the CSV and the PDF are drawn from it and nothing else.
type Data struct {
	Report      Report              `json:"report"`
	From        string              `json:"from"`
	To          string              `json:"to"`
	Range       string              `json:"range" doc:"The preset the range came from, or custom"`
	Comparison  string              `json:"comparison"`
	CompareFrom string              `json:"compare_from,omitempty"`
	CompareTo   string              `json:"compare_to,omitempty"`
	Metrics     []metricdata.Metric `json:"metrics" doc:"The catalogue entries of the metrics the widgets use"`
	Widgets     []WidgetData        `json:"widgets"`
	// HasData is false when no widget found a single point in the range.
	HasData bool `json:"has_data"`
	// enc is the JSON of a computed Data, made once and shared by every
	// request the cache answers (encode.go).
	enc *encoded
}

// WidgetData is one widget computed.
type WidgetData struct {
	Kind  string `json:"kind"`
	Title string `json:"title"`
	// Tile: the metric's total over the range, over the comparison range,
	// and the change in percent (null when there is nothing to compare).
	Tile *Tile `json:"tile,omitempty"`
	// Line and bar charts: one series per metric, a value per bucket.
	Series []metricdata.Series `json:"series,omitempty"`
	// Tables: columns (the metrics) and rows (a date or a dimension value).
	Granularity string   `json:"granularity,omitempty"`
	By          string   `json:"by,omitempty"`
	Columns     []string `json:"columns,omitempty"`
	Rows        []Row    `json:"rows,omitempty"`
	// Text: the text rendered as safe HTML.
	HTML template.HTML `json:"html,omitempty"`
}

// Tile is a tile's numbers.
type Tile struct {
	Metric   string   `json:"metric"`
	Value    *float64 `json:"value"`
	Previous *float64 `json:"previous"`
	Change   *float64 `json:"change" doc:"Percent change against the comparison range"`
}

// Row is one row of a table.
type Row struct {
	Label  string     `json:"label"`
	Other  bool       `json:"other,omitempty" doc:"The dimension values past the top N, combined"`
	Values []*float64 `json:"values"`
}

// Span is a resolved range and its comparison range (zero when none).
type Span struct {
	Range, Compare metricdata.Range
	Preset         string
	HasCompare     bool
}

// Resolve turns from/to (both, or neither for the report's default range,
// computed from today in the agency's time zone) and a comparison into days.
func Resolve(today time.Time, preset, comparison, from, to string) (Span, error) {
	var sp Span
	switch {
	case from == "" && to == "":
		sp.Range, sp.Preset = PresetRange(today, preset), preset
	case from == "" || to == "":
		return sp, errs.InvalidField("from", "Give both from and to, or neither for the report's default range.")
	default:
		r, err := metricdata.ParseRange(from, to)
		if err != nil {
			return sp, err
		}
		sp.Range, sp.Preset = r, "custom"
	}
	n := sp.Range.Days()
	switch comparison {
	case "previous_period":
		sp.Compare = metricdata.Range{From: sp.Range.From.AddDate(0, 0, -n), To: sp.Range.From.AddDate(0, 0, -1)}
		sp.HasCompare = true
	case "previous_year":
		sp.Compare = metricdata.Range{From: sp.Range.From.AddDate(-1, 0, 0), To: sp.Range.To.AddDate(-1, 0, 0)}
		sp.HasCompare = true
	}
	return sp, nil
}

// PresetRange is a default range ending today (days, both ends included).
func PresetRange(today time.Time, preset string) metricdata.Range {
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	switch preset {
	case "last_7_days":
		return metricdata.Range{From: today.AddDate(0, 0, -6), To: today}
	case "last_90_days":
		return metricdata.Range{From: today.AddDate(0, 0, -89), To: today}
	case "this_month":
		return metricdata.Range{From: first, To: today}
	case "last_month":
		return metricdata.Range{From: first.AddDate(0, -1, 0), To: first.AddDate(0, 0, -1)}
	case "this_year":
		return metricdata.Range{From: time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC), To: today}
	case "last_12_months":
		return metricdata.Range{From: today.AddDate(-1, 0, 1), To: today}
	}
	return metricdata.Range{From: today.AddDate(0, 0, -29), To: today}
}

// Data computes a report for from–to (both empty: its default range).
func (s *Service) Data(ctx context.Context, rel authz.Relation, reportID, from, to string) (Data, error) {
	return s.DataFor(ctx, rel, reportID, "", from, to)
}

// DataFor is Data for a preset range ending today (the page's range
// picker) when preset is not empty, else for from–to.
func (s *Service) DataFor(ctx context.Context, rel authz.Relation, reportID, preset, from, to string) (Data, error) {
	if preset != "" && !oneOf(preset, Ranges) {
		return Data{}, errs.InvalidField("range", "Choose one of %s.", strings.Join(Ranges, ", "))
	}
	if err := authz.OnBrand(rel, rel.BrandID, authz.BrandDataRead); err != nil {
		return Data{}, err
	}
	rr, err := sharedRow(ctx, s.db, rel, reportID)
	if err != nil {
		return Data{}, err
	}
	today, err := s.data.Today(ctx, rel.BrandAgency())
	if err != nil {
		return Data{}, err
	}
	def := rr.DefaultRange
	if preset != "" {
		def, from, to = preset, "", ""
	}
	sp, err := Resolve(today, def, rr.Comparison, from, to)
	if err != nil {
		return Data{}, err
	}
	// The brand's data version is read before computing: a push committed
	// meanwhile makes a newer version, so this result is never kept under
	// a version it does not reflect.
	version, err := s.data.Version(ctx, rel.BrandID)
	if err != nil {
		return Data{}, err
	}
	key := cacheKey(rr, sp, version)
	if d, ok := s.computed.get(key); ok {
		return d, nil
	}
	r, err := rr.report()
	if err != nil {
		return Data{}, err
	}
	d, err := s.compute(ctx, r, sp)
	if err == nil {
		d.enc = &encoded{}
		s.computed.put(key, d)
	}
	return d, err
}

func (s *Service) compute(ctx context.Context, r Report, sp Span) (Data, error) {
	d := Data{Report: r, From: day(sp.Range.From), To: day(sp.Range.To), Range: sp.Preset, Comparison: r.Comparison,
		Metrics: []metricdata.Metric{}, Widgets: make([]WidgetData, 0, len(r.Widgets))}
	if sp.HasCompare {
		d.CompareFrom, d.CompareTo = day(sp.Compare.From), day(sp.Compare.To)
	}
	cat, err := s.data.Catalogue(ctx, r.BrandID)
	if err != nil {
		return d, err
	}
	// Every metric of the total line, read once over both ranges.
	var names []string
	seen := map[string]bool{}
	for _, w := range r.Widgets {
		for _, m := range w.Metrics {
			if !seen[m] {
				seen[m] = true
				names = append(names, m)
				d.Metrics = append(d.Metrics, metricdata.Info(cat, m))
			}
		}
	}
	span := sp.Range
	if sp.HasCompare && sp.Compare.From.Before(span.From) {
		span.From = sp.Compare.From
	}
	total := map[string][]metricdata.DayValue{}
	if len(names) > 0 {
		if total, err = s.data.Daily(ctx, r.BrandID, names, "", span); err != nil {
			return d, err
		}
	}
	cur := func(m string) []metricdata.DayValue { return within(total[m], sp.Range) }
	for _, w := range r.Widgets {
		wd := WidgetData{Kind: w.Kind, Title: w.Title}
		switch w.Kind {
		case "text":
			wd.HTML = branding.RenderWelcome(w.Text)
		case "tile":
			m := w.Metrics[0]
			agg := metricdata.Info(cat, m).Aggregation
			t := &Tile{Metric: m, Value: metricdata.Aggregate(agg, cur(m))}
			if sp.HasCompare {
				t.Previous = metricdata.Aggregate(agg, within(total[m], sp.Compare))
				t.Change = change(t.Value, t.Previous)
			}
			d.HasData = d.HasData || t.Value != nil
			wd.Tile = t
		case "line", "bar":
			wd.Granularity = w.Granularity
			for _, m := range w.Metrics {
				days := cur(m)
				d.HasData = d.HasData || len(days) > 0
				wd.Series = append(wd.Series, metricdata.Series{Metric: m,
					Points: metricdata.Bucketize(days, sp.Range, w.Granularity, metricdata.Info(cat, m).Aggregation)})
			}
		case "table":
			wd.By, wd.Columns = w.By, w.Metrics
			if w.By == "dimension" {
				if err := s.byDimension(ctx, r.BrandID, cat, w, sp.Range, &wd); err != nil {
					return d, err
				}
			} else {
				wd.Granularity = w.Granularity
				byDate(cat, w, sp.Range, cur, &wd)
			}
			d.HasData = d.HasData || len(wd.Rows) > 0
		}
		d.Widgets = append(d.Widgets, wd)
	}
	return d, nil
}

// byDate fills a table with a row per bucket that has data.
func byDate(cat map[string]metricdata.Metric, w Widget, r metricdata.Range, cur func(string) []metricdata.DayValue, wd *WidgetData) {
	cols := make([][]metricdata.Value, len(w.Metrics))
	for j, m := range w.Metrics {
		cols[j] = metricdata.Bucketize(cur(m), r, w.Granularity, metricdata.Info(cat, m).Aggregation)
	}
	if len(cols) == 0 {
		return
	}
	for i := range cols[0] {
		row := Row{Label: cols[0][i].Date, Values: make([]*float64, len(cols))}
		any := false
		for j := range cols {
			row.Values[j] = cols[j][i].Value
			any = any || row.Values[j] != nil
		}
		if any {
			wd.Rows = append(wd.Rows, row)
		}
	}
}

// byDimension fills a table with a row per dimension value, ranked by the
// first metric (largest first), the top N and the rest combined as Other by
// each metric's rule (sums summed, averages averaged over the rest's days,
// a last value summed across the rest).
func (s *Service) byDimension(ctx context.Context, brandID string, cat map[string]metricdata.Metric, w Widget, r metricdata.Range, wd *WidgetData) error {
	per := make([]map[string]metricdata.Agg, len(w.Metrics))
	dims := map[string]bool{}
	for j, m := range w.Metrics {
		v, err := s.data.ByDimension(ctx, brandID, m, r)
		if err != nil {
			return err
		}
		per[j] = v
		for k := range v {
			dims[k] = true
		}
	}
	type ranked struct {
		row  Row
		rank float64
	}
	var all []ranked
	for k := range dims {
		row := Row{Label: k, Values: make([]*float64, len(w.Metrics))}
		for j, m := range w.Metrics {
			row.Values[j] = per[j][k].Value(metricdata.Info(cat, m).Aggregation)
		}
		rk := -1e308
		if row.Values[0] != nil {
			rk = *row.Values[0]
		}
		all = append(all, ranked{row, rk})
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].rank != all[b].rank {
			return all[a].rank > all[b].rank
		}
		return all[a].row.Label < all[b].row.Label
	})
	for i := 0; i < len(all) && i < w.Top; i++ {
		wd.Rows = append(wd.Rows, all[i].row)
	}
	if len(all) > w.Top {
		other := Row{Label: "Other", Other: true, Values: make([]*float64, len(w.Metrics))}
		for j, m := range w.Metrics {
			agg := metricdata.Info(cat, m).Aggregation
			var rest metricdata.Agg
			for _, x := range all[w.Top:] {
				a := per[j][x.row.Label]
				if agg == "last" {
					// Each value's latest day, summed across the rest.
					if a.Days > 0 {
						rest.Sum += a.Last
						rest.Days++
					}
					continue
				}
				rest.Sum += a.Sum
				rest.Days += a.Days
			}
			if agg == "last" {
				agg = "sum"
			}
			other.Values[j] = rest.Value(agg)
		}
		wd.Rows = append(wd.Rows, other)
	}
	return nil
}

// within is the days of a series (in day order) inside r.
func within(days []metricdata.DayValue, r metricdata.Range) []metricdata.DayValue {
	from, to := metricdata.DayNumber(r.From), metricdata.DayNumber(r.To)
	i := sort.Search(len(days), func(i int) bool { return days[i].Day >= from })
	j := sort.Search(len(days), func(i int) bool { return days[i].Day > to })
	return days[i:j]
}

// change is the percent change from prev to cur; nil when either is
// missing or prev is zero.
func change(cur, prev *float64) *float64 {
	if cur == nil || prev == nil || *prev == 0 {
		return nil
	}
	c := (*cur - *prev) / abs(*prev) * 100
	return &c
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func day(t time.Time) string { return t.Format(time.DateOnly) }
