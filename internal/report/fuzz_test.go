package report

import (
	"encoding/json"
	"testing"

	"github.com/liaison-dev/liaison/internal/metricdata"
)

// FuzzValidateWidgets: whatever widgets come, the validator never panics,
// and what it accepts is a report the computation can draw.
func FuzzValidateWidgets(f *testing.F) {
	f.Add([]byte(`[{"kind":"tile","metrics":["sessions"]},{"kind":"line","metrics":["a","b"],"granularity":"week"}]`))
	f.Add([]byte(`[{"kind":"table","by":"dimension","metrics":["a"],"top":3},{"kind":"text","text":"**hi**"}]`))
	f.Add([]byte(`[{"kind":"pie"},{"kind":"bar","metrics":["A","b","c","d","e","f"]},{"kind":"table","by":"week","top":-1}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ws []Widget
		if json.Unmarshal(raw, &ws) != nil {
			return
		}
		out, err := ValidateWidgets(ws)
		if err != nil {
			return
		}
		if len(out) != len(ws) || len(out) > MaxWidgets {
			t.Fatalf("%d widgets in, %d out", len(ws), len(out))
		}
		for i, w := range out {
			n := len(w.Metrics)
			switch w.Kind {
			case "tile":
				if n != 1 {
					t.Fatalf("widget %d: tile with %d metrics", i, n)
				}
			case "line", "bar":
				if n < 1 || n > MaxChartMetrics || !oneOf(w.Granularity, metricdata.Granularities) {
					t.Fatalf("widget %d: %+v", i, w)
				}
			case "table":
				if n < 1 || n > MaxChartMetrics || (w.By == "dimension") == (w.Top == 0) || w.Top > MaxTop {
					t.Fatalf("widget %d: %+v", i, w)
				}
			case "text":
				if n != 0 || w.Text == "" {
					t.Fatalf("widget %d: %+v", i, w)
				}
			default:
				t.Fatalf("widget %d: kind %q accepted", i, w.Kind)
			}
			for _, m := range w.Metrics {
				if !metricdata.ValidMetricName(m) {
					t.Fatalf("widget %d: metric %q accepted", i, m)
				}
			}
		}
	})
}
