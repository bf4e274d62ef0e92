package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// addMembership makes the user of the address a member of a new account.
// Test setup only: the pages themselves never reach storage; they get
// memberships once invitations exist.
func addMembership(t *testing.T, s *testkit.Server, email, kind, name, role string) string {
	t.Helper()
	ctx := context.Background()
	var accID string
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var u struct {
			ID string `db:"id"`
		}
		if err := tx.Get(ctx, &u, `SELECT id FROM users WHERE email = ?`, email); err != nil {
			return err
		}
		acc, err := account.Create(ctx, tx, time.Now(), kind, name)
		if err != nil {
			return err
		}
		accID = acc.ID
		return account.AddMember(ctx, tx, time.Now(), acc.ID, u.ID, role)
	})
	if err != nil {
		t.Fatal(err)
	}
	return accID
}

func TestAccountSwitcherAndNoAccount(t *testing.T) {
	s, v := loggedIn(t)
	v.get("/app").expect(t, "one account", 200, "Analytical Agency")
	if strings.Contains(v.get("/app").body, `id="account-switch"`) {
		t.Fatal("a user in one account sees a switcher")
	}
	client := addMembership(t, s, adminEmail, account.Client, "Zeta Client", "member")

	a := v.get("/app")
	a.expect(t, "two accounts", 200, `<select id="account-switch" name="account_id" data-autosubmit>`,
		"Zeta Client · Client", "Analytical Agency · Agency", `action="/app/switch"`)
	v.post("/app/switch", url.Values{"account_id": {client}}).redirects(t, "switch", "/app")
	a = v.get("/app")
	a.expect(t, "after the switch", 200, "Your portal", "Zeta Client")
	if strings.Contains(a.body, `href="/app/clients"`) {
		t.Fatal("the client portal shows the agency navigation")
	}
	v.get("/app/clients").expect(t, "agency section from a client account", 404, "Page not found")

	v.post("/app/switch", url.Values{"account_id": {"acc_notmine"}}).redirects(t, "switch to a stranger", "/app")
	v.get("/app").expect(t, "after a refused switch", 200, "That account is not one of yours any more.", "Zeta Client")

	if _, err := s.DB.Exec(context.Background(), `DELETE FROM memberships`); err != nil {
		t.Fatal(err)
	}
	a = v.get("/app")
	a.expect(t, "no account", 200, "You are not in any account yet", "Ada Lovelace", "/app/sessions")
	if strings.Contains(a.body, `href="/app/clients"`) {
		t.Fatal("a user in no account sees the agency navigation")
	}
	v.get("/app/tokens").expect(t, "tokens with no account", 200, "API tokens")
}
