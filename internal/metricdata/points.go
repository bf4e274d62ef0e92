package metricdata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/errs"
)

// Limits of one push (SPEC §12).
const (
	MaxPoints       = 10000
	MaxBatchBytes   = 5 << 20
	MaxDimensionLen = 128
	MaxMetricLen    = 64
)

// Point is one value of one metric on one day, for the brand's total line
// (Dimension "") or for one dimension value.
type Point struct {
	Date      string  `json:"date" doc:"YYYY-MM-DD, the day it counts for"`
	Metric    string  `json:"metric" doc:"[a-z][a-z0-9_.]{0,63}"`
	Dimension string  `json:"dimension,omitempty" doc:"At most 128 characters; absent or empty is the brand's total line"`
	Value     float64 `json:"value" doc:"A finite number (currency in minor units)"`
}

// key is a point's identity: the upsert key within a brand.
type key struct{ metric, dimension, date string }

// ValidMetricName reports whether s is a metric name: [a-z][a-z0-9_.]{0,63}.
func ValidMetricName(s string) bool {
	if len(s) == 0 || len(s) > MaxMetricLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ParseDate parses a day "YYYY-MM-DD" that exists (no 2023-02-30), years
// 1900–2999.
func ParseDate(s string) (time.Time, bool) {
	if len(s) != 10 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 1900 || t.Year() > 2999 {
		return time.Time{}, false
	}
	return t, true
}

// ValidDimension reports whether s may be a dimension value: at most 128
// characters of valid UTF-8 without control characters.
func ValidDimension(s string) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxDimensionLen {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

type rawPoint struct {
	Date      *string         `json:"date"`
	Metric    *string         `json:"metric"`
	Dimension *string         `json:"dimension"`
	Value     json.RawMessage `json:"value"`
}

// pointError names the first bad point: its index and field.
func pointError(i int, field, format string, args ...any) error {
	return &errs.Error{Kind: errs.Invalid, Code: "invalid_point", Field: fmt.Sprintf("points[%d].%s", i, field),
		Message: fmt.Sprintf("Point %d: ", i) + fmt.Sprintf(format, args...) + " Nothing was stored."}
}

// DecodeBatch decodes and validates a push body {"points":[…]} as a whole:
// the first bad point is an error naming its index and field, and nothing
// of the batch is used. It never panics, whatever the bytes (FuzzDecodeBatch).
func DecodeBatch(body []byte) ([]Point, error) {
	if len(body) > MaxBatchBytes {
		return nil, &errs.Error{Kind: errs.Invalid, Code: "batch_too_large", Field: "points",
			Message: fmt.Sprintf("A batch may be at most %d bytes (5 MiB); send it in smaller batches. Nothing was stored.", MaxBatchBytes)}
	}
	var in struct {
		Points []json.RawMessage `json:"points"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Code: "invalid_json", Field: "points",
			Message: "The body must be JSON: {\"points\":[{\"date\",\"metric\",\"value\",\"dimension\"}]}. Nothing was stored."}
	}
	switch {
	case len(in.Points) == 0:
		return nil, &errs.Error{Kind: errs.Invalid, Code: "no_points", Field: "points", Message: "Send at least one point in \"points\"."}
	case len(in.Points) > MaxPoints:
		return nil, &errs.Error{Kind: errs.Invalid, Code: "too_many_points", Field: "points",
			Message: fmt.Sprintf("A batch may hold at most %d points, this one has %d; send it in smaller batches. Nothing was stored.", MaxPoints, len(in.Points))}
	}
	out := make([]Point, len(in.Points))
	for i, raw := range in.Points {
		var rp rawPoint
		if err := json.Unmarshal(raw, &rp); err != nil {
			field := "value"
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				field = te.Field
			}
			return nil, pointError(i, field, "not an object with date, metric and dimension as strings and value as a number.")
		}
		p := &out[i]
		switch {
		case rp.Date == nil:
			return nil, pointError(i, "date", "date is missing.")
		case rp.Metric == nil:
			return nil, pointError(i, "metric", "metric is missing.")
		case rp.Value == nil || bytes.Equal(rp.Value, []byte("null")):
			return nil, pointError(i, "value", "value is missing.")
		}
		if _, ok := ParseDate(*rp.Date); !ok {
			return nil, pointError(i, "date", "%q is not a day that exists, as YYYY-MM-DD.", clip(*rp.Date))
		}
		if !ValidMetricName(*rp.Metric) {
			return nil, pointError(i, "metric", "%q is not a metric name: a lower-case letter, then up to 63 of a-z, 0-9, _ and .", clip(*rp.Metric))
		}
		p.Date, p.Metric = *rp.Date, *rp.Metric
		if rp.Dimension != nil {
			if !ValidDimension(*rp.Dimension) {
				return nil, pointError(i, "dimension", "a dimension is at most %d characters of plain text.", MaxDimensionLen)
			}
			p.Dimension = *rp.Dimension
		}
		v, err := parseValue(rp.Value)
		if err != nil {
			return nil, pointError(i, "value", "%s", err.Error())
		}
		p.Value = v
	}
	return out, nil
}

func parseValue(raw json.RawMessage) (float64, error) {
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, fmt.Errorf("value must be a number.")
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("value must be a finite number.")
	}
	return v, nil
}

func clip(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// dedupe keeps the last point of each key, in first-seen order (a batch may
// say the same thing twice; PostgreSQL refuses one statement touching a row
// twice).
func dedupe(ps []Point) []Point {
	seen := make(map[key]int, len(ps))
	out := ps[:0:0]
	for _, p := range ps {
		k := key{p.Metric, p.Dimension, p.Date}
		if i, ok := seen[k]; ok {
			out[i] = p
			continue
		}
		seen[k] = len(out)
		out = append(out, p)
	}
	return out
}
