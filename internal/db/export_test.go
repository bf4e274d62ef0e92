package db

import "context"

// ListAnnouncements counts the commits of d that changed the client list's
// state and were announced (PostgreSQL), so tests see which writes cost one.
func ListAnnouncements(d *DB) uint64 { return d.auth.listed.Load() }

// Announce runs d's announcement of a change, as a writer does after its
// commit, and ListenerName is the application_name it finds listeners by
// (TestAnnounceWaitsForEachListener).
func Announce(ctx context.Context, d *DB) { d.announce(ctx, listToken) }

const ListenerName = listenerName
