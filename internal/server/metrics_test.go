package server_test

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func TestMetricsToken(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{Env: map[string]string{
		"LIAISON_METRICS_TOKEN": "0123456789abcdef0123"}})
	c := s.NewClient()
	if r := c.Do(t, "GET", "/metrics", nil); r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("without the token: %d", r.Status)
	}
	c.Header.Set("Authorization", "Bearer wrong-token-wrong-token")
	if r := c.Do(t, "GET", "/metrics", nil); r.Status != 401 {
		t.Fatalf("wrong token: %d", r.Status)
	}
	c.Header.Set("Authorization", "Bearer 0123456789abcdef0123")
	if r := c.Do(t, "GET", "/metrics", nil); r.Status != 200 || !strings.Contains(string(r.Raw), "liaison_http_requests_total") {
		t.Fatalf("with the token: %d", r.Status)
	}
}

func TestMetricsOnTheirOwnAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{Env: map[string]string{"LIAISON_METRICS_ADDR": addr}})
	if r := s.NewClient().Do(t, "GET", "/metrics", nil); r.Status == 200 || strings.Contains(string(r.Raw), "liaison_http_requests_total") {
		t.Fatalf("/metrics still served on the public address: %d", r.Status)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("metrics address: %d", resp.StatusCode)
	}
}

// Two processes on one database: only one exports the gauges that count
// the database's rows, so sums across replicas stay right; both export
// their own counters and say which one leads.
func TestDatabaseGaugesFromOneProcess(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s1 := testkit.StartServer(t, e, testkit.ServerOptions{})
		s2 := testkit.StartServer(t, e, testkit.ServerOptions{Env: map[string]string{
			"LIAISON_DATA_DIR": s1.App.Config.DataDir, "LIAISON_DATABASE_URL": s1.App.Config.DatabaseURL}})
		scrape := func(s *testkit.Server) string {
			return string(s.NewClient().Must(t, 200, "GET", "/metrics", nil).Raw)
		}
		m1 := scrape(s1)
		if !strings.Contains(m1, "liaison_metrics_leader 1") || !strings.Contains(m1, `liaison_jobs{status="queued"}`) ||
			!strings.Contains(m1, "liaison_mail_oldest_queued_age_seconds ") {
			t.Fatalf("first process should lead and export the gauges:\n%s", grepLiaison(m1))
		}
		m2 := scrape(s2)
		if !strings.Contains(m2, "liaison_metrics_leader 0") || strings.Contains(m2, "liaison_jobs{") ||
			strings.Contains(m2, "liaison_mail_outbox{") || strings.Contains(m2, "liaison_mail_oldest_queued_age_seconds ") {
			t.Fatalf("second process exports database-wide gauges:\n%s", grepLiaison(m2))
		}
		if m1 = scrape(s1); !strings.Contains(m1, "liaison_metrics_leader 1") {
			t.Fatal("the leader lost its lease while alive")
		}
	})
}

func grepLiaison(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "liaison_") && !strings.HasPrefix(l, "liaison_http") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
