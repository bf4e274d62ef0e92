package clientlist

import (
	"slices"
	"sort"
	"sync/atomic"
)

// rowList is a copy's rows in one order, kept in chunks of at most
// 2×chunkRows rows, so that a copy made from another by a delta shares
// every chunk the delta does not touch: a change costs the chunks it
// touches and the list of chunks (n/chunkRows pointers), not the whole
// agency (issue 23: the copy was cloned row by row on every client
// created, 10,000 rows per change at 10,000 clients).
//
// A rowList is never changed once a copy holding it is shared: readers
// walk it without a lock. A delta changes a clone (clone), whose chunk
// list is its own and whose changed chunks are new.
type rowList struct {
	chunks []*chunk
	n      int
}

// chunkRows is a chunk's size when made; a chunk splits past twice that.
var chunkRows = 128 // a variable for the tests, which make chunks small

// chunk is a run of consecutive rows. Its rows never change; counts
// remembers what it counted for the last searches (memoryCounts), so a
// count after a change recounts only the chunks the change made.
type chunk struct {
	rows   []*memRow
	counts atomic.Pointer[[]chunkCount]
}

// chunkCount is a chunk's counts for one search and enabled filter.
type chunkCount struct {
	needle         string
	filtered, want bool
	counts         ClientCounts
}

// newRowList makes a rowList of rows, which are in order.
func newRowList(rows []*memRow) *rowList {
	l := &rowList{n: len(rows)}
	for len(rows) > 0 {
		n := min(chunkRows, len(rows))
		l.chunks = append(l.chunks, &chunk{rows: rows[:n:n]})
		rows = rows[n:]
	}
	return l
}

// clone returns a rowList with the same rows whose chunk list can be
// changed (insert, remove) without changing l.
func (l *rowList) clone() *rowList {
	return &rowList{chunks: slices.Clone(l.chunks), n: l.n}
}

// slice returns the rows in order, in a new slice.
func (l *rowList) slice() []*memRow {
	out := make([]*memRow, 0, l.n)
	for _, c := range l.chunks {
		out = append(out, c.rows...)
	}
	return out
}

// seek returns the place of the first row for which past is true; past
// is false for every row before it and true for every row from it on.
func (l *rowList) seek(past func(*memRow) bool) (ci, i int) {
	ci = sort.Search(len(l.chunks), func(j int) bool {
		rows := l.chunks[j].rows
		return past(rows[len(rows)-1])
	})
	if ci == len(l.chunks) {
		return ci, 0
	}
	rows := l.chunks[ci].rows
	return ci, sort.Search(len(rows), func(j int) bool { return past(rows[j]) })
}

// each calls fn on the rows from place (ci, i) on, in order, until fn
// returns false, leaving out the chunks skip (nil: none) says hold no row
// fn wants.
func (l *rowList) each(ci, i int, skip func(*chunk) bool, fn func(*memRow) bool) {
	for ; ci < len(l.chunks); ci, i = ci+1, 0 {
		if skip != nil && skip(l.chunks[ci]) {
			continue
		}
		for _, r := range l.chunks[ci].rows[i:] {
			if !fn(r) {
				return
			}
		}
	}
}

// find returns the row equal to r by cmp, if any.
func (l *rowList) find(r *memRow, cmp func(a, b *memRow) int) *memRow {
	ci, i := l.seek(func(x *memRow) bool { return cmp(x, r) >= 0 })
	if ci < len(l.chunks) {
		if x := l.chunks[ci].rows[i]; cmp(x, r) == 0 {
			return x
		}
	}
	return nil
}

// insert adds r in its place by cmp; l must be a clone.
func (l *rowList) insert(r *memRow, cmp func(a, b *memRow) int) {
	l.n++
	if len(l.chunks) == 0 {
		l.chunks = []*chunk{{rows: []*memRow{r}}}
		return
	}
	ci, i := l.seek(func(x *memRow) bool { return cmp(x, r) >= 0 })
	if ci == len(l.chunks) { // after every row: at the end of the last chunk
		ci--
		i = len(l.chunks[ci].rows)
	}
	old := l.chunks[ci].rows
	rows := make([]*memRow, 0, len(old)+1)
	rows = append(append(append(rows, old[:i]...), r), old[i:]...)
	if len(rows) <= 2*chunkRows {
		l.chunks[ci] = &chunk{rows: rows}
		return
	}
	h := len(rows) / 2
	l.chunks = slices.Insert(l.chunks, ci+1, &chunk{rows: rows[h:]})
	l.chunks[ci] = &chunk{rows: rows[:h:h]}
}

// remove takes out the row equal to r by cmp, if any; l must be a clone.
func (l *rowList) remove(r *memRow, cmp func(a, b *memRow) int) {
	ci, i := l.seek(func(x *memRow) bool { return cmp(x, r) >= 0 })
	if ci == len(l.chunks) || cmp(l.chunks[ci].rows[i], r) != 0 {
		return
	}
	l.n--
	old := l.chunks[ci].rows
	if len(old) == 1 {
		l.chunks = slices.Delete(l.chunks, ci, ci+1)
		return
	}
	rows := make([]*memRow, 0, len(old)-1)
	l.chunks[ci] = &chunk{rows: append(append(rows, old[:i]...), old[i+1:]...)}
}

// count returns the chunk's counts of the rows that pass the enabled
// filter and the search (lower-cased ASCII, "" for none), from its memory
// of the last few searches when it has them.
func (c *chunk) count(needle string, filtered, want bool) ClientCounts {
	held := c.counts.Load()
	if held != nil {
		for _, e := range *held {
			if e.needle == needle && e.filtered == filtered && e.want == want {
				return e.counts
			}
		}
	}
	var n ClientCounts
	for _, r := range c.rows {
		if (!filtered || r.Enabled == want) && r.shown(needle, nil) {
			n.add(r.Status, 1)
		}
	}
	// Remember the last few searches: a new slice, as readers may be
	// walking the one held. The counts without a search are never
	// dropped for a search's: they are every list page's, and a chunk
	// that forgot them was counted again, row by row, by the next page
	// after any change — with more distinct searches than the chunk
	// remembered (issue 23's soak: ten words), every chunk of the agency
	// on every page (TestChunkKeepsCountsWithoutSearch).
	next := make([]chunkCount, 0, maxChunkCounts+1)
	if held != nil {
		searches := 0
		for _, e := range *held {
			if e.needle != "" {
				searches++
			}
		}
		drop := searches - maxChunkCounts + 1 // the oldest searches, when needle is one
		if needle == "" {
			drop = 0
		}
		for _, e := range *held {
			if e.needle != "" && drop > 0 {
				drop--
				continue
			}
			next = append(next, e)
		}
	}
	next = append(next, chunkCount{needle: needle, filtered: filtered, want: want, counts: n})
	c.counts.Store(&next)
	return n
}

// maxChunkCounts is how many searches a chunk remembers counts for,
// besides the counts without a search (one per enabled filter: at most three).
const maxChunkCounts = 16

// of returns the count of a status ("all": every client), and false for a
// status it does not count.
func (c ClientCounts) of(status string) (int, bool) {
	switch status {
	case "all":
		return c.All, true
	case "pending":
		return c.Pending, true
	case "link_invite":
		return c.LinkInvite, true
	case "active":
		return c.Active, true
	case "at_risk":
		return c.AtRisk, true
	case "churned":
		return c.Churned, true
	case "revoked":
		return c.Revoked, true
	}
	return 0, false
}

// plus adds the counts of o to c.
func (c *ClientCounts) plus(o ClientCounts) {
	c.All += o.All
	c.Pending += o.Pending
	c.LinkInvite += o.LinkInvite
	c.Active += o.Active
	c.AtRisk += o.AtRisk
	c.Churned += o.Churned
	c.Revoked += o.Revoked
}
