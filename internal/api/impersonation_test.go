package api_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// imWorld is agency A (admin, an assigned account manager, an unassigned
// one, a member, a viewer), agency B (its admin; a pending request to C),
// and client C (its admin and a member), linked to A for the entire agency.
// Everyone uses a browser session (cookie), as Login As requires.
type imWorld struct {
	s                                   *testkit.Server
	A, B, C, linkAC, linkBC             string
	admin, am, am2, member, viewer, bAd *testkit.APIClient
	cAdmin, cMember                     *testkit.APIClient
	adminID, amID, cAdminID, cMemberID  string
}

func newImWorld(t *testing.T, e db.Dialect, so testkit.ServerOptions) *imWorld {
	t.Helper()
	s := testkit.StartServer(t, e, so)
	w := &imWorld{s: s}
	w.admin, w.adminID, w.A = s.Signup(t, "Ada Admin", "ada@example.com", "Agency A", "agency")
	w.bAd, _, w.B = s.Signup(t, "Bob Other", "bob@example.com", "Agency B", "agency")
	w.cAdmin, w.cAdminID, w.C = s.Signup(t, "Cleo Client", "cleo@example.com", "Client C", "client")
	n := 0
	staff := func(name, role string) (*testkit.APIClient, string) {
		n++
		c, uid, _ := s.Signup(t, name, fmt.Sprintf("im-staff%d@example.com", n), name+" Own", "client")
		s.AddMember(t, w.A, uid, role)
		return c, uid
	}
	w.am, w.amID = staff("Amy Manager", "account_manager")
	w.am2, _ = staff("Al Unassigned", "account_manager")
	w.member, _ = staff("Max Member", "member")
	w.viewer, _ = staff("Vic Viewer", "viewer")
	var cm *testkit.APIClient
	cm, w.cMemberID, _ = s.Signup(t, "Carl Member", "carl@example.com", "Carl Own", "client")
	s.AddMember(t, w.C, w.cMemberID, "member")
	w.cMember = cm
	w.linkAC = s.AddLink(t, testkit.LinkFixture{AgencyID: w.A, ClientID: w.C, AccessAll: true, AccountManagers: []string{w.amID}})
	w.linkBC = s.AddLink(t, testkit.LinkFixture{AgencyID: w.B, ClientID: w.C, Status: "pending"})
	return w
}

func (w *imWorld) impersonatePath(agency string) string {
	return "/api/v1/agencies/" + agency + "/clients/" + w.C + "/impersonate"
}

// start begins Login As on C as c and returns the impersonation's ID.
func (w *imWorld) start(t *testing.T, c *testkit.APIClient, body any) string {
	t.Helper()
	r := c.Must(t, 200, "POST", w.impersonatePath(w.A), body)
	imp := r.Body["impersonation"].(map[string]any)
	if imp["client_id"] != w.C || imp["id"] == "" || imp["expires_at"] == nil {
		t.Fatalf("impersonation %v", imp)
	}
	return imp["id"].(string)
}

// SPEC §1: Login As is for admins and assigned account managers; members and
// viewers get 403; an agency without an active link (or a user who does not
// see the client) gets 404.
func TestImpersonationRoleMatrix(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newImWorld(t, e, testkit.ServerOptions{})
		for _, tc := range []struct {
			who    string
			c      *testkit.APIClient
			agency string
			want   int
		}{
			{"agency admin", w.admin, w.A, 200},
			{"assigned account manager", w.am, w.A, 200},
			{"unassigned account manager", w.am2, w.A, 403},
			{"member", w.member, w.A, 403},
			{"viewer", w.viewer, w.A, 403},
			{"admin of an agency with a pending link", w.bAd, w.B, 404},
			{"admin of another agency, through A", w.bAd, w.A, 404},
			{"client admin", w.cAdmin, w.A, 404},
		} {
			r := tc.c.Do(t, "POST", w.impersonatePath(tc.agency), nil)
			if r.Status != tc.want {
				t.Errorf("%s: %d, want %d: %s", tc.who, r.Status, tc.want, r.Raw)
			}
			if r.Status == 200 {
				tc.c.Must(t, 200, "POST", "/api/v1/impersonation/end", nil)
			}
		}
		// An API token has no browser session to carry Login As.
		tok := w.admin.Token(t)
		if r := tok.Do(t, "POST", w.impersonatePath(w.A), nil); r.Status != 400 || r.Code() != "session_required" {
			t.Errorf("with a token: %d %s", r.Status, r.Raw)
		}
	})
}

func TestImpersonationSession(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newImWorld(t, e, testkit.ServerOptions{})
		impID := w.start(t, w.admin, map[string]any{"reason": "Ticket 42"})

		me := w.admin.Must(t, 200, "GET", "/api/v1/me", nil)
		if me.Header.Get("Liaison-Impersonation") != impID {
			t.Errorf("header %q, want %q", me.Header.Get("Liaison-Impersonation"), impID)
		}
		imp, _ := me.Body["impersonation"].(map[string]any)
		if imp == nil || imp["id"] != impID || imp["client_id"] != w.C || imp["agency_id"] != w.A ||
			imp["started_at"] == nil || imp["expires_at"] == nil {
			t.Fatalf("me.impersonation %v", me.Body["impersonation"])
		}
		if who := imp["impersonator"].(map[string]any); who["id"] != w.adminID || who["email"] != "ada@example.com" {
			t.Errorf("impersonator %v", who)
		}
		ms := me.Body["memberships"].([]any)
		if len(ms) != 1 || ms[0].(map[string]any)["role"] != "admin" || me.Body["current_account_id"] != w.C {
			t.Errorf("memberships during Login As %v (current %v)", ms, me.Body["current_account_id"])
		}

		// The client admin's view, and nothing of the agency's.
		r := w.admin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/users", nil)
		if r.Header.Get("Liaison-Impersonation") != impID {
			t.Error("a response during Login As lacks the header")
		}
		w.admin.Must(t, 404, "GET", "/api/v1/agencies/"+w.A+"/clients", nil)
		w.admin.Must(t, 404, "GET", "/api/v1/accounts/"+w.A, nil)
		// Errors are marked too.
		if r := w.admin.Do(t, "GET", "/api/v1/accounts/"+w.B, nil); r.Status != 404 || r.Header.Get("Liaison-Impersonation") != impID {
			t.Errorf("other account: %d, header %q", r.Status, r.Header.Get("Liaison-Impersonation"))
		}

		// A change carries the impersonator on its audit entry.
		w.admin.Must(t, 200, "PATCH", "/api/v1/accounts/"+w.C+"/users/"+w.cMemberID, map[string]any{"role": "admin"})
		ev := clEvent(t, w.cAdmin, w.C, "client.user_role")
		if ev["impersonator_id"] != w.adminID {
			t.Errorf("audit of a change during Login As: %v", ev)
		}
		if ev := clEvent(t, w.cAdmin, w.C, "impersonation.start"); ev["impersonator_id"] != w.adminID {
			t.Errorf("impersonation.start %v", ev)
		}

		end := w.admin.Must(t, 200, "POST", "/api/v1/impersonation/end", nil)
		if end.Body["id"] != impID || end.Body["return_to"] != "/app/clients/"+w.C {
			t.Errorf("end %v", end.Body)
		}
		me = w.admin.Must(t, 200, "GET", "/api/v1/me", nil)
		if me.Body["impersonation"] != nil || me.Header.Get("Liaison-Impersonation") != "" {
			t.Errorf("after the end: %v", me.Body["impersonation"])
		}
		w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.A+"/clients", nil)
		if r := w.admin.Do(t, "POST", "/api/v1/impersonation/end", nil); r.Status != 409 || r.Code() != "not_impersonating" {
			t.Errorf("end twice: %d %s", r.Status, r.Raw)
		}
		clEvent(t, w.cAdmin, w.C, "impersonation.end")
		clEvent(t, w.admin, w.A, "impersonation.end")

		// Logging out ends it too.
		w.start(t, w.admin, nil)
		w.admin.Must(t, 204, "POST", "/api/v1/logout", nil)
		log := w.cAdmin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/impersonations", nil)
		latest := log.Body["impersonations"].([]any)[0].(map[string]any)
		if latest["ended_at"] == nil || latest["end_reason"] != "session_ended" {
			t.Errorf("after logout: %v", latest)
		}
	})
}

// The idle timeout slides with each request and ends Login As after
// impersonation_idle_minutes without one; the next request gets 401
// impersonation_ended and the agency session goes on.
func TestImpersonationIdleTimeout(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newImWorld(t, e, testkit.ServerOptions{FakeClock: true})
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.A+"/settings", map[string]any{"impersonation_idle_minutes": 10})
		w.start(t, w.admin, nil)
		clk := w.s.Clock
		for i := 0; i < 3; i++ { // 3 × 9 minutes: each request slides the end
			clk.Advance(9 * time.Minute)
			w.admin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/users", nil)
		}
		clk.Advance(10 * time.Minute)
		r := w.admin.Do(t, "GET", "/api/v1/accounts/"+w.C+"/users", nil)
		if r.Status != 401 || r.Code() != "impersonation_ended" {
			t.Fatalf("after 10 idle minutes: %d %s", r.Status, r.Raw)
		}
		// The agency session goes on.
		me := w.admin.Must(t, 200, "GET", "/api/v1/me", nil)
		if me.Body["impersonation"] != nil {
			t.Errorf("still impersonating: %v", me.Body["impersonation"])
		}
		w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.A+"/clients", nil)
		// The log says it ended when the idle time ran out, not when noticed.
		log := w.cAdmin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/impersonations", nil)
		entry := log.Body["impersonations"].([]any)[0].(map[string]any)
		if entry["end_reason"] != "idle" || entry["duration_seconds"].(float64) != float64(37*60) {
			t.Errorf("idle end: %v", entry)
		}
	})
}

// The forbidden actions of SPEC §6 and issue 7 answer 403 with a clear code.
func TestImpersonationForbiddenActions(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newImWorld(t, e, testkit.ServerOptions{})
		w.start(t, w.admin, nil)
		for _, tc := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/api/v1/tokens", map[string]any{"name": "x"}},
			{"POST", w.impersonatePath(w.A), nil},
			{"POST", "/api/v1/links/" + w.linkBC + "/accept", nil},
			{"POST", "/api/v1/links/" + w.linkBC + "/decline", nil},
			{"GET", "/api/v1/accounts/" + w.C + "/impersonations", nil},
			{"PUT", "/api/v1/accounts/" + w.C + "/security", map[string]any{"allow_impersonation": false}},
			{"GET", "/api/v1/sessions", nil},
			{"PUT", "/api/v1/me/account", map[string]any{"account_id": w.A}},
		} {
			r := w.admin.Do(t, tc.method, tc.path, tc.body)
			if r.Status != 403 || r.Code() != "impersonation_forbidden" {
				t.Errorf("%s %s while impersonating: %d %s", tc.method, tc.path, r.Status, r.Raw)
			}
		}
		// Nothing changed: the link request is still pending.
		l := w.cAdmin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/links?status=pending", nil)
		if n := len(l.Body["links"].([]any)); n != 1 {
			t.Errorf("%d pending links, want 1", n)
		}
	})
}

// The client's admins read the log: who, when, how long, why, and every
// request in order; members and agency users get 403.
func TestImpersonationLog(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newImWorld(t, e, testkit.ServerOptions{})
		w.cMember.Must(t, 403, "GET", "/api/v1/accounts/"+w.C+"/impersonations", nil)
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.A+"/settings", map[string]any{"impersonation_reason_required": true})
		if r := w.admin.Do(t, "POST", w.impersonatePath(w.A), nil); r.Status != 400 || r.Code() != "invalid_reason" {
			t.Fatalf("without the required reason: %d %s", r.Status, r.Raw)
		}
		impID := w.start(t, w.admin, map[string]any{"reason": "Set up the brands"})
		w.admin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/users", nil)
		w.admin.Must(t, 200, "PATCH", "/api/v1/accounts/"+w.C+"/users/"+w.cMemberID, map[string]any{"role": "admin"})
		w.admin.Must(t, 404, "GET", "/api/v1/accounts/"+w.A, nil)
		w.admin.Must(t, 200, "POST", "/api/v1/impersonation/end", nil)

		log := w.cAdmin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/impersonations", nil)
		list := log.Body["impersonations"].([]any)
		if len(list) != 1 {
			t.Fatalf("%d entries", len(list))
		}
		en := list[0].(map[string]any)
		who := en["impersonator"].(map[string]any)
		if en["id"] != impID || who["id"] != w.adminID || who["name"] != "Ada Admin" || en["agency_id"] != w.A ||
			en["reason"] != "Set up the brands" || en["started_at"] == nil || en["ended_at"] == nil || en["end_reason"] != "exit" {
			t.Errorf("entry %v", en)
		}
		var got []string
		for _, a := range en["actions"].([]any) {
			m := a.(map[string]any)
			got = append(got, fmt.Sprintf("%s %s %v", m["method"], m["path"], m["status"]))
		}
		want := []string{
			"GET /api/v1/accounts/" + w.C + "/users 200",
			"PATCH /api/v1/accounts/" + w.C + "/users/" + w.cMemberID + " 200",
			"GET /api/v1/accounts/" + w.A + " 404",
			"POST /api/v1/impersonation/end 200",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("actions\n got %v\nwant %v", got, want)
		}
		w.admin.Must(t, 403, "GET", "/api/v1/accounts/"+w.C+"/impersonations", nil)
		w.bAd.Must(t, 404, "GET", "/api/v1/accounts/"+w.C+"/impersonations", nil)
		// The agency reads the same in the client's audit trail.
		clEvent(t, w.admin, w.C, "impersonation.start")

		// The client's admins were told (notify_client_on_impersonation is on
		// by default); Carl became an admin during the session, after the e-mail.
		if to := lkMails(t, w.s, "impersonation_started"); fmt.Sprint(to) != "[cleo@example.com]" {
			t.Errorf("notified %v", to)
		}
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.A+"/settings", map[string]any{"notify_client_on_impersonation": false})
		w.start(t, w.admin, map[string]any{"reason": "again"})
		if to := lkMails(t, w.s, "impersonation_started"); len(to) != 1 {
			t.Errorf("notified with the setting off: %v", to)
		}
	})
}

// The client turns Login As off: starting answers 403
// impersonation_disabled_by_client, and a session in progress ends.
func TestImpersonationClientOptOut(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newImWorld(t, e, testkit.ServerOptions{})
		sec := w.cAdmin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/security", nil)
		if sec.Body["allow_impersonation"] != true {
			t.Fatalf("default %v", sec.Body)
		}
		w.start(t, w.admin, nil)
		w.cMember.Must(t, 403, "PUT", "/api/v1/accounts/"+w.C+"/security", map[string]any{"allow_impersonation": false})
		w.cAdmin.Must(t, 200, "PUT", "/api/v1/accounts/"+w.C+"/security", map[string]any{"allow_impersonation": false})
		if r := w.admin.Do(t, "GET", "/api/v1/accounts/"+w.C+"/users", nil); r.Status != 401 || r.Code() != "impersonation_ended" {
			t.Errorf("after the client turned it off: %d %s", r.Status, r.Raw)
		}
		if r := w.am.Do(t, "POST", w.impersonatePath(w.A), nil); r.Status != 403 || r.Code() != "impersonation_disabled_by_client" {
			t.Errorf("start when turned off: %d %s", r.Status, r.Raw)
		}
		w.cAdmin.Must(t, 200, "PUT", "/api/v1/accounts/"+w.C+"/security", map[string]any{"allow_impersonation": true})
		w.start(t, w.am, nil)
	})
}

// Revocation, the agency user's removal from the agency, and disabling the
// client: the first two end Login As, the last does not (SPEC §3: the agency
// still logs in as a disabled client).
func TestImpersonationEnds(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newImWorld(t, e, testkit.ServerOptions{})
		users := "/api/v1/accounts/" + w.C + "/users"
		w.start(t, w.am, nil)
		w.admin.Must(t, 200, "PATCH", "/api/v1/agencies/"+w.A+"/clients/"+w.C, map[string]any{"enabled": false})
		w.am.Must(t, 200, "GET", users, nil) // disabled: still in
		w.admin.Must(t, 204, "DELETE", "/api/v1/agencies/"+w.A+"/members/"+w.amID, nil)
		if r := w.am.Do(t, "GET", users, nil); r.Status != 401 || r.Code() != "impersonation_ended" {
			t.Errorf("after removal from the agency: %d %s", r.Status, r.Raw)
		}
		w.am.Must(t, 404, "GET", users, nil) // and no access of their own

		w.start(t, w.admin, nil)
		// The disabled client can be entered; revoking it ends Login As.
		revoker := w.s.Login(t, "ada@example.com", testkit.Password)
		revoker.Must(t, 200, "POST", "/api/v1/agencies/"+w.A+"/clients/"+w.C+"/revoke", nil)
		if r := w.admin.Do(t, "GET", users, nil); r.Status != 401 || r.Code() != "impersonation_ended" {
			t.Errorf("after revocation: %d %s", r.Status, r.Raw)
		}
		if r := w.admin.Do(t, "POST", w.impersonatePath(w.A), nil); r.Status != 409 || r.Code() != "client_revoked" {
			t.Errorf("start on a revoked client: %d %s", r.Status, r.Raw)
		}
	})
}

// Disconnecting while the impersonator's requests stream in: no request
// sent after the disconnect returned succeeds, and no change made during
// Login As commits after the disconnect (the audit chain orders them).
func TestImpersonationEndsOnDisconnectMidStream(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newImWorld(t, e, testkit.ServerOptions{})
		w.start(t, w.admin, nil)
		type result struct {
			sent   time.Time
			status int
		}
		var (
			mu      sync.Mutex
			results []result
			stop    = make(chan struct{})
			wg      sync.WaitGroup
			okCount atomic.Int32
			changed atomic.Int32 // role changes that succeeded
		)
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					sent := time.Now()
					var r testkit.Response
					if (g+i)%2 == 0 {
						role := []string{"admin", "member"}[i%2]
						r = w.admin.Do(t, "PATCH", "/api/v1/accounts/"+w.C+"/users/"+w.cMemberID, map[string]any{"role": role})
					} else {
						r = w.admin.Do(t, "GET", "/api/v1/accounts/"+w.C+"/users", nil)
					}
					if r.Status < 300 {
						okCount.Add(1)
						if (g+i)%2 == 0 {
							changed.Add(1)
						}
					}
					mu.Lock()
					results = append(results, result{sent, r.Status})
					mu.Unlock()
				}
			}(g)
		}
		// The disconnect comes once changes have been made as the client
		// (writes queue on their locks, so reads alone can reach the
		// count first).
		deadline := time.Now().Add(20 * time.Second)
		for okCount.Load() < 10 || changed.Load() < 3 {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("before the disconnect: %d requests succeeded, %d of them changes", okCount.Load(), changed.Load())
			}
			time.Sleep(5 * time.Millisecond)
		}
		w.cAdmin.Must(t, 200, "DELETE", "/api/v1/links/"+w.linkAC, nil)
		disconnected := time.Now()
		time.Sleep(150 * time.Millisecond)
		close(stop)
		wg.Wait()

		after := 0
		for _, r := range results {
			if r.sent.After(disconnected) {
				after++
				if r.status < 300 {
					t.Errorf("a request sent after the disconnect succeeded (%d)", r.status)
				}
			}
		}
		if after == 0 {
			t.Fatal("no request was sent after the disconnect")
		}
		// Newest first: every change made as the client is older than the
		// disconnect.
		ev := w.cAdmin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/audit?limit=200", nil)
		seenDisconnect, changes := false, 0
		for _, x := range ev.Body["events"].([]any) {
			m := x.(map[string]any)
			switch {
			case m["action"] == "link.disconnect":
				seenDisconnect = true
			case m["action"] == "client.user_role" && m["impersonator_id"] != nil:
				changes++
				if !seenDisconnect {
					t.Errorf("a change made during Login As committed after the disconnect: %v", m)
				}
			}
		}
		if !seenDisconnect || changes == 0 {
			t.Fatalf("disconnect seen %v, changes %d", seenDisconnect, changes)
		}
		if ev := clEvent(t, w.cAdmin, w.C, "impersonation.end"); ev["after"].(map[string]any)["reason"] != "disconnected" {
			t.Errorf("end %v", ev)
		}
	})
}

// The sweep ends what no request noticed — the idle time ran out, the
// agency user's session ended elsewhere — at the time it ended, and sums
// it up on both audit trails.
func TestImpersonationSweep(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newImWorld(t, e, testkit.ServerOptions{FakeClock: true})
		w.start(t, w.admin, nil)
		w.admin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/users", nil)
		w.s.Clock.Advance(5 * time.Minute)
		if n, err := w.s.Impersonation.Sweep(t.Context()); err != nil || n != 0 {
			t.Fatalf("sweep of a live session: %d, %v", n, err)
		}
		w.s.Clock.Advance(11 * time.Minute)
		if n, err := w.s.Impersonation.Sweep(t.Context()); err != nil || n != 1 {
			t.Fatalf("sweep after the idle time: %d, %v", n, err)
		}
		if r := w.admin.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 || r.Code() != "impersonation_ended" {
			t.Errorf("next request: %d %s", r.Status, r.Raw)
		}
		ev := clEvent(t, w.admin, w.A, "impersonation.end")
		after := ev["after"].(map[string]any)
		if after["reason"] != "idle" || after["duration_seconds"] != float64(15*60) || after["actions"] != float64(1) {
			t.Errorf("end entry %v", after)
		}

		// A session ended from another one.
		w.start(t, w.am, nil)
		second := w.s.Login(t, "im-staff1@example.com", testkit.Password)
		sessions := second.Must(t, 200, "GET", "/api/v1/sessions", nil).Body["sessions"].([]any)
		for _, x := range sessions {
			if m := x.(map[string]any); m["current"] != true {
				second.Must(t, 204, "DELETE", "/api/v1/sessions/"+m["id"].(string), nil)
			}
		}
		log := w.cAdmin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/impersonations", nil)
		if en := log.Body["impersonations"].([]any)[0].(map[string]any); en["end_reason"] != "session_ended" || en["ended_at"] == nil {
			t.Errorf("after the session was ended elsewhere: %v", en)
		}
	})
}

// TestImpersonationReturnStaysOnSite: a return_to that a browser would read
// as another host, or that leaves the agency's client pages, is replaced by
// the client's page (issue 15, input.LocalPath).
func TestImpersonationReturnStaysOnSite(t *testing.T) {
	w := newImWorld(t, db.SQLite, testkit.ServerOptions{})
	for _, to := range []string{"/app/clients/%2F%2Fevil.test", "/app/clients/..//evil.test", "//evil.test/app/clients",
		"/app/clients\\evil.test", "/app/clientsX", "https://evil.test/app/clients"} {
		w.start(t, w.admin, map[string]any{"return_to": to})
		end := w.admin.Must(t, 200, "POST", "/api/v1/impersonation/end", nil)
		if end.Body["return_to"] != "/app/clients/"+w.C {
			t.Errorf("return_to %q came back as %v", to, end.Body["return_to"])
		}
	}
	w.start(t, w.admin, map[string]any{"return_to": "/app/clients?status=at_risk"})
	if end := w.admin.Must(t, 200, "POST", "/api/v1/impersonation/end", nil); end.Body["return_to"] != "/app/clients?status=at_risk" {
		t.Errorf("a page of the client list came back as %v", end.Body["return_to"])
	}
}
