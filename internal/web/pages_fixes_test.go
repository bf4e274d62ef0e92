package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestClientPageWording: a client nobody has joined does not say it
// joined "just now" and does not announce invitations as coming soon
// above the working invite form; the agency hears of a full client in its
// own terms (it sets the seats), not "ask the agency".
func TestClientPageWording(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		ada := w.ada
		a := ada.post("/app/clients", url.Values{"name": {"Acme"}, "seats": {"1"}, "enabled": {"on"}, "access": {"all"}})
		a.expect(t, "create", 303)
		page := a.header.Get("Location")
		a = ada.get(page)
		a.expect(t, "client nobody joined", 200, "Nobody has joined Acme yet", "<dt>Joined</dt><dd><span class=\"muted\">nobody yet</span> · added",
			`action="`+page+`/invitations"`)
		a.lacks(t, "client nobody joined", "coming soon")

		ada.post(page+"/invitations", url.Values{"invite_email": {"one@acme.example"}, "invite_role": {"admin"}}).
			redirects(t, "first invitation", page+"#invitations")
		a = ada.post(page+"/invitations", url.Values{"invite_email": {"two@acme.example"}, "invite_role": {"member"}})
		a.expect(t, "no seat left", 422, `id="f-invite_email-error"`, "Raise its seat limit")
		a.lacks(t, "no seat left", "Ask the agency")

		// The client's own page, once someone joined, says when.
		w.s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID})
		a = ada.get("/app/clients/" + w.clientID)
		if !regexp.MustCompile(`<dt>Joined</dt><dd><time `).MatchString(a.body) {
			t.Fatalf("a joined client's page does not say when:\n%s", a.body)
		}
	})
}

// TestInvitationRowsExpiry: only an open invitation shows when it
// expires; an accepted or cancelled one says what became of it.
func TestInvitationRowsExpiry(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s, ada := w.s, w.ada
		for _, m := range []string{"carla@client.example", "eve@client.example"} {
			ada.post("/app/invitations", url.Values{"email": {m}, "client_name": {m}}).redirects(t, "invite "+m, "/app/invitations")
		}
		// Dan into an existing client, so that his cancelled invitation
		// stays (one into a client created for it goes with the client).
		acme := ada.post("/app/clients", url.Values{"name": {"Acme"}, "seats": {"0"}, "enabled": {"on"}, "access": {"all"}}).header.Get("Location")
		ada.post(acme+"/invitations", url.Values{"invite_email": {"dan@client.example"}, "invite_role": {"member"}}).
			redirects(t, "invite dan", acme+"#invitations")
		link := outboxLink(t, s, "carla@client.example")
		newVisitor(t, s).post(strings.TrimPrefix(link, s.URL), url.Values{"name": {"Carla"}, "password": {testkit.Password}}).
			redirects(t, "carla accepts", "/app")
		var dan string
		if err := s.DB.Get(t.Context(), &dan, `SELECT id FROM invitations WHERE email = ?`, "dan@client.example"); err != nil {
			t.Fatal(err)
		}
		ada.post("/app/invitations/"+dan+"/cancel", nil).redirects(t, "cancel dan", "/app/invitations")

		a := ada.get("/app/invitations?status=all")
		rows := regexp.MustCompile(`(?s)<tr>\s*<td class="row-head"><span class="email">([^<]+)</span>.*?</tr>`).FindAllStringSubmatch(a.body, -1)
		if len(rows) != 3 {
			t.Fatalf("%d rows:\n%s", len(rows), a.body)
		}
		for _, r := range rows {
			expires := regexp.MustCompile(`(?s)data-label="Expires">(.*?)</td>`).FindStringSubmatch(r[0])[1]
			switch r[1] {
			case "eve@client.example":
				if !strings.Contains(expires, "in 14 days") {
					t.Fatalf("the open invitation's expiry: %q", expires)
				}
			case "carla@client.example", "dan@client.example":
				want := map[string]string{"carla@client.example": "accepted", "dan@client.example": "cancelled"}[r[1]]
				if strings.Contains(expires, "in ") || !strings.Contains(expires, want) {
					t.Fatalf("the %s invitation of %s shows %q", want, r[1], expires)
				}
			}
		}
	})
}

// TestLogoErrorBesideItsField: a refused logo upload shows its error under
// the slot's file field, with the page opened at that slot, not in a
// notice at the top of a long page.
func TestLogoErrorBesideItsField(t *testing.T) {
	w := newAgencyWorld(t, db.SQLite)
	ada := w.ada
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)
	ada.upload("/app/portal/logos/dark", "logo.png", svg).redirects(t, "svg upload", "/app/portal#logo-dark")
	a := ada.get("/app/portal")
	a.expect(t, "error beside the field", 200, `id="logo-dark"`, `id="logo-dark-error"`, `aria-describedby="logo-dark-error"`, "SVG")
	a.lacks(t, "error beside the field", "notice-error")
	if i, j := strings.Index(a.body, `id="logo-dark"`), strings.Index(a.body, `id="logo-dark-error"`); i < 0 || j < i ||
		strings.Contains(a.body[i:j], `class="logo-slot`) {
		t.Fatal("the error is not in the dark logo's slot")
	}
}
