package api_test

// Benchmarks of issue 16's hot paths against a real server: pushing
// batches of 10,000 points (JSON encoding on the client side excluded, the
// server's parsing included), and a report's data for a year of daily data
// with 5 metrics and 50 dimension values. Figures in bench/README.md.
//
//	go test -run XXX -bench 'Ingest|ReportData' -benchtime 20x ./internal/api/
//	go test -run XXX -bench 'ReportData$' -benchtime 3000x ./internal/api/

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sort"
	"sync"
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

// reportBench is a brand with 400 days × 5 metrics × 50 dimensions of data
// (91,250 points in the last 12 months) and a report over them.
func reportBench(b *testing.B, e db.Dialect) (*testkit.Server, *testkit.APIClient, string) {
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
	return s, tok, rid
}

// get answers a GET with the token, failing the benchmark on anything but 200.
func benchGet(b *testing.B, hc *http.Client, url, bearer string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	res, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatalf("%s: %d", url, res.StatusCode)
	}
}

// latencies collects request durations from several goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) p(q float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	return float64(l.d[min(len(l.d)-1, int(q*float64(len(l.d))))].Microseconds()) / 1000
}

// BenchmarkReportData: the report's data from 8 connections (4 per core),
// the same report and range again and again, as a portal's readers do:
// after the first request it is served for the brand's data version
// (internal/report/cache.go). Reports req/s and the p99 in ms.
func BenchmarkReportData(b *testing.B) {
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s, tok, rid := reportBench(b, e)
		hc := &http.Client{Transport: benchTransport(nil)}
		var lat latencies
		b.SetParallelism(8 / runtime.GOMAXPROCS(0))
		b.ResetTimer()
		t0 := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				t := time.Now()
				benchGet(b, hc, s.URL+"/api/v1/reports/"+rid+"/data", tok.Bearer)
				lat.add(time.Since(t))
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "req/s")
		b.ReportMetric(lat.p(0.99), "p99-ms")
	})
}

// BenchmarkReportDataCold: the same report computed every time (the data
// version is bumped before each request, as a push would), one request at
// a time: what the first reader after a push waits.
func BenchmarkReportDataCold(b *testing.B) {
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s, tok, rid := reportBench(b, e)
		hc := &http.Client{Transport: benchTransport(nil)}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.DB.Exec(b.Context(), `UPDATE metric_versions SET version = version + 1`); err != nil {
				b.Fatal(err)
			}
			benchGet(b, hc, s.URL+"/api/v1/reports/"+rid+"/data", tok.Bearer)
		}
	})
}

// BenchmarkIngestWithMe: batches pushed back to back on one connection
// while another connection asks GET /api/v1/me every 10 ms; reports
// the push rate and /me's p99 in ms.
func BenchmarkIngestWithMe(b *testing.B) {
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s, tok, brand := benchBrand(b, e)
		start := s.Now().UTC().AddDate(-30, 0, 0)
		bodies := make([][]byte, b.N)
		for i := range bodies {
			bodies[i] = batchBody(start.AddDate(0, 0, 40*i))
		}
		hc := &http.Client{Transport: benchTransport(nil)}
		mc := &http.Client{Transport: benchTransport(nil)}
		var lat latencies
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				case <-time.After(10 * time.Millisecond): // a reader's pace, not a flood
				}
				t := time.Now()
				benchGet(b, mc, s.URL+"/api/v1/me", tok.Bearer)
				lat.add(time.Since(t))
			}
		}()
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
		el := time.Since(t0)
		close(done)
		wg.Wait()
		b.ReportMetric(float64(b.N*10000)/el.Seconds(), "points/s")
		b.ReportMetric(lat.p(0.99), "me-p99-ms")
	})
}

// BenchmarkReportPDF: the year report (reportBench) as a PDF, its data
// already computed once.
func BenchmarkReportPDF(b *testing.B) {
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s, tok, rid := reportBench(b, e)
		hc := &http.Client{Transport: benchTransport(nil)}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			benchGet(b, hc, s.URL+"/api/v1/reports/"+rid+"/export?format=pdf", tok.Bearer)
		}
	})
}

// BenchmarkCSVMillion: a report over 1,000,000 points (4,000 days × 5
// metrics × 50 dimension values; tables by dimension and by day over the
// last 3,650 days) exported as CSV, computed afresh each time; reports how
// much the process's RSS grew during the export (sampled every 2 ms) over
// its RSS before.
func BenchmarkCSVMillion(b *testing.B) {
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s, tok, brand := benchBrand(b, e)
		first := s.Now().UTC().AddDate(0, 0, -3999)
		hc := &http.Client{Transport: benchTransport(nil)}
		for i := 0; i < 100; i++ {
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/brands/"+brand+"/data", bytes.NewReader(batchBody(first.AddDate(0, 0, 40*i))))
			req.Header.Set("Authorization", "Bearer "+tok.Bearer)
			res, err := hc.Do(req)
			if err != nil || res.StatusCode != 200 {
				b.Fatal(err, res.StatusCode)
			}
			res.Body.Close()
		}
		all := []string{"metric_0", "metric_1", "metric_2", "metric_3", "metric_4"}
		rid := tok.Must(b, 201, "POST", "/api/v1/brands/"+brand+"/reports", map[string]any{"title": "Ten years",
			"widgets": []map[string]any{
				{"kind": "table", "by": "dimension", "metrics": all, "top": 50},
				{"kind": "table", "metrics": all},
				{"kind": "line", "metrics": all},
			}}).Body["id"].(string)
		today := s.Now().UTC()
		url := s.URL + "/api/v1/reports/" + rid + "/export?format=csv&from=" + today.AddDate(0, 0, -3649).Format(time.DateOnly) + "&to=" + today.Format(time.DateOnly)
		runtime.GC()
		before := rss()
		var peak int64
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.DB.Exec(b.Context(), `UPDATE metric_versions SET version = version + 1`); err != nil {
				b.Fatal(err)
			}
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					if r := rss(); r > peak {
						peak = r
					}
					select {
					case <-stop:
						return
					case <-time.After(2 * time.Millisecond):
					}
				}
			}()
			benchGet(b, hc, url, tok.Bearer)
			close(stop)
			<-done
		}
		b.ReportMetric(float64(peak-before)/(1<<20), "rss-growth-MB")
	})
}

// rss is the process's resident set size in bytes (Linux), 0 elsewhere.
func rss() int64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, res int64
	fmt.Sscan(string(raw), &size, &res)
	return res * int64(os.Getpagesize())
}

// sourceBatchBody is 10,000 source points: 5 items × 5 metrics × 10
// dimensions × 40 days from day.
func sourceBatchBody(day time.Time, items int) []byte {
	ps := make([]map[string]any, 0, 10000)
	for d := 0; d < 40; d++ {
		date := day.AddDate(0, 0, d).Format(time.DateOnly)
		for it := 0; it < items; it++ {
			for m := 0; m < 5; m++ {
				for k := 0; k < 50/items; k++ {
					ps = append(ps, map[string]any{"item": fmt.Sprintf("account-%d", it), "date": date, "metric": fmt.Sprintf("metric_%d", m),
						"dimension": fmt.Sprintf("campaign %02d", k), "value": float64(d*k + m)})
				}
			}
		}
	}
	body, _ := json.Marshal(map[string]any{"points": ps})
	return body
}

// benchSource is a data source of the bench agency and its token.
func benchSource(b *testing.B, s *testkit.Server, tok *testkit.APIClient, brand string) (string, string) {
	var agencyID string
	if err := s.DB.Get(b.Context(), &agencyID, `SELECT agency_id FROM brands WHERE id = ?`, brand); err != nil {
		b.Fatal(err)
	}
	r := tok.Must(b, 201, "POST", "/api/v1/agencies/"+agencyID+"/sources", map[string]any{"name": "Bench source"})
	return r.Body["id"].(string), r.Body["token"].(string)
}

func BenchmarkSourceIngest(b *testing.B) {
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s, tok, brand := benchBrand(b, e)
		src, stok := benchSource(b, s, tok, brand)
		start := s.Now().UTC().AddDate(-30, 0, 0)
		bodies := make([][]byte, b.N)
		for i := range bodies {
			bodies[i] = sourceBatchBody(start.AddDate(0, 0, 40*i), 5)
		}
		hc := &http.Client{Transport: benchTransport(nil)}
		b.ResetTimer()
		t0 := time.Now()
		for i := 0; i < b.N; i++ {
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/sources/"+src+"/data", bytes.NewReader(bodies[i]))
			req.Header.Set("Authorization", "Bearer "+stok)
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

// BenchmarkMapItem: an item with 100,000 points (400 days × 5 metrics ×
// 50 dimensions) mapped to a brand, then the brand's year report read,
// then unmapped: ns/op is the mapping and the first read after it.
func BenchmarkMapItem(b *testing.B) {
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s, tok, brand := benchBrand(b, e)
		src, stok := benchSource(b, s, tok, brand)
		first := s.Now().UTC().AddDate(0, 0, -399)
		hc := &http.Client{Transport: benchTransport(nil)}
		for i := 0; i < 10; i++ {
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/sources/"+src+"/data", bytes.NewReader(sourceBatchBody(first.AddDate(0, 0, 40*i), 1)))
			req.Header.Set("Authorization", "Bearer "+stok)
			res, err := hc.Do(req)
			if err != nil || res.StatusCode != 200 {
				b.Fatal(err, res.StatusCode)
			}
			res.Body.Close()
		}
		rid := tok.Must(b, 201, "POST", "/api/v1/brands/"+brand+"/reports", map[string]any{"title": "Year", "default_range": "last_12_months",
			"widgets": []map[string]any{{"kind": "tile", "metrics": []string{"metric_0"}},
				{"kind": "table", "by": "dimension", "metrics": []string{"metric_0"}, "top": 10}}}).Body["id"].(string)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tok.Must(b, 200, "PUT", "/api/v1/sources/"+src+"/mappings", map[string]any{"mappings": []map[string]any{{"item": "account-0", "brand_id": brand}}})
			d := tok.Must(b, 200, "GET", "/api/v1/reports/"+rid+"/data", nil)
			if rows, _ := d.Body["widgets"].([]any)[1].(map[string]any)["rows"].([]any); len(rows) != 11 {
				b.Fatal("the mapped item's data is not in the report")
			}
			b.StopTimer()
			tok.Must(b, 200, "PUT", "/api/v1/sources/"+src+"/mappings", map[string]any{"mappings": []map[string]any{{"item": "account-0", "brand_id": nil}}})
			b.StartTimer()
		}
	})
}
