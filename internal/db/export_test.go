package db

// ListAnnouncements counts the commits of d that changed the client list's
// state and were announced (PostgreSQL), so tests see which writes cost one.
func ListAnnouncements(d *DB) uint64 { return d.auth.listed.Load() }
