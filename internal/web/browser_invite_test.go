package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestBrowserInviteFlow clicks through a client invitation end to end: the
// agency admin invites a person by e-mail with one of two brands from the
// Invite Client form, the e-mail is read from the outbox, its link is
// opened, the person signs up on the branded landing page, and their
// portal shows the granted brand and not the other.
func TestBrowserInviteFlow(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	_, agencyID := ada.me("agency")
	nike := s.AddBrand(t, agencyID, "Nike")
	s.AddBrand(t, agencyID, "Adidas")

	b := newTab(t, s.URL)
	b.login(adminEmail, adminPass)
	b.open("/app/clients")
	b.expectPath("invite client", b.submit("invite client", `.page-actions a[href="/app/invitations#invite-client"]`), "/app/invitations")
	b.fill(map[string]string{"f-email": "carla@client.example", "f-client_name": "Carla Co", "f-message": "Your reports are ready."})
	b.do("grant Nike", chromedp.Click(chromedp.CSS(`#invite-client input[name=brand_ids][value="`+nike+`"]`)))
	b.expectPath("send", b.submit("send", "#invite-client button[type=submit]"), "/app/invitations")
	if s := b.text(".notice-success"); !strings.Contains(s, "Invitation sent to carla@client.example") {
		t.Fatalf("after sending: %q", s)
	}
	if s := b.text("main table"); !strings.Contains(s, "carla@client.example") || !strings.Contains(s, "Carla Co") || !strings.Contains(s, "Pending") {
		t.Fatalf("invitation rows: %q", s)
	}
	b.noProblems("invite", 0)
	b.logout()

	// The person opens the link of their e-mail and signs up.
	link := outboxLink(t, s, "carla@client.example")
	if st := b.open(strings.TrimPrefix(link, s.URL)); st != 200 {
		t.Fatalf("landing: %d", st)
	}
	if s := b.text("main"); !strings.Contains(s, "Analytical Agency") || !strings.Contains(s, "Your reports are ready.") {
		t.Fatalf("landing says %q", s)
	}
	b.fill(map[string]string{"f-name": "Carla Client", "f-password": testkit.Password})
	b.expectPath("sign up", b.submit("sign up", "main form button[type=submit]"), "/app")
	home := b.text("main")
	if !strings.Contains(home, "Welcome to Carla Co") || !strings.Contains(b.text("#portal-brands"), "Nike") {
		t.Fatalf("portal says %q", home)
	}
	if strings.Contains(home, "Adidas") {
		t.Fatalf("the portal shows a brand that was not granted: %q", home)
	}
	b.noProblems("portal", 0)
}
