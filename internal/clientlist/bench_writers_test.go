package clientlist_test

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	benchseed "github.com/liaison-dev/liaison/bench/clientlist/seed"
	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// BenchmarkTwoAgencyWriters: writers of two agencies change access lists
// (a user added to or removed from a link's access list: a change that
// moves the agency's list version and rebuilds no row) concurrently on
// PostgreSQL, each writer on a link of its own, with synchronous commits
// as in production. With one global version every commit queued on one row
// lock for the length of its commit; with a version per agency only the
// writers of one agency share a row. Figures and the A/B are in
// bench/README.md ("Versions per agency").
//
//	LIAISON_TEST_DATABASE_URL=postgres://… go test -run XXX -bench TwoAgencyWriters -benchtime 2000x ./internal/clientlist/
func BenchmarkTwoAgencyWriters(b *testing.B) {
	u, err := url.Parse(testkit.PostgresSchema(b))
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("synchronous_commit", "on")
	u.RawQuery = q.Encode()
	ctx := context.Background()
	d, err := db.Open(ctx, u.String(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	const perAgency = 16
	type slot struct{ link, user string }
	var slots []slot
	now := clock.Real()
	err = d.InTx(ctx, func(tx *db.Tx) error {
		for a := 0; a < 2; a++ {
			ag, err := account.Create(ctx, tx, now, "agency", fmt.Sprintf("Agency %d", a))
			if err != nil {
				return err
			}
			for i := 0; i < perAgency; i++ {
				c, err := account.Create(ctx, tx, now, "client", fmt.Sprintf("Client %d-%02d", a, i))
				if err != nil {
					return err
				}
				s := slot{link: id.New(id.Link), user: id.New(id.User)}
				if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, 'U', 'x', ?, ?)`,
					s.user, s.user+"@agency.example", now, now); err != nil {
					return err
				}
				if err := account.AddMember(ctx, tx, now, ag.ID, s.user, "member"); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO links (id, agency_id, client_id, status, initiated_by, access_all, created_at)
					VALUES (?, ?, ?, 'active', 'agency', FALSE, ?)`, s.link, ag.ID, c.ID, now); err != nil {
					return err
				}
				slots = append(slots, s)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// Writers alternate between the agencies: slot i is agency i%2's.
	ordered := make([]slot, 0, len(slots))
	for i := 0; i < perAgency; i++ {
		ordered = append(ordered, slots[i], slots[perAgency+i])
	}
	var next atomic.Int64
	b.SetParallelism(8) // 16 writers on 2 cores: they wait on commits, not on the CPU
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		s := ordered[int(next.Add(1)-1)%len(ordered)]
		on := false
		for pb.Next() {
			err := d.InTx(ctx, func(tx *db.Tx) error {
				var err error
				if on {
					_, err = tx.Exec(ctx, `DELETE FROM link_access_users WHERE link_id = ? AND user_id = ?`, s.link, s.user)
				} else {
					_, err = tx.Exec(ctx, `INSERT INTO link_access_users (link_id, user_id) VALUES (?, ?)`, s.link, s.user)
				}
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
			on = !on
		}
	})
}

// BenchmarkReadsWhileAnotherAgencyWrites: a member of an agency of 2,000
// clients reads the list's first page while another agency's writer
// changes its access lists every 2 ms. Before versions per agency every
// such commit made the member's visible clients and counts be read again;
// now the other agency's writes cost the reader nothing (stmts/op stays 1).
//
//	go test -run XXX -bench ReadsWhileAnotherAgencyWrites ./internal/clientlist/   # + LIAISON_TEST_DATABASE_URL
func BenchmarkReadsWhileAnotherAgencyWrites(b *testing.B) {
	for _, e := range testkit.Engines() {
		b.Run(string(e), func(b *testing.B) {
			d := testkit.Open(b, e)
			ctx := context.Background()
			res, err := benchseed.Seed(ctx, d, benchseed.Options{Clients: 2000, OtherAgencies: 1, OtherClients: 50,
				AdminEmail: "bench-admin@example.com", AdminName: "Admin", AgencyName: "Bench Agency", PasswordHash: "x", Seed: 1, Now: clock.Real()})
			if err != nil {
				b.Fatal(err)
			}
			var member, otherLink, otherUser string
			if err := d.Get(ctx, &member, `SELECT MIN(user_id) FROM memberships WHERE account_id = ? AND role = 'member'`, res.AgencyID); err != nil {
				b.Fatal(err)
			}
			if err := d.Get(ctx, &otherLink, `SELECT MIN(id) FROM links WHERE agency_id <> ?`, res.AgencyID); err != nil {
				b.Fatal(err)
			}
			if err := d.Get(ctx, &otherUser, `SELECT MIN(m.user_id) FROM memberships m JOIN links l ON l.agency_id = m.account_id
				WHERE l.id = ? AND NOT EXISTS (SELECT 1 FROM link_access_users x WHERE x.link_id = l.id AND x.user_id = m.user_id)`, otherLink); err != nil {
				b.Fatal(err)
			}
			svc := clientlist.New(d, clock.Real)
			cq := &counting{Querier: d}
			clientlist.SetReader(svc, cq)
			clientlist.ListFromMemory(svc)
			scope := authz.ClientScope{AgencyID: res.AgencyID, UserID: member}
			if _, err := svc.List(ctx, scope, clientlist.ListQuery{}); err != nil {
				b.Fatal(err)
			}
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				tick := time.NewTicker(2 * time.Millisecond)
				defer tick.Stop()
				for on := false; ; on = !on {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
					q := `INSERT INTO link_access_users (link_id, user_id) VALUES (?, ?)`
					if on {
						q = `DELETE FROM link_access_users WHERE link_id = ? AND user_id = ?`
					}
					if _, err := d.Exec(ctx, q, otherLink, otherUser); err != nil {
						b.Error(err)
						return
					}
				}
			}()
			cq.n.Store(0)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := svc.List(ctx, scope, clientlist.ListQuery{}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			close(stop)
			<-done
			b.ReportMetric(float64(cq.n.Load())/float64(b.N), "stmts/op")
		})
	}
}
