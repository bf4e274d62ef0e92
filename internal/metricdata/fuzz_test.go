package metricdata

import (
	"math"
	"testing"
)

// FuzzDecodeBatch: whatever the bytes, the decoder never panics, and what it
// accepts holds only valid points, at most MaxPoints of them.
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`{"points":[{"date":"2001-02-03","metric":"sessions","value":1.5,"dimension":"google"}]}`))
	f.Add([]byte(`{"points":[{"date":"2001-02-30","metric":"sessions","value":1}]}`))
	f.Add([]byte(`{"points":[{"date":"2001-02-03","metric":"Sessions","value":1e400}]}`))
	f.Add([]byte(`{"points":[{"date":5,"metric":null,"value":"x","dimension":["a"]}]}`))
	f.Add([]byte(`{"points":[]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ps, err := DecodeBatch(body)
		if err != nil {
			if ps != nil {
				t.Fatal("points returned with an error")
			}
			return
		}
		if len(ps) == 0 || len(ps) > MaxPoints {
			t.Fatalf("%d points accepted", len(ps))
		}
		for i, p := range ps {
			if _, ok := ParseDate(p.Date); !ok || !ValidMetricName(p.Metric) || !ValidDimension(p.Dimension) ||
				math.IsInf(p.Value, 0) || math.IsNaN(p.Value) {
				t.Fatalf("point %d accepted: %+v", i, p)
			}
		}
	})
}
