package account_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// /me answers from the memberships read with the session, without a round
// trip; its bytes are the ones the database's own query gives, in its
// order of names (which on PostgreSQL is the collation's, not Go's), for a
// user in accounts named to sort differently by byte and by collation.
func TestMeFromPreloadedMemberships(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		ctx := context.Background()
		_, uid, _ := s.Signup(t, "Mia", "mia@example.com", "mia's own", "client")
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			for i, name := range []string{"beta", "Beta", "alpha", "Älpha", "_under", "Zed", "zed", "éclair", "Eclair"} {
				kind := "client"
				if i%2 == 0 {
					kind = "agency"
				}
				acc, err := account.Create(ctx, tx, s.Now(), kind, name)
				if err != nil {
					return err
				}
				if err := account.AddMember(ctx, tx, s.Now(), acc.ID, uid, []string{"admin", "member", "viewer"}[i%3]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var stored *string
		if err := s.DB.Get(ctx, &stored, `SELECT `+authz.MembershipsSQL(s.DB.Dialect(), "u.id")+` FROM users u WHERE u.id = ?`, uid); err != nil {
			t.Fatal(err)
		}
		pre := &authz.Actor{UserID: uid, Email: "mia@example.com", Name: "Mia"}
		pre.SetMemberships(stored)
		if !pre.Preloaded() {
			t.Fatal("memberships not preloaded")
		}
		bare := &authz.Actor{UserID: uid, Email: "mia@example.com", Name: "Mia"}
		got, err := account.NewService(s.DB).Me(ctx, pre)
		if err != nil {
			t.Fatal(err)
		}
		want, err := account.NewService(s.DB).Me(ctx, bare)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if !bytes.Equal(g, w) {
			t.Errorf("/me from the session's memberships:\n%s\nfrom the database:\n%s", g, w)
		}
		if len(want.Memberships) != 10 {
			t.Errorf("memberships: %d, want 10", len(want.Memberships))
		}
	})
}
