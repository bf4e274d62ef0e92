package server_test

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/server"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// syncBuffer is a log destination the server's goroutines write to while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// accessLines returns the access-log lines (msg "request") by request id.
func accessLines(t *testing.T, logged string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(logged))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil || m["msg"] != "request" {
			continue
		}
		id, _ := m["request_id"].(string)
		out[id] = m
	}
	return out
}

// An authenticated request, by cookie or by bearer token, is labelled with
// the route the mux matched in the metrics and the access log, like an
// anonymous one.
func TestAuthenticatedRequestsCarryTheirRoute(t *testing.T) {
	var logged syncBuffer
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{Options: server.Options{
		Log: slog.New(slog.NewJSONHandler(&logged, nil))}})
	cookie, _, agencyID := s.Signup(t, "Ada", "ada@example.com", "Acme", "agency")
	bearer := cookie.Token(t)
	cases := []struct {
		name   string
		c      *testkit.APIClient
		path   string
		route  string
		status string
	}{
		{"cookie", cookie, "/api/v1/agencies/" + agencyID + "/clients", "GET /api/v1/agencies/{id}/clients", "200"},
		{"bearer", bearer, "/api/v1/me", "GET /api/v1/me", "200"},
		{"cookie page", cookie, "/app/clients", "GET /app/clients", "200"},
	}
	for _, tc := range cases {
		r := tc.c.Do(t, "GET", tc.path, nil)
		if got := r.Status; got != 200 {
			t.Fatalf("%s %s: %d %s", tc.name, tc.path, got, r.Raw)
		}
		line := accessLines(t, logged.String())[r.Header.Get("X-Request-Id")]
		if line == nil || line["route"] != tc.route {
			t.Errorf("%s: access log line %v, want route %q", tc.name, line, tc.route)
		}
	}
	m := string(s.NewClient().Must(t, 200, "GET", "/metrics", nil).Raw)
	for _, tc := range cases {
		want := `liaison_http_requests_total{method="GET",route="` + tc.route + `",status="` + tc.status + `"}`
		if !strings.Contains(m, want) {
			t.Errorf("%s: /metrics lacks %s", tc.name, want)
		}
	}
}
