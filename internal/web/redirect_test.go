package web_test

import (
	"net/url"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// evilTargets are redirect targets that a browser resolves on another host
// once it has cleaned them (issue 15): each must be replaced by the page's
// default.
var evilTargets = []string{
	"/\t/evil.test", "/\n/evil.test", "/\r\n/evil.test", "//evil.test", "/\\evil.test", "\\\\evil.test",
	"/%2F/evil.test", "/%5Cevil.test", "/%09/evil.test", "https://evil.test/", " //evil.test", "/\x00/evil.test",
	"/app/..//evil.test",
}

// TestRedirectTargetsStayOnSite: next= on the login page and form, the
// Login As page's return path and the end of Login As never lead off the
// site, whatever a browser makes of the target.
func TestRedirectTargetsStayOnSite(t *testing.T) {
	w := newAgencyWorld(t, db.SQLite)
	// A target with a control character is refused at the edge (400,
	// input.URL and input.Form); every other one is replaced by /app.
	staysOnSite := func(what string, a answer) {
		t.Helper()
		if a.status == 400 {
			return
		}
		a.redirects(t, what, "/app")
	}
	for _, evil := range evilTargets {
		staysOnSite("GET /login next="+evil, w.ada.get("/login?next="+url.QueryEscape(evil)))
		anon := newVisitor(t, w.s)
		staysOnSite("POST /login next="+evil, anon.post("/login", url.Values{"email": {adminEmail}, "password": {adminPass}, "next": {evil}}))
	}
	w.ada.get("/login?next=%2Fapp%2Fclients").redirects(t, "a path of the site", "/app/clients")

	w.s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID, AccessAll: true})
	start := "/app/clients/" + w.clientID + "/login-as"
	back := "/app/clients/" + w.clientID
	w.ada.get(start+"?from="+url.QueryEscape("/app/clients/%2F%2Fevil.test")).
		expect(t, "login-as page with an evil from", 200, `name="return_to" value="`+back+`"`)
	w.ada.post(start, url.Values{"return_to": {"/app/clients/%2F%2Fevil.test"}}).redirects(t, "start", "/app")
	w.ada.post("/app/login-as/end", nil).redirects(t, "end returns to the client's page", back)
	w.ada.post(start, url.Values{"return_to": {"/app/clients/..//evil.test"}}).redirects(t, "start again", "/app")
	w.ada.post("/app/login-as/end", nil).redirects(t, "end again", back)
}
