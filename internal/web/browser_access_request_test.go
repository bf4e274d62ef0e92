package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestBrowserAccessRequestFlow (issue 21): an agency member asks for
// access to a client from /app/access-requests, the admin opens the
// request and approves it, and the links page shows and sets the link's
// end date; each page is axe-clean at desktop and phone widths.
func TestBrowserAccessRequestFlow(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	_, agencyID := ada.me("agency")
	_, _, clientID := s.Signup(t, "Grace Hopper", "grace@navy.example", "Navy Client", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: clientID})
	_, moID, _ := s.Signup(t, "Mo Member", "mo@agency.example", "Mo's own", "client")
	s.AddMember(t, agencyID, moID, "member")

	b := newTab(t, s.URL)
	b.login("mo@agency.example", testkit.Password)
	// Mo works in the agency: the top bar's account switcher.
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById("account-switch");
		s.value = "`+agencyID+`";
		s.form.submit();
	})()`)); err != nil {
		t.Fatalf("switch to the agency: %v", err)
	}
	b.visit("/app/access-requests", 200)
	b.accessibleAtWidths("/app/access-requests")
	b.fill(map[string]string{"f-client": "Navy Client", "f-reason": "Covering for Ann this week"})
	b.expectPath("ask", b.submit("ask", "#ask button[type=submit]"), "/app/access-requests")
	if got := b.text(".notice-success"); !strings.Contains(got, "Request sent.") {
		t.Fatalf("after asking: %q", got)
	}
	b.accessibleAtWidths("/app/access-requests with a request")
	b.noProblems("ask", 0)
	b.logout()

	b.login(adminEmail, adminPass)
	path := strings.TrimPrefix(s.MailLink(t, "access_request", adminEmail, "/app/access-requests/"), s.URL)
	b.visit(path, 200)
	b.accessibleAtWidths(path)
	b.expectPath("approve", b.submit("approve", `form[action$="/approve"] button`), path)
	if got := b.text("main"); !strings.Contains(got, "approved") {
		t.Fatalf("after approving: %q", got)
	}
	b.visit("/app/clients/"+clientID, 200)
	b.accessibleAtWidths("the client's Access tab with end dates")
	b.visit("/app/links", 200)
	b.accessibleAtWidths("/app/links with end dates")
	b.noProblems("approve", 0)
}
