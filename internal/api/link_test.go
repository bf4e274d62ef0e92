package api_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// lkWorld is agency A with staff in every role, agency B, client C with two
// admins and a member, and client C2; nobody is linked yet. Staff accounts
// are signed up as agencies of their own, so that their e-mail addresses are
// admins of no client (the e-mail target tests depend on it).
type lkWorld struct {
	s                                    *testkit.Server
	A, B, C, C2                          string
	aAdmin, aAM, aMember, aOther, aGroup *testkit.APIClient
	aViewer, bAdmin, cAdmin, cAdmin2     *testkit.APIClient
	cMember, c2Admin                     *testkit.APIClient
	aAMID, aMemberID, aOtherID, aGroupID string
	group                                string
}

func newLkWorld(t *testing.T, e db.Dialect) *lkWorld {
	s := testkit.StartServer(t, e, testkit.ServerOptions{})
	w := &lkWorld{s: s}
	w.aAdmin, _, w.A = s.Signup(t, "Ada Admin", "a-admin@example.com", "Agency A", "agency")
	w.bAdmin, _, w.B = s.Signup(t, "Bob Admin", "b-admin@example.com", "Agency B", "agency")
	w.cAdmin, _, w.C = s.Signup(t, "Cleo Admin", "c-admin@example.com", "Client C", "client")
	w.c2Admin, _, w.C2 = s.Signup(t, "Cy Admin", "c2-admin@example.com", "Client Two", "client")
	staff := func(name, email, acc, role string) (*testkit.APIClient, string) {
		c, uid, _ := s.Signup(t, name, email, name+" Own", "agency")
		s.AddMember(t, acc, uid, role)
		return c, uid
	}
	w.aAM, w.aAMID = staff("Amy AM", "a-am@example.com", w.A, "account_manager")
	w.aMember, w.aMemberID = staff("Mo Member", "a-member@example.com", w.A, "member")
	w.aOther, w.aOtherID = staff("Oz Other", "a-other@example.com", w.A, "member")
	w.aGroup, w.aGroupID = staff("Gus Grouped", "a-grouped@example.com", w.A, "member")
	w.aViewer, _ = staff("Vi Viewer", "a-viewer@example.com", w.A, "viewer")
	w.cAdmin2, _ = staff("Cal Admin", "c-admin2@example.com", w.C, "admin")
	w.cMember, _ = staff("Cam Member", "c-member@example.com", w.C, "member")
	w.group = s.AddGroup(t, w.A, "Team Blue", w.aGroupID)
	return w
}

func lkBody(r testkit.Response) map[string]any { return r.Body }

// lkMails returns the recipients of the outbox messages of a template.
func lkMails(t *testing.T, s *testkit.Server, template string) []string {
	t.Helper()
	msgs, _, err := s.Mailer.List(t.Context(), 200, "")
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range msgs {
		if m.Template == template {
			to = append(to, m.To)
		}
	}
	slices.Sort(to)
	return to
}

func lkLinks(t *testing.T, c *testkit.APIClient, accountID, query string) []map[string]any {
	t.Helper()
	r := c.Must(t, 200, "GET", "/api/v1/accounts/"+accountID+"/links"+query, nil)
	var out []map[string]any
	for _, l := range r.Body["links"].([]any) {
		out = append(out, l.(map[string]any))
	}
	return out
}

func lkField(r testkit.Response) string {
	e, _ := r.Body["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

func lkMessage(r testkit.Response) string {
	e, _ := r.Body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func TestLinkRequestBothWays(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newLkWorld(t, e)
		// Agency → client by account ID, with an access list.
		r := w.aAdmin.Must(t, 201, "POST", "/api/v1/accounts/"+w.A+"/links", map[string]any{
			"target_account_id": w.C, "access": map[string]any{"user_ids": []string{w.aMemberID}, "group_ids": []string{w.group}}})
		l := lkBody(r)
		if l["status"] != "pending" || l["direction"] != "outgoing" || l["initiated_by"] != "agency" ||
			l["agency_id"] != w.A || l["client_id"] != w.C || !strings.HasPrefix(l["id"].(string), "lnk_") ||
			l["agency"].(map[string]any)["name"] != "Agency A" || l["client"].(map[string]any)["name"] != "Client C" {
			t.Fatalf("link: %s", r.Raw)
		}
		acc := l["access"].(map[string]any)
		if acc["all"] != false || len(acc["user_ids"].([]any)) != 1 || acc["group_ids"].([]any)[0] != w.group {
			t.Fatalf("access: %s", r.Raw)
		}
		linkID := l["id"].(string)
		// The client sees it as incoming, without the agency's access list.
		in := lkLinks(t, w.cMember, w.C, "?direction=incoming")
		if len(in) != 1 || in[0]["id"] != linkID || in[0]["direction"] != "incoming" || in[0]["access"] != nil {
			t.Fatalf("client's incoming: %v", in)
		}
		if n := len(lkLinks(t, w.cAdmin, w.C, "?direction=outgoing")); n != 0 {
			t.Fatalf("client's outgoing: %d", n)
		}
		if out := lkLinks(t, w.aViewer, w.A, "?direction=outgoing&status=pending"); len(out) != 1 || out[0]["direction"] != "outgoing" {
			t.Fatalf("agency's outgoing: %v", out)
		}
		// E-mails to the client's admins only; audit on both accounts.
		if got := lkMails(t, w.s, "link_request"); !slices.Equal(got, []string{"c-admin2@example.com", "c-admin@example.com"}) {
			t.Fatalf("link_request mails to %v", got)
		}
		msgs, _, _ := w.s.Mailer.List(t.Context(), 50, "")
		for _, m := range msgs {
			if m.Template == "link_request" && (!strings.Contains(m.Text, w.s.URL+"/app/links") ||
				!strings.Contains(m.Subject, "Agency A") || !strings.Contains(m.Text, "Ada Admin")) {
				t.Fatalf("link_request mail: %s\n%s", m.Subject, m.Text)
			}
		}
		for _, c := range []struct {
			cl  *testkit.APIClient
			acc string
		}{{w.aAdmin, w.A}, {w.cAdmin, w.C}} {
			evs := events(t, c.cl, c.acc, "link.request")
			if len(evs) != 1 || evs[0]["target_id"] != linkID || evs[0]["after"].(map[string]any)["status"] != "pending" {
				t.Fatalf("link.request audit on %s: %v", c.acc, evs)
			}
		}

		// Client → agency by an admin's e-mail (any case): no access from a client.
		r = w.c2Admin.Must(t, 201, "POST", "/api/v1/accounts/"+w.C2+"/links", map[string]any{"target_email": "  A-Admin@Example.com "})
		l = lkBody(r)
		if l["direction"] != "outgoing" || l["initiated_by"] != "client" || l["agency_id"] != w.A || l["client_id"] != w.C2 || l["access"] != nil {
			t.Fatalf("client's request: %s", r.Raw)
		}
		in = lkLinks(t, w.aMember, w.A, "?direction=incoming")
		if len(in) != 1 || in[0]["id"] != l["id"] || in[0]["access"] == nil {
			t.Fatalf("agency's incoming: %v", in)
		}
		if got := lkMails(t, w.s, "link_request"); !slices.Contains(got, "a-admin@example.com") || len(got) != 3 {
			t.Fatalf("link_request mails to %v", got)
		}
		// Agency → client by the e-mail of a second admin of C.
		r = w.bAdmin.Must(t, 201, "POST", "/api/v1/accounts/"+w.B+"/links", map[string]any{"target_email": "c-admin2@example.com"})
		if lkBody(r)["client_id"] != w.C {
			t.Fatalf("by admin e-mail: %s", r.Raw)
		}
	})
}

// Every way of naming an account that cannot be linked with answers the same
// 404, so that nobody can probe which IDs and addresses exist.
func TestLinkTargetNotFoundIsUniform(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newLkWorld(t, e)
		path := "/api/v1/accounts/" + w.A + "/links"
		var first testkit.Response
		for i, b := range []map[string]any{
			{"target_account_id": "acc_doesnotexist"},
			{"target_account_id": w.B},                        // an agency: the wrong kind
			{"target_email": "nobody@example.com"},            // no such user
			{"target_email": "c-member@example.com"},          // a member of C, not an admin
			{"target_email": "b-admin@example.com"},           // an admin of an agency: the wrong kind
			{"target_account_id": w.C + "x"},                  // almost an ID
			{"target_email": "c-admin@example.com.evil.test"}, // almost an address
		} {
			r := w.aAdmin.Do(t, "POST", path, b)
			if r.Status != 404 || r.Code() != "target_not_found" {
				t.Fatalf("%v: %d %s", b, r.Status, r.Raw)
			}
			if i == 0 {
				first = r
			} else if lkMessage(r) != lkMessage(first) || len(r.Raw) != len(first.Raw) {
				t.Fatalf("%v answered differently: %s vs %s", b, r.Raw, first.Raw)
			}
		}
		// From the client side too: a client's ID is the wrong kind.
		if r := w.cAdmin.Do(t, "POST", "/api/v1/accounts/"+w.C+"/links", map[string]any{"target_account_id": w.C2}); r.Status != 404 ||
			lkMessage(r) != lkMessage(first) {
			t.Fatalf("client → client: %d %s", r.Status, r.Raw)
		}
		if n := len(lkLinks(t, w.aAdmin, w.A, "")); n != 0 {
			t.Fatalf("%d links created", n)
		}
	})
}

func TestLinkRequestBadInput(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newLkWorld(t, e)
		_, _, otherGroupAgency := w.s.Signup(t, "Zed", "zed@example.com", "Agency Z", "agency")
		zGroup := w.s.AddGroup(t, otherGroupAgency, "Team Z")
		agency := "/api/v1/accounts/" + w.A + "/links"
		cases := []struct {
			c     *testkit.APIClient
			path  string
			body  any
			field string
		}{
			{w.aAdmin, agency, map[string]any{}, "target_account_id"},
			{w.aAdmin, agency, map[string]any{"target_account_id": w.C, "target_email": "c-admin@example.com"}, "target_email"},
			{w.aAdmin, agency, map[string]any{"target_account_id": w.A}, "target_account_id"},
			{w.aAdmin, agency, map[string]any{"target_email": "a-admin@example.com"}, "target_email"},
			{w.aAdmin, agency, map[string]any{"target_email": "not an address"}, "target_email"},
			{w.aAdmin, agency, map[string]any{"target_account_id": w.C, "access": map[string]any{"user_ids": []string{w.aAMID, "usr_nobody"}}}, "access.user_ids"},
			{w.aAdmin, agency, map[string]any{"target_account_id": w.C, "access": map[string]any{"group_ids": []string{zGroup}}}, "access.group_ids"},
			{w.aAdmin, agency, map[string]any{"target_account_id": w.C, "access": map[string]any{"all": "yes"}}, "access.all"},
			{w.aAdmin, agency, map[string]any{"target_account_id": w.C, "colour": "red"}, "colour"},
			{w.cAdmin, "/api/v1/accounts/" + w.C + "/links", map[string]any{"target_account_id": w.A, "access": map[string]any{"all": true}}, "access"},
		}
		for _, tc := range cases {
			r := tc.c.Do(t, "POST", tc.path, tc.body)
			if r.Status != 400 || lkField(r) != tc.field {
				t.Errorf("%v: %d %s, want 400 on %s", tc.body, r.Status, r.Raw, tc.field)
			}
		}
		if r := w.aAdmin.Do(t, "POST", agency, "{not json"); r.Status != 400 {
			t.Errorf("malformed JSON: %d", r.Status)
		}
		if n := len(lkLinks(t, w.aAdmin, w.A, "")) + len(lkLinks(t, w.cAdmin, w.C, "")); n != 0 {
			t.Fatalf("%d links created by bad requests", n)
		}
		if got := lkMails(t, w.s, "link_request"); len(got) != 0 {
			t.Fatalf("mails sent by bad requests: %v", got)
		}
		for _, q := range []string{"?direction=sideways", "?status=done", "?cursor=%21%21"} {
			if r := w.aAdmin.Do(t, "GET", "/api/v1/accounts/"+w.A+"/links"+q, nil); r.Status != 400 {
				t.Errorf("list %s: %d %s", q, r.Status, r.Raw)
			}
		}
	})
}

// One live link per pair; a declined, cancelled or disconnected one may be
// followed by a new request.
func TestLinkDuplicatesAndRelink(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newLkWorld(t, e)
		send := func(want int) string {
			r := w.aAdmin.Must(t, want, "POST", "/api/v1/accounts/"+w.A+"/links", map[string]any{"target_account_id": w.C})
			id, _ := lkBody(r)["id"].(string)
			if want == 409 && r.Code() != "link_exists" {
				t.Fatalf("duplicate: %s", r.Raw)
			}
			return id
		}
		id := send(201)
		send(409)
		if r := w.cAdmin.Do(t, "POST", "/api/v1/accounts/"+w.C+"/links", map[string]any{"target_account_id": w.A}); r.Status != 409 || r.Code() != "link_exists" {
			t.Fatalf("reverse duplicate: %d %s", r.Status, r.Raw)
		}
		w.cAdmin.Must(t, 200, "POST", "/api/v1/links/"+id+"/decline", nil)
		id = send(201)
		w.aAdmin.Must(t, 200, "POST", "/api/v1/links/"+id+"/cancel", nil)
		id = send(201)
		w.cAdmin.Must(t, 200, "POST", "/api/v1/links/"+id+"/accept", nil)
		send(409)
		w.aAdmin.Must(t, 200, "DELETE", "/api/v1/links/"+id, nil)
		id = send(201)
		w.cAdmin.Must(t, 200, "POST", "/api/v1/links/"+id+"/accept", nil)
		all := lkLinks(t, w.cMember, w.C, "")
		var states []string
		for _, l := range all {
			states = append(states, l["status"].(string))
		}
		if !slices.Equal(states, []string{"active", "disconnected", "cancelled", "declined"}) {
			t.Fatalf("history newest first: %v", states)
		}
		if n := len(lkLinks(t, w.cMember, w.C, "?status=active")); n != 1 {
			t.Fatalf("%d active links", n)
		}
	})
}

func TestLinkStateMachine(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newLkWorld(t, e)
		req := func() string {
			return lkBody(w.aAdmin.Must(t, 201, "POST", "/api/v1/accounts/"+w.A+"/links", map[string]any{"target_account_id": w.C}))["id"].(string)
		}
		conflict := func(c *testkit.APIClient, method, path, state string) {
			t.Helper()
			r := c.Do(t, method, path, nil)
			if r.Status != 409 || r.Code() != "link_state" || !strings.Contains(lkMessage(r), state) {
				t.Fatalf("%s %s: %d %s, want 409 naming %s", method, path, r.Status, r.Raw, state)
			}
		}
		id := req()
		conflict(w.aAdmin, "DELETE", "/api/v1/links/"+id, "pending") // not active yet
		r := w.cAdmin.Must(t, 200, "POST", "/api/v1/links/"+id+"/decline", nil)
		if lkBody(r)["status"] != "declined" || lkBody(r)["direction"] != "incoming" || lkBody(r)["decided_at"] == nil {
			t.Fatalf("declined: %s", r.Raw)
		}
		conflict(w.cAdmin, "POST", "/api/v1/links/"+id+"/accept", "declined")
		conflict(w.cAdmin, "POST", "/api/v1/links/"+id+"/decline", "declined")
		conflict(w.aAdmin, "POST", "/api/v1/links/"+id+"/cancel", "declined")
		conflict(w.aAdmin, "DELETE", "/api/v1/links/"+id, "declined")

		id = req()
		r = w.aAdmin.Must(t, 200, "POST", "/api/v1/links/"+id+"/cancel", nil)
		if lkBody(r)["status"] != "cancelled" || lkBody(r)["direction"] != "outgoing" {
			t.Fatalf("cancelled: %s", r.Raw)
		}
		conflict(w.cAdmin, "POST", "/api/v1/links/"+id+"/accept", "cancelled")

		id = req()
		// An empty JSON object is an empty body too.
		r = w.cAdmin.Must(t, 200, "POST", "/api/v1/links/"+id+"/accept", map[string]any{})
		if lkBody(r)["status"] != "active" {
			t.Fatalf("accepted: %s", r.Raw)
		}
		conflict(w.cAdmin2, "POST", "/api/v1/links/"+id+"/accept", "active")
		conflict(w.cAdmin, "POST", "/api/v1/links/"+id+"/decline", "active")
		conflict(w.aAdmin, "POST", "/api/v1/links/"+id+"/cancel", "active")
		r = w.cAdmin.Must(t, 200, "DELETE", "/api/v1/links/"+id, nil)
		if lkBody(r)["status"] != "disconnected" || lkBody(r)["ended_at"] == nil {
			t.Fatalf("disconnected: %s", r.Raw)
		}
		conflict(w.aAdmin, "DELETE", "/api/v1/links/"+id, "disconnected")
		conflict(w.cAdmin, "POST", "/api/v1/links/"+id+"/accept", "disconnected")
		if r := w.cAdmin.Do(t, "POST", "/api/v1/links/lnk_doesnotexist/accept", nil); r.Status != 404 {
			t.Fatalf("unknown link: %d", r.Status)
		}
	})
}

// Two admins (and then some) accepting at once: the conditional UPDATE lets
// exactly one win; the others get 409, and only one set of side effects is
// written.
func TestLinkConcurrentAccept(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newLkWorld(t, e)
		id := lkBody(w.aAdmin.Must(t, 201, "POST", "/api/v1/accounts/"+w.A+"/links", map[string]any{"target_account_id": w.C}))["id"].(string)
		const n = 8
		statuses := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			c := w.cAdmin
			if i%2 == 1 {
				c = w.cAdmin2
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses[i] = c.Do(t, "POST", "/api/v1/links/"+id+"/accept", nil).Status
			}()
		}
		close(start)
		wg.Wait()
		slices.Sort(statuses)
		want := []int{200}
		for range n - 1 {
			want = append(want, 409)
		}
		if !slices.Equal(statuses, want) {
			t.Fatalf("statuses %v, want one 200 and the rest 409", statuses)
		}
		if evs := events(t, w.cAdmin, w.C, "link.accept"); len(evs) != 1 {
			t.Fatalf("%d link.accept events on the client", len(evs))
		}
		if got := lkMails(t, w.s, "link_answer"); !slices.Equal(got, []string{"a-admin@example.com"}) {
			t.Fatalf("link_answer mails to %v", got)
		}
	})
}

// SPEC §1/§2: admins and account managers send; only the receiving side's
// admins decide; the sender cancels; either side's admins disconnect.
func TestLinkWhoMayDecide(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newLkWorld(t, e)
		// An account manager sends; a member, a viewer and a client member may not.
		am := w.aAM.Must(t, 201, "POST", "/api/v1/accounts/"+w.A+"/links", map[string]any{"target_account_id": w.C2})
		for _, c := range []*testkit.APIClient{w.aMember, w.aViewer} {
			if r := c.Do(t, "POST", "/api/v1/accounts/"+w.A+"/links", map[string]any{"target_account_id": w.C}); r.Status != 403 {
				t.Fatalf("agency member/viewer send: %d %s", r.Status, r.Raw)
			}
		}
		if r := w.cMember.Do(t, "POST", "/api/v1/accounts/"+w.C+"/links", map[string]any{"target_account_id": w.A}); r.Status != 403 {
			t.Fatalf("client member send: %d", r.Status)
		}
		if r := w.bAdmin.Do(t, "POST", "/api/v1/accounts/"+w.A+"/links", map[string]any{"target_account_id": w.C}); r.Status != 404 {
			t.Fatalf("another agency's admin sends for A: %d", r.Status)
		}
		// The account manager may cancel their agency's request.
		w.aAM.Must(t, 200, "POST", "/api/v1/links/"+lkBody(am)["id"].(string)+"/cancel", nil)

		// Client C asks agency A.
		id := lkBody(w.cAdmin.Must(t, 201, "POST", "/api/v1/accounts/"+w.C+"/links", map[string]any{"target_account_id": w.A}))["id"].(string)
		link := "/api/v1/links/" + id
		for _, tc := range []struct {
			who    string
			c      *testkit.APIClient
			method string
			path   string
			want   int
		}{
			{"agency AM accepts", w.aAM, "POST", link + "/accept", 403},
			{"agency member accepts", w.aMember, "POST", link + "/accept", 403},
			{"agency AM declines", w.aAM, "POST", link + "/decline", 403},
			{"client admin accepts own request", w.cAdmin, "POST", link + "/accept", 403},
			{"agency admin cancels the client's request", w.aAdmin, "POST", link + "/cancel", 403},
			{"client member cancels", w.cMember, "POST", link + "/cancel", 403},
			{"stranger agency accepts", w.bAdmin, "POST", link + "/accept", 404},
			{"stranger client cancels", w.c2Admin, "POST", link + "/cancel", 404},
		} {
			if r := tc.c.Do(t, tc.method, tc.path, nil); r.Status != tc.want {
				t.Errorf("%s: %d %s, want %d", tc.who, r.Status, r.Raw, tc.want)
			}
		}
		if r := w.aAdmin.Must(t, 200, "POST", link+"/accept", nil); lkBody(r)["direction"] != "incoming" {
			t.Fatalf("accept as seen by the agency: %s", r.Raw)
		}
		for _, c := range []*testkit.APIClient{w.aAM, w.aMember, w.cMember} {
			if r := c.Do(t, "DELETE", link, nil); r.Status != 403 {
				t.Errorf("disconnect by a non-admin: %d %s", r.Status, r.Raw)
			}
		}
		if r := w.bAdmin.Do(t, "DELETE", link, nil); r.Status != 404 {
			t.Errorf("disconnect by a stranger: %d", r.Status)
		}
		w.cAdmin2.Must(t, 200, "DELETE", link, nil)
		// The agency's admins hear of it; the client's do not.
		// Each answer went to the other side's admins: the cancel to C2, the
		// accept to C, the disconnect to A.
		if got := lkMails(t, w.s, "link_answer"); !slices.Equal(got, []string{"a-admin@example.com", "c-admin2@example.com",
			"c-admin@example.com", "c2-admin@example.com"}) {
			t.Fatalf("link_answer mails to %v", got)
		}
	})
}

// After acceptance the access list decides who on the agency side sees the
// client; a disconnect ends every agency access on the next request.
func TestLinkAccessAfterAcceptAndDisconnect(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newLkWorld(t, e)
		id := lkBody(w.cAdmin.Must(t, 201, "POST", "/api/v1/accounts/"+w.C+"/links", map[string]any{"target_account_id": w.A}))["id"].(string)
		// A client acceptor may not choose the agency's access, nor may a
		// list name people outside the agency.
		if r := w.aAdmin.Do(t, "POST", "/api/v1/links/"+id+"/accept", map[string]any{
			"access": map[string]any{"user_ids": []string{w.aMemberID, "usr_elsewhere"}}}); r.Status != 400 || lkField(r) != "access.user_ids" {
			t.Fatalf("bad access on accept: %d %s", r.Status, r.Raw)
		}
		r := w.aAdmin.Must(t, 200, "POST", "/api/v1/links/"+id+"/accept", map[string]any{
			"access": map[string]any{"all": false, "user_ids": []string{w.aMemberID}, "group_ids": []string{w.group}}})
		acc := lkBody(r)["access"].(map[string]any)
		if acc["user_ids"].([]any)[0] != w.aMemberID || acc["group_ids"].([]any)[0] != w.group {
			t.Fatalf("accepted access: %s", r.Raw)
		}
		memberToken := w.aMember.Token(t)
		client := "/api/v1/accounts/" + w.C
		for _, tc := range []struct {
			who  string
			c    *testkit.APIClient
			want int
		}{
			{"agency admin", w.aAdmin, 200},
			{"listed member", memberToken, 200},
			{"group member", w.aGroup, 200},
			{"unlisted member", w.aOther, 404},
			{"unlisted viewer", w.aViewer, 404},
			{"unassigned account manager", w.aAM, 404},
			{"other agency", w.bAdmin, 404},
		} {
			if r := tc.c.Do(t, "GET", client, nil); r.Status != tc.want {
				t.Errorf("%s sees the client: %d, want %d", tc.who, r.Status, tc.want)
			}
		}
		for _, c := range []struct {
			cl  *testkit.APIClient
			acc string
		}{{w.aAdmin, w.A}, {w.cAdmin, w.C}} {
			evs := events(t, c.cl, c.acc, "link.accept")
			if len(evs) != 1 || evs[0]["before"].(map[string]any)["status"] != "pending" || evs[0]["after"].(map[string]any)["status"] != "active" {
				t.Fatalf("link.accept audit on %s: %v", c.acc, evs)
			}
		}
		if got := lkMails(t, w.s, "link_answer"); !slices.Equal(got, []string{"c-admin2@example.com", "c-admin@example.com"}) {
			t.Fatalf("link_answer mails to %v", got)
		}

		w.aAdmin.Must(t, 200, "DELETE", "/api/v1/links/"+id, nil)
		for _, c := range []*testkit.APIClient{memberToken, w.aGroup, w.aAdmin} {
			if r := c.Do(t, "GET", client, nil); r.Status != 404 {
				t.Errorf("after disconnect an agency user gets %d on the client", r.Status)
			}
		}
		// The client's own people keep their account and data.
		w.cMember.Must(t, 200, "GET", client, nil)
		for _, c := range []struct {
			cl  *testkit.APIClient
			acc string
		}{{w.aAdmin, w.A}, {w.cAdmin, w.C}} {
			evs := events(t, c.cl, c.acc, "link.disconnect")
			if len(evs) != 1 || evs[0]["after"].(map[string]any)["status"] != "disconnected" {
				t.Fatalf("link.disconnect audit on %s: %v", c.acc, evs)
			}
		}

		// Accepted with an empty body: nobody listed, so only the agency's
		// admins (and assigned account managers) see the client.
		id = lkBody(w.c2Admin.Must(t, 201, "POST", "/api/v1/accounts/"+w.C2+"/links", map[string]any{"target_account_id": w.A}))["id"].(string)
		r = w.aAdmin.Must(t, 200, "POST", "/api/v1/links/"+id+"/accept", nil)
		if a := lkBody(r)["access"].(map[string]any); a["all"] != false || len(a["user_ids"].([]any)) != 0 || len(a["group_ids"].([]any)) != 0 {
			t.Fatalf("default access: %s", r.Raw)
		}
		w.aAdmin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C2, nil)
		if r := w.aMember.Do(t, "GET", "/api/v1/accounts/"+w.C2, nil); r.Status != 404 {
			t.Fatalf("member sees a client shared with nobody: %d", r.Status)
		}
	})
}

// An agency's request carries its access; the client's acceptance keeps it.
func TestLinkAgencyRequestAccessKeptOnAccept(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newLkWorld(t, e)
		id := lkBody(w.aAdmin.Must(t, 201, "POST", "/api/v1/accounts/"+w.A+"/links", map[string]any{
			"target_account_id": w.C, "access": map[string]any{"all": true}}))["id"].(string)
		if r := w.aOther.Do(t, "GET", "/api/v1/accounts/"+w.C, nil); r.Status != 404 {
			t.Fatalf("a pending link shows the client: %d", r.Status)
		}
		if r := w.cAdmin.Do(t, "POST", "/api/v1/links/"+id+"/accept", map[string]any{"access": map[string]any{"all": false}}); r.Status != 400 || lkField(r) != "access" {
			t.Fatalf("client chooses access: %d %s", r.Status, r.Raw)
		}
		w.cAdmin.Must(t, 200, "POST", "/api/v1/links/"+id+"/accept", nil)
		for _, c := range []*testkit.APIClient{w.aOther, w.aViewer, w.aAM} {
			if r := c.Do(t, "GET", "/api/v1/accounts/"+w.C, nil); r.Status != 200 {
				t.Errorf("entire agency: a member gets %d", r.Status)
			}
		}
	})
}
