package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/metricdata"
)

// Kinds of widget, ranges and comparisons (SPEC §12 "Reports").
var (
	Kinds       = []string{"tile", "line", "bar", "table", "text"}
	Ranges      = []string{"last_7_days", "last_30_days", "last_90_days", "this_month", "last_month", "this_year", "last_12_months"}
	Comparisons = []string{"previous_period", "previous_year", "none"}
)

// Limits of a report.
const (
	MaxWidgets      = 40
	MaxChartMetrics = 5
	MaxTitle        = 200
	MaxDescription  = 2000
	MaxText         = 5000
	MaxTop          = 100
	DefaultTop      = 10
)

// Widget is one block of a report: a tile (one metric's total and change),
// a line or bar chart (1–5 metrics over time), a table (metrics by date, or
// by dimension with the top N and the rest as "Other") or a text.
type Widget struct {
	Kind        string   `json:"kind" doc:"tile, line, bar, table or text"`
	Title       string   `json:"title,omitempty"`
	Metrics     []string `json:"metrics,omitempty" doc:"tile: one; line, bar, table: 1–5"`
	Granularity string   `json:"granularity,omitempty" doc:"line, bar, table by date: day (default), week or month"`
	By          string   `json:"by,omitempty" doc:"table: date (default) or dimension"`
	Top         int      `json:"top,omitempty" doc:"table by dimension: how many values before Other (default 10, at most 100)"`
	Text        string   `json:"text,omitempty" doc:"text: the safe Markdown subset of welcome messages"`
}

// Fields are a report's editable fields; nil keeps the current value.
type Fields struct {
	Title        *string
	Description  *string
	DefaultRange *string
	Comparison   *string
	Widgets      *[]Widget
}

func widgetErr(i int, field, format string, args ...any) error {
	return &errs.Error{Kind: errs.Invalid, Code: "invalid_widget", Field: fmt.Sprintf("widgets[%d].%s", i, field),
		Message: fmt.Sprintf("Widget %d: ", i) + fmt.Sprintf(format, args...)}
}

func plain(s string, most int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= most &&
		strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) < 0
}

func oneOf(s string, list []string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ValidateWidgets checks widgets and returns them normalised (defaults
// filled in, fields a kind does not use refused). The first fault is a 400
// naming the widget's index and field. It never panics (FuzzValidateWidgets).
func ValidateWidgets(ws []Widget) ([]Widget, error) {
	if len(ws) > MaxWidgets {
		return nil, &errs.Error{Kind: errs.Invalid, Code: "too_many_widgets", Field: "widgets",
			Message: fmt.Sprintf("A report may have at most %d widgets.", MaxWidgets)}
	}
	out := make([]Widget, len(ws))
	for i, w := range ws {
		w.Title = strings.TrimSpace(w.Title)
		if !plain(w.Title, MaxTitle) || strings.ContainsAny(w.Title, "\r\n") {
			return nil, widgetErr(i, "title", "a title is at most %d characters on one line.", MaxTitle)
		}
		if !oneOf(w.Kind, Kinds) {
			return nil, widgetErr(i, "kind", "%q is not a kind of widget: choose tile, line, bar, table or text.", clip(w.Kind))
		}
		if err := checkMetrics(i, w); err != nil {
			return nil, err
		}
		switch w.Kind {
		case "text":
			w.Text = strings.TrimSpace(w.Text)
			if w.Text == "" || !plain(w.Text, MaxText) {
				return nil, widgetErr(i, "text", "a text widget needs 1 to %d characters of text.", MaxText)
			}
		case "tile":
			if w.Granularity != "" || w.By != "" || w.Top != 0 {
				return nil, widgetErr(i, unused(w), "a tile has one metric and nothing else.")
			}
		case "line", "bar":
			if w.By != "" || w.Top != 0 {
				return nil, widgetErr(i, unused(w), "a chart takes metrics and a granularity only.")
			}
		case "table":
			if w.By == "" {
				w.By = "date"
			}
			if w.By != "date" && w.By != "dimension" {
				return nil, widgetErr(i, "by", "a table is by date or by dimension.")
			}
			if w.By == "dimension" {
				if w.Granularity != "" {
					return nil, widgetErr(i, "granularity", "a table by dimension covers the whole range; leave out the granularity.")
				}
				if w.Top == 0 {
					w.Top = DefaultTop
				}
				if w.Top < 1 || w.Top > MaxTop {
					return nil, widgetErr(i, "top", "top is 1 to %d.", MaxTop)
				}
			} else if w.Top != 0 {
				return nil, widgetErr(i, "top", "top applies to a table by dimension.")
			}
		}
		if w.Kind != "text" && w.Text != "" {
			return nil, widgetErr(i, "text", "only a text widget has text.")
		}
		if w.Kind == "line" || w.Kind == "bar" || w.Kind == "table" && w.By == "date" {
			if w.Granularity == "" {
				w.Granularity = "day"
			}
			if !oneOf(w.Granularity, metricdata.Granularities) {
				return nil, widgetErr(i, "granularity", "choose day, week or month.")
			}
		}
		if w.Metrics == nil {
			w.Metrics = []string{}
		}
		out[i] = w
	}
	return out, nil
}

func unused(w Widget) string {
	switch {
	case w.Granularity != "":
		return "granularity"
	case w.By != "":
		return "by"
	}
	return "top"
}

func checkMetrics(i int, w Widget) error {
	n := len(w.Metrics)
	switch {
	case w.Kind == "text" && n > 0:
		return widgetErr(i, "metrics", "a text widget has no metrics.")
	case w.Kind == "tile" && n != 1:
		return widgetErr(i, "metrics", "a tile shows exactly one metric.")
	case w.Kind != "text" && w.Kind != "tile" && (n < 1 || n > MaxChartMetrics):
		return widgetErr(i, "metrics", "a %s shows 1 to %d metrics, not %d.", w.Kind, MaxChartMetrics, n)
	}
	seen := map[string]bool{}
	for _, m := range w.Metrics {
		if !metricdata.ValidMetricName(m) {
			return widgetErr(i, "metrics", "%q is not a metric name: a lower-case letter, then up to 63 of a-z, 0-9, _ and .", clip(m))
		}
		if seen[m] {
			return widgetErr(i, "metrics", "%s is named twice.", m)
		}
		seen[m] = true
	}
	return nil
}

// apply validates an edit of r as a whole and returns the result.
func apply(r Report, f Fields) (Report, error) {
	if f.Title != nil {
		t := strings.TrimSpace(*f.Title)
		if t == "" || !plain(t, MaxTitle) || strings.ContainsAny(t, "\r\n") {
			return r, errs.InvalidField("title", "Give the report a title of 1 to %d characters on one line.", MaxTitle)
		}
		r.Title = t
	}
	if r.Title == "" {
		return r, errs.InvalidField("title", "Give the report a title of 1 to %d characters on one line.", MaxTitle)
	}
	if f.Description != nil {
		d := strings.TrimSpace(*f.Description)
		if !plain(d, MaxDescription) {
			return r, errs.InvalidField("description", "Use at most %d characters of plain text.", MaxDescription)
		}
		r.Description = d
	}
	if f.DefaultRange != nil {
		if !oneOf(*f.DefaultRange, Ranges) {
			return r, errs.InvalidField("default_range", "Choose one of %s.", strings.Join(Ranges, ", "))
		}
		r.DefaultRange = *f.DefaultRange
	}
	if f.Comparison != nil {
		if !oneOf(*f.Comparison, Comparisons) {
			return r, errs.InvalidField("comparison", "Choose previous_period, previous_year or none.")
		}
		r.Comparison = *f.Comparison
	}
	if f.Widgets != nil {
		ws, err := ValidateWidgets(*f.Widgets)
		if err != nil {
			return r, err
		}
		r.Widgets = ws
	}
	if r.Widgets == nil {
		r.Widgets = []Widget{}
	}
	return r, nil
}

func clip(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}
