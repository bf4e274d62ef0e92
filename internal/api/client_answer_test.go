package api_test

import (
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/health"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// A change's answer is the client a GET right after returns: the triggers
// rebuild the stored row inside the change's transaction (status reset,
// last activity cleared, due at once), and the answer must not be read
// from that row as it is.
func TestClientChangeAnswersWhatGETReturns(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		admin, _, agency := s.Signup(t, "Ada Admin", "ada@example.com", "Agency A", "agency")
		_, _, acme := s.Signup(t, "Cleo Client", "cleo@acme.example", "Acme", "client")
		s.AddLink(t, testkit.LinkFixture{AgencyID: agency, ClientID: acme, AccessAll: true})
		admin = admin.Token(t)
		p := "/api/v1/agencies/" + agency + "/clients/" + acme
		s.Clock.Advance(20 * health.Day) // at risk: no login for 14 days
		if d := admin.Must(t, 200, "GET", p, nil).Body; d["status"] != "at_risk" || d["last_active_at"] == nil {
			t.Fatalf("before: %v", d)
		}
		same := func(what string, answer map[string]any) {
			t.Helper()
			got := admin.Must(t, 200, "GET", p, nil).Body
			for _, k := range []string{"status", "last_active_at", "seats", "enabled", "revoked_at", "users_count"} {
				if answer[k] != got[k] {
					t.Errorf("%s answered %s = %v; the next GET says %v", what, k, answer[k], got[k])
				}
			}
		}
		same("PATCH", admin.Must(t, 200, "PATCH", p, map[string]any{"seats": 3}).Body)
		same("revoke", admin.Must(t, 200, "POST", p+"/revoke", nil).Body)
	})
}
