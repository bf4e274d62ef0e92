package api_test

import (
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func TestBadInputGetsClearErrors(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		c := s.NewClient()
		valid := `{"name":"Lu","email":"lu@example.com","password":"` + testkit.Password + `","account_name":"Lu Co","account_kind":"client"}`
		cases := []struct {
			name, body string
			status     int
			code       string
			mention    string
		}{
			{"malformed JSON", `{"name":`, 400, "", ""},
			{"unknown field", strings.Replace(valid, `"name":"Lu"`, `"name":"Lu","admin":true`, 1), 400, "", "admin"},
			{"wrong type", strings.Replace(valid, `"name":"Lu"`, `"name":42`, 1), 400, "invalid_name", "name"},
			{"missing field", strings.Replace(valid, `"name":"Lu",`, ``, 1), 400, "invalid_name", "name"},
			{"bad kind", strings.Replace(valid, `"client"`, `"bank"`, 1), 400, "invalid_account_kind", "account_kind"},
			{"bad e-mail", strings.Replace(valid, `lu@example.com`, `not-an-address`, 1), 400, "invalid_email", ""},
			{"weak password", strings.Replace(valid, testkit.Password, `password`, 1), 400, "invalid_password", ""},
			{"blank name", strings.Replace(valid, `"name":"Lu"`, `"name":"   "`, 1), 400, "invalid_name", ""},
		}
		for _, tc := range cases {
			r := c.Do(t, "POST", "/api/v1/signup", tc.body)
			msg, _ := r.Body["error"].(map[string]any)["message"].(string)
			if r.Status != tc.status || (tc.code != "" && r.Code() != tc.code) || msg == "" || !strings.Contains(msg+r.Code(), tc.mention) {
				t.Errorf("%s: %d %s", tc.name, r.Status, r.Raw)
			}
		}
		// Nothing above created a user.
		if r := c.Do(t, "POST", "/api/v1/login", map[string]any{"email": "lu@example.com", "password": testkit.Password}); r.Status != 401 {
			t.Fatalf("a rejected signup left a user behind: %d", r.Status)
		}
		big := `{"name":"` + strings.Repeat("x", 1<<20+10) + `"}`
		if r := c.Do(t, "POST", "/api/v1/signup", big); r.Status != 413 || r.Code() != "too_large" {
			t.Errorf("oversized body: %d %s", r.Status, r.Raw[:min(200, len(r.Raw))])
		}
		for _, path := range []string{"/api/v1/nope", "/api/v2/me", "/api/v1/accounts/x/y/z"} {
			if r := c.Do(t, "GET", path, nil); r.Status != 404 || r.Code() != "not_found" {
				t.Errorf("unknown route %s: %d %s", path, r.Status, r.Raw)
			}
		}
		if r := c.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 || r.Code() != "unauthorized" {
			t.Errorf("anonymous me: %d %s", r.Status, r.Raw)
		}
		c.Bearer = "lia_nonsense"
		if r := c.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 || r.Code() != "invalid_token" {
			t.Errorf("bad bearer: %d %s", r.Status, r.Raw)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	for _, path := range []string{"/api/v1/me", "/healthz", "/login"} {
		r := s.NewClient().Do(t, "GET", path, nil)
		h := r.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Request-Id") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain http", path)
		}
	}
}

func TestOperationsEndpoints(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	c := s.NewClient()
	c.Must(t, 200, "GET", "/healthz", nil)
	c.Must(t, 200, "GET", "/readyz", nil)
	c.Do(t, "GET", "/api/v1/me", nil)
	m := c.Must(t, 200, "GET", "/metrics", nil)
	for _, want := range []string{`liaison_http_requests_total{method="GET",route="GET /api/v1/me",status="401"}`,
		"liaison_http_request_duration_seconds_bucket", `liaison_jobs{status="queued"}`, `liaison_mail_outbox{status="sent"}`} {
		if !strings.Contains(string(m.Raw), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
