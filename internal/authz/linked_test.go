package authz_test

import (
	"context"
	"testing"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Each way of seeing a linked client, and each way of not seeing it.
func TestWhoSeesALinkedClient(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		z := authz.New(s.DB)
		ctx := context.Background()
		_, adminID, agency := s.Signup(t, "Admin", "admin@example.com", "Agency", "agency")
		_, _, client := s.Signup(t, "Client", "client@example.com", "Client", "client")
		user := func(name, role string) string {
			_, uid, _ := s.Signup(t, name, name+"@example.com", name+" Own", "client")
			s.AddMember(t, agency, uid, role)
			return uid
		}
		listed, grouped, assigned := user("listed", "member"), user("grouped", "viewer"), user("assigned", "account_manager")
		amUnassigned, outsider := user("amfree", "account_manager"), user("outsider", "member")
		g := s.AddGroup(t, agency, "G", grouped)
		s.AddLink(t, testkit.LinkFixture{AgencyID: agency, ClientID: client, AccessUsers: []string{listed, amUnassigned},
			AccessGroups: []string{g}, AccountManagers: []string{assigned}})
		cases := []struct {
			user string
			want authz.Role
		}{
			{adminID, authz.LinkedAdmin},
			{listed, authz.LinkedMember},
			{grouped, authz.LinkedViewer},
			{assigned, authz.LinkedAccountManager},
			{amUnassigned, authz.LinkedMember}, // sees it through the list, but is not its account manager
			{outsider, ""},
		}
		for _, c := range cases {
			rel, err := z.RelationTo(ctx, &authz.Actor{UserID: c.user}, client)
			if err != nil || rel.Role != c.want {
				t.Errorf("user %s: role %q (%v), want %q", c.user, rel.Role, err, c.want)
			}
			_, err = z.CheckClientOf(ctx, &authz.Actor{UserID: c.user}, agency, client, authz.ClientView)
			if (c.want == "") != errs.Is(err, errs.NotFound) {
				t.Errorf("user %s: CheckClientOf %v", c.user, err)
			}
		}
		// Impersonation-level actions: the assigned account manager may, the
		// unassigned one may not.
		if _, err := z.CheckClientOf(ctx, &authz.Actor{UserID: assigned}, agency, client, authz.ClientImpersonate); err != nil {
			t.Errorf("assigned AM: %v", err)
		}
		if _, err := z.CheckClientOf(ctx, &authz.Actor{UserID: amUnassigned}, agency, client, authz.ClientImpersonate); !errs.Is(err, errs.Forbidden) {
			t.Errorf("unassigned AM: %v", err)
		}
		// A disconnected link shows nothing, even to the agency admin.
		if _, err := s.DB.Exec(ctx, `UPDATE links SET status = 'disconnected'`); err != nil {
			t.Fatal(err)
		}
		if rel, _ := z.RelationTo(ctx, &authz.Actor{UserID: adminID}, client); rel.Visible() {
			t.Errorf("disconnected client still visible: %+v", rel)
		}
	})
}
