package server_test

import (
	"context"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/health"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// While the database takes no writes (here SQLite's write connection made
// read-only; a full disk or an unreachable PostgreSQL look the same to the
// code), /readyz says so, a change is answered 503 database_unavailable
// with Retry-After rather than 500 internal, and reads still answer — the
// client detail and list even when their stored rows are due a refresh
// they cannot write.
func TestDatabaseTakingNoWrites(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{FakeClock: true})
	admin, _, agency := s.Signup(t, "Ada Admin", "ada@example.com", "Agency A", "agency")
	_, _, acme := s.Signup(t, "Cleo Client", "cleo@acme.example", "Acme", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: agency, ClientID: acme, AccessAll: true})
	admin = admin.Token(t)
	p := "/api/v1/agencies/" + agency + "/clients/" + acme
	admin.Must(t, 200, "GET", p, nil)
	anon := s.NewClient()
	anon.Must(t, 200, "GET", "/readyz", nil)
	s.Clock.Advance(20 * health.Day) // the row falls due: at risk

	ctx := context.Background()
	if err := s.DB.SetReadOnlyForTest(ctx, true); err != nil {
		t.Fatal(err)
	}
	if r := anon.Do(t, "GET", "/readyz", nil); r.Status != 503 {
		t.Errorf("/readyz while the database takes no writes: %d %s", r.Status, r.Raw)
	}
	r := admin.Do(t, "PATCH", p, map[string]any{"seats": 3})
	if r.Status != 503 || r.Code() != "database_unavailable" || r.Header.Get("Retry-After") == "" {
		t.Errorf("PATCH while the database takes no writes: %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
	}
	if d := admin.Must(t, 200, "GET", p, nil).Body; d["status"] != "at_risk" {
		t.Errorf("detail while the database takes no writes: %v", d)
	}
	list := admin.Must(t, 200, "GET", "/api/v1/agencies/"+agency+"/clients", nil).Body["clients"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["status"] != "at_risk" {
		t.Errorf("list while the database takes no writes: %v", list)
	}
	if err := s.DB.SetReadOnlyForTest(ctx, false); err != nil {
		t.Fatal(err)
	}
	anon.Must(t, 200, "GET", "/readyz", nil)
	admin.Must(t, 200, "PATCH", p, map[string]any{"seats": 3})
}
