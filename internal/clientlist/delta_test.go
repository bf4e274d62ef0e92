package clientlist

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDeltaKeepsOrders: a copy made by with() from one whose orders were
// sorted has every order exactly as sorting its rows afresh gives, over
// random deltas (new rows, renamed rows, rescored rows, rows gone, now and
// then a bulk change); the
// copy it was made from is unchanged (the two share chunks); and the
// counts kept per chunk are those of counting the rows afresh. Chunks are
// made small so that they split and empty.
func TestDeltaKeepsOrders(t *testing.T) {
	defer func(n int) { chunkRows = n }(chunkRows)
	chunkRows = 4
	r := rand.New(rand.NewPCG(7, 23))
	statuses := []string{"active", "pending", "at_risk", "churned"}
	row := func(id int) *memRow {
		m := &memRow{}
		m.ID = fmt.Sprintf("acc_%04d", id)
		m.SortName = fmt.Sprintf("name %02d", r.IntN(40)) // ties, broken by ID
		m.search = m.SortName
		m.Status = statuses[r.IntN(len(statuses))]
		m.Enabled = r.IntN(2) == 0
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
	sortNames := []string{"-health", "health", "-last_active", "last_active"}
	next := 300
	for round := range 400 {
		for k := range c.orders { // some orders sorted, some not yet
			if r.IntN(3) > 0 {
				c.order(sortNames[k])
			}
		}
		names := c.byName.slice()
		var changed []*memRow
		var gone []string
		for range r.IntN(8) {
			switch r.IntN(3) {
			case 0:
				changed = append(changed, row(next))
				next++
			case 1:
				if len(names) == 0 {
					continue
				}
				old := names[r.IntN(len(names))]
				m := row(0)
				m.ID = old.ID
				if r.IntN(2) == 0 {
					m.SortName = old.SortName // rescored in place
				}
				if !slices.ContainsFunc(changed, func(x *memRow) bool { return x.ID == m.ID }) && !slices.Contains(gone, m.ID) {
					changed = append(changed, m)
				}
			default:
				if len(names) == 0 {
					continue
				}
				id := names[r.IntN(len(names))].ID
				if !slices.ContainsFunc(changed, func(x *memRow) bool { return x.ID == id }) && !slices.Contains(gone, id) {
					gone = append(gone, id)
				}
			}
		}
		if round%37 == 36 { // a bulk change, made afresh
			for range 80 + len(names)/8 {
				changed = append(changed, row(next))
				next++
			}
		}
		var before [4][]*memRow
		for k := range c.orders {
			if l := c.orders[k].rows.Load(); l != nil {
				before[k] = l.slice()
			}
		}
		x := c.with(c.rows+1, changed, gone)
		if !slices.Equal(c.byName.slice(), names) {
			t.Fatalf("round %d: with() changed the copy it was made from", round)
		}
		for k := range c.orders {
			if l := c.orders[k].rows.Load(); l != nil && !slices.Equal(l.slice(), before[k]) {
				t.Fatalf("round %d: with() changed order %d of the copy it was made from", round, k)
			}
		}
		// The rows x must hold: c's, without the changed and gone
		// clients, with the changed rows.
		want := map[string]*memRow{}
		for _, m := range names {
			want[m.ID] = m
		}
		for _, id := range gone {
			delete(want, id)
		}
		for _, m := range changed {
			want[m.ID] = m
		}
		wantRows := make([]*memRow, 0, len(want))
		for _, m := range want {
			wantRows = append(wantRows, m)
		}
		check := func(what string, l *rowList, cmp func(a, b *memRow) int) {
			t.Helper()
			w := slices.Clone(wantRows)
			slices.SortFunc(w, cmp)
			if got := l.slice(); !slices.Equal(got, w) || l.n != len(w) {
				t.Fatalf("round %d: %s: %d rows (n %d), want %d in a fresh sort's order", round, what, len(got), l.n, len(w))
			}
			for _, ch := range l.chunks {
				if len(ch.rows) == 0 || len(ch.rows) > 2*chunkRows {
					t.Fatalf("round %d: %s: a chunk of %d rows", round, what, len(ch.rows))
				}
			}
		}
		check("name order", x.byName, nameCmp)
		check("ID order", x.byID, idCmp)
		for k := range x.orders {
			check(sortNames[k], x.order(sortNames[k]), keyCmp(k))
		}
		size := 0
		for _, m := range wantRows {
			size += m.size()
		}
		if x.bytes != size {
			t.Fatalf("round %d: %d bytes, want %d", round, x.bytes, size)
		}
		for _, q := range []ListQuery{{}, {Q: "name 1"}, {Q: "name 2", Enabled: "true"}, {Enabled: "false"}} {
			var got, w ClientCounts
			filtered, wantEnabled := q.enabledFilter()
			for _, ch := range x.byName.chunks {
				got.plus(ch.count(q.Q, filtered, wantEnabled))
			}
			for _, m := range wantRows {
				if (!filtered || m.Enabled == wantEnabled) && m.shown(q.Q, nil) {
					w.add(m.Status, 1)
				}
			}
			if got != w {
				t.Fatalf("round %d: counts of %+v: %+v, want %+v", round, q, got, w)
			}
		}
		// Pages with a filter or a search skip chunks by their counts:
		// they hold the rows a walk of every row finds.
		for _, q := range []ListQuery{{Status: "active", Limit: 5}, {Status: "churned", Q: "name 1", Limit: 3, Sort: "-health"},
			{Status: "all", Q: "name 3", Limit: 4, Sort: "last_active"}, {Status: "pending", Enabled: "true", Limit: 50}} {
			var wantIDs, gotIDs []string
			filtered, wantEnabled := q.enabledFilter()
			for _, m := range x.order(q.Sort).slice() {
				if (q.Status == "all" || m.Status == q.Status) && (!filtered || m.Enabled == wantEnabled) && m.shown(q.Q, nil) && len(wantIDs) <= q.Limit {
					wantIDs = append(wantIDs, m.ID)
				}
			}
			for _, m := range x.page(q, nil, q.Q, nil, 0) {
				gotIDs = append(gotIDs, m.ID)
			}
			if !slices.Equal(gotIDs, wantIDs) {
				t.Fatalf("round %d: page of %+v: %v, want %v", round, q, gotIDs, wantIDs)
			}
		}
		c = x
	}
}
