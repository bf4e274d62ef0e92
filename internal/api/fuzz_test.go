package api_test

import (
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// FuzzJSONBodies sends arbitrary bodies to the routes that decode JSON. None
// may answer 5xx, and every error must have the SPEC §10 shape.
func FuzzJSONBodies(f *testing.F) {
	seeds := []string{`{}`, `{"email":"a@b.co","password":"x"}`, `{"name":1}`, `[]`, `null`, `{"a":`, `"\u0000"`,
		`{"email":"` + "\xff\xfe" + `"}`, `{"token":"` + "lia_x" + `","password":"` + testkit.Password + `"}`,
		`{"name":"n","email":"n@example.com","password":"` + testkit.Password + `","account_name":"A","account_kind":"client","x":1}`}
	for _, s := range seeds {
		for _, p := range []uint8{0, 1, 2, 3, 4} {
			f.Add(p, s)
		}
	}
	s := testkit.StartServer(f, db.SQLite, testkit.ServerOptions{})
	authed, _, _ := s.Signup(f, "Fuzz", "fuzz@example.com", "Fuzz Co", "agency")
	paths := []string{"/api/v1/signup", "/api/v1/login", "/api/v1/password/forgot", "/api/v1/password/reset", "/api/v1/tokens"}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := paths[int(which)%len(paths)]
		c := s.NewClient()
		if path == "/api/v1/tokens" {
			c = authed
		}
		r := c.Do(t, "POST", path, body)
		if r.Status >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, r.Status, r.Raw)
		}
		if r.Status >= 400 && r.Status != 429 {
			if r.Code() == "" {
				t.Fatalf("POST %s %q: %d without an error code: %s", path, body, r.Status, r.Raw)
			}
		}
	})
}
