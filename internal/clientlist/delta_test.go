package clientlist

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDeltaKeepsOrders: a copy made by with() from one whose orders were
// sorted has every order exactly as sorting its rows afresh gives, over
// random deltas (new rows, renamed rows, rescored rows, rows gone).
func TestDeltaKeepsOrders(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 23))
	row := func(id int) *memRow {
		m := &memRow{}
		m.ID = fmt.Sprintf("acc_%04d", id)
		m.SortName = fmt.Sprintf("name %02d", r.IntN(40)) // ties, broken by ID
		for k := range m.keys {
			m.keys[k] = int64(r.IntN(10))
		}
		return m
	}
	var rows []*memRow
	for i := range 300 {
		rows = append(rows, row(i))
	}
	c := &listCopy{rows: 1}
	c.index(slices.Clone(rows))
	next := 300
	for round := range 300 {
		for k := range c.orders { // some orders sorted, some not yet
			if r.IntN(3) > 0 {
				c.order([]string{"-health", "health", "-last_active", "last_active"}[k])
			}
		}
		var changed []*memRow
		var gone []string
		for range r.IntN(6) {
			switch r.IntN(3) {
			case 0:
				changed = append(changed, row(next))
				next++
			case 1:
				old := c.byName[r.IntN(len(c.byName))]
				m := row(0)
				m.ID = old.ID
				if r.IntN(2) == 0 {
					m.SortName = old.SortName // rescored in place
				}
				if !slices.ContainsFunc(changed, func(x *memRow) bool { return x.ID == m.ID }) {
					changed = append(changed, m)
				}
			default:
				gone = append(gone, c.byName[r.IntN(len(c.byName))].ID)
			}
		}
		x := c.with(c.rows+1, changed, gone)
		want := slices.Clone(x.byName)
		slices.SortFunc(want, nameCmp)
		if !slices.Equal(x.byName, want) {
			t.Fatalf("round %d: the name order is not sorted", round)
		}
		for id, i := range x.pos {
			if x.byName[i].ID != id {
				t.Fatalf("round %d: pos of %s is wrong", round, id)
			}
		}
		if len(x.pos) != len(x.byName) {
			t.Fatalf("round %d: %d positions for %d rows (a client twice?)", round, len(x.pos), len(x.byName))
		}
		for k := range x.orders {
			got := x.order([]string{"-health", "health", "-last_active", "last_active"}[k])
			want := slices.Clone(x.byName)
			slices.SortFunc(want, keyCmp(k))
			if !slices.Equal(got, want) {
				t.Fatalf("round %d: order %d differs from a fresh sort", round, k)
			}
		}
		c = x
	}
}
