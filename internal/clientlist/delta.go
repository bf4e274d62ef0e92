package clientlist

// with returns a copy of c at version v with the rows changed (new, or
// replacing the row of their client) and the clients gone.
//
// A delta is a handful of rows, but a copy is the whole agency. Sorting
// each order again on a new copy's first use cost O(n log n) per change,
// and cloning the orders row by row O(n): in a soak where an agency grew
// to thousands of clients while they were created and refreshed, the
// list's cost grew with the agency (issue 23). Each order is a rowList
// instead: the new copy shares every chunk of rows the delta does not
// touch, and takes each changed row out of its chunk and puts it in its
// place, so a change costs a few chunks and the list of chunks.
func (c *listCopy) with(v int64, changed []*memRow, gone []string) *listCopy {
	x := &listCopy{rows: v, bytes: c.bytes}
	// The rows the delta replaces or removes, as c holds them, once each.
	var out []*memRow
	seen := make(map[*memRow]bool, len(changed)+len(gone))
	for _, r := range changed {
		if old := c.byID.find(r, idCmp); old != nil && !seen[old] {
			out, seen[old] = append(out, old), true
		}
	}
	for _, id := range gone {
		if old := c.byID.find(&memRow{listRow: listRow{ID: id}}, idCmp); old != nil && !seen[old] {
			out, seen[old] = append(out, old), true
		}
	}
	if len(changed)+len(out) > c.byName.n/8+64 {
		// A bulk change: made afresh, as a load would.
		rows := make([]*memRow, 0, c.byName.n+len(changed))
		c.byName.each(0, 0, nil, func(r *memRow) bool {
			if !seen[r] {
				rows = append(rows, r)
			}
			return true
		})
		x.index(append(rows, changed...))
		return x
	}
	apply := func(l *rowList, cmp func(a, b *memRow) int) *rowList {
		l = l.clone()
		for _, r := range out {
			l.remove(r, cmp)
		}
		for _, r := range changed {
			l.insert(r, cmp)
		}
		return l
	}
	x.byName, x.byID = apply(c.byName, nameCmp), apply(c.byID, idCmp)
	for _, r := range out {
		x.bytes -= r.size()
	}
	for _, r := range changed {
		x.bytes += r.size()
	}
	for k := range c.orders {
		if old := c.orders[k].rows.Load(); old != nil {
			x.orders[k].rows.Store(apply(old, keyCmp(k)))
		} // else sorted on first use
	}
	return x
}
