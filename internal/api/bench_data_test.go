package api_test

// Benchmarks of issue 16's hot paths against a real server: pushing
// batches of 10,000 points (JSON encoding on the client side excluded, the
// server's parsing included), and a report's data for a year of daily data
// with 5 metrics and 50 dimension values. Figures in bench/README.md.
//
//	go test -run XXX -bench 'Ingest|ReportData' -benchtime 20x ./internal/api/

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// benchBrand is a server with an agency admin's token and a brand.
func benchBrand(b *testing.B, e db.Dialect) (*testkit.Server, *testkit.APIClient, string) {
	s := testkit.StartServer(b, e, testkit.ServerOptions{})
	c, _, agencyID := s.Signup(b, "Bench Admin", "bench@example.com", "Bench Agency", "agency")
	tok := c.Token(b)
	brand := tok.Must(b, 201, "POST", "/api/v1/agencies/"+agencyID+"/brands", map[string]any{"name": "Bench"}).Body["id"].(string)
	return s, tok, brand
}

// batchBody is 10,000 points: 5 metrics × 50 dimensions × 40 days from day.
func batchBody(day time.Time) []byte {
	ps := make([]map[string]any, 0, 10000)
	for d := 0; d < 40; d++ {
		date := day.AddDate(0, 0, d).Format(time.DateOnly)
		for m := 0; m < 5; m++ {
			for k := 0; k < 50; k++ {
				ps = append(ps, map[string]any{"date": date, "metric": fmt.Sprintf("metric_%d", m),
					"dimension": fmt.Sprintf("campaign %02d", k), "value": float64(d*k + m)})
			}
		}
	}
	body, _ := json.Marshal(map[string]any{"points": ps})
	return body
}

func BenchmarkIngest(b *testing.B) {
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s, tok, brand := benchBrand(b, e)
		start := s.Now().UTC().AddDate(-30, 0, 0)
		bodies := make([][]byte, b.N)
		for i := range bodies {
			bodies[i] = batchBody(start.AddDate(0, 0, 40*i)) // new points every time: inserts
		}
		hc := &http.Client{Transport: benchTransport(nil)}
		b.ResetTimer()
		t0 := time.Now()
		for i := 0; i < b.N; i++ {
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/brands/"+brand+"/data", bytes.NewReader(bodies[i]))
			req.Header.Set("Authorization", "Bearer "+tok.Bearer)
			req.Header.Set("Content-Type", "application/json")
			res, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("push: %d", res.StatusCode)
			}
		}
		b.ReportMetric(float64(b.N*10000)/time.Since(t0).Seconds(), "points/s")
	})
}

func BenchmarkReportData(b *testing.B) {
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s, tok, brand := benchBrand(b, e)
		today := s.Now().UTC()
		first := today.AddDate(0, 0, -364)
		for i := 0; i < 10; i++ { // 400 days × 5 metrics × 50 dimensions from a year ago (91,250 in the range)
			tok.Must(b, 200, "POST", "/api/v1/brands/"+brand+"/data", json.RawMessage(batchBody(first.AddDate(0, 0, 40*i))))
		}
		rid := tok.Must(b, 201, "POST", "/api/v1/brands/"+brand+"/reports", map[string]any{"title": "Year", "default_range": "last_12_months",
			"widgets": []map[string]any{
				{"kind": "tile", "metrics": []string{"metric_0"}}, {"kind": "tile", "metrics": []string{"metric_1"}},
				{"kind": "line", "metrics": []string{"metric_0", "metric_1", "metric_2"}, "granularity": "week"},
				{"kind": "table", "by": "dimension", "metrics": []string{"metric_0", "metric_3"}, "top": 10},
				{"kind": "table", "by": "dimension", "metrics": []string{"metric_4"}, "top": 5},
			}}).Body["id"].(string)
		hc := &http.Client{Transport: benchTransport(nil)}
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/reports/"+rid+"/data", nil)
				req.Header.Set("Authorization", "Bearer "+tok.Bearer)
				res, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatalf("data: %d", res.StatusCode)
				}
			}
		})
	})
}
