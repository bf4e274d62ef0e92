package clientlist

import "slices"

// with returns a copy of c at version v with the rows changed (new, or
// replacing the row of their client) and the clients gone.
//
// A delta is a handful of rows, but a copy is the whole agency: sorting
// each order again on a new copy's first use cost O(n log n) string
// comparisons per change, so in a soak where an agency grew to thousands
// of clients while they were created and refreshed, the list's cost grew
// with the agency (issue 23). The new copy's orders are made from the old
// ones instead: the rows not touched keep their order, and the few changed
// rows, sorted, are merged in; one pass over the rows.
func (c *listCopy) with(v int64, changed []*memRow, gone []string) *listCopy {
	x := &listCopy{rows: v}
	// The rows the delta replaces or removes.
	out := make(map[*memRow]bool, len(changed)+len(gone))
	inPlace := len(gone) == 0
	for _, r := range changed {
		i, ok := c.pos[r.ID]
		inPlace = inPlace && ok && c.byName[i].SortName == r.SortName
		if ok {
			out[c.byName[i]] = true
		}
	}
	for _, id := range gone {
		if i, ok := c.pos[id]; ok {
			out[c.byName[i]] = true
		}
	}
	if inPlace {
		// The usual delta: refreshed scores. The name order and the
		// positions stay.
		x.byName, x.pos, x.bytes = slices.Clone(c.byName), c.pos, c.bytes
		for _, r := range changed {
			i := c.pos[r.ID]
			x.bytes += r.size() - x.byName[i].size()
			x.byName[i] = r
		}
	} else {
		in := slices.Clone(changed)
		slices.SortFunc(in, nameCmp)
		x.setNameOrder(mergeRows(c.byName, out, in, nameCmp))
	}
	for k := range c.orders {
		o := &c.orders[k]
		o.mu.Lock()
		old := o.rows
		o.mu.Unlock()
		if old == nil {
			continue // sorted on first use
		}
		in := slices.Clone(changed)
		cmpK := keyCmp(k)
		slices.SortFunc(in, cmpK)
		x.orders[k].rows = mergeRows(old, out, in, cmpK)
	}
	return x
}

// mergeRows returns the rows of old (in order by cmp) without those in out,
// merged with in (sorted by cmp).
func mergeRows(old []*memRow, out map[*memRow]bool, in []*memRow, cmp func(a, b *memRow) int) []*memRow {
	rows := make([]*memRow, 0, len(old)+len(in))
	j := 0
	for _, r := range old {
		if out[r] {
			continue
		}
		for j < len(in) && cmp(in[j], r) < 0 {
			rows = append(rows, in[j])
			j++
		}
		rows = append(rows, r)
	}
	return append(rows, in[j:]...)
}
