package db

// WriteCompiles counts the statements SQLite compiled on the write pool
// (sqlitestmts.go): once per kept statement, once per unprepared call.
func WriteCompiles(d *DB) uint64 { return d.writeStmts.compiles.Load() }
