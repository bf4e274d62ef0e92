package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestWebhookPages: Settings → Webhooks. The admin adds an endpoint (its
// errors beside their fields, its secret shown once), edits it, sees its
// deliveries and resends one, rotates its secret and deletes it; a member
// of the agency is refused, a client user and another agency find nothing.
func TestWebhookPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		w.ada.get("/app/settings").expect(t, "settings", 200, `href="/app/settings/webhooks"`)
		w.ada.get("/app/settings/webhooks").expect(t, "none", 200, "No webhooks yet", `name="events" value="link.accepted"`)
		w.ada.post("/app/settings/webhooks", url.Values{"url": {"http://hooks.example.com/x"}, "events": {"link.accepted"}}).
			expect(t, "http", 400, `id="f-url-error"`, "https://", `value="link.accepted" checked`)
		w.ada.post("/app/settings/webhooks", url.Values{"url": {"https://10.0.0.1/x"}, "events": {"link.accepted"}}).
			expect(t, "private", 400, `id="f-url-error"`, "private or local")
		w.ada.post("/app/settings/webhooks", url.Values{"url": {"https://hooks.example.invalid/x"}}).
			expect(t, "no events", 400, `id="f-events-error"`, "Pick at least one event", `value="https://hooks.example.invalid/x"`)
		a := w.ada.post("/app/settings/webhooks", url.Values{"url": {"https://hooks.example.invalid/x"}, "description": {"CRM"},
			"events": {"link.accepted", "invitation.sent"}})
		a.expect(t, "created", 201, "Signing secret of", "shown this once")
		secret := regexp.MustCompile(`value="(whsec_[^"]+)"`).FindStringSubmatch(a.body)
		if secret == nil {
			t.Fatalf("no secret on the page:\n%s", a.body)
		}
		list := w.ada.get("/app/settings/webhooks")
		if strings.Contains(list.body, secret[1]) {
			t.Fatal("the secret is shown again")
		}
		id := regexp.MustCompile(`href="/app/settings/webhooks/(whk_[a-z0-9]+)"`).FindStringSubmatch(list.body)[1]
		page := "/app/settings/webhooks/" + id
		w.ada.get(page).expect(t, "page", 200, "No deliveries yet", `value="invitation.sent" checked`, "Rotate signing secret")
		w.ada.post(page, url.Values{"url": {"https://hooks.example.invalid/y"}, "events": {}, "enabled": {"on"}}).
			expect(t, "edit without events", 400, `id="f-events-error"`)
		w.ada.post(page, url.Values{"url": {"https://hooks.example.invalid/y"}, "events": {"invitation.sent"}, "enabled": {"on"}}).
			redirects(t, "edit", page)
		// An invitation is an event: its delivery is listed (it fails, the
		// host never resolves) and can be resent.
		w.ada.post("/app/members/invitations", url.Values{"invite_email": {"new@example.com"}, "invite_role": {"member"}})
		if n := count(t, w.s, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?`, id); n != 1 {
			t.Fatalf("%d deliveries after an invitation", n)
		}
		p := w.ada.get(page)
		p.expect(t, "deliveries", 200, "invitation.sent", "Resend")
		did := regexp.MustCompile(`/deliveries/(whd_[a-z0-9]+)/resend`).FindStringSubmatch(p.body)[1]
		w.ada.post(page+"/deliveries/"+did+"/resend", url.Values{}).redirects(t, "resend", page+"#deliveries")
		w.ada.post(page+"/secret", url.Values{}).expect(t, "rotated", 200, "New signing secret", "whsec_")

		// Others: a client user and an agency member find nothing or are refused.
		if r := w.grace.get(page); r.status != 404 {
			t.Errorf("client user: %d", r.status)
		}
		_, memID, _ := w.s.Signup(t, "Mia Member", "mia@navy.example", "Mia Own", "client")
		w.s.AddMember(t, w.agencyID, memID, "member")
		mia := loginAs(t, w.s, "mia@navy.example", testkit.Password)
		mia.post("/app/switch", url.Values{"account_id": {w.agencyID}})
		if r := mia.get("/app/settings/webhooks"); r.status != 403 {
			t.Errorf("agency member: %d", r.status)
		}
		if r := mia.get(page); r.status != 403 {
			t.Errorf("agency member on the endpoint: %d", r.status)
		}
		w.ada.post(page+"/delete", url.Values{}).redirects(t, "delete", "/app/settings/webhooks")
		w.ada.get(page).expect(t, "deleted", 404)
	})
}
