package client_test

import (
	"context"
	"errors"
	"testing"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/health"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Reads do not need the writer: when the refresh of the due rows fails (a
// full disk, a read-only database), the detail answers from the row it has
// with its status and last activity computed in memory — what the refresh
// would have stored.
func TestDetailAnswersWhenTheRefreshFails(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		_, _, agency := s.Signup(t, "Ada Admin", "ada@example.com", "Agency A", "agency")
		_, _, acme := s.Signup(t, "Cleo Client", "cleo@acme.example", "Acme", "client")
		s.AddLink(t, testkit.LinkFixture{AgencyID: agency, ClientID: acme, AccessAll: true})
		svc := client.New(s.DB, s.Now)
		rel := authz.Relation{AccountID: acme, AccountKind: "client", Role: authz.LinkedAdmin, AgencyID: agency}
		if _, err := svc.Get(context.Background(), rel); err != nil { // the row is stored and valid
			t.Fatal(err)
		}
		s.Clock.Advance(20 * health.Day) // at risk: no login for 14 days

		full := errors.New("disk full")
		failing := db.WithBeforeCommit(context.Background(), func(context.Context, *db.Tx) error { return full })
		d, err := svc.Get(failing, rel)
		if err != nil {
			t.Fatalf("detail while the database takes no writes: %v", err)
		}
		if d.Status != "at_risk" || d.LastActiveAt == nil {
			t.Fatalf("detail computed in memory: status %s, last active %v", d.Status, d.LastActiveAt)
		}
		// The stored row is still due, and the next read that may write
		// stores what the failing one computed.
		d2, err := svc.Get(context.Background(), rel)
		if err != nil || d2.Status != d.Status || !d2.LastActiveAt.Equal(*d.LastActiveAt) {
			t.Fatalf("after: %+v %v", d2, err)
		}
	})
}
