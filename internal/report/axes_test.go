package report

import (
	"math"
	"testing"

	"github.com/liaison-dev/liaison/internal/metricdata"
)

// series is a widget's series of one metric with these values (nil: no
// data that day).
func series(metric string, vs ...*float64) metricdata.Series {
	s := metricdata.Series{Metric: metric}
	for _, v := range vs {
		s.Points = append(s.Points, metricdata.Value{Value: v})
	}
	return s
}

func f(v float64) *float64 { return &v }

// TestChartAxes: series in the first one's unit share the left axis, any
// other unit goes on the right, each axis scaled from zero to nice bounds
// of its own series; a right axis of several units is labelled as plain
// numbers; no bound is -0.
func TestChartAxes(t *testing.T) {
	units := map[string]metricdata.Metric{
		"sessions": {Name: "sessions", Unit: "count"}, "visits": {Name: "visits", Unit: "count"},
		"revenue": {Name: "revenue", Unit: "currency", Currency: "EUR"}, "refunds": {Name: "refunds", Unit: "currency", Currency: "USD"},
		"conversion": {Name: "conversion", Unit: "percent"},
	}
	axisOf, axes := ChartAxes(WidgetData{Kind: "bar", Series: []metricdata.Series{
		series("sessions", f(3200), nil, f(4000)), series("visits", f(100), f(-30), nil)}}, units)
	if len(axes) != 1 || axisOf[0] != 0 || axisOf[1] != 0 || axes[0].Max != 5000 || axes[0].Min != -50 || axes[0].Metric.Name != "sessions" {
		t.Errorf("one unit: %v %+v", axisOf, axes)
	}
	axisOf, axes = ChartAxes(WidgetData{Kind: "bar", Series: []metricdata.Series{
		series("sessions", f(3200), f(4000)), series("revenue", f(4_200_000), f(2_100_000)), series("visits", f(7000), nil)}}, units)
	if len(axes) != 2 || axisOf[0] != 0 || axisOf[1] != 1 || axisOf[2] != 0 ||
		axes[0].Max != 10000 || axes[1].Max != 5_000_000 || axes[1].Metric.Name != "revenue" {
		t.Errorf("a count and a currency: %v %+v", axisOf, axes)
	}
	axisOf, axes = ChartAxes(WidgetData{Kind: "line", Series: []metricdata.Series{
		series("conversion", f(2.5)), series("revenue", f(100)), series("refunds", f(10))}}, units)
	if len(axes) != 2 || axisOf[1] != 1 || axisOf[2] != 1 || axes[1].Metric.Unit != "count" || axes[1].Metric.Currency != "" {
		t.Errorf("two currencies on the right: %v %+v", axisOf, axes)
	}
	_, axes = ChartAxes(WidgetData{Kind: "line", Series: []metricdata.Series{series("sessions", f(0), nil)}}, units)
	if axes[0].Min != 0 || math.Signbit(axes[0].Min) || axes[0].Max != 1 {
		t.Errorf("nothing but zero: %+v (sign bit of the minimum %v)", axes, math.Signbit(axes[0].Min))
	}
}

// TestAxisLabel: short labels in the metric's unit, and never "-0".
func TestAxisLabel(t *testing.T) {
	count, pct, eur := metricdata.Metric{Unit: "count"}, metricdata.Metric{Unit: "percent"}, metricdata.Metric{Unit: "currency", Currency: "EUR"}
	for _, c := range []struct {
		m    metricdata.Metric
		v    float64
		want string
	}{
		{count, math.Copysign(0, -1), "0"}, {pct, math.Copysign(0, -1), "0%"}, {count, -0.04, "0"}, {count, -0.5, "-0.5"},
		{count, 1500, "1.5k"}, {count, 2_500_000, "2.5M"}, {pct, 2.5, "2.5%"}, {eur, 250_000_000, "2.5M"}, {eur, 150, "1.5"},
	} {
		if got := AxisLabel(c.m, c.v); got != c.want {
			t.Errorf("AxisLabel(%s, %v) = %q, want %q", c.m.Unit, c.v, got, c.want)
		}
	}
}
