package web

import (
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/metricdata"
	"github.com/liaison-dev/liaison/internal/report"
)

// A report's page is drawn from report.Data alone (the computation the CSV
// and the PDF use too): tiles with their change in words, charts laid out
// here as inline SVG (axes, legend, a <title> tooltip on every point or bar,
// an aria-label summary) with the table of their numbers beside them, and
// tables. No script, no inline style: colours are app.css classes.

type reportView struct {
	Data        report.Data
	Tiles       []tileView
	Blocks      []blockView
	RangeLabel  string
	CompareText string
	Presets     []presetLink
	Empty       bool
}

type tileView struct {
	Label, Value, Change, Words, Class string
}

type presetLink struct {
	Label, URL string
	Current    bool
}

type blockView struct {
	Kind, Title string
	Chart       *seriesChart
	Table       *tableView
	HTML        template.HTML
}

type tableView struct {
	Head []string
	Rows [][]string
}

type seriesChart struct {
	Summary string
	Bar     bool
	GridR   string // where the grid lines end: before the right axis's labels, if it has one
	Lines   []chartSeries
	YTicks  []chartTick
	XTicks  []chartTick
	Grid    []chartRule
	Legend  []legendItem
}

type chartSeries struct {
	Class  string
	Points string
	Dots   []chartDot
	Bars   []chartBar
}

type chartDot struct{ X, Y, Title string }

type legendItem struct{ Class, Label string }

var presetLabels = map[string]string{"last_7_days": "Last 7 days", "last_30_days": "Last 30 days", "last_90_days": "Last 90 days",
	"this_month": "This month", "last_month": "Last month", "this_year": "This year", "last_12_months": "Last 12 months"}

// buildReportView lays out a computed report; base is the page's URL
// without query, for the range presets.
func buildReportView(d report.Data, base string) reportView {
	v := reportView{Data: d, Empty: !d.HasData}
	units := map[string]metricdata.Metric{}
	for _, m := range d.Metrics {
		units[m.Name] = m
	}
	label := func(m string) string {
		if u, ok := units[m]; ok {
			return u.Label
		}
		return m
	}
	v.RangeLabel = rangeText(d.From, d.To)
	if l, ok := presetLabels[d.Range]; ok {
		v.RangeLabel = l + " (" + v.RangeLabel + ")"
	}
	switch d.Comparison {
	case "previous_period":
		v.CompareText = "vs previous " + strconv.Itoa(daysBetween(d.From, d.To)) + " days"
	case "previous_year":
		v.CompareText = "vs the same days a year earlier"
	}
	for _, p := range report.Ranges {
		v.Presets = append(v.Presets, presetLink{Label: presetLabels[p], URL: base + "?range=" + p, Current: d.Range == p})
	}
	for _, w := range d.Widgets {
		switch w.Kind {
		case "tile":
			v.Tiles = append(v.Tiles, tileOf(w, units[w.Tile.Metric], label(w.Tile.Metric), v.CompareText))
		case "text":
			v.Blocks = append(v.Blocks, blockView{Kind: "text", Title: w.Title, HTML: w.HTML})
		case "line", "bar":
			b := blockView{Kind: w.Kind, Title: w.Title, Chart: layoutSeries(w, units, label)}
			if b.Title == "" {
				b.Title = joinLabels(w.Series, label)
			}
			b.Table = seriesTable(w, units, label)
			v.Blocks = append(v.Blocks, b)
		case "table":
			t := &tableView{Head: []string{"Date"}}
			if w.By == "dimension" {
				t.Head[0] = "Dimension"
			}
			for _, m := range w.Columns {
				t.Head = append(t.Head, label(m))
			}
			for _, r := range w.Rows {
				row := []string{r.Label}
				if w.By == "date" {
					row[0] = dayLabelLong(r.Label)
				}
				for j, val := range r.Values {
					row = append(row, formatValue(units[w.Columns[j]], val))
				}
				t.Rows = append(t.Rows, row)
			}
			title := w.Title
			if title == "" {
				title = strings.Join(t.Head[1:], ", ") + " by " + strings.ToLower(t.Head[0])
			}
			v.Blocks = append(v.Blocks, blockView{Kind: "table", Title: title, Table: t})
		}
	}
	return v
}

func tileOf(w report.WidgetData, m metricdata.Metric, label, compare string) tileView {
	t := tileView{Label: label, Value: formatValue(m, w.Tile.Value), Class: "flat"}
	if w.Title != "" {
		t.Label = w.Title
	}
	switch c := w.Tile.Change; {
	case c == nil && w.Tile.Previous == nil && compare != "":
		t.Words = "No data to compare with"
	case c == nil:
	case *c > 0.05:
		t.Change, t.Class, t.Words = "▲ "+pct(*c), "up", "up "+pct(*c)+" "+compare
	case *c < -0.05:
		t.Change, t.Class, t.Words = "▼ "+pct(-*c), "down", "down "+pct(-*c)+" "+compare
	default:
		t.Change, t.Words = "● 0.0%", "unchanged "+compare
	}
	return t
}

func pct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }

// formatValue shows a value in its metric's unit (report.Format, which the
// PDF uses too).
func formatValue(m metricdata.Metric, v *float64) string { return report.Format(m, v) }

func joinLabels(ss []metricdata.Series, label func(string) string) string {
	var out []string
	for _, s := range ss {
		out = append(out, label(s.Metric))
	}
	return strings.Join(out, ", ")
}

func seriesTable(w report.WidgetData, units map[string]metricdata.Metric, label func(string) string) *tableView {
	t := &tableView{Head: []string{periodHead(w.Granularity)}}
	for _, s := range w.Series {
		t.Head = append(t.Head, label(s.Metric))
	}
	if len(w.Series) == 0 {
		return t
	}
	for i, p := range w.Series[0].Points {
		row := []string{dayLabelLong(p.Date)}
		for _, s := range w.Series {
			row = append(row, formatValue(units[s.Metric], s.Points[i].Value))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func periodHead(g string) string {
	switch g {
	case "week":
		return "Week of"
	case "month":
		return "Month of"
	}
	return "Date"
}

// rightAxisRoom is what a right axis's labels take from the plot's width.
const rightAxisRoom = 40.0

// layoutSeries places 1–5 series on one chart, scaled from zero: those in
// the first series' unit on the left axis, any other unit on a right one
// (report.ChartAxes, which the PDF follows too).
func layoutSeries(w report.WidgetData, units map[string]metricdata.Metric, label func(string) string) *seriesChart {
	c := &seriesChart{Bar: w.Kind == "bar", GridR: coord(plotR)}
	if len(w.Series) == 0 || len(w.Series[0].Points) == 0 {
		return c
	}
	axisOf, axes := report.ChartAxes(w, units)
	right := plotR
	if len(axes) > 1 {
		right = plotR - rightAxisRoom
		c.GridR = coord(right)
	}
	ys := make([]func(float64) float64, len(axes))
	for a, ax := range axes {
		ys[a] = func(v float64) float64 { return plotB - (v-ax.Min)/(ax.Max-ax.Min)*(plotB-plotT) }
	}
	y := ys[0]
	for _, v := range axes[0].Ticks() {
		c.Grid = append(c.Grid, chartRule{Y: coord(y(v))})
		c.YTicks = append(c.YTicks, chartTick{X: coord(plotL - 6), Y: coord(y(v) + 4), Text: report.AxisLabel(axes[0].Metric, v), Anchor: "end"})
	}
	if len(axes) > 1 {
		for _, v := range axes[1].Ticks() {
			c.YTicks = append(c.YTicks, chartTick{X: coord(right + 6), Y: coord(ys[1](v) + 4), Text: report.AxisLabel(axes[1].Metric, v), Anchor: "start"})
		}
	}
	n := len(w.Series[0].Points)
	slot := (right - plotL) / float64(n)
	every := max(1, n/6)
	for i, p := range w.Series[0].Points {
		if i%every == 0 {
			c.XTicks = append(c.XTicks, chartTick{X: coord(plotL + slot*(float64(i)+0.5)), Y: coord(labelY), Text: dayLabel(p.Date), Anchor: "middle"})
		}
	}
	var parts []string
	for k, s := range w.Series {
		cs := chartSeries{Class: "series-" + strconv.Itoa(k)}
		y := ys[axisOf[k]]
		yMax, side := axes[axisOf[k]].Max, ""
		if len(axes) > 1 {
			side = " (left axis)"
			if axisOf[k] == 1 {
				side = " (right axis)"
			}
		}
		c.Legend = append(c.Legend, legendItem{Class: cs.Class, Label: label(s.Metric) + side})
		bw := slot * 0.8 / float64(len(w.Series))
		var pts []string
		total, count := 0.0, 0
		for i, p := range s.Points {
			if p.Value == nil {
				continue
			}
			total, count = total+*p.Value, count+1
			title := label(s.Metric) + ", " + dayLabelLong(p.Date) + ": " + formatValue(units[s.Metric], p.Value)
			if c.Bar {
				x := plotL + slot*float64(i) + slot*0.1 + bw*float64(k)
				y0, y1 := y(math.Max(0, math.Min(yMax, 0))), y(*p.Value)
				cs.Bars = append(cs.Bars, chartBar{X: coord(x), Y: coord(math.Min(y0, y1)), W: coord(bw), H: coord(math.Abs(y0 - y1)), Title: title})
				continue
			}
			x := plotL + slot*(float64(i)+0.5)
			pts = append(pts, coord(x)+","+coord(y(*p.Value)))
			if n <= 120 {
				cs.Dots = append(cs.Dots, chartDot{X: coord(x), Y: coord(y(*p.Value)), Title: title})
			}
		}
		cs.Points = strings.Join(pts, " ")
		c.Lines = append(c.Lines, cs)
		if count > 0 {
			parts = append(parts, label(s.Metric)+" "+formatValue(units[s.Metric], &total)+" in total")
		} else {
			parts = append(parts, label(s.Metric)+": no data")
		}
	}
	c.Summary = strings.Join(parts, "; ") + ", " + rangeText(w.Series[0].Points[0].Date, w.Series[0].Points[n-1].Date) + "."
	return c
}

func rangeText(from, to string) string {
	if from == to {
		return dayLabelLong(from)
	}
	return dayLabelLong(from) + " – " + dayLabelLong(to)
}

func dayLabelLong(day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t.Format("2 Jan 2006")
}

func daysBetween(from, to string) int {
	f, _ := time.Parse(time.DateOnly, from)
	t, _ := time.Parse(time.DateOnly, to)
	return int(t.Sub(f).Hours()/24) + 1
}
