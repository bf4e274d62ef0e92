package metricdata

import (
	"fmt"
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
	n, ok := epochDay(s)
	if !ok {
		return time.Time{}, false
	}
	return DayTime(n), true
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

// pointError names the first bad point: its index and field.
func pointError(i int, field, format string, args ...any) error {
	return &errs.Error{Kind: errs.Invalid, Code: "invalid_point", Field: fmt.Sprintf("points[%d].%s", i, field),
		Message: fmt.Sprintf("Point %d: ", i) + fmt.Sprintf(format, args...) + " Nothing was stored."}
}

// DecodeBatch decodes and validates a push body {"points":[…]} as a whole:
// the first bad point is an error naming its index and field, and nothing
// of the batch is used. It never panics, whatever the bytes (FuzzDecodeBatch).
// Points come back once per key (the last value given), in first-seen order.
func DecodeBatch(body []byte) ([]Point, error) {
	b, err := decode(body, false)
	if err != nil {
		return nil, err
	}
	out := make([]Point, len(b.points))
	for i, p := range b.points {
		k := b.series[p.s]
		out[i] = Point{Date: DayString(p.day), Metric: k.metric, Dimension: k.dimension, Value: p.value}
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}
