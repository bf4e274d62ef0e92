package api_test

import (
	"net/http"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestResponsesAreNotCached: every answer that depends on the caller — API
// JSON and errors, CSV, pages and redirects, by cookie or by token — says
// Cache-Control: no-store; static files keep their own caching (issue 15).
func TestResponsesAreNotCached(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	c, _, agency := s.Signup(t, "Ada", "ada@example.com", "Ada Agency", "agency")
	tok := c.Token(t)
	anon := s.NewClient()
	check := func(what string, r testkit.Response) {
		t.Helper()
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s (%d): Cache-Control %q, want no-store", what, r.Status, got)
		}
	}
	check("GET /me by cookie", c.Must(t, 200, "GET", "/api/v1/me", nil))
	check("GET /me by token", tok.Must(t, 200, "GET", "/api/v1/me", nil))
	check("client list", c.Must(t, 200, "GET", "/api/v1/agencies/"+agency+"/clients", nil))
	check("client CSV", c.Must(t, 200, "GET", "/api/v1/agencies/"+agency+"/clients.csv", nil))
	check("login", anon.Must(t, 200, "POST", "/api/v1/login", map[string]any{"email": "ada@example.com", "password": testkit.Password}))
	check("401", s.NewClient().Must(t, 401, "GET", "/api/v1/me", nil))
	check("404 of another tenant", c.Must(t, 404, "GET", "/api/v1/accounts/acc_nope", nil))
	check("app page", c.Must(t, 200, "GET", "/app", nil))
	check("a page's redirect", s.NewClient().Must(t, http.StatusSeeOther, "GET", "/app/clients", nil))
	check("login page", s.NewClient().Must(t, 200, "GET", "/login", nil))

	for _, p := range []string{"/static/js/forms.js", "/static/css/app.css"} {
		if cc := s.NewClient().Must(t, 200, "GET", p, nil).Header.Get("Cache-Control"); cc == "no-store" || cc == "" {
			t.Errorf("%s: Cache-Control %q, want its own caching", p, cc)
		}
	}
}
