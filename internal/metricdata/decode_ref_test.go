package metricdata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/errs"
)

// The decoder before decode.go (encoding/json), kept as the reference that
// FuzzDecodeMatches compares the fast decoder with.

type rawPoint struct {
	Date      *string         `json:"date"`
	Metric    *string         `json:"metric"`
	Dimension *string         `json:"dimension"`
	Value     json.RawMessage `json:"value"`
}

// referenceDecode decodes and validates a push body {"points":[…]} as a whole:
// the first bad point is an error naming its index and field, and nothing
// of the batch is used. It never panics, whatever the bytes (FuzzDecodeBatch).
func referenceDecode(body []byte) ([]Point, error) {
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
		if !refParseDate(*rp.Date) {
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
		v, err := refValue(rp.Value)
		if err != nil {
			return nil, pointError(i, "value", "%s", err.Error())
		}
		p.Value = v
	}
	return out, nil
}

func refValue(raw json.RawMessage) (float64, error) {
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, fmt.Errorf("value must be a number.")
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("value must be a finite number.")
	}
	return v, nil
}

func refParseDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	t, err := time.Parse(time.DateOnly, s)
	return err == nil && t.Year() >= 1900 && t.Year() <= 2999
}

// dedupe keeps the last point of each key, in first-seen order (a batch may
// say the same thing twice; PostgreSQL refuses one statement touching a row
// twice).
func refDedupe(ps []Point) []Point {
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

// FuzzDecodeMatches: the fast decoder accepts exactly what the reference
// accepts, with the same points (after the reference's dedupe), and refuses
// the rest with the same code, field and message.
func FuzzDecodeMatches(f *testing.F) {
	for _, s := range []string{
		`{"points":[{"date":"2001-02-03","metric":"sessions","value":1.5,"dimension":"google"}]}`,
		`{"points":[{"date":"2001-02-30","metric":"sessions","value":1}]}`,
		`{"points":[{"date":"2001-02-03","metric":"Sessions","value":1e400}]}`,
		`{"points":[{"date":5,"metric":null,"value":"x","dimension":["a"]}]}`,
		`{"points":[]}`, `[`, `null`, `{"points":null}`, `{"points":5}`, `[1]`, `{"x":[{"a":{}}],"points":[null]}`,
		`{"POINTS":[{"DATE":"2000-02-29","Metric":"a.b_c","VALUE":-0.5e3,"dimension":"caf\u00e9 \"x\""}, {"date":"2000-02-29","metric":"a.b_c","value":2,"dimension":"café \"x\""}]}`,
		`{"points":[{"date":"1899-12-31","metric":"m","value":1}]} `,
		`{"points":[{"date":"2001-01-01","metric":"m","value":01}]}`,
		`{"points":[{"date":"2001-01-01","metric":"m","value":1,"date":null}]}`,
		`{"points":[{"date":"2001-01-01","metric":"m","value":1,"dimension":"\u0007"}, 3]}`,
		`{"points":[{"date":"2001-01-01","metric":"m","value":true}], "points":[{"date":"2001-01-02","metric":"m","value":2}]}`,
		"{\"points\":[{\"date\":\"2001-01-01\",\"metric\":\"m\",\"value\":1,\"dimension\":\"\xff\"}]}",
		`{"points":[{"date":"2001-01-01","metric":"m","value":1,"dimension":"x\u007f"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, werr := referenceDecode(body)
		got, gerr := DecodeBatch(body)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("reference %v, fast %v", werr, gerr)
		}
		if werr != nil {
			var we, ge *errs.Error
			if !errors.As(werr, &we) || !errors.As(gerr, &ge) || we.Code != ge.Code || we.Field != ge.Field || we.Message != ge.Message {
				t.Fatalf("reference %#v, fast %#v", werr, gerr)
			}
			return
		}
		want = refDedupe(want)
		if len(want) != len(got) {
			t.Fatalf("reference %d points, fast %d", len(want), len(got))
		}
		for i := range want {
			if want[i] != got[i] && !(math.Float64bits(want[i].Value) != math.Float64bits(got[i].Value) && want[i].Value == got[i].Value) {
				t.Fatalf("point %d: reference %+v, fast %+v", i, want[i], got[i])
			}
		}
	})
}

func TestEpochDay(t *testing.T) {
	for d := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 3000; d = d.AddDate(0, 0, 1) {
		s := d.Format(time.DateOnly)
		n, ok := epochDay(s)
		if !ok || int64(n) != d.Unix()/86400 || DayString(n) != s || !DayTime(n).Equal(d) || DayNumber(d) != n {
			t.Fatalf("%s: %d %v", s, n, ok)
		}
	}
	for _, s := range []string{"1899-12-31", "3000-01-01", "2001-02-29", "2000-13-01", "2000-00-10", "2000-01-00", "2000-1-01", "+200-01-01", "2000-01-32"} {
		if _, ok := epochDay(s); ok {
			t.Errorf("%s accepted", s)
		}
	}
}
