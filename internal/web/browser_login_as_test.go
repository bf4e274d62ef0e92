package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestBrowserLoginAs starts Login As from the client list, visits every
// client portal page (and the pages refused while impersonating), checks
// the banner and its countdown on each, lets the banner warn a minute
// before the end and keeps the session going, then returns to the agency
// page Login As started from.
func TestBrowserLoginAs(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	_, agencyID := ada.me("agency")
	_, _, clientID := s.Signup(t, "Grace Hopper", "grace@navy.example", "Navy Client", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: clientID, AccessAll: true})

	b := newTab(t, s.URL)
	b.login(adminEmail, adminPass)
	b.open("/app/clients")
	b.expectPath("Login As button", b.submit("Login As", `#client-rows a[href^="/app/clients/`+clientID+`/login-as"]`),
		"/app/clients/"+clientID+"/login-as")
	b.fill(map[string]string{"f-reason": "Check the portal"})
	b.expectPath("start", b.submit("start", "main form button[type=submit]"), "/app")
	b.noProblems("start", 0)

	for _, p := range []struct {
		path   string
		status int64
	}{{"/app", 200}, {"/app/agencies", 200}, {"/app/users", 200}, {"/app/security", 403},
		{"/app/sessions", 403}, {"/app/tokens", 403}, {"/app/clients", 404}} {
		if st := b.open(p.path); st != p.status {
			t.Fatalf("%s: %d, want %d", p.path, st, p.status)
		}
		banner := b.text("#login-as-banner")
		if !strings.Contains(banner, "You are viewing Navy Client as Ada Lovelace") || !strings.Contains(banner, "Return to agency dashboard") {
			t.Fatalf("%s: banner says %q", p.path, banner)
		}
		// Above everything and on screen.
		if v := b.eval(`(() => { const r = document.getElementById("login-as-banner").getBoundingClientRect();
			return r.top === 0 && r.height > 0 && getComputedStyle(document.getElementById("login-as-banner")).position === "sticky" ? "ok" : "no"; })()`); v != "ok" {
			t.Fatalf("%s: the banner is not at the top", p.path)
		}
		b.poll(p.path+" countdown", `/^Ends in 1[45]:\d\d without activity\.$/.test(document.querySelector("[data-login-as-left]").textContent) &&
			getComputedStyle(document.querySelector("[data-login-as-stay]")).display === "none"`)
		b.shoot("/login-as" + p.path)
		b.noProblems(p.path, int(p.status))
	}

	// A minute before the end the banner warns and offers to stay.
	b.open("/app/users")
	b.do("skip ahead 14.5 minutes", chromedp.Evaluate[chromedp.Void](
		`(() => { const real = Date.now.bind(Date); Date.now = () => real() + 870000; })()`))
	b.poll("warning", `document.getElementById("login-as-banner").classList.contains("login-as-warn") &&
		getComputedStyle(document.querySelector("[data-login-as-stay]")).display !== "none" &&
		/^Ends in 0:\d\d without activity\.$/.test(document.querySelector("[data-login-as-left]").textContent)`)
	b.shoot("/login-as-warning")
	b.do("stay", chromedp.Click(chromedp.CSS("[data-login-as-stay]")))
	b.poll("no more warning", `!document.getElementById("login-as-banner").classList.contains("login-as-warn") &&
		getComputedStyle(document.querySelector("[data-login-as-stay]")).display === "none"`)
	b.noProblems("stay", 0)

	// Return goes back to the agency page it came from.
	b.expectPath("return", b.submit("return", ".login-as-return"), "/app/clients")
	if s := b.text(".notice-success"); !strings.Contains(s, "You are back in your agency") {
		t.Fatalf("after return: %q", s)
	}
	if n := b.eval(`String(document.querySelectorAll("#login-as-banner").length)`); n != "0" {
		t.Fatal("the banner is still there after Return")
	}
	b.noProblems("return", 0)

	// The client's admin reads the log in their security settings.
	b.logout()
	b.login("grace@navy.example", testkit.Password)
	b.open("/app/security")
	// It reads like a log (issue 18): the reason and duration at the top,
	// actions in words, no requests for files.
	log := b.text(".login-as-entry")
	for _, want := range []string{"Ada Lovelace", "Analytical Agency", "Check the portal", "they returned to their agency",
		"Duration", "Opened Users", "Read /api/v1/me through the API", "Returned to their agency"} {
		if !strings.Contains(log, want) {
			t.Fatalf("the log lacks %q: %q", want, log)
		}
	}
	for _, not := range []string{"/static/", "/brand/", "GET "} {
		if strings.Contains(log, not) {
			t.Fatalf("the log shows %q: %q", not, log)
		}
	}
	b.shoot("/security")
	b.noProblems("security", 0)
}
