package api_test

import (
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// PATCH /links/{id} {access} (issue 18): agency admins change who sees a
// client after linking; a user who loses sight of it loses it at once, and
// their open Login As on it ends in the same transaction.
func TestLinkAccessChange(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		group := w.s.AddGroup(t, w.agency, "Team Blue", w.viewerID)
		boss, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		var linkID string
		if err := w.s.DB.Get(t.Context(), &linkID, `SELECT id FROM links WHERE agency_id = ? AND client_id = ?`, w.agency, acme); err != nil {
			t.Fatal(err)
		}
		p := "/api/v1/links/" + linkID
		detail := w.clientPath(acme)
		w.member.Must(t, 200, "GET", detail, nil) // entire agency
		// Only agency admins; the client's side and other agencies cannot.
		w.am.Must(t, 403, "PATCH", p, map[string]any{"access": map[string]any{"all": false}})
		boss.Must(t, 403, "PATCH", p, map[string]any{"access": map[string]any{"all": false}})
		w.otherAd.Must(t, 404, "PATCH", p, map[string]any{"access": map[string]any{"all": false}})
		// Bad input: 400, nothing written.
		wantError(t, w.admin.Do(t, "PATCH", p, map[string]any{}), 400, "", "")
		wantError(t, w.admin.Do(t, "PATCH", p, map[string]any{"access": map[string]any{"user_ids": []string{w.otherAdID(t)}}}),
			400, "invalid_access_user_ids", "access.user_ids")
		w.member.Must(t, 200, "GET", detail, nil)

		// The account manager is assigned and in Login As; then the
		// assignment goes (behind the API's back, so that only the access
		// decides) and the access names the member and the group only.
		w.admin.Must(t, 200, "PATCH", detail, map[string]any{"account_manager_ids": []string{w.amID}})
		am := w.s.Login(t, w.email(t, w.amID), testkit.Password)
		am.Must(t, 200, "POST", detail+"/impersonate", nil)
		if _, err := w.s.DB.Exec(t.Context(), `DELETE FROM client_account_managers WHERE user_id = ?`, w.amID); err != nil {
			t.Fatal(err)
		}
		l := w.admin.Must(t, 200, "PATCH", p, map[string]any{"access": map[string]any{"user_ids": []string{w.memberID}, "group_ids": []string{group}}}).Body
		acc := l["access"].(map[string]any)
		if acc["all"] != false || len(acc["user_ids"].([]any)) != 1 || len(acc["group_ids"].([]any)) != 1 {
			t.Fatalf("answer: %v", l)
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM impersonations WHERE impersonator_id = ? AND ended_at IS NOT NULL AND end_reason = 'access_lost'`, w.amID); n != 1 {
			t.Errorf("Login As of the one who lost sight: %d ended", n)
		}
		w.member.Must(t, 200, "GET", detail, nil)
		w.viewer.Must(t, 200, "GET", detail, nil) // through the group
		// Nobody listed: the member loses it at once.
		w.admin.Must(t, 200, "PATCH", p, map[string]any{"access": map[string]any{}})
		w.member.Must(t, 404, "GET", detail, nil)
		w.viewer.Must(t, 404, "GET", detail, nil)
		if n := clAudits(t, w.s, w.agency, "link.access"); n != 2 {
			t.Errorf("%d link.access entries on the agency", n)
		}
		if n := clAudits(t, w.s, acme, "link.access"); n != 0 {
			t.Errorf("the client reads %d link.access entries about the agency's staff", n)
		}
		// The same access again writes nothing.
		w.admin.Must(t, 200, "PATCH", p, map[string]any{"access": map[string]any{}})
		if n := clAudits(t, w.s, w.agency, "link.access"); n != 2 {
			t.Errorf("a change to nothing was audited: %d", n)
		}
	})
}

func (w *clWorld) otherAdID(t *testing.T) string {
	t.Helper()
	var id string
	if err := w.s.DB.Get(t.Context(), &id, `SELECT id FROM users WHERE email = 'bob@example.com'`); err != nil {
		t.Fatal(err)
	}
	return id
}

func (w *clWorld) email(t *testing.T, userID string) string {
	t.Helper()
	var e string
	if err := w.s.DB.Get(t.Context(), &e, `SELECT email FROM users WHERE id = ?`, userID); err != nil {
		t.Fatal(err)
	}
	return e
}

// Invite client chooses who sees the client it creates, as Add client does;
// an existing client keeps its sharing (400).
func TestInviteClientAccess(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		base := "/api/v1/agencies/" + w.agency + "/invitations"
		inv := w.admin.Must(t, 201, "POST", base, map[string]any{"email": "carla@client.example", "access": map[string]any{"user_ids": []string{w.memberID}}}).Body
		c := inv["client_account_id"].(string)
		w.member.Must(t, 200, "GET", w.clientPath(c), nil)
		w.viewer.Must(t, 404, "GET", w.clientPath(c), nil)
		wantError(t, w.admin.Do(t, "POST", base, map[string]any{"email": "dora@client.example", "access": map[string]any{"user_ids": []string{"usr_nobody"}}}),
			400, "invalid_access_user_ids", "access.user_ids")
		if n := count(t, w.s, `SELECT COUNT(*) FROM invitations WHERE email = 'dora@client.example'`); n != 0 {
			t.Errorf("a refused invitation was written")
		}
		wantError(t, w.admin.Do(t, "POST", base, map[string]any{"email": "erin@client.example", "client_account_id": c, "access": map[string]any{"all": true}}),
			400, "", "access")
		// Without access: admins and account managers only, as before.
		c2 := w.admin.Must(t, 201, "POST", base, map[string]any{"email": "fay@client.example"}).Body["client_account_id"].(string)
		w.member.Must(t, 404, "GET", w.clientPath(c2), nil)
	})
}
