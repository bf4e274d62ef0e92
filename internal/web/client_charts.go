package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/health"
)

// The detail page's two charts, laid out here and drawn by client_parts.html
// as inline SVG: coordinates in a fixed viewBox that CSS scales to the
// width of the page. Colours come from classes in app.css (the CSP forbids
// style attributes). Each chart carries a one-sentence summary for its
// aria-label and the rows of the table beside it.

// Chart geometry, in viewBox units.
const (
	chartW, chartH             = 640, 200
	plotL, plotR, plotT, plotB = 40.0, 630.0, 12.0, 172.0
	labelY                     = 192.0
)

type chartBar struct {
	X, Y, W, H string
	Title      string
}

type chartTick struct {
	X, Y, Text, Anchor string
}

type chartRule struct {
	Y, Class, Text string
}

type chartRow struct {
	Label, Value, Note string
}

type barChart struct {
	Summary string
	Bars    []chartBar
	YTicks  []chartTick
	XTicks  []chartTick
	Grid    []chartRule
	Rows    []chartRow
	Total   int
}

type lineChart struct {
	Summary string
	Points  string
	LastX   string
	LastY   string
	Bands   []chartRule
	YTicks  []chartTick
	XTicks  []chartTick
	Rows    []chartRow
}

func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func shortDate(t time.Time) string { return t.UTC().Format("2 Jan") }

// weeklyChart lays out 13 bars, oldest first.
func weeklyChart(weeks []client.WeekLogins) barChart {
	var b barChart
	if len(weeks) == 0 {
		return b
	}
	top, topAt := -1, 0
	for i, w := range weeks {
		b.Total += w.Logins
		if w.Logins > top {
			top, topAt = w.Logins, i
		}
	}
	// The scale: at least 4 logins high, so that one login is not a
	// full bar, and rounded up to an even number for a middle tick.
	yMax := max(4, top)
	yMax += yMax % 2
	slot := (plotR - plotL) / float64(len(weeks))
	y := func(v int) float64 { return plotB - float64(v)/float64(yMax)*(plotB-plotT) }
	for _, v := range []int{0, yMax / 2, yMax} {
		b.Grid = append(b.Grid, chartRule{Y: coord(y(v))})
		b.YTicks = append(b.YTicks, chartTick{X: coord(plotL - 6), Y: coord(y(v) + 4), Text: strconv.Itoa(v), Anchor: "end"})
	}
	for i, w := range weeks {
		x := plotL + float64(i)*slot + slot*0.15
		h := float64(w.Logins) / float64(yMax) * (plotB - plotT)
		label := "Week of " + shortDate(w.Start)
		if i == len(weeks)-1 {
			label = "This week (from " + shortDate(w.Start) + ")"
		}
		b.Bars = append(b.Bars, chartBar{X: coord(x), Y: coord(plotB - h), W: coord(slot * 0.7), H: coord(h),
			Title: label + ": " + plural(w.Logins, "login")})
		if i%4 == 0 {
			b.XTicks = append(b.XTicks, chartTick{X: coord(x + slot*0.35), Y: coord(labelY), Text: shortDate(w.Start), Anchor: "middle"})
		}
		b.Rows = append(b.Rows, chartRow{Label: label, Value: strconv.Itoa(w.Logins)})
	}
	last := weeks[len(weeks)-1].Logins
	if b.Total == 0 {
		b.Summary = "Logins per week over the last 13 weeks: none."
	} else {
		b.Summary = "Logins per week over the last 13 weeks: " + strconv.Itoa(b.Total) + " in total; the most, " +
			strconv.Itoa(top) + ", in the week of " + shortDate(weeks[topAt].Start) + "; " + strconv.Itoa(last) + " this week."
	}
	return b
}

// historyChart lays out the score of each of the last 90 days as a line,
// with the band limits (70, 40) as rules.
func historyChart(days []client.DayScore) lineChart {
	var l lineChart
	if len(days) == 0 {
		return l
	}
	step := (plotR - plotL) / float64(max(1, len(days)-1))
	y := func(v int) float64 { return plotB - float64(v)/100*(plotB-plotT) }
	for _, v := range []int{0, 100} {
		l.YTicks = append(l.YTicks, chartTick{X: coord(plotL - 6), Y: coord(y(v) + 4), Text: strconv.Itoa(v), Anchor: "end"})
	}
	l.Bands = []chartRule{
		{Y: coord(y(70)), Class: "chart-band chart-band-healthy", Text: "70"},
		{Y: coord(y(40)), Class: "chart-band chart-band-at_risk", Text: "40"},
	}
	pts := make([]string, 0, len(days))
	lo, hi := days[0].Score, days[0].Score
	for i, d := range days {
		x := plotL + float64(i)*step
		pts = append(pts, coord(x)+","+coord(y(d.Score)))
		lo, hi = min(lo, d.Score), max(hi, d.Score)
		day := dayLabel(d.Day)
		if i == len(days)-1 {
			day = "Today"
		}
		if i%30 == 0 || i == len(days)-1 {
			anchor := "middle"
			switch i {
			case 0:
				anchor = "start"
			case len(days) - 1:
				anchor = "end"
			}
			l.XTicks = append(l.XTicks, chartTick{X: coord(x), Y: coord(labelY), Text: day, Anchor: anchor})
		}
		l.Rows = append(l.Rows, chartRow{Label: day, Value: strconv.Itoa(d.Score), Note: statusLabel(health.BandOf(d.Score))})
	}
	l.Points = strings.Join(pts, " ")
	last := days[len(days)-1]
	l.LastX, l.LastY = coord(plotR), coord(y(last.Score))
	l.Summary = "Health score over the last 90 days: " + strconv.Itoa(days[0].Score) + " on " + dayLabel(days[0].Day) +
		", " + strconv.Itoa(last.Score) + " today; lowest " + strconv.Itoa(lo) + ", highest " + strconv.Itoa(hi) +
		". Healthy is 70 or more, at risk 40 to 69."
	return l
}

// dayLabel shows a "2006-01-02" day as "2 Jan".
func dayLabel(day string) string {
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		return day
	}
	return shortDate(t)
}
