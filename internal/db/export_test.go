package db

import "context"

// ListAnnouncements counts the commits of d that changed the client list's
// state and were announced (PostgreSQL), so tests see which writes cost one.
func ListAnnouncements(d *DB) uint64 { return d.auth.listed.Load() }

// Announce runs d's announcement of a change, as a writer does after its
// commit; ListenerName is the application_name it finds the listeners of
// its schema by, and ListenerNameIn that of another schema's
// (TestAnnounceWaitsForEachListener).
func Announce(ctx context.Context, d *DB) { d.announce(ctx, listToken) }

func ListenerName(d *DB) string { return listenerNameIn(d.auth.schemaName()) }

func ListenerNameIn(schema string) string { return listenerNameIn(schema) }

// SchemaName is the schema d's listener found, which ends each of its
// writers' announcements after an @.
func SchemaName(d *DB) string { return d.auth.schemaName() }
