package api_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/health"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// SPEC §5 as the clock moves, with no job in between: the stored status,
// score and last activity of the list, its status filter and counts, its
// -health order and the detail all read the right values at each moment —
// across the at_risk and churn thresholds and back with a login. Every
// expected score is computed by hand (churn_days 45).
func TestStatusAndHealthFollowTheClock(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		admin, _, agency := s.Signup(t, "Ada Admin", "ada@example.com", "Agency A", "agency")
		// Signing up counts as Acme's first login (t0).
		cleo, _, acme := s.Signup(t, "Cleo Client", "cleo@acme.example", "Acme", "client")
		_, _, quiet := s.Signup(t, "Quinn Quiet", "quinn@quiet.example", "Quiet Co", "client")
		s.AddLink(t, testkit.LinkFixture{AgencyID: agency, ClientID: acme, AccessAll: true})
		s.AddLink(t, testkit.LinkFixture{AgencyID: agency, ClientID: quiet, AccessAll: true})
		list := "/api/v1/agencies/" + agency + "/clients"
		admin = admin.Token(t) // a session would end after 7 idle days

		// check reads Acme in the list, in the detail, under its status
		// filter and in the counts, and wants status and score there.
		check := func(when, status string, score int) {
			t.Helper()
			r := admin.Must(t, 200, "GET", list, nil)
			var item map[string]any
			for _, c := range clItems(r) {
				if c["id"] == acme {
					item = c
				}
			}
			h, _ := item["health"].(map[string]any)
			if item["status"] != status || h == nil || h["score"] != float64(score) || h["band"] != health.BandOf(score) {
				t.Fatalf("%s: list item %v, want %s with %d", when, item, status, score)
			}
			d := admin.Must(t, 200, "GET", list+"/"+acme, nil).Body
			if d["status"] != status {
				t.Fatalf("%s: detail status %v, want %s", when, d["status"], status)
			}
			f := admin.Must(t, 200, "GET", list+"?status="+status, nil)
			if ids := clIDs(f); !slices.Contains(ids, acme) {
				t.Fatalf("%s: status=%s lists %v", when, status, ids)
			}
			if n := f.Body["counts"].(map[string]any)[status].(float64); n < 1 {
				t.Fatalf("%s: counts.%s = %v", when, status, n)
			}
		}
		check("at sign-up", "active", 58) // R 1 → 40, F 1/4 → 7.5, T 1 → 10: 57.5

		s.Clock.Advance(14*health.Day - time.Hour)
		// d 13 → R 32/45 → 28.44; F 7.5; the login is still in the last 14
		// days, T 1 → 10: 45.94.
		check("13 days 23 hours on", "active", 46)

		s.Clock.Advance(time.Hour)
		// Exactly 14 days: at_risk; d 14 → R 31/45 → 27.56; F 7.5; the login
		// moved to the 14 days before, T 0: 35.06. Eight readers arrive at
		// once on the due rows and share one refresh (clientlist/fresh.go,
		// refreshShared): every one of them reads the new values.
		var wg sync.WaitGroup
		got := make([]string, 8)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := admin.Do(t, "GET", list+"?sort=-health", nil)
				for _, c := range clItems(r) {
					if c["id"] == acme {
						got[i] = fmt.Sprint(c["status"], " ", c["health"].(map[string]any)["score"])
					}
				}
			}()
		}
		wg.Wait()
		for i, g := range got {
			if g != "at_risk 35" {
				t.Fatalf("concurrent reader %d at 14 days: %q, want at_risk 35", i, g)
			}
		}
		check("14 days on", "at_risk", 35)
		if got := clIDs(admin.Must(t, 200, "GET", list+"?status=active", nil)); slices.Contains(got, acme) {
			t.Fatalf("14 days on: still listed as active: %v", got)
		}

		s.Clock.Advance(31 * health.Day)
		// 45 days: churned; R 0; the login is older than 30 days (B 4, F 0);
		// T 0.5 → 5.
		check("45 days on", "churned", 5)

		// A login brings it back (SPEC §5): R 1, F 1/4 (the old login is in
		// the 90 days before, below the baseline of 1), T 1: 57.5.
		cleo = s.Login(t, "cleo@acme.example", testkit.Password)
		check("after a login", "active", 58)
		// A page view adds depth: D 1/4 → 5: 62.5.
		cleo.Must(t, 204, "POST", "/api/v1/activity", map[string]any{"page": "reports"})
		s.Activity.Flush(t.Context()) // page views are written in batches (activity/recorder.go)
		check("after a page view", "active", 63)

		// -health puts Acme (63) before Quiet Co (its sign-up 45 days ago: 5).
		if ids := clIDs(admin.Must(t, 200, "GET", list+"?sort=-health", nil)); !slices.Equal(ids, []string{acme, quiet}) {
			t.Fatalf("-health: %v", ids)
		}

		// The agency moves churn_days: stored statuses and scores follow at
		// once. Quiet Co (sign-up 45 days ago) is at risk again, not churned:
		// R 45/90 → 20; T 0.5 → 5: 25.
		admin.Must(t, 200, "PUT", "/api/v1/agencies/"+agency+"/settings", map[string]any{"churn_days": 90})
		for _, c := range clItems(admin.Must(t, 200, "GET", list+"?status=at_risk", nil)) {
			if c["id"] == quiet && c["health"].(map[string]any)["score"] == 25.0 {
				quiet = ""
			}
		}
		if quiet != "" {
			t.Fatalf("after churn_days 90, Quiet Co is not at risk with 25")
		}

		// The agency reads the events, the summary and the explained score.
		a := admin.Must(t, 200, "GET", list+"/"+acme+"/activity", nil).Body
		evs := a["events"].([]any)
		kinds := []string{}
		for _, ev := range evs {
			kinds = append(kinds, ev.(map[string]any)["kind"].(string))
		}
		if !slices.Equal(kinds, []string{"page_view", "login", "login"}) {
			t.Fatalf("events newest first: %v", kinds)
		}
		sum := a["summary"].(map[string]any)
		if sum["total_logins"] != 2.0 || sum["logins_30d"] != 1.0 || fmt.Sprint(sum["feature_usage"]) != "[map[page:reports views:1]]" {
			t.Fatalf("summary: %v", sum)
		}
		h := a["health"].(map[string]any)
		parts := h["parts"].(map[string]any)
		if h["score"] != 63.0 || parts["recency"] != 1.0 || parts["frequency"] != 0.25 || parts["depth"] != 0.25 || parts["trend"] != 1.0 {
			t.Fatalf("health: %v", h)
		}
		if n := len(h["score_history"].([]any)); n != 90 {
			t.Fatalf("score history: %d days", n)
		}
		if n := len(h["logins_per_week"].([]any)); n != 13 {
			t.Fatalf("logins per week: %d", n)
		}

		// The agency sees when each user was last active; the client's own
		// users list leaves it out (activity is the agency's, SPEC §5).
		lastActive := func(c *testkit.APIClient) any {
			t.Helper()
			us := c.Must(t, 200, "GET", "/api/v1/accounts/"+acme+"/users", nil).Body["users"].([]any)
			return us[0].(map[string]any)["last_active_at"]
		}
		if at, _ := lastActive(admin).(string); at == "" {
			t.Fatalf("agency: user's last activity %v", lastActive(admin))
		}
		if at := lastActive(cleo); at != nil {
			t.Fatalf("client: user's last activity shown: %v", at)
		}

		// Clients never read activity, nor does another agency; bad input
		// is refused and changes nothing.
		cleo.Must(t, 404, "GET", list+"/"+acme+"/activity", nil)
		other, _, _ := s.Signup(t, "Olga Other", "olga@other.example", "Agency O", "agency")
		other.Must(t, 404, "GET", list+"/"+acme+"/activity", nil)
		if r := cleo.Do(t, "POST", "/api/v1/activity", map[string]any{"page": "admin-console"}); r.Status != 400 || r.Code() != "invalid_page" {
			t.Fatalf("unknown page: %d %s", r.Status, r.Raw)
		}
		if r := admin.Do(t, "POST", "/api/v1/activity", map[string]any{"page": "reports"}); r.Status != 409 {
			t.Fatalf("page view outside a client account: %d %s", r.Status, r.Raw)
		}
		if r := admin.Do(t, "GET", list+"/"+acme+"/activity?cursor=zz", nil); r.Status != 400 {
			t.Fatalf("bad cursor: %d", r.Status)
		}
		after := admin.Must(t, 200, "GET", list+"/"+acme+"/activity", nil).Body
		if len(after["events"].([]any)) != 3 {
			t.Fatalf("refused input recorded something: %v", after["events"])
		}
	})
}

func clIDs(r testkit.Response) []string {
	var out []string
	for _, c := range clItems(r) {
		out = append(out, c["id"].(string))
	}
	return out
}

// An agency may set churn_days beyond the 120 days of events a score reads
// (up to 730): recency and the status still count from the last login,
// however old, and the status still moves on its own when churn_days pass.
func TestRecencyBeyondTheEventWindow(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		admin, _, agency := s.Signup(t, "Ada Admin", "ada@example.com", "Agency A", "agency")
		_, _, acme := s.Signup(t, "Cleo Client", "cleo@acme.example", "Acme", "client") // its login: t0
		s.AddLink(t, testkit.LinkFixture{AgencyID: agency, ClientID: acme, AccessAll: true})
		admin = admin.Token(t)
		admin.Must(t, 200, "PUT", "/api/v1/agencies/"+agency+"/settings", map[string]any{"churn_days": 180})
		list := "/api/v1/agencies/" + agency + "/clients"
		read := func(when, status string, score int) {
			t.Helper()
			for _, c := range clItems(admin.Must(t, 200, "GET", list, nil)) {
				if c["id"] == acme {
					if h, _ := c["health"].(map[string]any); c["status"] != status || h == nil || h["score"] != float64(score) {
						t.Fatalf("%s: %v %v, want %s %d", when, c["status"], c["health"], status, score)
					}
					return
				}
			}
			t.Fatalf("%s: Acme not listed", when)
		}
		read("at sign-up", "active", 58)
		s.Clock.Advance(150 * health.Day)
		// d 150 → R 30/180 → 6.67; no login in 30 days, F 0; D 0; T 0.5 → 5: 11.67.
		read("150 days on", "at_risk", 12)
		s.Clock.Advance(30*health.Day - time.Minute)
		// d 179 → R 1/180 → 0.22; T 5: 5.22.
		read("179 days 23:59 on", "at_risk", 5)
		s.Clock.Advance(time.Minute)
		read("180 days on", "churned", 5)
	})
}
