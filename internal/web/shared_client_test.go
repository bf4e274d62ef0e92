package web_test

import (
	"net/url"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Issue 15 on the pages: Grace's client is shared by Ada's agency and a
// rival agency (Rita). On the client's page each agency finds its own
// invitations (with Resend and Cancel), the client's own (without them),
// and nothing of the other's — not its invitee, its brand or its Login As
// in the activity; and the guard refuses it the other's invitations (404),
// changing nothing.
func TestSharedClientPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s, ada := w.s, w.ada
		s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID, AccessAll: true})
		rita, _, rival := s.Signup(t, "Rita Rival", "rita@rival.example", "Rival Agency", "agency")
		s.AddLink(t, testkit.LinkFixture{AgencyID: rival, ClientID: w.clientID, AccessAll: true})
		rivalBrand := s.AddBrand(t, rival, "Rival Secret Brand")
		client := "/api/v1/agencies/" + rival + "/clients/" + w.clientID
		rita.Must(t, 204, "PUT", client+"/brands/"+rivalBrand, nil)
		ritaInv := rita.Must(t, 201, "POST", "/api/v1/agencies/"+rival+"/invitations", map[string]any{"email": "rivals-pick@navy.example",
			"client_account_id": w.clientID, "role": "member", "brand_ids": []string{rivalBrand}, "message": "Rival private note"}).Body["id"].(string)
		rita.Must(t, 200, "POST", client+"/impersonate", map[string]any{"reason": "rival ticket"})
		rita.Must(t, 204, "POST", "/api/v1/activity", map[string]any{"page": "reports", "brand_id": rivalBrand})
		rita.Must(t, 200, "POST", "/api/v1/impersonation/end", nil)

		page := "/app/clients/" + w.clientID
		ada.post(page+"/invitations", url.Values{"invite_email": {"adas-pick@navy.example"}, "invite_role": {"member"}}).
			redirects(t, "ada invites", page+"#invitations")
		w.grace.post("/app/users/invitations", url.Values{"invite_email": {"graces-pick@navy.example"}, "invite_role": {"member"}}).
			redirects(t, "grace invites", "/app/users#invitations")
		var adaInv, graceInv string
		for email, id := range map[string]*string{"adas-pick@navy.example": &adaInv, "graces-pick@navy.example": &graceInv} {
			if err := s.DB.Get(t.Context(), id, `SELECT id FROM invitations WHERE email = ?`, email); err != nil {
				t.Fatal(err)
			}
		}
		gc := s.Login(t, w.graceEmail, w.gracePw)
		gc.Must(t, 204, "POST", "/api/v1/activity", map[string]any{"page": "reports", "brand_id": rivalBrand})

		s.Activity.Flush(t.Context()) // page views are written in batches (activity/recorder.go)

		// Each leak of issue 15 is its own subtest, so each one fails on its own.
		t.Run("client page", func(t *testing.T) {
			a := ada.get(page)
			a.expect(t, "ada's page of the shared client", 200, "adas-pick@navy.example", "graces-pick@navy.example",
				`action="/app/invitations/`+adaInv+`/resend"`, `action="/app/invitations/`+adaInv+`/cancel"`)
			a.lacks(t, "ada's page of the shared client", "rivals-pick@navy.example", ritaInv, "Rival Secret Brand", "Rival private note")
		})
		t.Run("no buttons on the client's own invitation", func(t *testing.T) {
			ada.get(page).lacks(t, "ada's page of the shared client",
				`action="/app/invitations/`+graceInv+`/resend"`, `action="/app/invitations/`+graceInv+`/cancel"`)
		})
		t.Run("activity", func(t *testing.T) {
			act := ada.get(page + "/activity")
			act.expect(t, "ada's activity of the shared client", 200, "Grace Hopper")
			// Rita's Login As is not Ada's business, not even unnamed.
			act.lacks(t, "ada's activity of the shared client", "Rita Rival", "Rival Secret Brand", "an agency user")
		})
		t.Run("guard", func(t *testing.T) {
			ada.post("/app/invitations/"+ritaInv+"/resend", url.Values{"back": {page}}).expect(t, "ada resends rita's invitation", 404)
			ada.post("/app/invitations/"+ritaInv+"/cancel", url.Values{"back": {page}}).expect(t, "ada cancels rita's invitation", 404)
			ada.post("/app/invitations/"+graceInv+"/cancel", url.Values{"back": {page}}).expect(t, "ada cancels grace's invitation", 403)
		})
		if n := count(t, s, `SELECT COUNT(*) FROM invitations WHERE status = 'pending' AND sent_at = created_at`); n != 3 {
			t.Fatalf("%d untouched invitations, want 3", n)
		}
		// Grace's page of her users has all three, and she acts on each.
		u := w.grace.get("/app/users")
		u.expect(t, "grace's users", 200, "rivals-pick@navy.example", "adas-pick@navy.example", "graces-pick@navy.example",
			`action="/app/invitations/`+ritaInv+`/cancel"`)
		w.grace.post("/app/invitations/"+ritaInv+"/cancel", url.Values{"back": {"/app/users"}}).redirects(t, "grace cancels", "/app/users")
	})
}
