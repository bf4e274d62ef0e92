package client_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// A search in name order is answered from the agency's search texts in
// memory (search.go); every page of it, for an admin and for a viewer who
// sees one client in three (so most matches in a batch are not theirs and
// further batches follow), is the page that searching in SQL gives, and
// the statements per page stay few.
func TestSearchFromMemoryMatchesSQL(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		agencyID, adminID, viewerID, brandID := staffedAgency(t, d, "Nike 100%_x", "member")
		seed(t, d, agencyID, brandID, 0, 90)
		// The viewer sees clients 0, 3, 6, … only; a few names are made
		// non-ASCII and equal, so ties and other searches are covered.
		var links []struct {
			ID       string `db:"id"`
			ClientID string `db:"client_id"`
		}
		if err := d.Select(ctx, &links, `SELECT l.id, l.client_id FROM links l JOIN accounts a ON a.id = l.client_id
			WHERE l.agency_id = ? ORDER BY a.name`, agencyID); err != nil || len(links) != 90 {
			t.Fatalf("%d links, %v", len(links), err)
		}
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for i, l := range links {
				if i%3 != 0 {
					if _, err := tx.Exec(ctx, `UPDATE links SET access_all = FALSE WHERE id = ?`, l.ID); err != nil {
						return err
					}
				}
				if i%10 == 7 {
					if _, err := tx.Exec(ctx, `UPDATE accounts SET name = 'Ünïcode Harbor' WHERE id = ?`, l.ClientID); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		memory := client.New(d, clock.Real)
		client.SearchFromMemory(memory)
		cq := &counting{Querier: d}
		client.SetReader(memory, cq)
		inSQL := client.New(d, clock.Real)
		client.SearchInSQL(inSQL)
		scopes := map[string]authz.ClientScope{"admin": {AgencyID: agencyID, UserID: adminID}, "member": {AgencyID: agencyID, UserID: viewerID},
			"admin (All)": {AgencyID: agencyID, UserID: adminID, All: true}}
		searches := []string{"client", "CLIENT 00", "1", "5@ex", "nike", "100%", "%_", "_x", "harbor", "ünïcode", "nothing at all", "u8", "0 "}
		for who, scope := range scopes {
			for _, q := range searches {
				for _, limit := range []int{1, 7, 50} {
					var got, want []string
					cur, wantCur := "", ""
					pages := 0
					for {
						cq.n.Store(0)
						p, err := memory.List(ctx, scope, client.ListQuery{Q: q, Limit: limit, Cursor: cur})
						if err != nil {
							t.Fatal(err)
						}
						if n := cq.n.Load(); n > 6 {
							t.Errorf("%s %q limit %d: %d statements for a page", who, q, limit, n)
						}
						w, err := inSQL.List(ctx, scope, client.ListQuery{Q: q, Limit: limit, Cursor: wantCur})
						if err != nil {
							t.Fatal(err)
						}
						if p.ClientCounts != w.ClientCounts {
							t.Fatalf("%s %q: counts %+v, in SQL %+v", who, q, p.ClientCounts, w.ClientCounts)
						}
						for _, c := range p.Clients {
							got = append(got, c.ID)
						}
						for _, c := range w.Clients {
							want = append(want, c.ID)
						}
						if p.NextCursor != w.NextCursor {
							t.Fatalf("%s %q limit %d page %d: next cursor %q, in SQL %q", who, q, limit, pages, p.NextCursor, w.NextCursor)
						}
						cur, wantCur = p.NextCursor, w.NextCursor
						pages++
						if cur == "" {
							break
						}
					}
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("%s %q limit %d: from memory %v\nin SQL %v", who, q, limit, got, want)
					}
					if q == "client" && limit == 50 {
						wantN := map[string]int{"admin": 81, "admin (All)": 81, "member": 27}[who]
						if len(got) != wantN {
							t.Fatalf("%s %q: %d clients, want %d", who, q, len(got), wantN)
						}
					}
				}
			}
		}
	})
}
