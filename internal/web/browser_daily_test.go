package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Browser tests of issue 18's flows: what an agency reaches for every day.

// TestBrowserRestoreClient: the agency admin revokes a client on its page,
// its admin can no longer log in, the agency admin restores it from the
// same panel, and the client's admin logs in at once.
func TestBrowserRestoreClient(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	_, agencyID := ada.me("agency")
	_, _, clientID := s.Signup(t, "Grace Hopper", "grace@navy.example", "Navy Client", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: clientID, AccessAll: true})

	b := newTab(t, s.URL)
	b.login(adminEmail, adminPass)
	page := "/app/clients/" + clientID
	b.visit(page, 200)
	b.expectPath("revoke", b.submit("revoke", `form[action$="/revoke"] button`), page)
	if s := b.text("main"); !strings.Contains(s, "Access revoked") || !strings.Contains(s, "Restore access") {
		t.Fatalf("after revoking: %q", s)
	}
	b.noProblems("revoke", 0)
	// Its admin is refused meanwhile.
	grace := s.NewClient()
	if r := grace.Do(t, "POST", "/api/v1/login", map[string]any{"email": "grace@navy.example", "password": testkit.Password}); r.Status != 403 {
		t.Fatalf("login while revoked: %d %s", r.Status, r.Raw)
	}
	b.expectPath("restore", b.submit("restore", `form[action$="/restore"] button`), page)
	if s := b.text(".notice-success"); !strings.Contains(s, "Access restored") {
		t.Fatalf("after restoring: %q", s)
	}
	if s := b.text("h1"); !strings.Contains(s, "Active") {
		t.Fatalf("status after restoring: %q", s)
	}
	b.noProblems("restore", 0)
	b.logout()
	b.login("grace@navy.example", testkit.Password)
	if s := b.text("body"); !strings.Contains(s, "Navy Client") {
		t.Fatalf("the client's admin after the restore: %q", s)
	}
	b.noProblems("client logs in", 0)
}

// TestBrowserAccessChange: the agency admin opens a client's Access tab,
// switches from the entire agency to one group and saves; a member outside
// the group no longer sees the client, one in it does.
func TestBrowserAccessChange(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	_, agencyID := ada.me("agency")
	_, _, clientID := s.Signup(t, "Grace Hopper", "grace@navy.example", "Navy Client", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: clientID, AccessAll: true})
	in, inID, _ := s.Signup(t, "Ina Inside", "ina@agency.example", "Ina Own", "client")
	s.AddMember(t, agencyID, inID, "member")
	out, outID, _ := s.Signup(t, "Otto Outside", "otto@agency.example", "Otto Own", "client")
	s.AddMember(t, agencyID, outID, "member")
	s.AddGroup(t, agencyID, "Paris office", inID)
	detail := "/api/v1/agencies/" + agencyID + "/clients/" + clientID
	out.Must(t, 200, "GET", detail, nil)

	b := newTab(t, s.URL)
	b.login(adminEmail, adminPass)
	page := "/app/clients/" + clientID
	b.visit(page, 200)
	if s := b.text("nav.tabs"); !strings.Contains(s, "Access") {
		t.Fatalf("tabs: %q", s)
	}
	b.do("choose people and groups", chromedp.Click(chromedp.CSS(`#access input[name=access][value=some]`)))
	b.do("choose the group", chromedp.Click(chromedp.CSS(`#access input[name=group_ids]`)))
	b.expectPath("save access", b.submit("save access", `#access button[type=submit]`), page)
	if s := b.text(".notice-success"); !strings.Contains(s, "Access saved") {
		t.Fatalf("after saving: %q", s)
	}
	if v := b.eval(`document.querySelector("#access input[name=access][value=some]").checked + "|" + document.querySelector("#access input[name=group_ids]").checked`); v != "true|true" {
		t.Fatalf("the form after saving: %q", v)
	}
	b.noProblems("save access", 0)
	out.Must(t, 404, "GET", detail, nil)
	in.Must(t, 200, "GET", detail, nil)
}

// TestBrowserPasswordReset: the agency admin sends a client user a
// password reset from the client's Users tab, reads the e-mail in the
// outbox (in the agency's brand), and the user follows its link to choose
// a new password and is logged in.
func TestBrowserPasswordReset(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	_, agencyID := ada.me("agency")
	_, _, clientID := s.Signup(t, "Grace Hopper", "grace@navy.example", "Navy Client", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: clientID, AccessAll: true})

	b := newTab(t, s.URL)
	b.login(adminEmail, adminPass)
	page := "/app/clients/" + clientID
	b.visit(page, 200)
	b.expectPath("send reset", b.submit("send reset", `#users form[action$="/password-reset"] button`), page)
	if s := b.text(".notice-success"); !strings.Contains(s, "Password reset sent") {
		t.Fatalf("after sending: %q", s)
	}
	b.noProblems("send reset", 0)
	// The operator's outbox shows the e-mail, newest first.
	b.visit("/operator/outbox", 200)
	href, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(`main table a[href^="/operator/outbox/"]`), "href"))
	if err != nil || !href.Exists {
		t.Fatalf("no e-mail in the outbox: %v", err)
	}
	b.visit(href.Value, 200)
	text := b.text("pre.mail-text")
	if !strings.Contains(b.text("h1"), "Analytical Agency") || !strings.Contains(text, "at Analytical Agency sent you this link") {
		t.Fatalf("the e-mail: %q\n%s", b.text("h1"), text)
	}
	i := strings.Index(text, s.URL+"/reset/")
	if i < 0 {
		t.Fatalf("no reset link in %q", text)
	}
	link := strings.Fields(text[i:])[0]
	b.logout()
	b.open(strings.TrimPrefix(link, s.URL))
	b.fill(map[string]string{"f-password": "a brand new passphrase 42"})
	if p := b.submit("new password", "main form button[type=submit]"); !strings.HasPrefix(p, "/app") {
		t.Fatalf("after the reset: at %s (%q)", p, b.text("main"))
	}
	b.noProblems("reset", 0)
	s.Login(t, "grace@navy.example", "a brand new passphrase 42")
}

// TestBrowserCopyInvitationLink: an e-mail invitation's row offers Copy
// link; the link shown is copied to the clipboard with the Copy button,
// and both it and the e-mailed link open the invitation.
func TestBrowserCopyInvitationLink(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")

	b := newTab(t, s.URL)
	b.login(adminEmail, adminPass)
	b.open("/app/invitations")
	b.fill(map[string]string{"f-email": "carla@client.example"})
	b.expectPath("invite", b.submit("invite", "#invite-client button[type=submit]"), "/app/invitations")
	b.expectPath("copy link", b.submit("copy link", `form[action$="/link"] button`), "/app/invitations")
	link := b.eval(`document.getElementById("new-invite-link").value`)
	if !strings.HasPrefix(link, s.URL+"/invite/") {
		t.Fatalf("link shown: %q (%q)", link, b.text("main"))
	}
	b.do("copy", chromedp.Click(chromedp.CSS(`button[data-copy="#new-invite-link"]`)))
	b.poll("copied", `document.querySelector('button[data-copy="#new-invite-link"]').textContent === "Copied"`)
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil || got != link {
		t.Fatalf("clipboard %q (%v), want %q", got, err, link)
	}
	b.noProblems("copy link", 0)
	for _, l := range []string{link, s.MailLink(t, "invitation", "carla@client.example", "/invite/")} {
		token := l[strings.LastIndex(l, "/")+1:]
		s.NewClient().Must(t, 200, "GET", "/api/v1/invitations/lookup?token="+token, nil)
	}
}

// TestBrowserAuditLog: the agency admin opens Audit (no longer "coming
// soon"), filters by action and by person, reads a change as a
// before/after table, meets a wrong date range beside its field, and
// exports CSV with formula-like cells neutralised. The client's admin reads
// their account's log, which names who did what.
func TestBrowserAuditLog(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	_, agencyID := ada.me("agency")
	_, _, clientID := s.Signup(t, "Grace Hopper", "grace@navy.example", "=Navy Client", "client")
	linkID := s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: clientID, AccessAll: true})
	api := s.Login(t, adminEmail, adminPass)
	api.Must(t, 200, "PATCH", "/api/v1/agencies/"+agencyID+"/clients/"+clientID, map[string]any{"seats": 5})
	// An end date ten days ahead, a time in the entry's after.
	ends := time.Now().UTC().Truncate(time.Minute).Add(240 * time.Hour)
	api.Must(t, 200, "PUT", "/api/v1/links/"+linkID+"/end", map[string]any{"subject": "link", "ends_at": ends})
	api.Must(t, 201, "POST", "/api/v1/agencies/"+agencyID+"/brands", map[string]any{"name": "Nike"})

	b := newTab(t, s.URL)
	b.login(adminEmail, adminPass)
	b.expectPath("Audit in the navigation", b.submit("open Audit", `nav a[href="/app/audit"]`), "/app/audit")
	if s := b.text("ol.audit-log"); !strings.Contains(s, "Created a brand") || !strings.Contains(s, "Changed a client's settings") {
		t.Fatalf("audit page: %q", s)
	}
	// The time zone the script sends with the filters is the browser's.
	if tz := b.eval(`document.querySelector("input[data-tz]").value`); tz == "" {
		t.Fatal("no time zone in the filter form")
	}
	b.do("filter by action", chromedp.SetValue(chromedp.ID("f-action"), "client.update"))
	b.expectPath("filter", b.submit("filter", `form.filters button[type=submit]`), "/app/audit")
	if log := b.text("ol.audit-log"); strings.Contains(log, "Created a brand") || !strings.Contains(log, "Changed a client's settings") {
		t.Fatalf("filtered by action: %q", log)
	}
	diff := b.eval(`Array.from(document.querySelectorAll(".audit-diff tbody tr")).map(r => Array.from(r.cells).map(c => c.textContent.trim()).join(" ")).join("|")`)
	if !strings.Contains(diff, "seats 0 5") {
		t.Fatalf("the change as a diff: %q", diff)
	}
	if who := b.text(".audit-meta"); !strings.Contains(who, "Ada Lovelace") {
		t.Fatalf("who: %q", who)
	}
	b.noProblems("filter by action", 0)
	// A time in a change shows in the viewer's zone on the first visit, as
	// the entry's own time does, not in UTC until the filters are sent
	// once: here a zone half an hour off every whole-hour one.
	zone := func(id string) {
		t.Helper()
		if _, err := chromedp.Call(b.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: id}); err != nil {
			t.Fatalf("time zone %s: %v", id, err)
		}
	}
	zone("Asia/Kolkata")
	b.open("/app/audit")
	cell := b.eval(`(() => { const t = document.querySelector(".audit-diff ins time[data-exact]"); return t ? t.getAttribute("datetime") + "|" + t.textContent : "" })()`)
	want := b.eval(`new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(new Date("` + ends.Format(time.RFC3339) + `"))`)
	if cell != ends.Format(time.RFC3339)+"|"+want || strings.Contains(cell, "UTC") {
		t.Fatalf("the end date in the diff: %q, want %s|%s", cell, ends.Format(time.RFC3339), want)
	}
	zone("UTC")
	// By person: Grace did nothing in the agency's log.
	b.open("/app/audit")
	grace := b.eval(`Array.from(document.querySelectorAll("#f-actor option")).map(o => o.textContent).join("|")`)
	if !strings.Contains(grace, "Ada Lovelace") {
		t.Fatalf("people: %q", grace)
	}
	// A range that ends before it starts: refused beside the field.
	b.open("/app/audit?from=2030-01-02&to=2030-01-01")
	if e := b.text("#f-to-error"); !strings.Contains(e, "on or after") {
		t.Fatalf("date error: %q", e)
	}
	b.noProblems("bad range", 400)
	// CSV: the client's name starts with "=", so its cell is neutralised.
	csv := ada.get("/app/audit.csv?action=client.update")
	if csv.status != 200 || !strings.Contains(csv.body, "'=Navy Client") || strings.Contains(csv.body, ",=Navy") {
		t.Fatalf("CSV: %d\n%s", csv.status, csv.body)
	}
	b.logout()
	// A change made during Login As names the agency user behind it.
	api.Must(t, 200, "POST", "/api/v1/agencies/"+agencyID+"/clients/"+clientID+"/impersonate", nil)
	api.Must(t, 201, "POST", "/api/v1/accounts/"+clientID+"/invitations", map[string]any{"email": "new@navy.example", "role": "member"})
	api.Must(t, 200, "POST", "/api/v1/impersonation/end", nil)

	// The client's admin reads their account's log.
	b.login("grace@navy.example", testkit.Password)
	b.expectPath("Audit log in the portal", b.submit("open the log", `nav a[href="/app/audit-log"]`), "/app/audit-log")
	if s := b.text("ol.audit-log"); !strings.Contains(s, "Changed a client's settings") || !strings.Contains(s, "Ada Lovelace, logged in as the client") {
		t.Fatalf("the client's log: %q", s)
	}
	b.noProblems("client log", 0)
}

// TestBrowserOverview: the agency home with data — counts per status
// linking to the filtered list, a client that turned at risk this week
// and its health drop, an invitation awaiting acceptance, a recent Login
// As; no getting-started step that no longer applies, and a member who
// can act on none sees none.
func TestBrowserOverview(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{FakeClock: true})
	ada := newVisitor(t, s)
	ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
	_, agencyID := ada.me("agency")
	_, _, navy := s.Signup(t, "Grace Hopper", "grace@navy.example", "Navy Client", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: navy, AccessAll: true})
	// Fifteen days without a login: Navy turned at risk a day ago.
	s.Clock.Advance(15 * 24 * time.Hour)
	_, _, army := s.Signup(t, "Ann Army", "ann@army.example", "Army Client", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: army, AccessAll: true})
	_, memberID, _ := s.Signup(t, "Max Member", "max@agency.example", "Max Own", "client")
	s.AddMember(t, agencyID, memberID, "member")
	api := s.Login(t, adminEmail, adminPass)
	api.Must(t, 201, "POST", "/api/v1/agencies/"+agencyID+"/invitations", map[string]any{"email": "carla@client.example", "client_name": "Carla Co"})
	api.Must(t, 200, "POST", "/api/v1/agencies/"+agencyID+"/clients/"+army+"/impersonate", map[string]any{"reason": "Ticket 12"})
	api.Must(t, 200, "POST", "/api/v1/impersonation/end", nil)

	b := newTab(t, s.URL)
	b.login(adminEmail, adminPass)
	counts := b.text("#overview-counts")
	for _, want := range []string{"1 Active", "1 At risk", "1 Pending"} {
		if !strings.Contains(strings.Join(strings.Fields(counts), " "), want) {
			t.Fatalf("counts lack %q: %q", want, counts)
		}
	}
	if s := b.text("#overview-turned"); !strings.Contains(s, "Navy Client") || !strings.Contains(s, "At risk") {
		t.Fatalf("turned this week: %q", s)
	}
	if s := b.text("#overview-drops"); !strings.Contains(s, "Navy Client") {
		t.Fatalf("drops: %q", s)
	}
	if s := b.text("#overview-waiting"); !strings.Contains(s, "carla@client.example") {
		t.Fatalf("awaiting: %q", s)
	}
	if s := b.text("#overview-login-as"); !strings.Contains(s, "Ada Lovelace logged in as Army Client") || !strings.Contains(s, "Ticket 12") {
		t.Fatalf("Login As: %q", s)
	}
	if s := b.text("main"); strings.Contains(s, "Add your first client") || strings.Contains(s, "Invite your team") {
		t.Fatalf("getting started that no longer applies: %q", s)
	}
	b.noProblems("overview", 0)
	// The tile opens the filtered list.
	b.expectPath("at risk tile", b.submit("at risk tile", `#overview-counts a[href="/app/clients?status=at_risk"]`), "/app/clients")
	if s := b.text("#client-rows"); !strings.Contains(s, "Navy Client") || strings.Contains(s, "Army Client") {
		t.Fatalf("the at-risk list: %q", s)
	}
	// Navy joined 15 days ago: its status is "At risk" (no login for 14
	// days), its score shows "New" rather than a band that would echo it.
	if s := b.text("#client-rows tr"); !strings.Contains(s, "At risk") || !strings.Contains(s, "New") || strings.Contains(s, "health") {
		t.Fatalf("a new client's row: %q", s)
	}
	b.logout()
	// A member: no getting started, no Login As, no invitations to act on.
	b.login("max@agency.example", testkit.Password)
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById("account-switch");
		s.value = "`+agencyID+`";
		s.form.submit();
	})()`)); err != nil {
		t.Fatalf("switch to the agency: %v", err)
	}
	main := b.text("main")
	if strings.Contains(main, "Getting started") || strings.Contains(main, "Recent Login As") || strings.Contains(main, "Awaiting action") {
		t.Fatalf("a member's overview: %q", main)
	}
	if !strings.Contains(main, "Your clients by status") {
		t.Fatalf("a member's overview lacks the counts: %q", main)
	}
	b.noProblems("member overview", 0)
}
