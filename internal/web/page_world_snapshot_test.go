package web_test

import (
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
	"github.com/liaison-dev/liaison/internal/web"
)

// pageSnapshot is the page walk's world built once (newPageWorld) and
// snapshotted (testkit.Snapshot): each world of the walk is a copy of it,
// on a server of its own, with the same IDs and browser sessions.
type pageSnapshot struct {
	w    *pageWorld // the snapshotted world: its server no longer serves
	snap *testkit.Snapshot
}

func snapshotPageWorld(t *testing.T, e db.Dialect) *pageSnapshot {
	w := newPageWorld(t, e)
	return &pageSnapshot{w: w, snap: w.s.Snapshot(t)}
}

// start returns a fresh world, a copy of the snapshotted one, whose
// personas browse the copy's server with their own sessions (cookies
// copied: what one copy sets stays with it). It stops when the test ends.
func (ps *pageSnapshot) start(t *testing.T) *pageWorld {
	s := ps.snap.Start(t)
	w := *ps.w
	w.s = s
	w.personas = make([]pagePersona, len(ps.w.personas))
	for i, p := range ps.w.personas {
		c := s.Client()
		testkit.CopyCookies(p.v.c, p.v.base, c, s.URL)
		p.v = &visitor{t: t, c: c, base: s.URL}
		w.personas[i] = p
	}
	return &w
}

// walkFresh walks a page that posts on a copy of the world, with a new
// copy whenever the walk wants a fresh world; a world given up stops at
// once, so that its database goes back to the pool.
func (ps *pageSnapshot) walkFresh(t *testing.T, pg web.Page) {
	cur := ps.start(t)
	cur.walk(t, pg, func() *pageWorld {
		cur.s.Stop()
		cur = ps.start(t)
		return cur
	})
}
