package db

// ListAnnouncements counts the commits of d that changed the client list's
// state and were announced (PostgreSQL), so tests see which writes cost one.
func ListAnnouncements(d *DB) uint64 { return d.auth.listed.Load() }

// WriteCompiles counts the statements SQLite compiled on the write pool
// (sqlitestmts.go): once per kept statement, once per unprepared call.
func WriteCompiles(d *DB) uint64 { return d.writeStmts.compiles.Load() }
