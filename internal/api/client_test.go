package api_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// clWorld is an agency with a user in every role, another agency, and
// helpers to add linked clients straight in the database (the link flow is
// another surface's).
type clWorld struct {
	s                                  *testkit.Server
	agency, other                      string
	admin, am, member, viewer, otherAd *testkit.APIClient
	adminID, amID, memberID, viewerID  string
	n                                  int
}

func newClWorld(t *testing.T, e db.Dialect) *clWorld {
	t.Helper()
	s := testkit.StartServer(t, e, testkit.ServerOptions{})
	w := &clWorld{s: s}
	w.admin, w.adminID, w.agency = s.Signup(t, "Ada Admin", "ada@example.com", "Agency A", "agency")
	w.otherAd, _, w.other = s.Signup(t, "Bob Other", "bob@example.com", "Agency B", "agency")
	w.am, w.amID = w.staff(t, "Amy Manager", "account_manager")
	w.member, w.memberID = w.staff(t, "Max Member", "member")
	w.viewer, w.viewerID = w.staff(t, "Vic Viewer", "viewer")
	return w
}

// staff signs a user up (with an account of their own) and makes them a
// member of agency A with the role.
func (w *clWorld) staff(t *testing.T, name, role string) (*testkit.APIClient, string) {
	t.Helper()
	w.n++
	c, uid, _ := w.s.Signup(t, name, fmt.Sprintf("staff%d@example.com", w.n), name+" Own", "client")
	w.s.AddMember(t, w.agency, uid, role)
	return c, uid
}

// client inserts a client account named name and links it to agency A with
// the fixture's access (entire agency when f is zero).
func (w *clWorld) client(t *testing.T, name string, f testkit.LinkFixture) string {
	t.Helper()
	var id string
	err := w.s.DB.InTx(context.Background(), func(tx *db.Tx) error {
		a, err := account.Create(context.Background(), tx, w.s.Now(), "client", name)
		id = a.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.AgencyID == "" {
		f.AgencyID = w.agency
	}
	if f.Status == "" && f.AccessUsers == nil && f.AccessGroups == nil && f.AccountManagers == nil {
		f.AccessAll = true
	}
	f.ClientID = id
	w.s.AddLink(t, f)
	return id
}

// clientUser signs up a person with a client account of their own, linked
// to agency A (entire agency): an active client whose admin is that person.
func (w *clWorld) clientUser(t *testing.T, name, email, accountName string) (*testkit.APIClient, string, string) {
	t.Helper()
	c, uid, acc := w.s.Signup(t, name, email, accountName, "client")
	w.s.AddLink(t, testkit.LinkFixture{AgencyID: w.agency, ClientID: acc, AccessAll: true})
	return c, uid, acc
}

func (w *clWorld) list(t *testing.T, c *testkit.APIClient, query string) testkit.Response {
	t.Helper()
	return c.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/clients?"+query, nil)
}

func clItems(r testkit.Response) []map[string]any {
	var out []map[string]any
	for _, v := range r.Body["clients"].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func clNames(r testkit.Response) []string {
	var out []string
	for _, c := range clItems(r) {
		out = append(out, c["name"].(string))
	}
	return out
}

// clAudits counts the audit entries of an account with the action.
func clAudits(t *testing.T, s *testkit.Server, accountID, action string) int {
	t.Helper()
	return count(t, s, `SELECT COUNT(*) FROM audit_events WHERE account_id = ? AND action = ?`, accountID, action)
}

// clTogether runs the calls at the same moment and returns their statuses.
func clTogether(calls ...func() int) []int {
	out := make([]int, len(calls))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, c := range calls {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			out[i] = c()
		}()
	}
	start.Done()
	done.Wait()
	slices.Sort(out)
	return out
}

// SPEC §1 "who sees a client": the list shows exactly the clients the
// caller sees through the agency's active links.
func TestClientListVisibility(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		group := w.s.AddGroup(t, w.agency, "Blue", w.memberID)
		w.client(t, "All Agency", testkit.LinkFixture{AccessAll: true})
		w.client(t, "Listed Member", testkit.LinkFixture{AccessUsers: []string{w.memberID}})
		w.client(t, "Via Group", testkit.LinkFixture{AccessGroups: []string{group}})
		w.client(t, "Managed", testkit.LinkFixture{AccountManagers: []string{w.amID}})
		w.client(t, "Admins Only", testkit.LinkFixture{AccessUsers: []string{w.adminID}})
		w.client(t, "Pending Link", testkit.LinkFixture{Status: "pending", AccessAll: true})
		w.client(t, "Disconnected", testkit.LinkFixture{Status: "disconnected", AccessAll: true})
		w.client(t, "B's Client", testkit.LinkFixture{AgencyID: w.other, AccessAll: true})

		cases := []struct {
			who  string
			c    *testkit.APIClient
			want []string
		}{
			{"admin", w.admin, []string{"Admins Only", "All Agency", "Listed Member", "Managed", "Via Group"}},
			{"member (listed, in the group)", w.member, []string{"All Agency", "Listed Member", "Via Group"}},
			{"account manager (assigned)", w.am, []string{"All Agency", "Managed"}},
			{"viewer (not listed)", w.viewer, []string{"All Agency"}},
		}
		for _, tc := range cases {
			r := w.list(t, tc.c, "")
			if got := clNames(r); !slices.Equal(got, tc.want) {
				t.Errorf("%s sees %v, want %v", tc.who, got, tc.want)
			}
			if n := r.Body["counts"].(map[string]any)["all"].(float64); int(n) != len(tc.want) {
				t.Errorf("%s: counts.all %v, want %d", tc.who, n, len(tc.want))
			}
		}
		// Only the entire-agency link is visible to the viewer; with it
		// gone they see nothing at all.
		w2 := newClWorld(t, e)
		w2.client(t, "Hidden", testkit.LinkFixture{AccessUsers: []string{w2.memberID}})
		if got := clNames(w2.list(t, w2.viewer, "")); len(got) != 0 {
			t.Errorf("viewer not listed sees %v", got)
		}
		// Another agency sees neither the list nor the CSV.
		for _, p := range []string{"/clients", "/clients.csv"} {
			if r := w.otherAd.Do(t, "GET", "/api/v1/agencies/"+w.agency+p, nil); r.Status != 404 {
				t.Errorf("other agency GET %s: %d", p, r.Status)
			}
		}
		if got := clNames(w.otherAd.Must(t, 200, "GET", "/api/v1/agencies/"+w.other+"/clients", nil)); !slices.Equal(got, []string{"B's Client"}) {
			t.Errorf("agency B sees %v", got)
		}
	})
}

func TestClientListFiltersSearchSort(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		_, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		beta := w.client(t, "beta", testkit.LinkFixture{})
		gamma := w.client(t, "Gamma", testkit.LinkFixture{})
		w.client(t, "100% Juice", testkit.LinkFixture{})
		w.client(t, "under_score", testkit.LinkFixture{})
		nike := w.s.AddBrand(t, w.agency, "Nike")
		w.admin.Must(t, 204, "PUT", "/api/v1/agencies/"+w.agency+"/clients/"+beta+"/brands/"+nike, nil)
		w.admin.Must(t, 200, "POST", "/api/v1/agencies/"+w.agency+"/clients/"+gamma+"/revoke", nil)
		// A second member joins Acme later: the primary contact stays the
		// earliest-joined admin.
		_, u2, _ := w.s.Signup(t, "Road Runner", "runner@acme.example", "Runner Own", "client")
		w.s.AddMember(t, acme, u2, "admin")

		all := w.list(t, w.admin, "")
		if got := clNames(all); !slices.Equal(got, []string{"100% Juice", "Acme", "beta", "Gamma", "under_score"}) {
			t.Fatalf("default order (name, case-insensitive): %v", got)
		}
		byName := map[string]map[string]any{}
		for _, c := range clItems(all) {
			byName[c["name"].(string)] = c
		}
		a := byName["Acme"]
		if a["id"] != acme || a["email"] != "boss@acme.example" || a["status"] != "active" || a["users"].(float64) != 2 ||
			a["seats"].(float64) != 0 || a["last_active_at"] == nil || len(a["brands"].([]any)) != 0 ||
			len(a["metrics"].(map[string]any)) != 0 {
			t.Errorf("Acme item: %v", a)
		}
		// Acme's admin signed up a moment ago, which counts as a login:
		// R 1 → 40, F 1/4 → 7.5, D 0, T 1 → 10: 57.5 → 58 (SPEC §5). A client
		// nobody joined has no score.
		if h, _ := a["health"].(map[string]any); h["score"] != 58.0 || h["band"] != "at_risk" {
			t.Errorf("Acme health: %v", a["health"])
		}
		for _, n := range []string{"beta", "Gamma", "100% Juice", "under_score"} {
			if byName[n]["health"] != nil || byName[n]["last_active_at"] != nil {
				t.Errorf("%s: health %v, last active %v", n, byName[n]["health"], byName[n]["last_active_at"])
			}
		}
		if b := byName["beta"]; b["email"] != nil || b["status"] != "pending" || b["users"].(float64) != 0 ||
			b["brands"].([]any)[0].(map[string]any)["name"] != "Nike" {
			t.Errorf("beta item: %v", b)
		}
		if byName["Gamma"]["status"] != "revoked" {
			t.Errorf("Gamma: %v", byName["Gamma"])
		}
		wantCounts := map[string]float64{"all": 5, "pending": 3, "link_invite": 0, "active": 1, "at_risk": 0, "churned": 0, "revoked": 1}
		for k, v := range wantCounts {
			if got := all.Body["counts"].(map[string]any)[k]; got != v {
				t.Errorf("counts.%s = %v, want %v", k, got, v)
			}
		}

		filters := map[string][]string{
			"status=all":         {"100% Juice", "Acme", "beta", "Gamma", "under_score"},
			"status=active":      {"Acme"},
			"status=pending":     {"100% Juice", "beta", "under_score"},
			"status=revoked":     {"Gamma"},
			"status=at_risk":     nil,
			"status=churned":     nil,
			"status=link_invite": nil,
			"q=ACM":              {"Acme"},
			"q=runner%40acme":    nil, // not the primary contact
			"q=BOSS%40":          {"Acme"},
			"q=nik":              {"beta"},
			"q=%25":              {"100% Juice"},
			"q=_":                {"under_score"},
			"q=a&status=pending": {"beta"},
			"q=zzz":              nil,
			// Clients with no score or activity come last, by name.
			"sort=-health":                  {"Acme", "100% Juice", "beta", "Gamma", "under_score"},
			"sort=health":                   {"Acme", "100% Juice", "beta", "Gamma", "under_score"},
			"sort=-last_active":             {"Acme", "100% Juice", "beta", "Gamma", "under_score"},
			"sort=last_active":              {"Acme", "100% Juice", "beta", "Gamma", "under_score"},
			"sort=name&status=pending":      {"100% Juice", "beta", "under_score"},
			"sort=-last_active&q=e&limit=2": {"Acme", "100% Juice"},
		}
		for q, want := range filters {
			if got := clNames(w.list(t, w.admin, q)); !slices.Equal(got, want) {
				t.Errorf("?%s: %v, want %v", q, got, want)
			}
		}
		// The counts follow the search, not the status tab.
		r := w.list(t, w.admin, "q=a&status=revoked")
		if c := r.Body["counts"].(map[string]any); c["all"] != 3.0 || c["pending"] != 1.0 || c["active"] != 1.0 || c["revoked"] != 1.0 {
			t.Errorf("counts with q=a: %v", c)
		}

		bad := map[string]string{"status=gone": "status", "sort=size": "sort", "limit=201": "limit", "limit=-1": "limit",
			"cursor=!!": "cursor", "q=" + strings.Repeat("x", 201): "q", "q=a%1Fb": "q", "q=a%0Ab": "q"}
		for q, field := range bad {
			r := w.admin.Do(t, "GET", "/api/v1/agencies/"+w.agency+"/clients?"+q, nil)
			wantError(t, r, 400, "", field)
		}
		// A cursor belongs to its sort.
		next := w.list(t, w.admin, "limit=2").Body["next_cursor"].(string)
		r = w.admin.Do(t, "GET", "/api/v1/agencies/"+w.agency+"/clients?sort=-health&cursor="+next, nil)
		wantError(t, r, 400, "invalid_cursor", "cursor")
	})
}

// Keyset paging: every client exactly once, in order, at every page size,
// and still right when clients are added between two pages.
func TestClientListPaging(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		type cl struct{ id, name string }
		var clients []cl
		for i := range 120 {
			// Names repeat and differ in case, so ties are broken by ID.
			name := fmt.Sprintf("Client %02d", i%40)
			if i%3 == 1 {
				name = strings.ToLower(name)
			}
			clients = append(clients, cl{w.client(t, name, testkit.LinkFixture{}), name})
		}
		slices.SortFunc(clients, func(a, b cl) int {
			if c := strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)); c != 0 {
				return c
			}
			return strings.Compare(a.id, b.id)
		})
		var want []string
		for _, c := range clients {
			want = append(want, c.id)
		}
		walk := func(query string, limit int, between func(page int)) []string {
			var got []string
			cursor := ""
			for page := 0; ; page++ {
				q := url.Values{"limit": {fmt.Sprint(limit)}}
				if cursor != "" {
					q.Set("cursor", cursor)
				}
				r := w.list(t, w.admin, query+"&"+q.Encode())
				items := clItems(r)
				if len(items) > limit {
					t.Fatalf("page of %d with limit %d", len(items), limit)
				}
				for _, c := range items {
					got = append(got, c["id"].(string))
				}
				cursor, _ = r.Body["next_cursor"].(string)
				if cursor == "" {
					return got
				}
				if len(items) != limit {
					t.Fatalf("short page (%d of %d) with a next cursor", len(items), limit)
				}
				if between != nil {
					between(page)
				}
			}
		}
		for _, sort := range []string{"name", "-health", "health", "-last_active"} {
			for _, limit := range []int{1, 7, 50, 120, 200} {
				if sort != "name" && limit == 1 {
					continue // the slow walk once is enough
				}
				if got := walk("sort="+sort, limit, nil); !slices.Equal(got, want) {
					t.Fatalf("sort=%s limit=%d: %d ids, order differs from the expected %d", sort, limit, len(got), len(want))
				}
			}
		}
		// Clients added while paging: one before the cursor (never shown in
		// this walk), one after it (shown once, at its place).
		var early, late string
		got := walk("sort=name", 10, func(page int) {
			if page == 2 {
				early = w.client(t, "0 First", testkit.LinkFixture{})
				late = w.client(t, "zz Last", testkit.LinkFixture{})
			}
		})
		if !slices.Equal(got, append(append([]string{}, want...), late)) || slices.Contains(got, early) {
			t.Fatalf("inserts between pages: %d ids (early seen %v)", len(got), slices.Contains(got, early))
		}
	})
}

func TestClientCSVExport(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		names := []string{`=HYPERLINK("http://evil.example","x")`, "+1 Plus", "-2 Minus", "@SUM(A1)", "\tTab", "\rReturn", "Normal, Inc."}
		for _, n := range names {
			w.client(t, n, testkit.LinkFixture{})
		}
		brand := w.s.AddBrand(t, w.agency, "=Evil Brand")
		normal := clItems(w.list(t, w.admin, "q=Normal"))[0]["id"].(string)
		w.admin.Must(t, 204, "PUT", "/api/v1/agencies/"+w.agency+"/clients/"+normal+"/brands/"+brand, nil)
		w.client(t, "Hidden From Viewer", testkit.LinkFixture{AccessUsers: []string{w.adminID}})

		r := w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/clients.csv", nil)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Fatalf("content type %q", ct)
		}
		rows, err := csv.NewReader(strings.NewReader(string(r.Raw))).ReadAll()
		if err != nil {
			t.Fatalf("csv: %v\n%s", err, r.Raw)
		}
		if !slices.Equal(rows[0], []string{"id", "name", "email", "status", "health_score", "health_band", "last_active_at", "brands", "users", "seats"}) {
			t.Fatalf("header %v", rows[0])
		}
		got := map[string][]string{}
		for _, row := range rows[1:] {
			got[row[1]] = row
		}
		if len(rows) != len(names)+2 {
			t.Fatalf("%d rows: %v", len(rows), rows)
		}
		for _, n := range names {
			want := n
			if strings.ContainsRune("=+-@\t\r", rune(n[0])) {
				want = "'" + n
			}
			if _, ok := got[want]; !ok {
				t.Errorf("name %q not exported as %q: %q", n, want, rows)
			}
		}
		if row := got["Normal, Inc."]; row[3] != "pending" || row[7] != "'=Evil Brand" || row[8] != "0" || row[9] != "0" || row[2] != "" {
			t.Errorf("Normal row: %q", row)
		}
		// The same filters as the list; the viewer's export has only what
		// they see.
		r = w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/clients.csv?q=minus", nil)
		if rows, _ := csv.NewReader(strings.NewReader(string(r.Raw))).ReadAll(); len(rows) != 2 || rows[1][1] != "'-2 Minus" {
			t.Errorf("filtered export: %q", rows)
		}
		r = w.viewer.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/clients.csv", nil)
		if strings.Contains(string(r.Raw), "Hidden From Viewer") {
			t.Errorf("viewer's export shows a client they do not see")
		}
		wantError(t, w.admin.Do(t, "GET", "/api/v1/agencies/"+w.agency+"/clients.csv?status=nope", nil), 400, "", "status")
		if n := clAudits(t, w.s, w.agency, "client.export"); n != 3 {
			t.Errorf("%d client.export audit entries, want 3 (the refused one is not an export)", n)
		}
	})
}
