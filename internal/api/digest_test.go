package api_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/digest"
	"github.com/liaison-dev/liaison/internal/testkit"
)

type digestMail struct {
	To   string `db:"to_addr"`
	Subj string `db:"subject"`
	Text string `db:"text_body"`
}

func digests(t *testing.T, s *testkit.Server) []digestMail {
	t.Helper()
	var out []digestMail
	if err := s.DB.Select(context.Background(), &out, `SELECT to_addr, subject, text_body FROM mail_outbox
		WHERE template = 'health_digest' ORDER BY created_at, to_addr`); err != nil {
		t.Fatal(err)
	}
	return out
}

// The weekly digest goes out on Monday 08:00 in the agency's time zone, once
// per agency and week even with two processes running the job at the same
// moment, to the admins who did not opt out, listing at-risk and churned
// clients and the week's biggest score drop (computed by hand below); its
// one-click link opts out once.
func TestHealthDigest(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		ctx := context.Background()
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true}) // a Monday, 09:00 UTC
		monday := s.Clock.Now()
		if monday.Weekday() != time.Monday || monday.Hour() != 9 {
			t.Fatalf("the fake clock starts %v, want a Monday 09:00", monday)
		}
		day := 24 * time.Hour
		run := func(d *digest.Service) int {
			t.Helper()
			n, err := d.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		s.Clock.Advance(day) // Tuesday 09:00: this week's digest time has passed
		ada, _, agency := s.Signup(t, "Ada Admin", "ada@example.com", "Agency A", "agency")
		ada = ada.Token(t)
		bob, bobID, _ := s.Signup(t, "Bob Admin", "bob@example.com", "Bob Own", "client")
		s.AddMember(t, agency, bobID, "admin")
		bob = bob.Token(t)
		_, _, acme := s.Signup(t, "Cleo", "cleo@acme.example", "Acme", "client")
		_, _, zed := s.Signup(t, "Zoe", "zoe@zed.example", "Zed", "client")
		s.AddLink(t, testkit.LinkFixture{AgencyID: agency, ClientID: acme, AccessAll: true})
		s.AddLink(t, testkit.LinkFixture{AgencyID: agency, ClientID: zed, AccessAll: true})
		ada.Must(t, 200, "PUT", "/api/v1/agencies/"+agency+"/settings", map[string]any{"at_risk_days": 5, "churn_days": 10})
		if n := run(s.App.Digest); n != 0 {
			t.Fatalf("Tuesday: %d digests", n)
		}

		s.Clock.Advance(13 * day) // Monday two weeks on, 09:00: Zoe logs in
		s.Login(t, "zoe@zed.example", testkit.Password)
		// Bob opts out in his preferences.
		if r := bob.Must(t, 200, "PUT", "/api/v1/me/preferences", map[string]any{"health_digest": false}); r.Body["health_digest"] != false {
			t.Fatalf("preferences: %v", r.Body)
		}
		s.Clock.Set(monday.Add(21*day - 61*time.Minute)) // the Monday after, 07:59
		if n := run(s.App.Digest); n != 0 {
			t.Fatalf("Monday 07:59: %d digests", n)
		}
		s.Clock.Set(monday.Add(21*day - time.Hour))
		// Two processes at once: one sends.
		other := digest.New(s.DB, client.New(s.DB, s.Clock.Now), s.Mailer, s.Clock.Now, s.URL, s.Log)
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for i, d := range []*digest.Service{s.App.Digest, other} {
			wg.Add(1)
			go func() { defer wg.Done(); counts[i] = run(d) }()
		}
		wg.Wait()
		if counts[0]+counts[1] != 1 {
			t.Fatalf("two runners sent %v digests", counts)
		}
		if n := run(s.App.Digest); n != 0 {
			t.Fatalf("a second run sent %d", n)
		}
		got := digests(t, s)
		if len(got) != 1 || got[0].To != "ada@example.com" {
			t.Fatalf("digests: %+v", got)
		}
		// Acme: last login 19 days ago ≥ churn_days 10: churned. Zed: 7 days
		// ago: at risk. Acme's score a week ago (d 12: R 0; F 1/4 → 7.5; T 1
		// → 10): 17.5 → 18; now (d 19; F 7.5; T 0): 8.
		m := got[0]
		for _, want := range []string{"1 at risk, 1 churned", "At risk (1):\n  - Zed", "Churned (1):\n  - Acme", "Acme, 18 → 8 (−10)", "/app/clients/" + acme} {
			if !strings.Contains(m.Subj+"\n"+m.Text, want) {
				t.Errorf("digest lacks %q:\n%s\n%s", want, m.Subj, m.Text)
			}
		}
		if strings.Contains(m.Text, "Zed, 18") {
			t.Errorf("Zed's score rose, it is no drop:\n%s", m.Text)
		}

		// The one-click link: a page that asks, then opts out, once.
		link := regexp.MustCompile(`/digest/unsubscribe/[A-Za-z0-9_-]+`).FindString(m.Text)
		page := s.NewClient()
		if r := page.Do(t, "GET", link, nil); r.Status != 200 || !strings.Contains(string(r.Raw), "Stop these e-mails") {
			t.Fatalf("unsubscribe page: %d", r.Status)
		}
		if on := ada.Must(t, 200, "GET", "/api/v1/me/preferences", nil).Body["health_digest"]; on != true {
			t.Fatalf("a GET changed the preference: %v", on)
		}
		if r := page.Do(t, "POST", link, nil); r.Status != 200 {
			t.Fatalf("unsubscribe: %d %s", r.Status, r.Raw)
		}
		if on := ada.Must(t, 200, "GET", "/api/v1/me/preferences", nil).Body["health_digest"]; on != false {
			t.Fatalf("after the link: %v", on)
		}
		if r := page.Do(t, "POST", link, nil); r.Status != 410 {
			t.Fatalf("the link worked twice: %d", r.Status)
		}

		// The agency's time zone: New York's Monday 08:00 (13:00 UTC in
		// winter, 12:00 in summer).
		ada.Must(t, 200, "PUT", "/api/v1/agencies/"+agency+"/settings", map[string]any{"timezone": "America/New_York"})
		if r := ada.Do(t, "PUT", "/api/v1/agencies/"+agency+"/settings", map[string]any{"timezone": "Mars/Olympus"}); r.Status != 400 {
			t.Fatalf("unknown time zone: %d", r.Status)
		}
		ada.Must(t, 200, "PUT", "/api/v1/me/preferences", map[string]any{"health_digest": true})
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		next := monday.Add(28 * day)
		eightNY := time.Date(next.Year(), next.Month(), next.Day(), 8, 0, 0, 0, ny)
		s.Clock.Set(eightNY.Add(-time.Minute))
		if n := run(s.App.Digest); n != 0 {
			t.Fatalf("07:59 in New York: %d", n)
		}
		s.Clock.Set(eightNY)
		if n := run(s.App.Digest); n != 1 {
			t.Fatalf("08:00 in New York: %d", n)
		}
		if got := digests(t, s); len(got) != 2 || got[1].To != "ada@example.com" {
			t.Fatalf("second week: %+v", got)
		}
	})
}
