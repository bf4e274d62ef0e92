package api_test

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// shape is an access request answer without what differs by construction
// (its ID, time and the text asked for): what must not tell whether a
// client matched.
func shape(body map[string]any) string {
	var keys []string
	for k, v := range body {
		switch k {
		case "id", "created_at", "asked_for":
			continue
		case "requester":
			continue // the same requester each time
		}
		keys = append(keys, k+"="+strings.TrimSpace(strings.ReplaceAll(toString(v), "\n", "")))
	}
	sort.Strings(keys)
	return strings.Join(keys, ";")
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case nil:
		return "null"
	}
	return "?"
}

// An agency member who does not see a client asks for access by account
// ID or by name. The answer is the same for a linked client, an unknown ID
// and another agency's client; only the approvers learn what matched. The
// client's assigned account manager approves with an end date, the access
// ends by itself when it comes.
func TestAccessRequestFlow(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		w := newExpiryWorld(t, s)
		nia, niaID, _ := s.Signup(t, "Nia Newcomer", "nia@agency.example", "Nia's own", "client")
		s.AddMember(t, w.agency, niaID, "member")
		nia = nia.Token(t)
		_, _, elsewhere := s.Signup(t, "Eve", "eve@other.example", "Other Client", "client")
		nia.Must(t, 404, "GET", "/api/v1/accounts/"+w.client, nil)

		base := "/api/v1/agencies/" + w.agency + "/access-requests"
		ask := func(client string) (testkit.Response, time.Duration) {
			start := time.Now()
			r := nia.Do(t, "POST", base, map[string]any{"client": client, "reason": "Covering for Mo this week"})
			return r, time.Since(start)
		}
		var shapes []string
		var took [3][]time.Duration
		var ids []string
		for round := range 2 {
			for i, client := range []string{w.client, "acc_doesnotexist0000000000000000", elsewhere} {
				r, d := ask(client)
				if r.Status != 202 {
					t.Fatalf("request for %s: %d %s", client, r.Status, r.Raw)
				}
				shapes = append(shapes, shape(r.Body))
				took[i] = append(took[i], d)
				if round == 0 {
					ids = append(ids, r.Body["id"].(string))
				}
			}
		}
		for _, sh := range shapes[1:] {
			if sh != shapes[0] {
				t.Fatalf("answers differ:\n%s\n%s", shapes[0], sh)
			}
		}
		// Timing-ish: no case is an order of magnitude slower than another
		// (the same queries run either way; the machine is noisy).
		slowest, fastest := time.Duration(0), time.Hour
		for _, ds := range took {
			m := slices.Min(ds)
			slowest, fastest = max(slowest, m), min(fastest, m)
		}
		if slowest > 10*fastest+50*time.Millisecond {
			t.Errorf("answer times differ: fastest %v, slowest %v", fastest, slowest)
		}
		// By name, case aside, like the ID.
		if r, _ := ask("client c"); r.Status != 202 {
			t.Fatalf("by name: %d", r.Status)
		}
		// The requester's own list shows nothing of any match.
		mine := nia.Must(t, 200, "GET", base, nil).Body["requests"].([]any)
		if len(mine) != 7 {
			t.Fatalf("own requests: %d", len(mine))
		}
		for _, r := range mine {
			if r.(map[string]any)["client"] != nil {
				t.Fatalf("the requester sees the match: %v", r)
			}
		}
		// Approvers hear: the admin of every request (once per client for
		// repeats), the assigned account manager of those that matched.
		got := lkMails(t, s, "access_request")
		if c := strings.Count(strings.Join(got, " "), "amy@agency.example"); c != 1 {
			t.Fatalf("account manager mails: %v", got)
		}
		link := s.MailLink(t, "access_request", "amy@agency.example", "/app/access-requests/")
		if !strings.HasSuffix(link, ids[0]) {
			t.Fatalf("e-mail link %s, want the page of %s", link, ids[0])
		}
		// The admin sees which matched.
		all := w.adminA.Must(t, 200, "GET", base, nil).Body["requests"].([]any)
		matched := 0
		for _, r := range all {
			if c, _ := r.(map[string]any)["client"].(map[string]any); c != nil && c["id"] == w.client {
				matched++
			}
		}
		if matched != 3 {
			t.Fatalf("the admin sees %d matched requests, want 3", matched)
		}
		// Another member neither sees nor decides it; the requester does not
		// decide their own.
		mo := w.member.Token(t)
		mo.Must(t, 404, "POST", base+"/"+ids[0]+"/approve", nil)
		if r := nia.Do(t, "POST", base+"/"+ids[0]+"/approve", nil); r.Status != 403 {
			t.Fatalf("self-approval: %d", r.Status)
		}
		// Tenants: another agency's admin finds nothing of it, by its own
		// agency's path or by A's; nor does the client's admin.
		bAdmin, _, agencyB := s.Signup(t, "Bo", "bo@b.example", "Agency B", "agency")
		bAdmin.Must(t, 404, "GET", "/api/v1/agencies/"+agencyB+"/access-requests/"+ids[0], nil)
		bAdmin.Must(t, 404, "POST", "/api/v1/agencies/"+agencyB+"/access-requests/"+ids[0]+"/approve", nil)
		bAdmin.Must(t, 404, "GET", base+"/"+ids[0], nil)
		w.adminC.Must(t, 404, "POST", base+"/"+ids[0]+"/approve", nil)
		if got := bAdmin.Must(t, 200, "GET", "/api/v1/agencies/"+agencyB+"/access-requests", nil).Body["requests"].([]any); len(got) != 0 {
			t.Fatalf("agency B lists %v", got)
		}
		// Nothing matched: it cannot be approved, only declined.
		if r := w.adminA.Do(t, "POST", base+"/"+ids[1]+"/approve", nil); r.Status != 409 || r.Code() != "no_client_matched" {
			t.Fatalf("approve unmatched: %d %s", r.Status, r.Raw)
		}
		w.adminA.Must(t, 200, "POST", base+"/"+ids[1]+"/decline", nil)
		// The assigned account manager approves for three days.
		amy := s.Login(t, "amy@agency.example", testkit.Password)
		end := s.Clock.Now().Add(3 * 24 * time.Hour)
		r := amy.Must(t, 200, "POST", base+"/"+ids[0]+"/approve", map[string]any{"ends_at": at(end)})
		if r.Body["status"] != "approved" || r.Body["ends_at"] == nil {
			t.Fatalf("approved: %s", r.Raw)
		}
		if r := w.adminA.Do(t, "POST", base+"/"+ids[0]+"/decline", nil); r.Status != 409 {
			t.Fatalf("decided twice: %d", r.Status)
		}
		nia.Must(t, 200, "GET", "/api/v1/accounts/"+w.client, nil)
		if c, _ := nia.Must(t, 200, "GET", base+"/"+ids[0], nil).Body["client"].(map[string]any); c == nil || c["id"] != w.client {
			t.Fatal("the requester does not see the client of an approved request")
		}
		if got := lkMails(t, s, "access_request_answer"); len(got) != 2 || got[0] != "nia@agency.example" {
			t.Fatalf("answers: %v", got)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM audit_events WHERE action = 'access_request.approve'`); n != 2 {
			t.Fatalf("approve audit entries: %d, want 2 (agency and client)", n)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM audit_events WHERE action = 'access_request.create'`); n != 7 {
			t.Fatalf("create audit entries: %d", n)
		}
		// The access ends by itself at the date the approver chose.
		s.Clock.Advance(3*24*time.Hour + time.Minute)
		w.run(t)
		nia.Must(t, 404, "GET", "/api/v1/accounts/"+w.client, nil)
	})
}

// The requests are rate-limited per requester, the same for every target.
func TestAccessRequestRateLimit(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{FakeClock: true})
	w := newExpiryWorld(t, s)
	mo := w.member.Token(t)
	base := "/api/v1/agencies/" + w.agency + "/access-requests"
	for i := range 20 {
		mo.Must(t, 202, "POST", base, map[string]any{"client": "acc_x" + string(rune('a'+i)), "reason": "probe"})
	}
	if r := mo.Do(t, "POST", base, map[string]any{"client": w.client, "reason": "probe"}); r.Status != 429 {
		t.Fatalf("21st request: %d", r.Status)
	}
	s.Clock.Advance(25 * time.Hour)
	mo.Must(t, 202, "POST", base, map[string]any{"client": w.client, "reason": "again"})
}
