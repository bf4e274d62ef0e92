package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

const bdAction = "client.billing_details.update"

// bdWorld is agency A (admin, an assigned account manager, an unassigned
// one, a member and a viewer, all of whom see the client: entire agency),
// client Acme linked to A with its admin and a member, agency B and a
// stranger.
type bdWorld struct {
	*clWorld
	acme, bossID, runnerID string
	boss, runner, stranger *testkit.APIClient
	otherAM                *testkit.APIClient
	path                   string
}

func newBDWorld(t *testing.T, e db.Dialect) *bdWorld {
	t.Helper()
	w := &bdWorld{clWorld: newClWorld(t, e)}
	w.boss, w.bossID, w.acme = w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
	w.runner, w.runnerID, _ = w.s.Signup(t, "Road Runner", "runner@acme.example", "Runner Own", "client")
	w.s.AddMember(t, w.acme, w.runnerID, "member")
	w.otherAM, _ = w.staff(t, "Una Unassigned", "account_manager")
	w.stranger, _, _ = w.s.Signup(t, "Sam Stranger", "sam@elsewhere.example", "Elsewhere", "client")
	w.admin.Must(t, 200, "PATCH", w.clientPath(w.acme), map[string]any{"account_manager_ids": []string{w.amID}})
	w.path = "/api/v1/accounts/" + w.acme + "/billing-details"
	return w
}

func (w *bdWorld) billing(t *testing.T, on bool) {
	t.Helper()
	w.admin.Must(t, 200, "PATCH", w.clientPath(w.acme), map[string]any{"permissions": map[string]any{"manage_billing": on}})
}

// bdEvents are the billing-details audit events of an account, newest
// first, straight from the table.
func bdEvents(t *testing.T, s *testkit.Server, accountID string) int {
	t.Helper()
	return clAudits(t, s, accountID, bdAction)
}

func TestBillingDetailsAccess(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newBDWorld(t, e)
		p := w.path
		put := map[string]any{"company_name": "Acme Corp"}
		check := func(on string) {
			t.Helper()
			// The agency's admins and assigned account managers, always.
			w.admin.Must(t, 200, "GET", p, nil)
			w.am.Must(t, 200, "GET", p, nil)
			// Other agency roles see the client but may not.
			for name, c := range map[string]*testkit.APIClient{"member": w.member, "viewer": w.viewer, "unassigned account manager": w.otherAM} {
				for _, m := range []string{"GET", "PUT"} {
					if r := c.Do(t, m, p, put); r.Status != 403 || r.Code() != "forbidden" {
						t.Errorf("%s %s as agency %s (%s): %d %s", m, p, name, on, r.Status, r.Raw)
					}
				}
			}
			// Client members never, whatever the permission.
			for _, m := range []string{"GET", "PUT"} {
				if r := w.runner.Do(t, m, p, put); r.Status != 403 || r.Code() != "forbidden" {
					t.Errorf("%s as client member (%s): %d %s", m, on, r.Status, r.Raw)
				}
				// Strangers and an agency the client is not linked to do
				// not see it; nor does anybody.
				for name, c := range map[string]*testkit.APIClient{"agency B admin": w.otherAd, "stranger": w.stranger} {
					if r := c.Do(t, m, p, put); r.Status != 404 || r.Code() != "not_found" {
						t.Errorf("%s as %s (%s): %d %s", m, name, on, r.Status, r.Raw)
					}
				}
				if r := w.s.NewClient().Do(t, m, p, put); r.Status != 401 {
					t.Errorf("%s as nobody: %d", m, r.Status)
				}
			}
			// A client of nobody, an agency and an unknown ID.
			w.admin.Must(t, 403, "GET", "/api/v1/accounts/"+w.agency+"/billing-details", nil)
			w.admin.Must(t, 404, "GET", "/api/v1/accounts/acc_doesnotexist/billing-details", nil)
			w.boss.Must(t, 404, "GET", "/api/v1/accounts/"+w.agency+"/billing-details", nil)
		}

		// manage_billing is off by default: the client's admin is refused
		// with a code that says why, and writes nothing.
		check("off")
		for _, m := range []string{"GET", "PUT"} {
			wantError(t, w.boss.Do(t, m, p, put), 403, "billing_not_allowed", "")
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM client_billing_details`); n != 0 {
			t.Fatalf("refused calls wrote %d rows", n)
		}
		if n := bdEvents(t, w.s, w.acme); n != 0 {
			t.Fatalf("refused calls wrote %d audit entries", n)
		}

		w.billing(t, true)
		check("on")
		d := w.boss.Must(t, 200, "PUT", p, map[string]any{"company_name": "Acme Corp", "contact_email": "Billing@Acme.example"}).Body
		if d["company_name"] != "Acme Corp" || d["contact_email"] != "billing@acme.example" || d["client_id"] != w.acme {
			t.Fatalf("client admin's PUT: %v", d)
		}
		if by := d["updated_by"].(map[string]any); by["id"] != w.bossID || by["name"] != "Wile Boss" || d["updated_at"] == nil {
			t.Errorf("updated_by: %v", d)
		}
		if g := w.boss.Must(t, 200, "GET", p, nil).Body; g["company_name"] != "Acme Corp" {
			t.Errorf("client admin's GET: %v", g)
		}
		w.am.Must(t, 200, "PUT", p, map[string]any{"tax_id": "US-1"})

		// Switched off again: refused again, the details stay.
		w.billing(t, false)
		wantError(t, w.boss.Do(t, "GET", p, nil), 403, "billing_not_allowed", "")
		if g := w.admin.Must(t, 200, "GET", p, nil).Body; g["company_name"] != "Acme Corp" || g["tax_id"] != "US-1" {
			t.Errorf("after switching off: %v", g)
		}
	})
}

func TestBillingDetailsUpdate(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newBDWorld(t, e)
		p := w.path
		empty := w.admin.Must(t, 200, "GET", p, nil).Body
		for _, f := range []string{"contact_name", "contact_email", "company_name", "address", "tax_id", "po_reference"} {
			if empty[f] != "" {
				t.Errorf("new client's %s = %v", f, empty[f])
			}
		}
		if empty["updated_at"] != nil || empty["updated_by"] != nil {
			t.Errorf("never changed: %v", empty)
		}

		all := map[string]any{"contact_name": " Wile E. Coyote ", "contact_email": "wile@acme.example", "company_name": "Acme Corp",
			"address": "1 Canyon Road\r\nDesert City\r\nAZ", "tax_id": "US 12-345", "po_reference": "PO-77"}
		d := w.admin.Must(t, 200, "PUT", p, all).Body
		if d["contact_name"] != "Wile E. Coyote" || d["address"] != "1 Canyon Road\nDesert City\nAZ" || d["po_reference"] != "PO-77" {
			t.Fatalf("PUT: %v", d)
		}
		if by := d["updated_by"].(map[string]any); by["id"] != w.adminID {
			t.Errorf("updated_by %v", by)
		}
		// Audited on the client and on the agency, with before and after.
		for _, acc := range []string{w.acme, w.agency} {
			if n := bdEvents(t, w.s, acc); n != 1 {
				t.Errorf("%d %s entries on %s, want 1", n, bdAction, acc)
			}
		}
		for _, acc := range []string{w.acme, w.agency} {
			ev := clEvent(t, w.admin, acc, bdAction)
			before, after := ev["before"].(map[string]any), ev["after"].(map[string]any)
			if len(after) != 6 || after["company_name"] != "Acme Corp" || after["address"] != "1 Canyon Road\nDesert City\nAZ" ||
				before["company_name"] != "" || ev["actor_id"] != w.adminID || ev["target_id"] != w.acme || ev["impersonator_id"] != nil {
				t.Errorf("audit on %s: %v", acc, ev)
			}
		}

		// PUT replaces only the fields it names; "" clears one.
		d = w.am.Must(t, 200, "PUT", p, map[string]any{"tax_id": "", "po_reference": "PO-78"}).Body
		if d["tax_id"] != "" || d["po_reference"] != "PO-78" || d["company_name"] != "Acme Corp" || d["contact_email"] != "wile@acme.example" {
			t.Fatalf("partial PUT: %v", d)
		}
		ev := clEvent(t, w.admin, w.agency, bdAction)
		if b, a := ev["before"].(map[string]any), ev["after"].(map[string]any); len(a) != 2 || len(b) != 2 ||
			b["tax_id"] != "US 12-345" || a["tax_id"] != "" || b["po_reference"] != "PO-77" || a["po_reference"] != "PO-78" || ev["actor_id"] != w.amID {
			t.Errorf("partial change audit: %v", ev)
		}
		// The same values again, or nothing named, change nothing and
		// record nothing.
		w.admin.Must(t, 200, "PUT", p, map[string]any{"po_reference": "PO-78", "company_name": " Acme Corp"})
		w.admin.Must(t, 200, "PUT", p, nil)
		w.admin.Must(t, 200, "PUT", p, map[string]any{"company_name": nil})
		if n := bdEvents(t, w.s, w.acme); n != 2 {
			t.Errorf("%d entries after no-op PUTs, want 2", n)
		}

		// Validation: 400 naming the field; nothing written, nothing
		// audited, even when other fields of the request are good.
		state := w.admin.Must(t, 200, "GET", p, nil).Raw
		bad := []struct {
			body  any
			field string
		}{
			{map[string]any{"company_name": "New Name", "contact_email": "not-an-address"}, "contact_email"},
			{map[string]any{"contact_name": "two\nlines"}, "contact_name"},
			{map[string]any{"company_name": "Acme\u0007"}, "company_name"},
			{map[string]any{"address": "ok\n\x1b[2J"}, "address"},
			{map[string]any{"address": strings.Repeat("line\n", 11)}, "address"},
			{map[string]any{"tax_id": strings.Repeat("9", 65)}, "tax_id"},
			{map[string]any{"po_reference": strings.Repeat("p", 101)}, "po_reference"},
			{map[string]any{"contact_name": strings.Repeat("n", 201)}, "contact_name"},
			{map[string]any{"company_name": "Evil\u202Ecorp"}, "company_name"},
		}
		for _, tc := range bad {
			wantError(t, w.admin.Do(t, "PUT", p, tc.body), 400, "invalid_"+tc.field, tc.field)
		}
		for _, raw := range []string{`{"company_name": 5}`, `{"company_nam": "x"}`, `{"tax_id":`, `[]`} {
			if r := w.admin.Do(t, "PUT", p, raw); r.Status != 400 {
				t.Errorf("PUT %s: %d %s", raw, r.Status, r.Raw)
			}
		}
		if now := w.admin.Must(t, 200, "GET", p, nil).Raw; string(now) != string(state) {
			t.Errorf("a refused PUT changed the details:\n%s\n%s", state, now)
		}
		for _, acc := range []string{w.acme, w.agency} {
			if n := bdEvents(t, w.s, acc); n != 2 {
				t.Errorf("%d entries on %s after refused PUTs, want 2", n, acc)
			}
		}
	})
}

// A client admin's change is audited on the client and on every agency
// managing it; Login As is the client admin's view, recorded with the
// impersonator on the client and on that agency.
func TestBillingDetailsClientSideAndLoginAs(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newBDWorld(t, e)
		p := w.path
		w.billing(t, true)
		w.boss.Must(t, 200, "PUT", p, map[string]any{"address": "1 Canyon Road"})
		for _, acc := range []string{w.acme, w.agency} {
			if n := bdEvents(t, w.s, acc); n != 1 {
				t.Errorf("%d entries on %s, want 1", n, acc)
			}
		}
		// The client's admin reads its side of the log.
		ev := clEvent(t, w.boss, w.acme, bdAction)
		if ev["actor_id"] != w.bossID || ev["after"].(map[string]any)["address"] != "1 Canyon Road" {
			t.Errorf("client-side audit: %v", ev)
		}

		as := w.s.Login(t, "staff1@example.com", testkit.Password) // the assigned account manager
		as.Must(t, 200, "POST", w.clientPath(w.acme)+"/impersonate", nil)
		d := as.Must(t, 200, "PUT", p, map[string]any{"po_reference": "PO-1"}).Body
		if d["po_reference"] != "PO-1" || d["updated_by"].(map[string]any)["id"] != w.amID {
			t.Errorf("Login As PUT: %v", d)
		}
		for _, acc := range []string{w.acme, w.agency} {
			ev := clEvent(t, w.admin, acc, bdAction)
			if ev["actor_id"] != w.amID || ev["impersonator_id"] != w.amID || ev["after"].(map[string]any)["po_reference"] != "PO-1" {
				t.Errorf("Login As audit on %s: %v", acc, ev)
			}
		}
		// As the client admin would: refused while manage_billing is off,
		// though the account manager may change them from the agency.
		w.billing(t, false)
		wantError(t, as.Do(t, "GET", p, nil), 403, "billing_not_allowed", "")
		wantError(t, as.Do(t, "PUT", p, map[string]any{"po_reference": "PO-2"}), 403, "billing_not_allowed", "")
		w.am.Must(t, 200, "PUT", p, map[string]any{"po_reference": "PO-2"})
	})
}

// A client shared by two agencies: each agency's admins read and change its
// billing details and each change is audited on the acting agency (and the
// client) only; manage_billing on at either agency lets the client's admin
// in; an agency whose link ended no longer sees them.
func TestBillingDetailsSharedClient(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newBDWorld(t, e)
		p := w.path
		linkB := w.s.AddLink(t, testkit.LinkFixture{AgencyID: w.other, ClientID: w.acme, AccessAll: true})
		bMember, bMemberID, _ := w.s.Signup(t, "Bea Member", "bea@b.example", "Bea Own", "client")
		w.s.AddMember(t, w.other, bMemberID, "member")

		w.otherAd.Must(t, 200, "GET", p, nil)
		w.otherAd.Must(t, 200, "PUT", p, map[string]any{"contact_name": "From B"})
		wantError(t, bMember.Do(t, "PUT", p, map[string]any{"contact_name": "x"}), 403, "forbidden", "")
		w.admin.Must(t, 200, "PUT", p, map[string]any{"company_name": "From A"})
		for acc, want := range map[string]int{w.acme: 2, w.agency: 1, w.other: 1} {
			if n := bdEvents(t, w.s, acc); n != want {
				t.Errorf("%d entries on %s, want %d", n, acc, want)
			}
		}
		if ev := clEvent(t, w.otherAd, w.other, bdAction); ev["after"].(map[string]any)["contact_name"] != "From B" {
			t.Errorf("B's entry: %v", ev)
		}

		// Only A allows manage_billing: the client admin may; its change
		// is audited on both agencies that manage it.
		w.billing(t, true)
		w.boss.Must(t, 200, "PUT", p, map[string]any{"tax_id": "T-1"})
		for acc, want := range map[string]int{w.acme: 3, w.agency: 2, w.other: 2} {
			if n := bdEvents(t, w.s, acc); n != want {
				t.Errorf("after the client's change: %d entries on %s, want %d", n, acc, want)
			}
		}
		// A disconnects: B (off) decides alone, and A no longer sees them.
		for _, l := range w.admin.Must(t, 200, "GET", "/api/v1/accounts/"+w.agency+"/links?status=active", nil).Body["links"].([]any) {
			if l := l.(map[string]any); l["client_id"] == w.acme {
				w.admin.Must(t, 200, "DELETE", "/api/v1/links/"+l["id"].(string), nil)
			}
		}
		w.admin.Must(t, 404, "GET", p, nil)
		wantError(t, w.boss.Do(t, "GET", p, nil), 403, "billing_not_allowed", "")
		if g := w.otherAd.Must(t, 200, "GET", p, nil).Body; g["tax_id"] != "T-1" || g["company_name"] != "From A" {
			t.Errorf("B reads: %v", g)
		}
		_ = linkB
	})
}

// Concurrent changes of one client's details apply one after the other:
// each audit entry's "before" is what the previous change left, so the
// entries chain from "" to the final value with no value seen twice.
func TestBillingDetailsConcurrent(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newBDWorld(t, e)
		const n = 8
		calls := make([]func() int, n)
		for i := range calls {
			calls[i] = func() int {
				return w.admin.Do(t, "PUT", w.path, map[string]any{"po_reference": fmt.Sprintf("PO-%d", i)}).Status
			}
		}
		for i, st := range clTogether(calls...) {
			if st != 200 {
				t.Fatalf("PUT %d: %d", i, st)
			}
		}
		r := w.admin.Must(t, 200, "GET", "/api/v1/accounts/"+w.acme+"/audit?action="+bdAction, nil)
		evs := r.Body["events"].([]any)
		if len(evs) != n {
			t.Fatalf("%d audit entries, want %d", len(evs), n)
		}
		// Newest first: each entry's before is the next older one's after.
		final := w.admin.Must(t, 200, "GET", w.path, nil).Body["po_reference"]
		want := final
		for _, ev := range evs {
			ev := ev.(map[string]any)
			after, before := ev["after"].(map[string]any)["po_reference"], ev["before"].(map[string]any)["po_reference"]
			if after != want {
				t.Fatalf("entries do not chain: after %v, want %v (%v)", after, want, evs)
			}
			want = before
		}
		if want != "" {
			t.Errorf("the oldest entry's before is %v, want \"\"", want)
		}
	})
}
