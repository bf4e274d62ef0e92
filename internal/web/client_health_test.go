package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/health"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestClientHealthAndActivityPages: portal pages record their views on the
// server (never an agency page, never as the client's own during Login
// As); the agency's client page shows the score with its four parts in
// words and both charts, the activity with its summary and events, paged;
// a client nobody joined has no score. Every score is computed by hand
// (churn_days 45) on a fake clock.
func TestClientHealthAndActivityPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		ada := newVisitor(t, s)
		ada.post("/setup", setupForm()).redirects(t, "setup", "/app")
		adaID, agencyID := ada.me("agency")
		// Grace's sign-up is the client's first login, the form's its second.
		_, graceID, clientID := s.Signup(t, "Grace Hopper", "grace@navy.example", "Navy Client", "client")
		s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: clientID, AccessAll: true})
		grace := loginAs(t, s, "grace@navy.example", testkit.Password)
		views := func(who string) int {
			t.Helper()
			return count(t, s, `SELECT COUNT(*) FROM activity_events WHERE kind = 'page_view' AND client_id = ? AND user_id = ?
				AND impersonator_id IS NULL`, clientID, who)
		}

		// Four portal pages, each a page view of its own.
		for _, p := range []struct{ path, page string }{{"/app", "dashboard"}, {"/app/reports", "reports"},
			{"/app/agencies", "agencies"}, {"/app/profile", "profile"}} {
			before := views(graceID)
			grace.get(p.path).expect(t, p.path, 200)
			if n := count(t, s, `SELECT COUNT(*) FROM activity_events WHERE kind = 'page_view' AND client_id = ?
				AND user_id = ? AND page = ?`, clientID, graceID, p.page); n != 1 || views(graceID) != before+1 {
				t.Fatalf("%s: %d views of %s, %d in all (was %d)", p.path, n, p.page, views(graceID), before)
			}
		}
		// A form post that fails renders a portal page but is no view.
		grace.post("/app/profile", url.Values{"name": {" "}}).expect(t, "bad name", 400)
		// Agency pages record nothing.
		ada.get("/app").expect(t, "agency home", 200)
		ada.get("/app/profile").expect(t, "agency user's profile", 200)
		if n := count(t, s, `SELECT COUNT(*) FROM activity_events WHERE kind = 'page_view'`); n != 4 {
			t.Fatalf("%d page views, want Grace's 4", n)
		}

		// R 1 → 40; L30 2 against B 4 → F 1/2 → 15; 4 pages → D 1 → 20;
		// 2 logins vs none before → T 1 → 10: 85.
		nav := "/app/clients/" + clientID
		a := ada.get(nav)
		a.expect(t, "client page", 200, `id="health"`, `class="health-number health-healthy">85<`, `class="badge badge-healthy">Good health`,
			"Last login today — recency 100%",
			"2 logins in the last 30 days against a usual 4 — frequency 50%",
			"4 of 4 features used in the last 30 days — depth 100%",
			"Logins are rising (2 in the last 14 days vs none in the 14 before) — trend 100%",
			"weight 40%", "weight 30%", "weight 20%", "weight 10%",
			`<svg class="chart-svg"`, "Logins per week over the last 13 weeks: 2 in total", "Health score over the last 90 days:",
			`class="chart-line"`, `chart-band chart-band-healthy`, `chart-band chart-band-at_risk`, "85 today",
			"Logins per week as a table", "Score per day as a table",
			`id="activity"`, "<dt>Total logins</dt><dd>2</dd>", "<dt>Logins in the last 30 days</dt><dd>2</dd>",
			"Reports <span class=\"muted\">1 view</span>", "Logged in", "Opened a page", "Agencies", "Grace Hopper")
		if n := strings.Count(a.body, `class="chart-bar"`); n != 13 {
			t.Fatalf("%d bars, want 13", n)
		}
		if n := strings.Count(a.body, `<svg class="chart-svg"`); n != 2 {
			t.Fatalf("%d charts, want 2", n)
		}
		a.lacks(t, "client page", "coming soon", "Load more")

		// Three days on: d 3 → R 42/45 → 37.33; the rest unchanged: 82.33.
		s.Clock.Advance(3 * health.Day)
		ada.get(nav).expect(t, "three days on", 200,
			`class="health-number health-healthy">82<`, "Last login 3 days ago (falls to 0 after 45 days without one) — recency 93%")
		// Joined three days ago: the score with "New", not a band (issue 18).
		ada.get("/app/clients").expect(t, "client list", 200, `class="health health-new">82</span> <span class="badge badge-new"`,
			`href="/app/clients?sort=-health"`, `href="/app/clients?sort=-last_active"`)
		ada.get("/app/clients?sort=-health").expect(t, "sorted by health", 200, `aria-sort="descending"`, `href="/app/clients?sort=health"`)
		ada.get("/app/clients?sort=-last_active").expect(t, "sorted by activity", 200, `aria-sort="descending"`, `href="/app/clients?sort=last_active"`)

		// Login As: Ada's page views are listed as hers and never count.
		ada.post(nav+"/login-as", url.Values{"return_to": {nav}}).redirects(t, "login as", "/app")
		ada.get("/app/reports").expect(t, "reports as the client", 200)
		ada.post("/app/login-as/end", nil).redirects(t, "return", nav)
		if n := count(t, s, `SELECT COUNT(*) FROM activity_events WHERE kind = 'page_view' AND impersonator_id = ? AND client_id = ?`,
			adaID, clientID); n != 1 {
			t.Fatalf("%d page views during Login As", n)
		}
		a = ada.get(nav)
		a.expect(t, "after Login As", 200, "by Ada Lovelace via Login As", `class="health-number health-healthy">82<`,
			"Reports <span class=\"muted\">1 view</span>")

		// More than a page of events: "Load more" goes on from the cursor.
		for range 20 {
			grace.get("/app/profile").expect(t, "profile", 200)
		}
		s.Activity.Flush(context.Background()) // page views are written in batches
		a = ada.get(nav)
		more := unescape(a.find(t, "load more", `href="(/app/clients/`+clientID+`/activity\?cursor=[^"]+)" data-more="activity-rows"`))
		b := ada.get(more)
		b.expect(t, "activity page 2", 200, "Activity of Navy Client", `id="activity-rows"`, "Logged in", "First page")
		b.lacks(t, "activity page 2", "Load more", `id="health"`)
		rows := a.body[strings.Index(a.body, `id="activity-rows"`):]
		if n := strings.Count(rows[:strings.Index(rows, "</tbody>")], "<tr>"); n != 20 {
			t.Fatalf("first page: %d events, want 20", n)
		}
		ada.get(nav+"/activity?cursor=zz").redirects(t, "bad cursor", nav+"#activity")

		// A client nobody has joined: no score, no charts, no activity.
		a = ada.post("/app/clients", url.Values{"name": {"Acme"}, "access": {"all"}})
		acme := strings.TrimPrefix(a.header.Get("Location"), "/app/clients/")
		a = ada.get("/app/clients/" + acme)
		a.expect(t, "empty client", 200, "No score yet: nobody has joined", "No activity yet", "no score yet")
		a.lacks(t, "empty client", `<svg class="chart-svg"`, "Load more")

		// Neither the client nor another agency reads them.
		grace.get(nav+"/activity").expect(t, "client reads its activity", 404)
		s.Signup(t, "Rita Rival", "rita@rival.example", "Rival Agency", "agency")
		loginAs(t, s, "rita@rival.example", testkit.Password).get(nav+"/activity").expect(t, "rival reads it", 404)
	})
}
