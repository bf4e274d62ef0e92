package api_test

// Link tests, continued: clients created directly, paging, the e-mails.
// The world and helpers are in link_test.go.

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func TestCreateClientDirectly(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newLkWorld(t, e)
		brandA := w.s.AddBrand(t, w.A, "Acme Brand")
		brandB := w.s.AddBrand(t, w.B, "Other Brand")
		path := "/api/v1/agencies/" + w.A + "/clients"
		linksBefore := len(lkLinks(t, w.aAdmin, w.A, ""))

		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": "Foo", "brand_ids": []string{brandA, brandB}}, "brand_ids"},
			{map[string]any{"name": "Foo", "brand_ids": []string{"brd_nothing"}}, "brand_ids"},
			{map[string]any{"name": "   "}, "name"},
			{map[string]any{}, "name"},
			{map[string]any{"name": "Foo", "seats": -1}, "seats"},
			{map[string]any{"name": "Foo", "access": map[string]any{"user_ids": []string{"usr_nobody"}}}, "access.user_ids"},
		} {
			if r := w.aAdmin.Do(t, "POST", path, tc.body); r.Status != 400 || lkField(r) != tc.field {
				t.Errorf("%v: %d %s, want 400 on %s", tc.body, r.Status, r.Raw, tc.field)
			}
		}
		if n := len(lkLinks(t, w.aAdmin, w.A, "")); n != linksBefore {
			t.Fatalf("bad requests created %d links", n-linksBefore)
		}
		if evs := events(t, w.aAdmin, w.A, "client.create"); len(evs) != 0 {
			t.Fatalf("bad requests audited: %v", evs)
		}

		r := w.aAdmin.Must(t, 201, "POST", path, map[string]any{"name": " Fresh Client ", "seats": 5, "enabled": false,
			"brand_ids": []string{brandA}, "access": map[string]any{"user_ids": []string{w.aMemberID}}})
		c := lkBody(r)
		brands := c["brands"].([]any)
		if c["name"] != "Fresh Client" || c["kind"] != "client" || c["status"] != "pending" || c["seats"] != float64(5) ||
			c["enabled"] != false || len(brands) != 1 || brands[0].(map[string]any)["name"] != "Acme Brand" ||
			!strings.HasPrefix(c["id"].(string), "acc_") || !strings.HasPrefix(c["link_id"].(string), "lnk_") {
			t.Fatalf("created: %s", r.Raw)
		}
		clientID := c["id"].(string)
		// The link is active from the start, with the access chosen.
		l := lkLinks(t, w.aAdmin, w.A, "?status=active")
		if len(l) != 1 || l[0]["id"] != c["link_id"] || l[0]["client_id"] != clientID || l[0]["initiated_by"] != "agency" {
			t.Fatalf("active links: %v", l)
		}
		w.aAdmin.Must(t, 200, "GET", "/api/v1/accounts/"+clientID, nil)
		w.aMember.Must(t, 200, "GET", "/api/v1/accounts/"+clientID, nil)
		if r := w.aOther.Do(t, "GET", "/api/v1/accounts/"+clientID, nil); r.Status != 404 {
			t.Fatalf("unlisted member sees the created client: %d", r.Status)
		}
		for _, acc := range []string{w.A, clientID} {
			evs := events(t, w.aAdmin, acc, "client.create")
			if len(evs) != 1 || evs[0]["target_id"] != clientID || evs[0]["after"].(map[string]any)["seats"] != float64(5) {
				t.Fatalf("client.create audit on %s: %v", acc, evs)
			}
		}

		// Defaults: unlimited seats, enabled, no brands, shared with nobody.
		r = w.aAM.Must(t, 201, "POST", path, map[string]any{"name": "Second"})
		if c := lkBody(r); c["seats"] != float64(0) || c["enabled"] != true || len(c["brands"].([]any)) != 0 {
			t.Fatalf("defaults: %s", r.Raw)
		}
		for _, tc := range []struct {
			c    *testkit.APIClient
			path string
			want int
		}{
			{w.aMember, path, 403},
			{w.aViewer, path, 403},
			{w.cAdmin, "/api/v1/agencies/" + w.C + "/clients", 403},
			{w.bAdmin, path, 404},
		} {
			if r := tc.c.Do(t, "POST", tc.path, map[string]any{"name": "Nope"}); r.Status != tc.want {
				t.Errorf("POST %s: %d, want %d", tc.path, r.Status, tc.want)
			}
		}
	})
}

func TestLinkListPaging(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		ag, _, agency := s.Signup(t, "Ada", "ada@example.com", "Agency", "agency")
		var want []string
		for i := range 5 {
			_, _, cl := s.Signup(t, "C", "c"+string(rune('a'+i))+"@example.com", "Client", "client")
			if i == 3 {
				s.Clock.Advance(0) // two links at the same instant: the ID breaks the tie
			} else {
				s.Clock.Advance(time.Second)
			}
			r := ag.Must(t, 201, "POST", "/api/v1/accounts/"+agency+"/links", map[string]any{"target_account_id": cl})
			want = append([]string{lkBody(r)["id"].(string)}, want...)
		}
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			r := ag.Must(t, 200, "GET", "/api/v1/accounts/"+agency+"/links?limit=2&cursor="+url.QueryEscape(cursor), nil)
			for _, l := range r.Body["links"].([]any) {
				got = append(got, l.(map[string]any)["id"].(string))
			}
			cursor, _ = r.Body["next_cursor"].(string)
			if cursor == "" {
				break
			}
		}
		// Same-instant links come in ID order, newest first otherwise.
		if len(got) != 5 || !slices.Equal(got[:1], want[:1]) || !slices.Equal(got[3:], want[3:]) {
			t.Fatalf("pages %v, want %v", got, want)
		}
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Fatalf("%s twice", id)
			}
			seen[id] = true
		}
	})
}

// The link e-mails render for every state they announce.
func TestLinkMailTemplates(t *testing.T) {
	if _, _, text, err := mail.Render("link_request", map[string]any{"Name": "Ann", "AccountName": "Client C",
		"SenderName": "Agency A", "SenderKind": "agency", "ActorName": "Ada", "URL": "https://x.example/app/links"}); err != nil ||
		!strings.Contains(text, "https://x.example/app/links") {
		t.Fatalf("link_request: %v\n%s", err, text)
	}
	for _, st := range []string{"active", "declined", "cancelled", "disconnected"} {
		subject, html, text, err := mail.Render("link_answer", map[string]any{"Name": "Ann", "AccountName": "Agency A",
			"OtherName": "Client <C>", "ActorName": "Cleo", "Status": st, "URL": "https://x.example/app/links"})
		if err != nil || !strings.Contains(subject, "Client <C>") || strings.Contains(html, "Client <C>") ||
			!strings.Contains(text, "https://x.example/app/links") {
			t.Fatalf("link_answer %s: %v\n%s\n%s", st, err, subject, html)
		}
	}
}

// An account manager who creates a client becomes its account manager, and
// so sees and manages what they made.
func TestAccountManagerCreatingAClientManagesIt(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		_, _, agency := s.Signup(t, "Ada", "ada-am@example.com", "AM Agency", "agency")
		am, amID, _ := s.Signup(t, "Max", "max-am@example.com", "Max Own", "client")
		s.AddMember(t, agency, amID, "account_manager")
		r := am.Must(t, 201, "POST", "/api/v1/agencies/"+agency+"/clients", map[string]any{"name": "Made By AM"})
		id := r.Body["id"].(string)
		d := am.Must(t, 200, "GET", "/api/v1/agencies/"+agency+"/clients/"+id, nil)
		ams := d.Body["account_managers"].([]any)
		if len(ams) != 1 || ams[0].(map[string]any)["id"] != amID {
			t.Fatalf("account managers %v", ams)
		}
		am.Must(t, 200, "PATCH", "/api/v1/agencies/"+agency+"/clients/"+id, map[string]any{"seats": 3})
	})
}
