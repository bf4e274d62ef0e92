package api_test

import (
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Inviting the same address twice as a new client is a conflict (resend the
// first), not a second client; cancelling the only invitation of a client
// created for it, which nobody joined, removes that client with it.
func TestInviteNewClientTwiceAndCancel(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, false)
		p := "/api/v1/agencies/" + w.agency + "/invitations"
		clients := func() int {
			return count(t, w.s, `SELECT COUNT(*) FROM links WHERE agency_id = ? AND status = 'active'`, w.agency)
		}
		before := clients()
		r := w.admin.Must(t, 201, "POST", p, map[string]any{"email": "wile@acme.example", "client_name": "Acme"})
		invID, acme := r.Body["id"].(string), r.Body["account_id"].(string)
		wantError(t, w.admin.Do(t, "POST", p, map[string]any{"email": "Wile@acme.example", "client_name": "Acme again"}),
			409, "already_invited", "")
		if n := clients(); n != before+1 {
			t.Fatalf("%d clients after a second invitation to the same address, want %d", n, before+1)
		}
		// The first one may be resent.
		w.admin.Must(t, 200, "POST", "/api/v1/invitations/"+invID+"/resend", nil)

		// A client created for an invitation with someone else invited too
		// stays when the first invitation is cancelled.
		r = w.admin.Must(t, 201, "POST", p, map[string]any{"email": "road@runner.example", "client_name": "Runner"})
		runInv, runner := r.Body["id"].(string), r.Body["account_id"].(string)
		w.admin.Must(t, 201, "POST", p, map[string]any{"email": "coyote@runner.example", "client_account_id": runner})
		w.admin.Must(t, 204, "DELETE", "/api/v1/invitations/"+runInv, nil)
		w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/clients/"+runner, nil)

		// Cancelling Acme's only invitation removes Acme: no empty client
		// left in the list, the audit says so on the agency.
		w.admin.Must(t, 204, "DELETE", "/api/v1/invitations/"+invID, nil)
		w.admin.Must(t, 404, "GET", "/api/v1/agencies/"+w.agency+"/clients/"+acme, nil)
		for _, c := range clItems(w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/clients", nil)) {
			if c["id"] == acme {
				t.Fatalf("the cancelled invitation's client is still listed: %v", c)
			}
		}
		if n := clAudits(t, w.s, w.agency, "client.remove"); n != 1 {
			t.Errorf("%d client.remove entries on the agency", n)
		}
		// The invitation stays in the agency's list, cancelled.
		found := false
		for _, i := range w.admin.Must(t, 200, "GET", p, nil).Body["invitations"].([]any) {
			if m := i.(map[string]any); m["id"] == invID {
				found = m["status"] == "cancelled"
			}
		}
		if !found {
			t.Errorf("the cancelled invitation is not listed as cancelled")
		}
		// The address may now be invited as a new client again.
		w.admin.Must(t, 201, "POST", p, map[string]any{"email": "wile@acme.example", "client_name": "Acme"})
	})
}
