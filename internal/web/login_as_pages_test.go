package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestLoginAsPages: the Login As buttons, the Login As page, the banner on
// every page (including error pages) while it lasts, Return, the reason
// rule, the client's security page, and a page request after the end.
func TestLoginAsPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		w.s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID, AccessAll: true})
		start := "/app/clients/" + w.clientID + "/login-as"
		w.ada.get("/app/clients").expect(t, "client list", 200, start+"?from=/app/clients")
		w.ada.get("/app/clients/"+w.clientID).expect(t, "client detail", 200, start)
		w.ada.get(start+"?from=/app/clients").expect(t, "login-as page", 200, "Login As Navy Client",
			"Navy Client's admins get an e-mail now", `name="return_to" value="/app/clients"`)

		w.ada.post(start, url.Values{"return_to": {"/app/clients"}}).redirects(t, "start", "/app")
		banner := "You are viewing <strong>Navy Client</strong> as <strong>Ada Lovelace</strong>"
		for _, p := range []struct {
			path   string
			status int
		}{{"/app", 200}, {"/app/users", 200}, {"/app/agencies", 200}, {"/app/security", 403}, {"/app/sessions", 403},
			{"/app/tokens", 403}, {"/app/clients", 404}, {"/no-such-page", 404}} {
			a := w.ada.get(p.path)
			a.expect(t, p.path+" during Login As", p.status, banner, "Return to agency dashboard")
			if a.header.Get("Liaison-Impersonation") == "" {
				t.Errorf("%s: no Liaison-Impersonation header", p.path)
			}
		}
		w.ada.get("/app/users").expect(t, "users as the client's admin", 200, "Grace Hopper")
		w.ada.post("/app/login-as/end", nil).redirects(t, "return", "/app/clients")
		a := w.ada.get("/app/clients")
		a.expect(t, "back in the agency", 200, "You are back in your agency")
		a.lacks(t, "back in the agency", "login-as-banner")

		// The reason, when the agency requires one, is asked beside its field.
		a = w.ada.get("/app/settings")
		a.expect(t, "settings", 200, `id="f-notify_client_on_impersonation" checked`)
		a.lacks(t, "settings", `id="f-impersonation_reason_required" checked`)
		w.ada.post("/app/settings", url.Values{"at_risk_days": {"14"}, "churn_days": {"45"}, "client_invite_ttl_days": {"14"},
			"team_invite_ttl_days": {"7"}, "impersonation_idle_minutes": {"15"}, "impersonation_reason_required": {"on"},
			"notify_client_on_impersonation": {"on"}}).redirects(t, "settings", "/app/settings")
		w.ada.get("/app/settings").expect(t, "saved", 200, `id="f-impersonation_reason_required" checked`)
		w.ada.post(start, url.Values{"return_to": {"/app/clients"}}).expect(t, "no reason", 400, "Give a reason")
		w.ada.post(start, url.Values{"reason": {"Ticket 7"}, "return_to": {"/app/clients/" + w.clientID}}).redirects(t, "start with a reason", "/app")

		// The client's admin reads the log and turns Login As off; the
		// impersonator's next page returns them to the agency with the reason.
		w.grace.get("/app/security").expect(t, "security page", 200, "Login As log", "Ada Lovelace", "Ticket 7", "in progress", "Opened Users")
		w.grace.post("/app/security", url.Values{}).redirects(t, "turn off", "/app/security")
		w.ada.get("/app/users").redirects(t, "after the client turned it off", "/app/clients/"+w.clientID)
		w.ada.get("/app/clients/"+w.clientID).expect(t, "notice", 200, "turned Login As off")
		w.ada.get(start).expect(t, "login-as page when off", 200)
		w.ada.post(start, url.Values{"reason": {"again"}}).expect(t, "start when off", 403, "turned off Login As")
		if n := count(t, w.s, `SELECT COUNT(*) FROM mail_outbox WHERE template = 'impersonation_started'`); n != 2 {
			t.Errorf("%d Login As e-mails, want 2", n)
		}
		if !strings.Contains(w.grace.get("/app/security").body, "Login As was turned off") {
			t.Error("the log does not say why the last Login As ended")
		}
	})
}
