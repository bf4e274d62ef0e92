package api_test

import (
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// An inviter sees the copyable link of every invitation they send. Whoever
// accepts through it creates the invitee's one identity (SPEC §1), so the
// identity stays unverified until the address's owner proves it: it is
// never joined to another account by its address, nobody finds it by
// e-mail, and the owner takes it back with a password reset, which ends
// every session and API token of the impostor (issue 15).
func TestInviterCannotOwnTheInviteesIdentity(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, false)
		s := w.s
		const victim = "vic@victim.example"
		// Agency A invites Vic by e-mail and takes the link it was shown.
		inv := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/invitations", map[string]any{
			"email": victim, "client_name": "Vic Co"}).Body
		impostor := s.NewClient()
		impostor.Must(t, 200, "POST", "/api/v1/invitations/accept", map[string]any{
			"token": invToken(t, inv["url"].(string)), "name": "Vic (not really)", "password": testkit.Password})
		if me := impostor.Must(t, 200, "GET", "/api/v1/me", nil).Body; me["email_verified"] != false {
			t.Fatalf("an identity made through the inviter's link is verified: %v", me)
		}
		tok := impostor.Must(t, 201, "POST", "/api/v1/tokens", map[string]any{"name": "keep"}).Body["token"].(string)
		bearer := s.NewClient()
		bearer.Bearer = tok
		bearer.Must(t, 200, "GET", "/api/v1/me", nil)
		// Vic's mailbox holds a confirmation link, which the impostor lacks.
		if link := s.MailLink(t, "email_verify", victim, "/verify/"); link == "" {
			t.Fatal("no confirmation e-mail")
		}

		// Agency B cannot reach the identity by its address: a link request
		// by admin e-mail finds nobody ...
		wantError(t, w.otherAd.Do(t, "POST", "/api/v1/accounts/"+w.other+"/links", map[string]any{
			"target_email": victim, "access": map[string]any{"all": true}}), 404, "", "")
		// ... and an invitation to the address joins it only through the
		// link B's e-mail carried to Vic, not through the copyable one.
		bInv := w.otherAd.Must(t, 201, "POST", "/api/v1/agencies/"+w.other+"/invitations", map[string]any{
			"email": victim, "client_name": "Vic at B"}).Body
		wantError(t, impostor.Do(t, "POST", "/api/v1/invitations/accept", map[string]any{
			"token": invToken(t, bInv["url"].(string))}), 409, "email_unverified", "")
		if ms := impostor.Must(t, 200, "GET", "/api/v1/me", nil).Body["memberships"].([]any); len(ms) != 1 {
			t.Fatalf("the unverified identity joined B's client: %v", ms)
		}

		// Vic takes the identity back with a password reset: every session
		// and token of the impostor ends, and the address is confirmed.
		s.NewClient().Must(t, 202, "POST", "/api/v1/password/forgot", map[string]any{"email": victim})
		reset := s.MailLink(t, "password_reset", victim, "/reset/")
		vic := s.NewClient()
		const vicPassword = "a different horse battery staple"
		vic.Must(t, 200, "POST", "/api/v1/password/reset", map[string]any{"token": reset[strings.LastIndex(reset, "/")+1:], "password": vicPassword})
		impostor.Must(t, 401, "GET", "/api/v1/me", nil)
		bearer.Must(t, 401, "GET", "/api/v1/me", nil)
		if me := vic.Must(t, 200, "GET", "/api/v1/me", nil).Body; me["email_verified"] != true {
			t.Fatalf("a reset did not confirm the address: %v", me)
		}
		// Now Vic joins B's client through the link in B's e-mail.
		vic.Must(t, 200, "POST", "/api/v1/invitations/accept", map[string]any{"token": invToken(t, invMailURL(t, s, victim))})

		// A new person who accepts through the e-mailed link is verified at
		// once; through the copyable link, unverified until they confirm.
		for _, c := range []struct {
			email   string
			viaMail bool
		}{{"mia@mail.example", true}, {"lou@link.example", false}} {
			inv := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/invitations", map[string]any{"email": c.email}).Body
			link := inv["url"].(string)
			if c.viaMail {
				link = invMailURL(t, s, c.email)
			}
			p := s.NewClient()
			p.Must(t, 200, "POST", "/api/v1/invitations/accept", map[string]any{"token": invToken(t, link), "name": "P", "password": testkit.Password})
			if got := p.Must(t, 200, "GET", "/api/v1/me", nil).Body["email_verified"]; got != c.viaMail {
				t.Errorf("%s: email_verified %v", c.email, got)
			}
		}
		// Lou confirms; the link works once.
		link := s.MailLink(t, "email_verify", "lou@link.example", "/verify/")
		token := link[strings.LastIndex(link, "/")+1:]
		s.NewClient().Must(t, 200, "POST", "/api/v1/email/verify", map[string]any{"token": token})
		wantError(t, s.NewClient().Do(t, "POST", "/api/v1/email/verify", map[string]any{"token": token}), 410, "token_expired", "")
		lou := s.Login(t, "lou@link.example", testkit.Password)
		if got := lou.Must(t, 200, "GET", "/api/v1/me", nil).Body["email_verified"]; got != true {
			t.Errorf("lou after confirming: %v", got)
		}
		wantError(t, lou.Do(t, "POST", "/api/v1/me/email/verification", nil), 409, "already_verified", "")
	})
}

// Signing up makes an unverified identity until its owner confirms it.
func TestSignupConfirmsTheAddressByEmail(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		c := s.NewClient()
		c.Must(t, 201, "POST", "/api/v1/signup", map[string]any{"name": "Una", "email": "una@example.com",
			"password": testkit.Password, "account_name": "Una Co", "account_kind": "client"})
		if got := c.Must(t, 200, "GET", "/api/v1/me", nil).Body["email_verified"]; got != false {
			t.Fatalf("signed up verified: %v", got)
		}
		c.Must(t, 202, "POST", "/api/v1/me/email/verification", nil)
		// Both links were sent; the newest is used.
		s.ConfirmEmail(t, "una@example.com")
		if got := c.Must(t, 200, "GET", "/api/v1/me", nil).Body["email_verified"]; got != true {
			t.Fatalf("after confirming: %v", got)
		}
		wantError(t, s.NewClient().Do(t, "POST", "/api/v1/email/verify", map[string]any{"token": "nope"}), 410, "token_expired", "")
	})
}

// The confirmation e-mail of a person who accepted a client invitation
// through its copyable link wears the agency's brand, like every e-mail a
// white-labelled agency's clients get.
func TestVerificationMailWearsTheAgencysBrand(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, false)
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.agency+"/portal", map[string]any{
			"portal_name": "Acme Portal", "sender_name": "Acme Portal", "hide_liaison_branding": true})
		inv := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/invitations", map[string]any{
			"email": "lia@client.example", "delivery": "link", "client_name": "Lia Co"}).Body
		w.s.NewClient().Must(t, 200, "POST", "/api/v1/invitations/accept", map[string]any{
			"token": invToken(t, inv["url"].(string)), "name": "Lia", "password": testkit.Password})
		msgs, _, err := w.s.Mailer.List(t.Context(), 50, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Template != "email_verify" || m.To != "lia@client.example" {
				continue
			}
			if m.FromName != "Acme Portal" || !strings.Contains(m.Subject, "Acme Portal") ||
				strings.Contains(m.Subject+m.Text+m.HTML, "Liaison") {
				t.Fatalf("confirmation e-mail from %q, %q:\n%s", m.FromName, m.Subject, m.Text)
			}
			return
		}
		t.Fatal("no confirmation e-mail to lia@client.example")
	})
}
