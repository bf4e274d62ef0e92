package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// plainName is what a white-labelled portal must never show.
const plainName = "Liaison"

// branded fails unless the page wears the agency's brand with Liaison's
// name nowhere in it.
func (a answer) branded(t *testing.T, what string, status int) {
	t.Helper()
	a.expect(t, what, status, "<title>", "Analytical Portal", "/brand/themes/")
	a.lacks(t, what, plainName, `class="logo"`)
}

// mailTo returns the newest e-mail of the template to an address.
func mailTo(t *testing.T, s *testkit.Server, template, to string) mail.Message {
	t.Helper()
	msgs, _, err := s.Mailer.List(t.Context(), 200, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Template == template && m.To == to {
			return m
		}
	}
	t.Fatalf("no %s e-mail to %s", template, to)
	return mail.Message{}
}

// noLiaison fails when an e-mail names Liaison anywhere a person sees.
func noLiaison(t *testing.T, m mail.Message) {
	t.Helper()
	for part, s := range map[string]string{"subject": m.Subject, "from": m.FromName, "text": m.Text, "html": m.HTML} {
		if strings.Contains(s, plainName) {
			t.Fatalf("the %s e-mail to %s names Liaison in its %s: %q", m.Template, m.To, part, s)
		}
	}
}

// TestWhiteLabelOnOwnHost: with "hide Liaison" on and no custom domain, a
// client's user never sees Liaison on the server's own host either: the
// login page after logging out, the password-reset e-mail and page (the
// user's accounts are all clients of the agency), the log-in step of an
// invitation to an existing account, a cancelled invitation, the refusal
// of a disabled client, and the portal's empty states. The agency's
// welcome message is rendered once, never shown as Markdown.
func TestWhiteLabelOnOwnHost(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s, grace := w.s, w.grace
		brandAgency(t, s, w.agencyID)
		s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID})

		// The portal, its empty reports page, then the login page after
		// logging out.
		grace.get("/app").branded(t, "portal home", 200)
		grace.get("/app/reports").branded(t, "empty reports", 200)
		grace.post("/logout", nil).redirects(t, "log out", "/login")
		grace.get("/login").branded(t, "login after logout", 200)
		grace.get("/forgot").branded(t, "forgot after logout", 200)

		// The password reset, asked for in a fresh browser.
		anon := newVisitor(t, s)
		anon.post("/forgot", url.Values{"email": {w.graceEmail}}).redirects(t, "forgot", "/forgot")
		reset := mailTo(t, s, "password_reset", w.graceEmail)
		noLiaison(t, reset)
		if reset.FromName != "Analytical Portal" || !strings.Contains(reset.Subject, "Analytical Portal") {
			t.Fatalf("reset e-mail from %q, subject %q", reset.FromName, reset.Subject)
		}
		link := s.MailLink(t, "password_reset", w.graceEmail, "/reset/")
		fresh := newVisitor(t, s)
		fresh.get(strings.TrimPrefix(link, s.URL)).branded(t, "reset page", 200)
		fresh.post(strings.TrimPrefix(link, s.URL), url.Values{"password": {"short"}}).branded(t, "reset page with an error", 400)
		fresh.post(strings.TrimPrefix(link, s.URL), url.Values{"password": {"a brand new passphrase"}}).redirects(t, "reset", "/app")
		noLiaison(t, mailTo(t, s, "password_changed", w.graceEmail))
		newVisitor(t, s).get(strings.TrimPrefix(link, s.URL)).expect(t, "used reset link", http.StatusGone)

		// An invitation to the existing account, into a second client of
		// the agency: the e-mail, the landing and the log-in step.
		w.ada.post("/app/invitations", url.Values{"email": {w.graceEmail}, "client_name": {"Navy Reserve"}}).
			redirects(t, "invite grace", "/app/invitations")
		noLiaison(t, mailTo(t, s, "invitation", w.graceEmail))
		inv := strings.TrimPrefix(outboxLink(t, s, w.graceEmail), s.URL)
		anon = newVisitor(t, s)
		anon.get(inv).branded(t, "invitation landing, existing account", 200)
		login := "/login?next=" + url.QueryEscape(inv)
		anon.get(login).branded(t, "log-in step of the invitation", 200)
		anon.post("/login", url.Values{"email": {w.graceEmail}, "password": {"wrong password"}, "next": {inv}}).
			branded(t, "log-in step with a wrong password", 401)
		anon.post("/login", url.Values{"email": {w.graceEmail}, "password": {"a brand new passphrase"}, "next": {inv}}).
			redirects(t, "log in to accept", inv)
		anon.post(inv, nil).redirects(t, "accept", "/app")
		home := anon.get("/app")
		home.branded(t, "portal after accepting", 200)
		if n := strings.Count(home.body, "Hello <strong>clients</strong>"); n != 1 || strings.Contains(home.body, "**") {
			t.Fatalf("the welcome message shows %d times rendered (want 1), or as Markdown:\n%s", n, home.body)
		}
		home.expect(t, "notice after accepting", 200, "Welcome to Navy Reserve.")

		// A cancelled invitation's link.
		// (Into an existing client: cancelling the invitation of a client
		// created for it removes both, and its link is then unknown.)
		w.ada.post("/app/clients/"+w.clientID+"/invitations", url.Values{"invite_email": {"carla@client.example"}, "invite_role": {"member"}}).
			redirects(t, "invite carla", "/app/clients/"+w.clientID+"#invitations")
		carla := strings.TrimPrefix(outboxLink(t, s, "carla@client.example"), s.URL)
		var invID string
		if err := s.DB.Get(t.Context(), &invID, `SELECT id FROM invitations WHERE email = ?`, "carla@client.example"); err != nil {
			t.Fatal(err)
		}
		w.ada.post("/app/invitations/"+invID+"/cancel", nil).redirects(t, "cancel", "/app/invitations")
		newVisitor(t, s).get(carla).branded(t, "cancelled invitation", http.StatusGone)

		// A new person accepts a link invitation (the inviter saw the
		// link): their confirmation e-mail speaks for the agency too.
		w.ada.post("/app/invitations", url.Values{"email": {"dora@client.example"}, "client_name": {"Dora Co"}, "delivery": {"link"}}).
			redirects(t, "link invitation", "/app/invitations")
		dl := w.ada.get("/app/invitations").find(t, "link", `value="http[^"]+(/invite/[^"]+)"`)
		newVisitor(t, s).post(dl, url.Values{"name": {"Dora"}, "password": {testkit.Password}}).redirects(t, "dora accepts", "/app")
		noLiaison(t, mailTo(t, s, "email_verify", "dora@client.example"))
		verify := strings.TrimPrefix(s.MailLink(t, "email_verify", "dora@client.example", "/verify/"), s.URL)
		fresh = newVisitor(t, s)
		fresh.get(verify).branded(t, "confirm the address", 200)
		fresh.post(verify, nil).branded(t, "address confirmed", 200)

		// Both of grace's clients disabled: the login refuses in the brand.
		admin := s.Login(t, adminEmail, adminPass)
		var clients []string
		if err := s.DB.Select(t.Context(), &clients, `SELECT m.account_id FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE u.email = ?`, w.graceEmail); err != nil || len(clients) != 2 {
			t.Fatalf("grace's accounts %v, %v", clients, err)
		}
		for _, c := range clients {
			admin.Must(t, http.StatusOK, "PATCH", "/api/v1/agencies/"+w.agencyID+"/clients/"+c, map[string]any{"enabled": false})
		}
		a := newVisitor(t, s).post("/login", url.Values{"email": {w.graceEmail}, "password": {"a brand new passphrase"}})
		a.branded(t, "disabled account", http.StatusForbidden)
		a.expect(t, "disabled account", http.StatusForbidden, "disabled by your agency")
	})
}
