package api_test

import (
	"io"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func reportTitles(t *testing.T, c *testkit.APIClient, brand string) []string {
	t.Helper()
	r := c.Must(t, 200, "GET", "/api/v1/brands/"+brand+"/reports", nil)
	var out []string
	for _, x := range r.Body["reports"].([]any) {
		out = append(out, x.(map[string]any)["title"].(string))
	}
	return out
}

func hasAction(t *testing.T, c *testkit.APIClient, account, action string) bool {
	t.Helper()
	r := c.Must(t, 200, "GET", "/api/v1/accounts/"+account+"/audit?action="+action, nil)
	return len(r.Body["events"].([]any)) > 0
}

// TestClientGroupsAndReportSharing: a client admin groups the client's
// users; the agency shares one report with a group only; a member of the
// group sees it (list, get, data, export), another member finds nothing,
// the client's admin sees both; leaving the group takes effect on the
// next request. Audited on the client and on the agency.
func TestClientGroupsAndReportSharing(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newDataWorld(t, e)
		s := w.s
		fin, finID, _ := s.Signup(t, "Fi Nance", "fi@client.example", "Fi Own", "client")
		s.AddMember(t, w.clientID, finID, "member")
		mkt, mktID, _ := s.Signup(t, "Mark Eting", "mark@client.example", "Mark Own", "client")
		s.AddMember(t, w.clientID, mktID, "member")
		groups := "/api/v1/accounts/" + w.clientID + "/groups"

		g := w.clientUser.Must(t, 201, "POST", groups, map[string]any{"name": "Finance"})
		gid := g.Body["id"].(string)
		if r := w.clientUser.Do(t, "POST", groups, map[string]any{"name": " finance "}); r.Status != 409 || r.Code() != "name_taken" {
			t.Errorf("duplicate name: %d %s", r.Status, r.Raw)
		}
		if r := w.clientUser.Do(t, "POST", groups, map[string]any{"name": "  "}); r.Status != 400 {
			t.Errorf("blank name: %d %s", r.Status, r.Raw)
		}
		// Only the client's users can be in its groups; nothing changes otherwise.
		_, strangerID, _ := s.Signup(t, "Stran Ger", "stranger@else.example", "Else", "client")
		if r := w.clientUser.Do(t, "PUT", groups+"/"+gid+"/members", map[string]any{"user_ids": []string{finID, strangerID}}); r.Status != 400 {
			t.Errorf("stranger in group: %d %s", r.Status, r.Raw)
		}
		r := w.clientUser.Must(t, 200, "PUT", groups+"/"+gid+"/members", map[string]any{"user_ids": []string{finID}})
		if ms := r.Body["members"].([]any); len(ms) != 1 || ms[0].(map[string]any)["id"] != finID {
			t.Fatalf("members: %s", r.Raw)
		}
		// The agency's admin manages them too; a member of the client, and
		// another client, do not.
		w.admin.Must(t, 200, "PATCH", groups+"/"+gid, map[string]any{"name": "Finance team"})
		w.admin.Must(t, 200, "PATCH", groups+"/"+gid, map[string]any{"name": "Finance"})
		fin.Must(t, 403, "GET", groups, nil)
		fin.Must(t, 403, "POST", groups, map[string]any{"name": "Mine"})
		w.other.Must(t, 404, "GET", groups, nil)
		w.other.Must(t, 404, "GET", groups+"/"+gid, nil)
		// An agency member who does not see the client finds nothing.
		w.member.Must(t, 404, "GET", groups, nil)
		otherGroup := w.other.Must(t, 201, "POST", "/api/v1/accounts/"+otherClientOf(t, w)+"/groups", map[string]any{"name": "Theirs"}).Body["id"].(string)
		w.clientUser.Must(t, 404, "PATCH", groups+"/"+otherGroup, map[string]any{"name": "Stolen"})

		// Two reports; the agency shares Revenue with Finance only.
		rev := w.member.Must(t, 201, "POST", "/api/v1/brands/"+w.brand+"/reports", map[string]any{"title": "Revenue"}).Body["id"].(string)
		w.member.Must(t, 201, "POST", "/api/v1/brands/"+w.brand+"/reports", map[string]any{"title": "Traffic"})
		sharing := "/api/v1/reports/" + rev + "/sharing"
		sh := w.admin.Must(t, 200, "GET", sharing, nil)
		cs := sh.Body["clients"].([]any)
		if len(cs) != 1 || cs[0].(map[string]any)["client_id"] != w.clientID || cs[0].(map[string]any)["all"] != true {
			t.Fatalf("default sharing: %s", sh.Raw)
		}
		only := map[string]any{"clients": []map[string]any{{"client_id": w.clientID, "all": false, "group_ids": []string{gid}}}}
		w.view.Must(t, 403, "PUT", sharing, only)
		// The member edits the report but does not see the client: it is
		// neither listed nor theirs to change.
		if cs := w.member.Must(t, 200, "GET", sharing, nil).Body["clients"].([]any); len(cs) != 0 {
			t.Errorf("a client the member does not see is listed: %v", cs)
		}
		if r := w.member.Do(t, "PUT", sharing, only); r.Status != 400 || !strings.Contains(string(r.Raw), "clients[0].client_id") {
			t.Errorf("sharing with a client the member does not see: %d %s", r.Status, r.Raw)
		}
		w.clientUser.Must(t, 404, "PUT", sharing, only)
		w.clientUser.Must(t, 404, "GET", sharing, nil)
		for _, bad := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"clients": []map[string]any{{"client_id": w.clientID, "all": false, "group_ids": []string{otherGroup}}}}, "clients[0].group_ids"},
			{map[string]any{"clients": []map[string]any{{"client_id": otherClientOf(t, w), "all": true}}}, "clients[0].client_id"},
			{map[string]any{"clients": []map[string]any{{"client_id": w.clientID, "all": true}, {"client_id": w.clientID, "all": false}}}, "clients[1].client_id"},
		} {
			r := w.admin.Do(t, "PUT", sharing, bad.body)
			if r.Status != 400 || !strings.Contains(string(r.Raw), bad.field) {
				t.Errorf("bad sharing %v: %d %s", bad.body, r.Status, r.Raw)
			}
		}
		if got := reportTitles(t, mkt, w.brand); len(got) != 2 {
			t.Fatalf("before sharing, a member sees %v", got)
		}
		sh = w.admin.Must(t, 200, "PUT", sharing, only)
		if c := sh.Body["clients"].([]any)[0].(map[string]any); c["all"] != false || len(c["group_ids"].([]any)) != 1 {
			t.Fatalf("sharing: %s", sh.Raw)
		}

		want := map[*testkit.APIClient][]string{fin: {"Revenue", "Traffic"}, mkt: {"Traffic"}, w.clientUser: {"Revenue", "Traffic"},
			w.member: {"Revenue", "Traffic"}}
		for c, titles := range want {
			if got := reportTitles(t, c, w.brand); strings.Join(got, ",") != strings.Join(titles, ",") {
				t.Errorf("reports seen: %v, want %v", got, titles)
			}
		}
		for _, path := range []string{"", "/data", "/export?format=csv"} {
			fin.Must(t, 200, "GET", "/api/v1/reports/"+rev+path, nil)
			if r := mkt.Do(t, "GET", "/api/v1/reports/"+rev+path, nil); r.Status != 404 {
				t.Errorf("%s as a member outside the group: %d", path, r.Status)
			}
		}
		w.clientUser.Must(t, 200, "GET", "/api/v1/reports/"+rev+"/data", nil)
		// The same rule for work without a request (scheduled e-mails).
		for uid, want := range map[string]bool{finID: true, mktID: false, "usr_nobody": false} {
			if got, err := authz.ReportSharedWithUser(t.Context(), s.DB, rev, w.clientID, uid); err != nil || got != want {
				t.Errorf("ReportSharedWithUser(%s) = %v, %v; want %v", uid, got, err, want)
			}
		}

		// Leaving the group holds on the next request.
		w.admin.Must(t, 200, "PUT", groups+"/"+gid+"/members", map[string]any{"user_ids": []string{}})
		fin.Must(t, 404, "GET", "/api/v1/reports/"+rev, nil)
		// Shared with everyone again: every member sees it.
		w.admin.Must(t, 200, "PUT", sharing, map[string]any{"clients": []map[string]any{{"client_id": w.clientID, "all": true}}})
		mkt.Must(t, 200, "GET", "/api/v1/reports/"+rev, nil)
		// Deleting a group takes it out of the sharing.
		w.admin.Must(t, 200, "PUT", sharing, only)
		w.clientUser.Must(t, 204, "DELETE", groups+"/"+gid, nil)
		if c := w.admin.Must(t, 200, "GET", sharing, nil).Body["clients"].([]any)[0].(map[string]any); c["all"] != false || len(c["group_ids"].([]any)) != 0 {
			t.Errorf("after the group was deleted: %v", c)
		}
		mkt.Must(t, 404, "GET", "/api/v1/reports/"+rev, nil)
		w.clientUser.Must(t, 200, "GET", "/api/v1/reports/"+rev, nil)

		// A user who leaves the account leaves its groups: joining again
		// brings none back.
		g2 := w.clientUser.Must(t, 201, "POST", groups, map[string]any{"name": "Board"}).Body["id"].(string)
		w.clientUser.Must(t, 200, "PUT", groups+"/"+g2+"/members", map[string]any{"user_ids": []string{finID}})
		w.clientUser.Must(t, 204, "DELETE", "/api/v1/accounts/"+w.clientID+"/users/"+finID, nil)
		s.AddMember(t, w.clientID, finID, "member")
		if ms := w.clientUser.Must(t, 200, "GET", groups+"/"+g2, nil).Body["members"].([]any); len(ms) != 0 {
			t.Errorf("back in the account, still in its group: %v", ms)
		}

		// Audited on both sides.
		for _, a := range []string{"client_group.create", "client_group.members", "client_group.delete", "report.sharing"} {
			if !hasAction(t, w.clientUser, w.clientID, a) {
				t.Errorf("client's audit has no %s", a)
			}
			if !hasAction(t, w.admin, w.agency, a) {
				t.Errorf("agency's audit has no %s", a)
			}
		}
	})
}

// otherClientOf is the ID of the world's other client (linked to the
// agency, without the brand).
func otherClientOf(t *testing.T, w *dataWorld) string {
	t.Helper()
	me := w.other.Must(t, 200, "GET", "/api/v1/me", nil)
	for _, m := range me.Body["memberships"].([]any) {
		acc := m.(map[string]any)["account"].(map[string]any)
		if acc["name"] == "Other Co" {
			return acc["id"].(string)
		}
	}
	t.Fatal("no Other Co")
	return ""
}

// TestClientBranding: an agency admin gives one client's portal its own
// name and logo; that portal shows them, the agency's other client the
// agency's, and unset fields fall back to the agency's.
func TestClientBranding(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newDataWorld(t, e)
		path := "/api/v1/agencies/" + w.agency + "/clients/" + w.clientID + "/branding"
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.agency+"/portal", map[string]any{"portal_name": "Acme Portal"})
		agencyLogo := w.admin.Must(t, 200, "POST", "/api/v1/agencies/"+w.agency+"/portal/logos/mobile", pngBytes(t, 30, 30)).
			Body["logos"].(map[string]any)["mobile"].(string)
		w.member.Must(t, 404, "GET", path, nil) // an agency member who does not see the client
		b := w.admin.Must(t, 200, "GET", path, nil)
		if eff := b.Body["effective"].(map[string]any); eff["portal_name"] != "Acme Portal" {
			t.Fatalf("fallback: %s", b.Raw)
		}
		w.clientUser.Must(t, 404, "GET", path, nil)
		if r := w.admin.Do(t, "PUT", path, map[string]any{"portal_name": strings.Repeat("x", 81)}); r.Status != 400 {
			t.Errorf("long name: %d", r.Status)
		}
		w.admin.Must(t, 200, "PUT", path, map[string]any{"portal_name": "Client Co × Acme"})
		svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>`)
		if r := w.admin.Do(t, "POST", path+"/logos/light", svg); r.Status != 400 || r.Code() != "unsupported_image_type" {
			t.Errorf("svg: %d %s", r.Status, r.Raw)
		}
		logo := pngBytes(t, 90, 30)
		b = w.admin.Must(t, 200, "POST", path+"/logos/fullscreen", logo)
		b = w.admin.Must(t, 200, "POST", path+"/logos/light", pngBytes(t, 91, 30))
		own := b.Body["logos"].(map[string]any)
		eff := b.Body["effective"].(map[string]any)["logos"].(map[string]any)
		if own["light"] == "" || eff["light"] != own["light"] || eff["mobile"] != agencyLogo || eff["fullscreen"] != own["fullscreen"] {
			t.Fatalf("logos: %s", b.Raw)
		}
		res, err := w.s.Client().Get(w.s.URL + own["fullscreen"].(string))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(got) != string(logo) || res.Header.Get("Content-Type") != "image/png" {
			t.Errorf("served: %d %s", res.StatusCode, res.Header)
		}
		// The client's portal wears it; the agency's other client does not.
		page := w.clientUser.Must(t, 200, "GET", "/app", nil)
		if !strings.Contains(string(page.Raw), own["light"].(string)) || !strings.Contains(string(page.Raw), "Client Co × Acme") {
			t.Errorf("co-branded portal lacks its logo or name")
		}
		page = w.other.Must(t, 200, "GET", "/app", nil)
		if strings.Contains(string(page.Raw), own["light"].(string)) || !strings.Contains(string(page.Raw), "Acme Portal") {
			t.Errorf("other client's portal: not the agency's")
		}
		// Its PDF exports wear its name; the other client's the agency's.
		other := otherClientOf(t, w)
		w.admin.Must(t, 204, "PUT", "/api/v1/agencies/"+w.agency+"/clients/"+other+"/brands/"+w.brand, nil)
		rep := w.admin.Must(t, 201, "POST", "/api/v1/brands/"+w.brand+"/reports", map[string]any{"title": "Monthly"}).Body["id"].(string)
		if txt := pdfText(t, w.clientUser.Must(t, 200, "GET", "/api/v1/reports/"+rep+"/export?format=pdf", nil).Raw); !strings.Contains(txt, "Client Co × Acme") {
			t.Errorf("the co-branded client's PDF:\n%s", txt)
		}
		if txt := pdfText(t, w.other.Must(t, 200, "GET", "/api/v1/reports/"+rep+"/export?format=pdf", nil).Raw); !strings.Contains(txt, "Acme Portal") || strings.Contains(txt, "Client Co") {
			t.Errorf("the other client's PDF:\n%s", txt)
		}
		// Its e-mails too: an invitation into it, and one into the other client.
		w.admin.Must(t, 201, "POST", "/api/v1/accounts/"+w.clientID+"/invitations", map[string]any{"email": "new@client.example", "role": "member"})
		w.admin.Must(t, 201, "POST", "/api/v1/accounts/"+otherClientOf(t, w)+"/invitations", map[string]any{"email": "new@other.example", "role": "member"})
		msgs, _, err := w.s.Mailer.List(t.Context(), 50, "")
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, m := range msgs {
			switch m.To {
			case "new@client.example":
				seen++
				if !strings.Contains(m.HTML, own["light"].(string)) || !strings.Contains(m.HTML, "Client Co × Acme") {
					t.Errorf("the co-branded client's e-mail lacks its logo or name:\n%s", m.HTML)
				}
			case "new@other.example":
				seen++
				if strings.Contains(m.HTML, own["light"].(string)) || strings.Contains(m.HTML, "Client Co × Acme") || !strings.Contains(m.HTML, "Acme Portal") {
					t.Errorf("the other client's e-mail is not the agency's:\n%s", m.HTML)
				}
			}
		}
		if seen != 2 {
			t.Errorf("%d invitation e-mails", seen)
		}
		w.admin.Must(t, 204, "DELETE", path+"/logos/light", nil)
		if eff := w.admin.Must(t, 200, "GET", path, nil).Body["effective"].(map[string]any)["logos"].(map[string]any); eff["light"] != "" {
			t.Errorf("after delete: %v", eff)
		}
		if !hasAction(t, w.admin, w.agency, "client.branding.logo.upload") || !hasAction(t, w.admin, w.clientID, "client.branding.update") {
			t.Errorf("client branding not audited on both sides")
		}
	})
}
