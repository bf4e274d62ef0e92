package clientlist

import (
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// copies holds the latest copy per agency, at most maxCopyBytes of them
// (10,000 clients take about 5 MB): past that, the copies read least
// recently are dropped. Concurrent readers of a missing copy share one
// load.
type copies struct {
	mu    sync.Mutex
	m     map[string]*heldCopy
	bytes int
	tick  int64 // counts reads, for the last-read order
	loads singleflight.Group
}

type heldCopy struct {
	c    *listCopy
	read int64 // tick of its last read
	// st is the state c was last read at, under list generation gen
	// (db.ListGeneration; currentCopy).
	st       listState
	gen      uint64
	hasState bool
}

// current returns the agency's copy and its state when both were read
// under list generation gen and no row is due at now.
func (c *copies) current(agencyID string, gen uint64, now time.Time) (*listCopy, listState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.m[agencyID]
	if h == nil || !h.hasState || h.gen != gen || h.st.dead || IsDue(h.st.due, now) {
		return nil, listState{}, false
	}
	c.tick++
	h.read = c.tick
	return h.c, h.st, true
}

// remember records the state x was read at, if x is still the copy held.
func (c *copies) remember(agencyID string, x *listCopy, st listState, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.m[agencyID]; h != nil && h.c == x && (!h.hasState || gen >= h.gen) {
		h.st, h.gen, h.hasState = st, gen, true
	}
}

var maxCopyBytes = 32 << 20 // a variable for the eviction test

func (c *copies) get(agencyID string) *listCopy {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.m[agencyID]
	if h == nil {
		return nil
	}
	c.tick++
	h.read = c.tick
	return h.c
}

// put keeps x unless a copy as new or newer is there already, and returns
// the copy of x's versions to use: the one kept, so that concurrent
// requests share its sorted orders.
func (c *copies) put(agencyID string, x *listCopy) *listCopy {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*heldCopy{}
	}
	c.tick++
	h := c.m[agencyID]
	if h != nil && h.c.rows >= x.rows {
		h.read = c.tick
		if h.c.rows == x.rows {
			return h.c
		}
		return x
	}
	if h != nil {
		c.bytes -= h.c.bytes
		delete(c.m, agencyID)
	}
	for c.bytes+x.bytes > maxCopyBytes && len(c.m) > 0 {
		oldest := ""
		for id, o := range c.m {
			if oldest == "" || o.read < c.m[oldest].read {
				oldest = id
			}
		}
		c.bytes -= c.m[oldest].c.bytes
		delete(c.m, oldest)
	}
	c.m[agencyID] = &heldCopy{c: x, read: c.tick}
	c.bytes += x.bytes
	return x
}
