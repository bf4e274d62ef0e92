package api_test

import (
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Restore (issue 18, SPEC §5): a revoked client comes back with its
// history; admins only; audited on both sides; its users log in at once;
// the billing ledger starts its brands again.
func TestClientRestore(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		_, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		nike := w.s.AddBrand(t, w.agency, "Nike")
		w.admin.Must(t, 204, "PUT", w.clientPath(acme)+"/brands/"+nike, nil)
		w.admin.Must(t, 200, "PATCH", w.clientPath(acme), map[string]any{"account_manager_ids": []string{w.amID}})
		p := w.clientPath(acme) + "/restore"
		wantError(t, w.admin.Do(t, "POST", p, nil), 409, "not_revoked", "")
		w.admin.Must(t, 200, "POST", w.clientPath(acme)+"/revoke", nil)
		if total, _ := billingTotal(t, w.admin, w.agency); total != 0 {
			t.Fatalf("billed %d while revoked", total)
		}
		// SPEC §1: admins only; another agency does not see it.
		w.am.Must(t, 403, "POST", p, nil)
		w.member.Must(t, 403, "POST", p, nil)
		w.otherAd.Must(t, 404, "POST", p, nil)
		d := w.admin.Must(t, 200, "POST", p, nil).Body
		// The boss logged in (signed up) a moment ago: active by history.
		if d["status"] != "active" || d["revoked_at"] != nil {
			t.Fatalf("after restore: %v", d)
		}
		wantError(t, w.admin.Do(t, "POST", p, nil), 409, "not_revoked", "")
		// The client's users log in again at once.
		boss := w.s.Login(t, "boss@acme.example", testkit.Password)
		boss.Must(t, 200, "GET", "/api/v1/accounts/"+acme, nil)
		for _, acc := range []string{w.agency, acme} {
			if n := clAudits(t, w.s, acc, "client.restore"); n != 1 {
				t.Errorf("%d client.restore entries on %s", n, acc)
			}
		}
		if total, names := billingTotal(t, w.admin, w.agency); total != 4900 || len(names) != 1 {
			t.Errorf("billing after restore: %d %v", total, names)
		}
		ev := w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/billing/events?limit=1", nil).Body["events"].([]any)
		if first := ev[0].(map[string]any); first["kind"] != "start" || first["cause"] != "client_restored" {
			t.Errorf("newest ledger row: %v", first)
		}
		if c := w.list(t, w.admin, "status=revoked"); len(clItems(c)) != 0 {
			t.Errorf("revoked tab after restore: %s", c.Raw)
		}
	})
}

// An agency's invitation into a client it revoked brings the client back
// when accepted (SPEC §5 "re-inviting a revoked client"), with the restore
// audited on both sides; inviting a person who is still a member says to
// restore instead.
func TestInvitationRestoresRevokedClient(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		_, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		w.admin.Must(t, 200, "POST", w.clientPath(acme)+"/revoke", nil)
		wantError(t, w.admin.Do(t, "POST", "/api/v1/accounts/"+acme+"/invitations", map[string]any{"email": "boss@acme.example", "role": "member"}),
			409, "already_member", "")
		inv := w.admin.Must(t, 201, "POST", "/api/v1/accounts/"+acme+"/invitations",
			map[string]any{"email": "road@acme.example", "role": "member", "delivery": "link"}).Body
		if r := invAccept(t, w.s, invToken(t, inv["url"].(string)), "Road Runner"); r.Status != 200 {
			t.Fatalf("accept: %d %s", r.Status, r.Raw)
		}
		d := w.admin.Must(t, 200, "GET", w.clientPath(acme), nil).Body
		if d["revoked_at"] != nil || d["status"] != "active" {
			t.Fatalf("after acceptance: %v", d)
		}
		w.s.Login(t, "boss@acme.example", testkit.Password).Must(t, 200, "GET", "/api/v1/accounts/"+acme, nil)
		for _, acc := range []string{w.agency, acme} {
			if n := clAudits(t, w.s, acc, "client.restore"); n != 1 {
				t.Errorf("%d client.restore entries on %s", n, acc)
			}
		}
	})
}
