package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestProfileIsOutOfReachDuringLoginAs: while an agency user acts as a
// client, the profile page and its forms (name, password, digest) and the
// API's own-user routes are refused with a message, and the agency user's
// name stays (issue 15: the form renamed the impersonator).
func TestProfileIsOutOfReachDuringLoginAs(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		w.s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID, AccessAll: true})
		w.ada.post("/app/clients/"+w.clientID+"/login-as", url.Values{"return_to": {"/app/clients"}}).redirects(t, "start", "/app")

		const refused = "while you are logged in as a client. Return to your agency first."
		w.ada.get("/app/profile").expect(t, "profile page during Login As", 403, refused)
		w.ada.post("/app/profile", url.Values{"name": {"Renamed By Login As"}}).expect(t, "rename during Login As", 403, refused)
		w.ada.post("/app/profile/password", url.Values{"current_password": {adminPass}, "password": {"a passphrase of login as"}}).
			expect(t, "password during Login As", 403, refused)
		w.ada.post("/app/profile/digest", url.Values{}).expect(t, "digest during Login As", 403, refused)
		// The API's own-user routes (PATCH /me and PUT /me/password, once
		// built, are in refusedWhileImpersonating already).
		for _, r := range []struct{ method, path, body string }{
			{http.MethodPut, "/api/v1/me/preferences", `{"health_digest":false}`},
		} {
			req, _ := http.NewRequest(r.method, w.s.URL+r.path, strings.NewReader(r.body))
			req.Header.Set("Content-Type", "application/json")
			a := w.ada.do(req)
			if a.status != 403 || !strings.Contains(a.body, "impersonation_forbidden") {
				t.Errorf("%s %s during Login As: %d %s", r.method, r.path, a.status, a.body)
			}
		}

		w.ada.post("/app/login-as/end", nil).redirects(t, "end", "/app/clients")
		a := w.ada.get("/app/profile")
		a.expect(t, "profile after Login As", 200, `value="Ada Lovelace"`)
		a.lacks(t, "profile after Login As", "Renamed By Login As")
		w.s.Login(t, adminEmail, adminPass) // the password did not change
	})
}
