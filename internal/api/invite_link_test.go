package api_test

import (
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// POST /invitations/{id}/link (issue 18, seed 002 "copy link"): a pending
// e-mail invitation gets a link to copy; the e-mailed link keeps working,
// a link copied before stops; audited; others cannot.
func TestInvitationCopyLink(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, false)
		inv := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/invitations", map[string]any{"email": "carla@client.example"}).Body
		id := inv["id"].(string)
		lookup := func(url string, want int) {
			t.Helper()
			w.s.NewClient().Must(t, want, "GET", "/api/v1/invitations/lookup?token="+invToken(t, url), nil)
		}
		first := w.admin.Must(t, 200, "POST", "/api/v1/invitations/"+id+"/link", nil).Body["url"].(string)
		second := w.admin.Must(t, 200, "POST", "/api/v1/invitations/"+id+"/link", nil).Body["url"].(string)
		lookup(first, 404)
		lookup(second, 200)
		lookup(invMailURL(t, w.s, "carla@client.example"), 200)
		w.member.Must(t, 404, "POST", "/api/v1/invitations/"+id+"/link", nil) // the new client is not shared with members
		w.otherAd.Must(t, 404, "POST", "/api/v1/invitations/"+id+"/link", nil)
		if n := clAudits(t, w.s, w.agency, "invitation.link"); n != 2 {
			t.Errorf("%d invitation.link entries", n)
		}
		// Over: an accepted invitation has no link to copy.
		if r := invAccept(t, w.s, invToken(t, second), "Carla"); r.Status != 200 {
			t.Fatalf("accept: %d %s", r.Status, r.Raw)
		}
		wantError(t, w.admin.Do(t, "POST", "/api/v1/invitations/"+id+"/link", nil), 409, "invitation_accepted", "")
	})
}
