package api_test

import (
	"testing"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// worldSnapshot is a world built once (newWorldWith) and snapshotted
// (testkit.Snapshot): each fresh world of the access walk is a copy of it,
// on a server of its own, with the same IDs, sessions and tokens. Building
// a world took 1.5–5 s (PostgreSQL: a migrated schema and some sixty
// requests); a copy starts in well under a second.
type worldSnapshot struct {
	w    *world // the snapshotted world: its server no longer serves
	snap *testkit.Snapshot
}

// snapshotWorld builds the world with client C's permissions in perms on
// (newWorldWith) and snapshots it for the rest of the test.
func snapshotWorld(t *testing.T, e db.Dialect, perms map[string]bool) *worldSnapshot {
	w := newWorldWith(t, e, perms)
	return &worldSnapshot{w: w, snap: w.s.Snapshot(t)}
}

// start returns a fresh world, a copy of the snapshotted one: every
// persona calls the copy's server with their own credentials. It stops
// when the test ends.
func (ws *worldSnapshot) start(t *testing.T) *world {
	s := ws.snap.Start(t)
	w := *ws.w
	w.s = s
	w.personas = make([]persona, len(ws.w.personas))
	for i, p := range ws.w.personas {
		p.client = p.client.On(s)
		w.personas[i] = p
	}
	w.perms = map[string]bool{}
	for k, v := range ws.w.perms {
		w.perms[k] = v
	}
	return &w
}

// walkFresh walks a route that changes state on a copy of the world,
// with a new copy after every call that succeeded (walk); a world given up
// for a new one stops at once, so that its database goes back to the pool.
func (ws *worldSnapshot) walkFresh(t *testing.T, rt api.Route) {
	cur := ws.start(t)
	cur.walk(t, rt, func() *world {
		cur.s.Stop()
		cur = ws.start(t)
		return cur
	})
}
