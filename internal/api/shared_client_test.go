package api_test

import (
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// shWorld is client C shared by agencies A and B (both links active), each
// with its brand granted to C, its own invitation into C with a private
// message, a Login As with a reason and page views; and C's own admin with
// a team invitation and a page view of their own.
type shWorld struct {
	s                    *testkit.Server
	A, B, C              string
	adminA, adminB       *testkit.APIClient // cookie sessions (Login As needs one)
	cAdmin               *testkit.APIClient
	adminAID, adminBID   string
	brandA, brandB       string
	invA, invB, invOwn   string
	secretA, secretB     string // the invitations' messages
	reasonA, reasonB     string // the Login As reasons
	inviteeA, inviteeB   string // the invitations' addresses
	staffAIP, staffBIP   string
	brandNameA, brandNmB string
}

func newShWorld(t *testing.T, e db.Dialect) *shWorld {
	s := testkit.StartServer(t, e, testkit.ServerOptions{})
	w := &shWorld{s: s, secretA: "A-private-message-4417", secretB: "B-private-message-9923",
		reasonA: "A-reason-ticket-301", reasonB: "B-reason-ticket-702", inviteeA: "invitee-of-a@example.com",
		inviteeB: "invitee-of-b@example.com", brandNameA: "Brand Alpha of A", brandNmB: "Brand Beta of B"}
	w.adminA, w.adminAID, w.A = s.Signup(t, "Ada A", "ada@a.example", "Agency A", "agency")
	w.adminB, w.adminBID, w.B = s.Signup(t, "Bea B", "bea@b.example", "Agency B", "agency")
	w.cAdmin, _, w.C = s.Signup(t, "Cleo C", "cleo@c.example", "Client C", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: w.A, ClientID: w.C})
	s.AddLink(t, testkit.LinkFixture{AgencyID: w.B, ClientID: w.C})
	w.brandA = s.AddBrand(t, w.A, w.brandNameA)
	w.brandB = s.AddBrand(t, w.B, w.brandNmB)
	for _, x := range []struct {
		c                      *testkit.APIClient
		agency, brand, invitee string
		secret, reason         string
		inv                    *string
	}{{w.adminA, w.A, w.brandA, w.inviteeA, w.secretA, w.reasonA, &w.invA}, {w.adminB, w.B, w.brandB, w.inviteeB, w.secretB, w.reasonB, &w.invB}} {
		client := "/api/v1/agencies/" + x.agency + "/clients/" + w.C
		x.c.Must(t, 204, "PUT", client+"/brands/"+x.brand, nil)
		*x.inv = x.c.Must(t, 201, "POST", "/api/v1/agencies/"+x.agency+"/invitations", map[string]any{"email": x.invitee,
			"client_account_id": w.C, "role": "member", "brand_ids": []string{x.brand}, "message": x.secret}).Body["id"].(string)
		x.c.Must(t, 200, "POST", client+"/impersonate", map[string]any{"reason": x.reason})
		x.c.Must(t, 204, "POST", "/api/v1/activity", map[string]any{"page": "reports", "brand_id": x.brand})
		x.c.Must(t, 200, "POST", "/api/v1/impersonation/end", nil)
	}
	w.invOwn = w.cAdmin.Must(t, 201, "POST", "/api/v1/accounts/"+w.C+"/invitations", map[string]any{"email": "own-team@c.example",
		"role": "member", "message": "C-own-message"}).Body["id"].(string)
	w.cAdmin.Must(t, 204, "POST", "/api/v1/activity", map[string]any{"page": "reports", "brand_id": w.brandB})
	s.Activity.Flush(t.Context())
	return w
}

// side is one agency's view and what must never reach it of the other's.
type side struct {
	name                  string
	c                     *testkit.APIClient
	agency                string
	own, other            string   // their invitations into C
	otherSecrets          []string // anything of the other agency's
	ownSecret, ownBrandID string
	ownAudit              []string // what its audit of C shows of its own
}

func (w *shWorld) sides() []side {
	return []side{
		{"A", w.adminA, w.A, w.invA, w.invB, []string{w.secretB, w.reasonB, w.brandB, w.brandNmB, w.inviteeB, w.adminBID},
			w.secretA, w.brandA, []string{w.reasonA, w.brandNameA, w.inviteeA, w.adminAID}},
		{"B", w.adminB, w.B, w.invB, w.invA, []string{w.secretA, w.reasonA, w.brandA, w.brandNameA, w.inviteeA, w.adminAID},
			w.secretB, w.brandB, []string{w.reasonB, w.brandNmB, w.inviteeB, w.adminBID}},
	}
}

func leaks(raw string, secrets []string) []string {
	var out []string
	for _, s := range secrets {
		if strings.Contains(raw, s) {
			out = append(out, s)
		}
	}
	return out
}

// Issue 15, high: an agency resends or cancels only the invitations it
// sent. The other agency that shares the client finds none of them (404),
// and the invitation is unchanged; the client's own team invitation is
// the client's (403); the client's admin acts on all of them.
func TestSharedClientInvitationsStayTheSenders(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newShWorld(t, e)
		for _, sd := range w.sides() {
			for _, m := range []string{"POST /resend", "DELETE "} {
				method, suffix, _ := strings.Cut(m, " ")
				r := sd.c.Do(t, method, "/api/v1/invitations/"+sd.other+suffix, nil)
				if r.Status != 404 || r.Code() != "not_found" {
					t.Errorf("%s %s of the other agency's invitation as %s: %d %s", method, suffix, sd.name, r.Status, r.Raw)
				}
				wantError(t, sd.c.Do(t, method, "/api/v1/invitations/"+w.invOwn+suffix, nil), 403, "invitation_of_client", "")
			}
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM invitations WHERE status = 'pending' AND sent_at = created_at`); n != 3 {
			t.Errorf("%d invitations untouched, want 3", n)
		}
		for _, sd := range w.sides() { // each still manages its own
			if r := sd.c.Must(t, 200, "POST", "/api/v1/invitations/"+sd.own+"/resend", nil); !strings.Contains(string(r.Raw), sd.ownSecret) {
				t.Errorf("resend as %s: %s", sd.name, r.Raw)
			}
		}
		w.cAdmin.Must(t, 200, "POST", "/api/v1/invitations/"+w.invA+"/resend", nil)
		w.cAdmin.Must(t, 204, "DELETE", "/api/v1/invitations/"+w.invB, nil)
		w.cAdmin.Must(t, 204, "DELETE", "/api/v1/invitations/"+w.invOwn, nil)
	})
}

// Issue 15, medium: on a shared client each agency reads its own part and
// the client's, never the other agency's — invitations (messages, brand
// IDs, addresses), the audit trail (brand names, Login As reasons, staff
// IDs) and the activity view (brand IDs, Login As page views). The
// client's admin reads all of it.
func TestSharedClientReadsAreScopedToTheAgency(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newShWorld(t, e)
		for _, sd := range w.sides() {
			inv := sd.c.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/invitations", nil)
			if l := leaks(string(inv.Raw), sd.otherSecrets); len(l) > 0 {
				t.Errorf("%s's invitations of C show the other agency's %v", sd.name, l)
			}
			ids := map[string]bool{}
			for _, x := range inv.Body["invitations"].([]any) {
				ids[x.(map[string]any)["id"].(string)] = true
			}
			if len(ids) != 2 || !ids[sd.own] || !ids[w.invOwn] {
				t.Errorf("%s's invitations of C: %v, want its own and the client's", sd.name, ids)
			}
			audit := sd.c.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/audit?limit=200", nil)
			if l := leaks(string(audit.Raw), sd.otherSecrets); len(l) > 0 {
				t.Errorf("%s's audit of C shows the other agency's %v", sd.name, l)
			}
			// Its own work, and the client's own (the client admin's
			// invitation).
			for _, want := range append(sd.ownAudit, "own-team@c.example") {
				if !strings.Contains(string(audit.Raw), want) {
					t.Errorf("%s's audit of C lacks %q", sd.name, want)
				}
			}
			act := sd.c.Must(t, 200, "GET", "/api/v1/agencies/"+sd.agency+"/clients/"+w.C+"/activity", nil)
			if l := leaks(string(act.Raw), sd.otherSecrets); len(l) > 0 {
				t.Errorf("%s's activity of C shows the other agency's %v", sd.name, l)
			}
			views := 0
			for _, x := range act.Body["events"].([]any) {
				if ev := x.(map[string]any); ev["kind"] == "page_view" {
					views++
				}
			}
			if views != 2 || !strings.Contains(string(act.Raw), sd.ownBrandID) { // the client's own, and its own Login As
				t.Errorf("%s's activity of C: %d page views: %s", sd.name, views, act.Raw)
			}
		}
		// The client sees everything that concerns it.
		all := w.cAdmin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/invitations", nil)
		audit := w.cAdmin.Must(t, 200, "GET", "/api/v1/accounts/"+w.C+"/audit?limit=200", nil)
		for _, want := range []string{w.secretA, w.secretB, w.brandA, w.brandB} {
			if !strings.Contains(string(all.Raw), want) {
				t.Errorf("the client's invitations lack %q", want)
			}
		}
		for _, want := range []string{w.reasonA, w.reasonB, w.brandNameA, w.brandNmB, w.inviteeA, w.inviteeB} {
			if !strings.Contains(string(audit.Raw), want) {
				t.Errorf("the client's audit lacks %q", want)
			}
		}
	})
}
