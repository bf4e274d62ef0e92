package web_test

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// login logs the tab in through the form.
func (b *tab) login(email, password string) {
	b.t.Helper()
	b.open("/login")
	b.fill(map[string]string{"f-email": email, "f-password": password})
	b.expectPath("login "+email, b.submit("login", "main form button[type=submit]"), "/app")
}

// poll waits until the expression is true in the page.
func (b *tab) poll(what, expr string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		b.t.Fatalf("%s: %v (page says %q)", what, err, b.text("main"))
	}
}

func (b *tab) eval(expr string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return s
}

// TestBrowserLinkFlow clicks through linking an agency and a client: the
// agency admin sends a request by the client's account ID from /app/links,
// the client's admin accepts it on /app/agencies, and the client appears
// in the agency's client list with its status badge. On the way it adds a
// client with the form, searches as it types and loads more rows.
func TestBrowserLinkFlow(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	_, agencyID := ada.me("agency")
	s.AddBrand(t, agencyID, "Nike")
	_, _, clientID := s.Signup(t, "Grace Hopper", "grace@navy.example", "Navy Client", "client")

	b := newTab(t, s.URL)
	b.login(adminEmail, adminPass)

	// Send the request by account ID.
	b.open("/app/links")
	b.fill(map[string]string{"f-target": clientID})
	b.expectPath("send", b.submit("send", "#send button[type=submit]"), "/app/links")
	if s := b.text(".notice-success"); !strings.Contains(s, "Link request sent to “Navy Client”") {
		t.Fatalf("after sending: %q", s)
	}
	if s := b.text("#outgoing"); !strings.Contains(s, "Navy Client") || !strings.Contains(s, "Pending") {
		t.Fatalf("sent requests: %q", s)
	}
	b.noProblems("send", 0)
	b.logout()

	// The client's admin accepts it.
	b.login("grace@navy.example", testkit.Password)
	b.open("/app/agencies")
	if s := b.text("#incoming"); !strings.Contains(s, "Analytical Agency") {
		t.Fatalf("incoming: %q", s)
	}
	b.expectPath("accept", b.submit("accept", `#incoming form[action$="/accept"] button`), "/app/agencies")
	if s := b.text("#active"); !strings.Contains(s, "Analytical Agency") || !strings.Contains(s, "Active") {
		t.Fatalf("linked agencies: %q", s)
	}
	b.mu.Lock()
	asked := strings.Join(b.dialogs, "\n")
	b.mu.Unlock()
	if !strings.Contains(asked, "Link with Analytical Agency?") {
		t.Fatalf("accepting asked %q", asked)
	}
	b.noProblems("accept", 0)
	b.logout()

	// The agency sees its new client, active.
	b.login(adminEmail, adminPass)
	b.open("/app/clients")
	row := b.eval(`(() => {
		for (const tr of document.querySelectorAll("#client-rows tr")) {
			if (tr.textContent.includes("Navy Client")) {
				const badge = tr.querySelector(".badge");
				return badge.className + "|" + badge.textContent;
			}
		}
		return "none";
	})()`)
	if row != "badge badge-active|Active" {
		t.Fatalf("Navy Client's badge: %q", row)
	}

	// Add a client with the form; its page opens.
	b.open("/app/clients")
	b.expectPath("add client", b.submit("add client", `.page-actions a[href="/app/clients/new"]`), "/app/clients/new")
	b.fill(map[string]string{"f-name": "Acme Corp"})
	b.do("seats", chromedp.SetValue(chromedp.ID("f-seats"), "3"),
		chromedp.Click(chromedp.CSS(`input[name=brand_ids]`)))
	if p := b.submit("create", "main form button[type=submit]"); !strings.HasPrefix(p, "/app/clients/acc_") {
		t.Fatalf("after creating: at %s (%q)", p, b.text("main"))
	}
	if s := b.text("main"); !strings.Contains(s, "Acme Corp") || !strings.Contains(s, "Nike") || !strings.Contains(s, "0 of 3 seats") {
		t.Fatalf("new client's page: %q", s)
	}
	detail := b.path()
	b.noProblems("create", 0)

	// Enough clients for a second page.
	for i := range 25 {
		ada.post("/app/clients", url.Values{"name": {fmt.Sprintf("Zulu %02d", i)}}).expect(t, "create", 303)
	}
	b.open("/app/clients")
	if n := b.eval(`String(document.querySelectorAll("#client-rows tr").length)`); n != "25" {
		t.Fatalf("first page has %s rows", n)
	}
	b.do("load more", chromedp.Click(chromedp.CSS(`a[data-more="client-rows"]`)))
	b.poll("more rows", `document.querySelectorAll("#client-rows tr").length === 27 && !document.querySelector("[data-pager]")`)
	if b.path() != "/app/clients" {
		t.Fatalf("load more left the page: %s", b.path())
	}

	// Search as you type: the list follows, the focus stays in the box.
	b.do("/ focuses the search", chromedp.KeyEvent("/"))
	b.poll("search focused", `document.activeElement && document.activeElement.id === "q"`)
	// chromedp sends the key's character as an event of its own, which a
	// real browser does not insert after the keydown was handled; clear it.
	b.do("type", chromedp.Evaluate[chromedp.Void](`document.getElementById("q").value = ""`), chromedp.KeyEvent("navy"))
	b.poll("filtered", `document.querySelectorAll("#client-rows tr").length === 1 && location.search === "?q=navy"`)
	if s := b.text("#client-rows"); !strings.Contains(s, "Navy Client") {
		t.Fatalf("search result: %q", s)
	}
	if f := b.eval(`document.activeElement.id`); f != "q" {
		t.Fatalf("the focus left the search box for %q", f)
	}
	b.noProblems("list", 0)

	// Screenshots of the list and a detail, phone and desktop.
	dir := os.Getenv("LIAISON_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	b.open("/app/clients")
	b.screenshots(dir, "clients")
	b.open(detail)
	b.screenshots(dir, "client-detail")
	b.open("/app/links")
	b.screenshots(dir, "links")
	t.Logf("screenshots in %s", dir)
	b.noProblems("screenshots", 0)
}
