package web_test

import (
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

var resetPath = regexp.MustCompile(`/reset/[A-Za-z0-9_-]+`)

// resetLinks returns the paths of the reset e-mails to an address, newest
// first.
func resetLinks(t *testing.T, s *testkit.Server, to string) []string {
	t.Helper()
	msgs, _, err := s.Mailer.List(t.Context(), 200, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if m.Template == "password_reset" && m.To == to {
			out = append(out, resetPath.FindString(m.Text))
		}
	}
	return out
}

// TestPasswordChangeEndsEveryResetLink: once a password changes — by one
// reset link or on the profile page — no reset link asked for earlier
// changes it again (issue 15).
func TestPasswordChangeEndsEveryResetLink(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		ada := newVisitor(t, s)
		ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
		anon := newVisitor(t, s)
		anon.post("/forgot", url.Values{"email": {adminEmail}}).redirects(t, "first forgot", "/forgot")
		anon.post("/forgot", url.Values{"email": {adminEmail}}).redirects(t, "second forgot", "/forgot")
		links := resetLinks(t, s, adminEmail)
		if len(links) != 2 || links[0] == "" || links[1] == "" || links[0] == links[1] {
			t.Fatalf("reset links: %q", links)
		}
		newer, older := links[0], links[1]
		anon.post(newer, url.Values{"password": {"a brand new passphrase"}}).redirects(t, "reset with the newer link", "/app")
		anon.get(older).expect(t, "older link opened after the reset", 410, "This link no longer works")
		newVisitor(t, s).post(older, url.Values{"password": {"the attacker's passphrase"}}).
			expect(t, "older link used after the reset", 410, "This link no longer works")
		s.Login(t, adminEmail, "a brand new passphrase")

		// A change on the profile page ends an open link too.
		s.Clock.Advance(2 * time.Hour) // past the reset rate limit
		anon.post("/forgot", url.Values{"email": {adminEmail}}).redirects(t, "third forgot", "/forgot")
		open := resetLinks(t, s, adminEmail)[0]
		anon.get(open).expect(t, "fresh link", 200, "Choose a new password")
		anon.post("/app/profile/password", url.Values{"current_password": {"a brand new passphrase"},
			"password": {"the profile's passphrase"}}).redirects(t, "change on the profile", "/app/profile")
		newVisitor(t, s).post(open, url.Values{"password": {"the attacker's passphrase"}}).
			expect(t, "link asked for before the profile change", 410, "This link no longer works")
		s.Login(t, adminEmail, "the profile's passphrase")
	})
}
