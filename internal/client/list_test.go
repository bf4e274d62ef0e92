package client_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// counting counts the statements run through it.
type counting struct {
	db.Querier
	n atomic.Int64
}

func (c *counting) Get(ctx context.Context, dest any, q string, args ...any) error {
	c.n.Add(1)
	return c.Querier.Get(ctx, dest, q, args...)
}

func (c *counting) Select(ctx context.Context, dest any, q string, args ...any) error {
	c.n.Add(1)
	return c.Querier.Select(ctx, dest, q, args...)
}

func (c *counting) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	c.n.Add(1)
	return c.Querier.Exec(ctx, q, args...)
}

// seed adds n clients linked to the agency (entire agency), each with one
// admin and one granted brand.
func seed(t *testing.T, d *db.DB, agencyID, brandID string, from, n int) {
	t.Helper()
	ctx := context.Background()
	now := clock.Real()
	err := d.InTx(ctx, func(tx *db.Tx) error {
		for i := from; i < from+n; i++ {
			c, err := account.Create(ctx, tx, now, "client", fmt.Sprintf("Client %04d", i))
			if err != nil {
				return err
			}
			uid := id.New(id.User)
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?)`,
				uid, fmt.Sprintf("u%d@example.com", i), "User", now, now); err != nil {
				return err
			}
			if err := account.AddMember(ctx, tx, now, c.ID, uid, "admin"); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO links (id, agency_id, client_id, status, initiated_by, access_all, created_at)
				VALUES (?, ?, ?, 'active', 'agency', TRUE, ?)`, id.New(id.Link), agencyID, c.ID, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO agency_clients (agency_id, client_id, created_at, updated_at) VALUES (?, ?, ?, ?)`,
				agencyID, c.ID, now, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`, c.ID, brandID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The list costs the same number of statements whatever the page size and
// however deep the page: no query per row (brands and counts are batched)
// and no OFFSET.
func TestListStatementsDoNotGrowWithRows(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := clock.Real()
		var agencyID, userID, brandID string
		err := d.InTx(ctx, func(tx *db.Tx) error {
			ag, err := account.Create(ctx, tx, now, "agency", "Agency")
			if err != nil {
				return err
			}
			agencyID, userID, brandID = ag.ID, id.New(id.User), id.New(id.Brand)
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, 'a@example.com', 'A', 'x', ?, ?)`,
				userID, now, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO brands (id, agency_id, name, name_key, created_at, updated_at) VALUES (?, ?, 'Nike', 'nike', ?, ?)`,
				brandID, agencyID, now, now); err != nil {
				return err
			}
			return account.AddMember(ctx, tx, now, agencyID, userID, "viewer")
		})
		if err != nil {
			t.Fatal(err)
		}
		svc := client.New(d, clock.Real)
		cq := &counting{Querier: d}
		client.SetReader(svc, cq)
		scope := authz.ClientScope{AgencyID: agencyID, UserID: userID}
		run := func(q client.ListQuery) (client.ClientPage, int64) {
			t.Helper()
			cq.n.Store(0)
			p, err := svc.List(ctx, scope, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Clients {
				if len(it.Brands) != 1 || it.Users != 1 || it.Email == nil {
					t.Fatalf("item not filled in: %+v", it)
				}
			}
			return p, cq.n.Load()
		}
		seed(t, d, agencyID, brandID, 0, 10)
		_, small := run(client.ListQuery{Limit: 200})
		seed(t, d, agencyID, brandID, 10, 390)
		p, large := run(client.ListQuery{Limit: 200})
		if len(p.Clients) != 200 || p.ClientCounts.All != 400 {
			t.Fatalf("%d clients, counts %+v", len(p.Clients), p.ClientCounts)
		}
		if small != large || large > 3 {
			t.Fatalf("statements: %d for 10 clients, %d for a page of 200", small, large)
		}
		// A deep page: the same statements, and the keyset picks up where
		// the first page stopped.
		p2, deep := run(client.ListQuery{Limit: 200, Cursor: p.NextCursor})
		if deep != large || len(p2.Clients) != 200 || p2.Clients[0].Name != "Client 0200" || p2.NextCursor != "" {
			t.Fatalf("second page: %d statements, %d clients, first %q, next %q", deep, len(p2.Clients), p2.Clients[0].Name, p2.NextCursor)
		}
		// Timing as a sanity check on the plan, generous enough for a slow
		// machine: a page of 200 out of 400 should take well under a second.
		start := time.Now()
		run(client.ListQuery{Limit: 200, Sort: "-health", Q: "client"})
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("a page took %v", el)
		}
	})
}
