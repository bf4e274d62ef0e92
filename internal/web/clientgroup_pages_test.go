package web_test

import (
	"image/color"
	"net/http"
	"net/url"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// groupsWorld is an agency with client Navy (admin Grace; members Fiona
// and Tom), granted Nike, with two reports of Nike: Revenue and Traffic.
type groupsWorld struct {
	*agencyWorld
	fiona, tom       *visitor
	fionaID          string
	revenue, traffic string
	api              *testkit.APIClient
	wayne            string // a second client of the agency, with Nike
	bruce            *visitor
}

func newGroupsWorld(t *testing.T, e db.Dialect) *groupsWorld {
	w := &groupsWorld{agencyWorld: newAgencyWorld(t, e)}
	s := w.s
	s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID, AccessAll: true})
	w.api = s.Login(t, adminEmail, adminPass)
	w.api.Must(t, http.StatusNoContent, "PUT", "/api/v1/agencies/"+w.agencyID+"/clients/"+w.clientID+"/brands/"+w.nike, nil)
	_, w.fionaID, _ = s.Signup(t, "Fiona Finance", "fiona@navy.example", "Fiona Own", "client")
	s.AddMember(t, w.clientID, w.fionaID, "member")
	_, tomID, _ := s.Signup(t, "Tom Other", "tom@navy.example", "Tom Own", "client")
	s.AddMember(t, w.clientID, tomID, "member")
	w.fiona = loginAs(t, s, "fiona@navy.example", testkit.Password)
	w.tom = loginAs(t, s, "tom@navy.example", testkit.Password)
	w.revenue = w.api.Must(t, 201, "POST", "/api/v1/brands/"+w.nike+"/reports", map[string]any{"title": "Revenue"}).Body["id"].(string)
	w.traffic = w.api.Must(t, 201, "POST", "/api/v1/brands/"+w.nike+"/reports", map[string]any{"title": "Traffic"}).Body["id"].(string)
	_, _, w.wayne = s.Signup(t, "Bruce Wayne", "bruce@wayne.example", "Wayne Client", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.wayne, AccessAll: true})
	w.api.Must(t, http.StatusNoContent, "PUT", "/api/v1/agencies/"+w.agencyID+"/clients/"+w.wayne+"/brands/"+w.nike, nil)
	w.bruce = loginAs(t, s, "bruce@wayne.example", testkit.Password)
	return w
}

// switchTo makes the visitor's client account the current one (their own
// sign-up account comes first otherwise).
func switchTo(t *testing.T, v *visitor, accountID string) {
	t.Helper()
	v.post("/app/switch", url.Values{"account_id": {accountID}}).redirects(t, "switch", "/app")
}

// TestClientGroupPages: the client admin's Groups page (nav, create with
// errors beside the field, members), the same page on the agency's client
// page, report sharing from its page, what each member then sees, the
// full-screen view, and the client's own branding page.
func TestClientGroupPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newGroupsWorld(t, e)
		s := w.s
		switchTo(t, w.fiona, w.clientID)
		switchTo(t, w.tom, w.clientID)
		nav := `href="/app/user-groups"`
		w.grace.get("/app").expect(t, "admin's portal", 200, nav)
		w.fiona.get("/app").lacks(t, "member's portal", nav)
		w.fiona.get("/app/user-groups").expect(t, "member opens groups", 403)
		w.grace.get("/app/user-groups").expect(t, "empty groups", 200, "No groups yet", "Create group")
		w.grace.post("/app/user-groups", url.Values{"name": {" "}}).expect(t, "blank name", 400, `id="f-name-error"`, "Enter a name.")
		w.grace.post("/app/user-groups", url.Values{"name": {"Finance"}}).expect(t, "create", 303)
		w.grace.post("/app/user-groups", url.Values{"name": {"FINANCE"}}).expect(t, "duplicate", 409, `id="f-name-error"`, `value="FINANCE"`)
		var gid string
		if err := s.DB.Get(t.Context(), &gid, `SELECT id FROM client_groups WHERE client_id = ?`, w.clientID); err != nil {
			t.Fatal(err)
		}
		w.grace.post("/app/user-groups/"+gid+"/members", url.Values{"user_ids": {w.fionaID}}).expect(t, "members", 303)
		w.grace.get("/app/user-groups").expect(t, "groups", 200, "Finance", "Fiona Finance", `value="`+w.fionaID+`" checked`)

		// The agency sees and changes the same groups from the client's page.
		w.ada.get("/app/clients/"+w.clientID).expect(t, "client page", 200, `href="/app/clients/`+w.clientID+`/groups"`,
			`href="/app/clients/`+w.clientID+`/branding"`)
		w.ada.get("/app/clients/"+w.clientID+"/groups").expect(t, "agency groups page", 200, "Finance", "Fiona Finance")
		w.ada.post("/app/clients/"+w.clientID+"/groups/"+gid+"/rename", url.Values{"name": {"Finance team"}}).expect(t, "rename", 303)
		w.grace.get("/app/user-groups").expect(t, "renamed", 200, "Finance team")
		w.ada.get("/app/clients/"+w.wayne+"/groups/"+gid+"/delete").expect(t, "GET on a post", 404)
		w.ada.post("/app/clients/"+w.wayne+"/groups/"+gid+"/delete", nil).expect(t, "another client's group", 404)

		// Sharing Revenue with the group from the report's page.
		w.ada.get("/app/reports/"+w.revenue).expect(t, "report page", 200, `/app/reports/`+w.revenue+`/sharing`, "Full screen")
		w.ada.get("/app/reports/"+w.revenue+"/sharing").expect(t, "sharing page", 200, "Navy Client", "Wayne Client", "Finance team")
		w.ada.post("/app/reports/"+w.revenue+"/sharing", url.Values{"client_ids": {w.clientID}, "share-" + w.clientID: {"groups"},
			"groups-" + w.clientID: {gid}}).expect(t, "share", 303)
		w.ada.get("/app/reports/"+w.revenue+"/sharing").expect(t, "shared", 200, `value="`+gid+`" checked`)
		w.grace.get("/app/reports/"+w.revenue+"/sharing").expect(t, "client admin on sharing", 404)

		w.fiona.get("/app/reports").expect(t, "Fiona's reports", 200, "Revenue", "Traffic")
		w.tom.get("/app/reports").expect(t, "Tom's reports", 200, "Traffic")
		w.tom.get("/app/reports").lacks(t, "Tom's reports", "Revenue")
		w.tom.get("/app/reports/"+w.revenue).expect(t, "Tom opens Revenue", 404)
		w.tom.get("/app/reports/"+w.revenue+"/fullscreen").expect(t, "Tom, full screen", 404)
		w.fiona.get("/app/reports/"+w.revenue).expect(t, "Fiona opens Revenue", 200, `/app/reports/`+w.revenue+`/fullscreen`)
		w.grace.get("/app/reports").expect(t, "admin's reports", 200, "Revenue", "Traffic")

		// The full-screen view: no navigation, the way back.
		fs := w.fiona.get("/app/reports/" + w.revenue + "/fullscreen")
		fs.expect(t, "full screen", 200, "Exit full screen", `class="fullscreen"`)
		fs.lacks(t, "full screen", `class="sidebar"`, `class="topbar"`)

		// The client's own branding.
		w.ada.get("/app/clients/"+w.clientID+"/branding").expect(t, "branding page", 200, "Full-screen logo", "Portal name")
		w.ada.post("/app/clients/"+w.clientID+"/branding", url.Values{"portal_name": {"Navy × Analytical"}}).expect(t, "name", 303)
		w.ada.upload("/app/clients/"+w.clientID+"/branding/logos/light", "logo.png", []byte("<svg/>")).
			expect(t, "svg logo", 303)
		w.ada.get("/app/clients/"+w.clientID+"/branding").expect(t, "svg refused", 200, `id="logo-light-error"`)
		w.ada.upload("/app/clients/"+w.clientID+"/branding/logos/fullscreen", "big.png", solidPNG(t, 200, 60, color.RGBA{10, 20, 30, 255})).
			expect(t, "fullscreen logo", 303)
		var fsURL string
		if err := s.DB.Get(t.Context(), &fsURL, `SELECT hash FROM client_logos WHERE client_id = ? AND slot = 'fullscreen'`, w.clientID); err != nil {
			t.Fatal(err)
		}
		w.fiona.get("/app/reports/"+w.revenue+"/fullscreen").expect(t, "full-screen logo", 200, "/brand/logos/"+fsURL+".png")
		w.grace.get("/app").expect(t, "co-branded name", 200, "Navy × Analytical")

		// During Login As, the agency manages the groups as the client's admin.
		w.ada.post("/app/clients/"+w.clientID+"/login-as", url.Values{"return_to": {"/app/clients"}}).redirects(t, "start", "/app")
		w.ada.get("/app").expect(t, "portal as the client", 200, `href="/app/user-groups"`, "Navy × Analytical")
		w.ada.post("/app/user-groups", url.Values{"name": {"Marketing"}}).expect(t, "create as the client", 303)
		w.ada.get("/app/user-groups").expect(t, "groups as the client", 200, "Marketing", "Finance team")
		w.ada.get("/app/reports/"+w.revenue).expect(t, "report as the client", 200, "Revenue")
		w.ada.post("/app/login-as/end", nil).expect(t, "end", 303)
		if n := count(t, s, `SELECT COUNT(*) FROM audit_events WHERE action = 'client_group.create' AND impersonator_id IS NOT NULL`); n == 0 {
			t.Errorf("the group made during Login As is not audited with its impersonator")
		}
		w.bruce.get("/app").lacks(t, "other client's portal", "Navy × Analytical")
	})
}
