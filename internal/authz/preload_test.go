package authz_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// The memberships read with the session (authz.MembershipsSQL) give
// RelationTo exactly the answers the database gives without them, for every
// kind of standing: own agency and client roles, a client its agency has
// disabled (its members do not see it), a client seen through a link, a
// stranger's account, and a user with too many memberships to preload.
func TestPreloadedMembershipsAnswerAsTheDatabase(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		z := authz.New(s.DB)
		ctx := context.Background()
		_, adminID, agency := s.Signup(t, "Admin", "admin@example.com", "Agency", "agency")
		_, ownerID, client := s.Signup(t, "Client", "client@example.com", "Client", "client")
		_, closedOwner, closed := s.Signup(t, "Closed", "closed@example.com", "Closed", "client")
		_, _, stranger := s.Signup(t, "Stranger", "stranger@example.com", "Stranger", "agency")
		_, viewerID, _ := s.Signup(t, "Viewer", "viewer@example.com", "Viewer Own", "client")
		s.AddMember(t, agency, viewerID, "viewer")
		s.AddMember(t, client, viewerID, "member")
		s.AddLink(t, testkit.LinkFixture{AgencyID: agency, ClientID: client})
		s.AddLink(t, testkit.LinkFixture{AgencyID: agency, ClientID: closed})
		if _, err := s.DB.Exec(ctx, `UPDATE agency_clients SET enabled = FALSE WHERE client_id = ?`, closed); err != nil {
			t.Fatal(err)
		}
		// A user in more accounts than are preloaded.
		_, manyID, _ := s.Signup(t, "Many", "many@example.com", "Many Own", "client")
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			for i := range 70 {
				acc, err := account.Create(ctx, tx, s.Now(), "client", fmt.Sprintf("Other %d", i))
				if err != nil {
					return err
				}
				if err := account.AddMember(ctx, tx, s.Now(), acc.ID, manyID, "member"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		accounts := []string{agency, client, closed, stranger}
		preloaded := func(userID string) *authz.Actor {
			t.Helper()
			var stored *string
			if err := s.DB.Get(ctx, &stored, `SELECT `+authz.MembershipsSQL(s.DB.Dialect(), "u.id")+` FROM users u WHERE u.id = ?`, userID); err != nil {
				t.Fatal(err)
			}
			a := &authz.Actor{UserID: userID}
			a.SetMemberships(stored)
			return a
		}
		for _, u := range []string{adminID, ownerID, closedOwner, viewerID, manyID} {
			withPreload := preloaded(u)
			if want := u != manyID; withPreload.Preloaded() != want {
				t.Fatalf("user %s: preloaded %v, want %v", u, withPreload.Preloaded(), want)
			}
			for _, acc := range accounts {
				got, err := z.RelationTo(ctx, withPreload, acc)
				if err != nil {
					t.Fatal(err)
				}
				want, err := z.RelationTo(ctx, &authz.Actor{UserID: u}, acc)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("user %s on %s: preloaded %+v, database %+v", u, acc, got, want)
				}
			}
		}
		// The closed client's own admin is a member but does not see it;
		// the agency admin sees it through the link.
		if m, ok := preloaded(closedOwner).MembershipOn(closed); !ok || !m.Closed || m.Role != "admin" || m.Kind != "client" {
			t.Errorf("closed client's membership: %+v %v", m, ok)
		}
		if rel, _ := z.RelationTo(ctx, preloaded(adminID), closed); rel.Role != authz.LinkedAdmin {
			t.Errorf("agency admin on its disabled client: %+v", rel)
		}
	})
}
