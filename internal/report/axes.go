package report

import (
	"math"
	"strconv"

	"github.com/liaison-dev/liaison/internal/metricdata"
)

// The axes of a line or bar chart, for the page and the PDF alike. Series
// measured in the unit of the first (a count, a percentage, one currency,
// seconds) share the left axis; series in another unit go on a right axis
// of their own. On one axis, revenue in cents drowned a count of sessions
// (its bars a pixel high) and was labelled in sessions.

// Axis is the scale of one side of a chart: from Min to Max (nice bounds,
// zero included), labelled in Metric's unit.
type Axis struct {
	Min, Max float64
	Metric   metricdata.Metric
}

// Ticks are the values an axis labels, with a grid line each: its bounds
// and the middle.
func (a Axis) Ticks() [3]float64 {
	return [3]float64{a.Min, (a.Min + a.Max) / 2, a.Max}
}

// ChartAxes gives each of a widget's series its axis (0 left, 1 right) and
// the axes' scales: one axis when every series has the first one's unit,
// else two. The right axis is labelled in its first series' unit, or as
// plain numbers when its series have different units.
func ChartAxes(wd WidgetData, units map[string]metricdata.Metric) (axisOf []int, axes []Axis) {
	if len(wd.Series) == 0 {
		return nil, nil
	}
	unitOf := func(m metricdata.Metric) string { return m.Unit + " " + m.Currency }
	first := units[wd.Series[0].Metric]
	axisOf = make([]int, len(wd.Series))
	axes = []Axis{{Metric: first}}
	for k, s := range wd.Series {
		m := units[s.Metric]
		if unitOf(m) == unitOf(first) {
			continue
		}
		axisOf[k] = 1
		switch {
		case len(axes) == 1:
			axes = append(axes, Axis{Metric: m})
		case unitOf(axes[1].Metric) != unitOf(m):
			axes[1].Metric = metricdata.Metric{Unit: "count"}
		}
	}
	top, low := make([]float64, len(axes)), make([]float64, len(axes))
	for k, s := range wd.Series {
		for _, p := range s.Points {
			if p.Value != nil {
				a := axisOf[k]
				top[a], low[a] = math.Max(top[a], *p.Value), math.Min(low[a], *p.Value)
			}
		}
	}
	for a := range axes {
		axes[a].Max = NiceCeil(top[a])
		if low[a] < 0 {
			axes[a].Min = -NiceCeil(-low[a])
		}
		if axes[a].Max == axes[a].Min {
			axes[a].Max = 1
		}
	}
	return axisOf, axes
}

// NiceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten (0 for
// v ≤ 0).
func NiceCeil(v float64) float64 {
	if v <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// AxisLabel is a value on an axis, short: 12k, 1.5M, 2.5%, a currency in
// its major unit without its code (the legend names the metric).
func AxisLabel(m metricdata.Metric, v float64) string {
	if m.Unit == "currency" {
		v /= 100
	}
	a := math.Abs(v)
	s := ""
	switch {
	case a >= 1e6:
		s = strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case a >= 1e3:
		s = strconv.FormatFloat(math.Round(v/100)/10, 'f', -1, 64) + "k"
	default:
		// + 0 turns a rounded -0 (of -0.04, or a zero computed as -0)
		// into 0: "-0" on an axis reads as a value below zero.
		s = strconv.FormatFloat(math.Round(v*10)/10+0, 'f', -1, 64)
	}
	if m.Unit == "percent" {
		s += "%"
	}
	return s
}
