package api_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// billingTotal reads the agency's monthly total and billable brand names.
func billingTotal(t *testing.T, c *testkit.APIClient, agency string) (int, []string) {
	t.Helper()
	b := c.Must(t, 200, "GET", "/api/v1/agencies/"+agency+"/billing", nil).Body
	var names []string
	for _, x := range b["brands"].([]any) {
		names = append(names, x.(map[string]any)["name"].(string))
	}
	sort.Strings(names)
	return int(b["total_cents"].(float64)), names
}

// Seed 002, "How billing works", through the API: an agency pays per brand
// that has a client with access (a pending invitation counts), not per
// client; each start and stop is in the ledger with its cause and who.
func TestBillingFollowsAccess(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, true)
		base := "/api/v1/agencies/" + w.agency
		nike, adidas, puma := w.s.AddBrand(t, w.agency, "Nike"), w.s.AddBrand(t, w.agency, "Adidas"), w.s.AddBrand(t, w.agency, "Puma")
		want := func(what string, cents int, names ...string) {
			t.Helper()
			got, gotNames := billingTotal(t, w.admin, w.agency)
			sort.Strings(names)
			if got != cents || strings.Join(gotNames, ",") != strings.Join(names, ",") {
				t.Fatalf("%s: total %d %v, want %d %v", what, got, gotNames, cents, names)
			}
		}
		want("no clients", 0)
		c1 := w.admin.Must(t, 201, "POST", base+"/clients", map[string]any{"name": "Run Club", "brand_ids": []string{nike}}).Body["id"].(string)
		want("Nike + 1 client", 4900, "Nike")
		c2 := w.admin.Must(t, 201, "POST", base+"/clients", map[string]any{"name": "Gym Co", "brand_ids": []string{nike}}).Body["id"].(string)
		want("second Nike client", 4900, "Nike")
		w.admin.Must(t, 204, "PUT", base+"/clients/"+c2+"/brands/"+adidas, nil)
		want("Adidas", 9800, "Adidas", "Nike")
		w.admin.Must(t, 200, "POST", base+"/clients/"+c1+"/revoke", nil)
		want("one Nike client revoked", 9800, "Adidas", "Nike")
		w.admin.Must(t, 204, "DELETE", base+"/clients/"+c2+"/brands/"+nike, nil)
		want("revoke all Nike", 4900, "Adidas")

		// A pending invitation counts, even into the revoked client;
		// cancelling it stops the charge.
		inv := w.admin.Must(t, 201, "POST", base+"/invitations", map[string]any{"email": "pia@puma.example",
			"client_account_id": c1, "brand_ids": []string{puma}}).Body
		want("invitation with Puma", 9800, "Adidas", "Puma")
		w.admin.Must(t, 204, "DELETE", "/api/v1/invitations/"+inv["id"].(string), nil)
		want("invitation cancelled", 4900, "Adidas")

		// The ledger, newest first, says what caused each row and who.
		ev := w.admin.Must(t, 200, "GET", base+"/billing/events?limit=3", nil).Body
		rows := ev["events"].([]any)
		var got []string
		for _, r := range rows {
			m := r.(map[string]any)
			got = append(got, fmt.Sprintf("%s %s %s %v", m["kind"], m["brand_name"], m["cause"], m["actor_id"] == w.adminID))
		}
		if strings.Join(got, "; ") != "stop Puma invitation_cancelled true; start Puma invitation_created true; stop Nike brand_removed true" {
			t.Errorf("ledger: %v", got)
		}
		next := ev["next_cursor"].(string)
		rest := w.admin.Must(t, 200, "GET", base+"/billing/events?cursor="+next, nil).Body["events"].([]any)
		if len(rest) != 2 || rest[0].(map[string]any)["cause"] != "brand_granted" || rest[1].(map[string]any)["cause"] != "client_created" {
			t.Errorf("ledger, second page: %v", rest)
		}

		// Only agency admins; bad input is a 400.
		w.am.Must(t, 403, "GET", base+"/billing", nil)
		w.member.Must(t, 403, "GET", base+"/billing/events", nil)
		w.otherAd.Must(t, 404, "GET", base+"/billing", nil)
		wantError(t, w.admin.Do(t, "PUT", base+"/billing/plan", map[string]any{"plan": "weekly"}), 400, "", "")
		wantError(t, w.admin.Do(t, "GET", base+"/billing/preview?from=2026-02-30&to=2026-03-01", nil), 400, "", "from")
		wantError(t, w.admin.Do(t, "GET", base+"/billing/events?cursor=abc", nil), 400, "", "cursor")

		// The annual plan applies from the next day.
		p := w.admin.Must(t, 200, "PUT", base+"/billing/plan", map[string]any{"plan": "annual"}).Body
		tomorrow := w.s.Clock.Now().AddDate(0, 0, 1).Format(time.DateOnly)
		if p["effective_from"] != tomorrow {
			t.Fatalf("plan change: %v, want from %s", p, tomorrow)
		}
		want("annual from tomorrow", 4900, "Adidas")
		w.s.Clock.Advance(24 * time.Hour)
		want("annual", 4100, "Adidas")
		if n := clAudits(t, w.s, w.agency, "billing.plan_change"); n != 1 {
			t.Errorf("%d plan change audit entries", n)
		}
	})
}

// An invoice preview prorates each billed day over its month, splits lines
// at month ends and plan changes, and its lines add up to its total.
func TestBillingPreview(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newInvWorld(t, e, true)
		base := "/api/v1/agencies/" + w.agency
		nike := w.s.AddBrand(t, w.agency, "Nike")
		w.admin = w.admin.Token(t) // a session would idle out over 40 days
		start := w.s.Clock.Now()
		c := w.admin.Must(t, 201, "POST", base+"/clients", map[string]any{"name": "Run Club", "brand_ids": []string{nike}}).Body["id"].(string)
		w.s.Clock.Advance(40 * 24 * time.Hour)
		w.admin.Must(t, 204, "DELETE", base+"/clients/"+c+"/brands/"+nike, nil)
		stop := w.s.Clock.Now()
		from, to := start.AddDate(0, 0, -3), stop.AddDate(0, 0, 5)
		p := w.admin.Must(t, 200, "GET", base+"/billing/preview?from="+from.Format(time.DateOnly)+"&to="+to.Format(time.DateOnly), nil).Body
		// Expected: the days start..stop (both billed: billable during part
		// of each), split by month, each month's share rounded half up.
		type run struct {
			month        time.Month
			days, amount int
		}
		var runs []run
		for d := start; !d.After(stop); d = d.AddDate(0, 0, 1) {
			if len(runs) == 0 || runs[len(runs)-1].month != d.Month() {
				runs = append(runs, run{month: d.Month()})
			}
			runs[len(runs)-1].days++
		}
		total := 0
		for i := range runs {
			dim := time.Date(start.Year(), runs[i].month+1, 0, 0, 0, 0, 0, time.UTC).Day()
			if runs[i].month < start.Month() { // the next year
				dim = time.Date(start.Year()+1, runs[i].month+1, 0, 0, 0, 0, 0, time.UTC).Day()
			}
			runs[i].amount = (2*4900*runs[i].days + dim) / (2 * dim)
			total += runs[i].amount
		}
		lines := p["lines"].([]any)
		if len(lines) != len(runs) {
			t.Fatalf("lines %v, want %d runs %v", lines, len(runs), runs)
		}
		sum := 0
		for i, l := range lines {
			m := l.(map[string]any)
			if int(m["days"].(float64)) != runs[i].days || int(m["amount_cents"].(float64)) != runs[i].amount || m["name"] != "Nike" {
				t.Errorf("line %d: %v, want %+v", i, m, runs[i])
			}
			sum += int(m["amount_cents"].(float64))
		}
		if int(p["total_cents"].(float64)) != total || sum != total {
			t.Errorf("total %v, lines add up to %d, want %d", p["total_cents"], sum, total)
		}
	})
}

// A model-based test of the ledger: random sequences of the operations that
// move access, run for several agencies at once on both engines. After each
// operation a small model says which brands are billable; the ledger must
// hold exactly the starts and stops of those changes, and the open set must
// equal the model's. Removing any one Sync call makes it fail.
func TestBillingLedgerMatchesModel(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		const agencies, steps = 3, 30
		var wg sync.WaitGroup
		for i := range agencies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				billingModelRun(t, s, i, steps)
			}()
		}
		wg.Wait()
	})
}

type billingModel struct {
	grants  map[string]map[string]bool // client → brands
	revoked map[string]bool
	invites map[string][]string // open invitation → brands
}

func (m *billingModel) billable() []string {
	set := map[string]bool{}
	for c, bs := range m.grants {
		if m.revoked[c] {
			continue
		}
		for b := range bs {
			set[b] = true
		}
	}
	for _, bs := range m.invites {
		for _, b := range bs {
			set[b] = true
		}
	}
	out := []string{}
	for b := range set {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

func billingModelRun(t *testing.T, s *testkit.Server, n, steps int) {
	rnd := rand.New(rand.NewPCG(uint64(n), uint64(time.Now().UnixNano())))
	admin, _, agency := s.Signup(t, "Admin", fmt.Sprintf("admin%d@bill.example", n), fmt.Sprintf("Agency %d", n), "agency")
	base := "/api/v1/agencies/" + agency
	brands := []string{s.AddBrand(t, agency, "A"), s.AddBrand(t, agency, "B"), s.AddBrand(t, agency, "C")}
	m := &billingModel{grants: map[string]map[string]bool{}, revoked: map[string]bool{}, invites: map[string][]string{}}
	var clients []string
	var history [][]string // the model's billable set after each step
	var log []string
	for step := range steps {
		b := brands[rnd.IntN(len(brands))]
		switch op := rnd.IntN(7); {
		case op == 0 || len(clients) == 0:
			c := admin.Must(t, 201, "POST", base+"/clients", map[string]any{"name": fmt.Sprintf("C%d", step), "brand_ids": []string{b}}).Body["id"].(string)
			clients = append(clients, c)
			m.grants[c] = map[string]bool{b: true}
			log = append(log, "create "+b)
		case op == 1:
			c := clients[rnd.IntN(len(clients))]
			if m.revoked[c] {
				continue
			}
			admin.Must(t, 204, "PUT", base+"/clients/"+c+"/brands/"+b, nil)
			m.grants[c][b] = true
			log = append(log, "grant "+b)
		case op == 2:
			c := clients[rnd.IntN(len(clients))]
			if m.revoked[c] || !m.grants[c][b] {
				continue
			}
			admin.Must(t, 204, "DELETE", base+"/clients/"+c+"/brands/"+b, nil)
			delete(m.grants[c], b)
			log = append(log, "remove "+b)
		case op == 3:
			c := clients[rnd.IntN(len(clients))]
			if m.revoked[c] {
				continue
			}
			admin.Must(t, 200, "POST", base+"/clients/"+c+"/revoke", nil)
			m.revoked[c] = true
			log = append(log, "revoke")
		case op == 4:
			inv := admin.Must(t, 201, "POST", base+"/invitations", map[string]any{"email": fmt.Sprintf("p%d-%d@inv.example", n, step),
				"client_account_id": clients[rnd.IntN(len(clients))], "brand_ids": []string{b}}).Body
			// The invitation grants the brand at once (billed unless the
			// client is revoked), and as an open invitation it counts too.
			m.grants[inv["client_account_id"].(string)][b] = true
			m.invites[inv["id"].(string)] = []string{b}
			log = append(log, "invite "+b)
		case op == 5:
			c := clients[rnd.IntN(len(clients))]
			if !m.revoked[c] {
				continue
			}
			admin.Must(t, 200, "POST", base+"/clients/"+c+"/restore", nil)
			delete(m.revoked, c)
			log = append(log, "restore")
		default:
			for id := range m.invites {
				admin.Must(t, 204, "DELETE", "/api/v1/invitations/"+id, nil)
				delete(m.invites, id)
				log = append(log, "cancel")
				break
			}
		}
		history = append(history, m.billable())
		// The open set after each step, not only at the end: a change
		// whose Sync is missing is caught even when a later one fixes it.
		if bill, names := billingTotal(t, admin, agency); bill != 4900*len(history[len(history)-1]) {
			t.Fatalf("agency %d: billed %d (%v) after %v, model %v", n, bill, names, log, history[len(history)-1])
		}
	}
	// Replay the ledger: the open set after it must be the model's last,
	// and each row must be a real change of the set (no start of an open
	// brand, no stop of a closed one).
	var events []map[string]any
	cursor := ""
	for {
		q := base + "/billing/events?limit=200"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		r := admin.Must(t, 200, "GET", q, nil).Body
		for _, e := range r["events"].([]any) {
			events = append(events, e.(map[string]any))
		}
		next, _ := r["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	open := map[string]bool{}
	for i := len(events) - 1; i >= 0; i-- {
		ev := events[i]
		b := ev["brand_id"].(string)
		switch ev["kind"] {
		case "start":
			if open[b] {
				t.Fatalf("agency %d: brand %s started twice (%v)", n, b, log)
			}
			open[b] = true
		case "stop":
			if !open[b] {
				t.Fatalf("agency %d: brand %s stopped while closed (%v)", n, b, log)
			}
			delete(open, b)
		}
	}
	var got []string
	for b := range open {
		got = append(got, b)
	}
	sort.Strings(got)
	want := history[len(history)-1]
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("agency %d: ledger ends with %v, model %v after %v", n, got, want, log)
	}
	// The number of rows is the number of changes the model saw.
	changes, prev := 0, []string{}
	for _, h := range history {
		changes += diff(prev, h)
		prev = h
	}
	if len(events) != changes {
		t.Fatalf("agency %d: %d ledger rows, the model changed %d times (%v)", n, len(events), changes, log)
	}
	bill, _ := billingTotal(t, admin, agency)
	if bill != 4900*len(want) {
		t.Fatalf("agency %d: total %d for %d brands", n, bill, len(want))
	}
}

// diff counts the brands in one set and not the other.
func diff(a, b []string) int {
	in := map[string]int{}
	for _, x := range a {
		in[x]++
	}
	for _, x := range b {
		in[x]--
	}
	n := 0
	for _, v := range in {
		if v != 0 {
			n++
		}
	}
	return n
}
