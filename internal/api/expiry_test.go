package api_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// expiryWorld is agency A linked to client C, with a member of A in the
// link's access list, an account manager assigned, and a brand of A
// granted to C (so that the billing ledger moves with the link).
type expiryWorld struct {
	s                  *testkit.Server
	agency, client     string
	link               string
	adminA, adminC     *testkit.APIClient
	member, am         *testkit.APIClient
	memberID, amID     string
	adminAID, adminCID string
}

func newExpiryWorld(t *testing.T, s *testkit.Server) *expiryWorld {
	t.Helper()
	w := &expiryWorld{s: s}
	w.adminA, w.adminAID, w.agency = s.Signup(t, "Ada Admin", "ada@agency.example", "Agency A", "agency")
	w.adminC, w.adminCID, w.client = s.Signup(t, "Cleo Admin", "cleo@client.example", "Client C", "client")
	var memberAcc string
	w.member, w.memberID, memberAcc = s.Signup(t, "Mo Member", "mo@agency.example", "Mo's own", "client")
	_ = memberAcc
	w.am, w.amID, _ = s.Signup(t, "Amy Manager", "amy@agency.example", "Amy's own", "client")
	s.AddMember(t, w.agency, w.memberID, "member")
	s.AddMember(t, w.agency, w.amID, "account_manager")
	w.link = s.AddLink(t, testkit.LinkFixture{AgencyID: w.agency, ClientID: w.client, AccessUsers: []string{w.memberID},
		AccountManagers: []string{w.amID}})
	brand := s.AddBrand(t, w.agency, "Brand A")
	w.adminA.Must(t, 204, "PUT", "/api/v1/agencies/"+w.agency+"/clients/"+w.client+"/brands/"+brand, nil)
	return w
}

// run runs the access.expiry job's work once, as the runner would.
func (w *expiryWorld) run(t *testing.T) {
	t.Helper()
	if _, err := w.s.Links.RunEnds(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (w *expiryWorld) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := w.s.DB.Get(context.Background(), &n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func at(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// The client sets an end date on the link; the agency may not extend or
// clear it, only the client; 7 and 1 days before, both sides' admins get a
// notice once each; at the end the job disconnects the link with the
// effects of a manual disconnect (Login As ends, ledger row, audit on both
// sides, e-mails), and the fake clock drives it all.
func TestLinkEndNoticesAndExpiry(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		w := newExpiryWorld(t, s)
		end := s.Clock.Now().Add(10 * 24 * time.Hour)
		r := w.adminC.Must(t, 200, "PUT", "/api/v1/links/"+w.link+"/end", map[string]any{"subject": "link", "ends_at": at(end)})
		if r.Body["ends_set_by"] != "client" || r.Body["ends_at"] == nil {
			t.Fatalf("end not set: %s", r.Raw)
		}
		// The agency neither extends nor clears the client's end date…
		if r := w.adminA.Do(t, "POST", "/api/v1/links/"+w.link+"/end/extend", map[string]any{"subject": "link"}); r.Status != 409 || r.Code() != "end_set_by_other_side" {
			t.Fatalf("agency extends the client's end: %d %s", r.Status, r.Raw)
		}
		if r := w.adminA.Do(t, "PUT", "/api/v1/links/"+w.link+"/end", map[string]any{"subject": "link"}); r.Status != 409 {
			t.Fatalf("agency clears the client's end: %d %s", r.Status, r.Raw)
		}
		// … a member cannot touch it, and a date in the past is refused.
		if r := w.member.Do(t, "PUT", "/api/v1/links/"+w.link+"/end", map[string]any{"subject": "link", "ends_at": at(end)}); r.Status != 403 {
			t.Fatalf("member sets an end: %d", r.Status)
		}
		if r := w.adminC.Do(t, "PUT", "/api/v1/links/"+w.link+"/end", map[string]any{"subject": "link", "ends_at": at(s.Clock.Now().Add(-time.Hour))}); r.Status != 400 {
			t.Fatalf("end in the past: %d", r.Status)
		}
		// The client extends with one click (30 days), and brings it back.
		r = w.adminC.Must(t, 200, "POST", "/api/v1/links/"+w.link+"/end/extend", map[string]any{"subject": "link"})
		if got, _ := time.Parse(time.RFC3339, r.Body["ends_at"].(string)); !got.Equal(end.Add(30 * 24 * time.Hour).Truncate(time.Second)) {
			t.Fatalf("extended to %v, want %v", got, end.Add(30*24*time.Hour))
		}
		w.adminC.Must(t, 200, "PUT", "/api/v1/links/"+w.link+"/end", map[string]any{"subject": "link", "ends_at": at(end)})
		// The agency side reads it too.
		if l := w.adminA.Must(t, 200, "GET", "/api/v1/accounts/"+w.agency+"/links", nil).Body["links"].([]any)[0].(map[string]any); l["ends_set_by"] != "client" {
			t.Fatalf("agency's view: %v", l)
		}

		want := []string{"ada@agency.example", "cleo@client.example"}
		s.Clock.Advance(2 * 24 * time.Hour) // 8 days left: no notice yet
		w.run(t)
		if got := lkMails(t, s, "access_ending"); len(got) != 0 {
			t.Fatalf("notice 8 days before: %v", got)
		}
		s.Clock.Advance(36 * time.Hour) // 6.5 days left: the 7-day notice
		w.run(t)
		w.run(t)
		if got := lkMails(t, s, "access_ending"); !slices.Equal(got, want) {
			t.Fatalf("7-day notices to %v, want %v", got, want)
		}
		s.Clock.Advance(5*24*time.Hour + 14*time.Hour) // 0.9 days left: the 1-day notice
		w.run(t)
		w.run(t)
		if got := lkMails(t, s, "access_ending"); len(got) != 4 {
			t.Fatalf("notices after the 1-day one: %v", got)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM links WHERE id = ? AND status = 'active'`, w.link); n != 1 {
			t.Fatal("the link ended early")
		}
		// The agency's admin is in Login As on the client when the end comes.
		s.Clock.Advance(22*time.Hour - 5*time.Minute)
		asClient := s.Login(t, "ada@agency.example", testkit.Password)
		asClient.Must(t, 200, "POST", "/api/v1/agencies/"+w.agency+"/clients/"+w.client+"/impersonate", nil)
		s.Clock.Advance(10 * time.Minute) // past the end
		w.run(t)
		w.run(t)
		if n := w.count(t, `SELECT COUNT(*) FROM links WHERE id = ? AND status = 'disconnected' AND ended_by IS NULL`, w.link); n != 1 {
			t.Fatal("the link did not end")
		}
		if got := lkMails(t, s, "access_ended"); !slices.Equal(got, want) {
			t.Fatalf("access_ended mails to %v, want %v", got, want)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM audit_events WHERE action = 'link.expire' AND target_id = ?`, w.link); n != 2 {
			t.Fatalf("link.expire audit entries: %d, want 2 (both sides)", n)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM impersonations WHERE client_id = ? AND ended_at IS NOT NULL AND end_reason = 'disconnected'`, w.client); n != 1 {
			t.Fatal("Login As did not end with the link")
		}
		if n := w.count(t, `SELECT COUNT(*) FROM billing_events WHERE cause = 'link_expired'`); n != 1 {
			t.Fatalf("ledger rows with cause link_expired: %d", n)
		}
		s.Login(t, "mo@agency.example", testkit.Password).Must(t, 404, "GET", "/api/v1/accounts/"+w.client, nil)
	})
}

// A staff grant (a user of the access list, an account manager
// assignment) set by the agency ends by itself: the user loses sight of
// the client, the assignment goes, both sides' logs record it.
func TestStaffAccessEnds(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		w := newExpiryWorld(t, s)
		end := at(s.Clock.Now().Add(2 * 24 * time.Hour))
		w.adminA.Must(t, 200, "PUT", "/api/v1/links/"+w.link+"/end", map[string]any{"subject": "user", "subject_id": w.memberID, "ends_at": end})
		r := w.adminA.Must(t, 200, "PUT", "/api/v1/links/"+w.link+"/end", map[string]any{"subject": "account_manager", "subject_id": w.amID, "ends_at": end})
		if ends, _ := r.Body["access_ends"].([]any); len(ends) != 2 {
			t.Fatalf("access_ends: %s", r.Raw)
		}
		// Staff end dates are the agency's: the client neither sets nor sees them.
		if r := w.adminC.Do(t, "PUT", "/api/v1/links/"+w.link+"/end", map[string]any{"subject": "user", "subject_id": w.memberID, "ends_at": end}); r.Status != 400 {
			t.Fatalf("client sets a staff end: %d", r.Status)
		}
		if r := w.adminC.Must(t, 200, "GET", "/api/v1/accounts/"+w.client+"/links", nil); r.Body["links"].([]any)[0].(map[string]any)["access_ends"] != nil {
			t.Fatalf("client sees the staff end dates: %s", r.Raw)
		}
		// Someone outside the access list gets no end date.
		if r := w.adminA.Do(t, "PUT", "/api/v1/links/"+w.link+"/end", map[string]any{"subject": "user", "subject_id": w.adminCID, "ends_at": end}); r.Status != 400 {
			t.Fatalf("end for a user without access: %d", r.Status)
		}
		member := w.member.Token(t)
		member.Must(t, 200, "GET", "/api/v1/accounts/"+w.client, nil)
		s.Clock.Advance(2*24*time.Hour + time.Minute)
		w.run(t)
		member.Must(t, 404, "GET", "/api/v1/accounts/"+w.client, nil)
		if n := w.count(t, `SELECT COUNT(*) FROM client_account_managers WHERE user_id = ?`, w.amID); n != 0 {
			t.Fatal("the assignment did not end")
		}
		if n := w.count(t, `SELECT COUNT(*) FROM audit_events WHERE action = 'access.expire'`); n != 4 {
			t.Fatalf("access.expire entries: %d, want 4 (two grants, both sides)", n)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM access_ends`); n != 0 {
			t.Fatalf("%d end dates left", n)
		}
		if got := lkMails(t, s, "access_ended"); len(got) != 4 {
			t.Fatalf("access_ended mails: %v", got)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM links WHERE id = ? AND status = 'active'`, w.link); n != 1 {
			t.Fatal("the link ended with a staff grant")
		}
	})
}

// Two processes on one database run the access.expiry job at the same
// moment: each notice and each end happens once.
func TestAccessExpiryTwoRunners(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		a := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		b := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true, Env: map[string]string{
			"LIAISON_DATABASE_URL": a.Config.DatabaseURL, "LIAISON_DATA_DIR": a.Config.DataDir}})
		b.Clock.Set(a.Clock.Now())
		w := newExpiryWorld(t, a)
		w.adminA.Must(t, 200, "PUT", "/api/v1/links/"+w.link+"/end", map[string]any{"subject": "link", "ends_at": at(a.Clock.Now().Add(3 * 24 * time.Hour))})
		both := func(d time.Duration) {
			a.Clock.Advance(d)
			b.Clock.Set(a.Clock.Now())
			var wg sync.WaitGroup
			for _, s := range []*testkit.Server{a, b, a, b} {
				wg.Go(func() {
					if _, err := s.Jobs.RunDue(context.Background()); err != nil {
						t.Error(err)
					}
					if _, err := s.Links.RunEnds(context.Background()); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		both(time.Hour) // 7-day notice (the end is under a week away)
		if got := lkMails(t, a, "access_ending"); len(got) != 2 {
			t.Fatalf("7-day notices: %v", got)
		}
		both(2*24*time.Hour + 22*time.Hour) // 1 hour left
		if got := lkMails(t, a, "access_ending"); len(got) != 4 {
			t.Fatalf("notices: %v", got)
		}
		both(2 * time.Hour)
		if got := lkMails(t, a, "access_ended"); len(got) != 2 {
			t.Fatalf("access_ended mails: %v", got)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM audit_events WHERE action = 'link.expire'`); n != 2 {
			t.Fatalf("link.expire entries: %d", n)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM billing_events WHERE cause = 'link_expired'`); n != 1 {
			t.Fatalf("ledger rows: %d", n)
		}
	})
}
