package db

import (
	"context"
	"sync"

	"github.com/jmoiron/sqlx"
)

// stmtCache keeps prepared statements for the SQLite read pool, keyed by
// their SQL text. The modernc driver compiles a statement on every call that
// is not prepared, and compiling costs as much as running the small queries
// that most requests make; database/sql prepares a cached statement once per
// connection and reuses it. (On PostgreSQL pgx already caches prepared
// statements per connection, so the cache is nil there.)
//
// Statements whose text varies with their input (IN lists over a page's IDs)
// would fill the cache with one-offs, so it stops adding at maxStmts and
// those run unprepared; the fixed statements are cached long before that.
type stmtCache struct {
	pool *sqlx.DB
	mu   sync.RWMutex
	m    map[string]*sqlx.Stmt
}

const maxStmts = 512

func newStmtCache(pool *sqlx.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sqlx.Stmt{}}
}

// get returns the prepared statement for q, preparing it the first time;
// nil when statements are not cached (PostgreSQL, a full cache, or a
// statement that does not prepare, whose error the plain call then reports).
func (c *stmtCache) get(ctx context.Context, q string) *sqlx.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	st, ok := c.m[q]
	full := len(c.m) >= maxStmts
	c.mu.RUnlock()
	if ok || full {
		return st
	}
	// Prepared outside the lock (it may wait for a connection), and
	// without the request's context: the statement outlives the request
	// that first used it.
	st, err := c.pool.PreparexContext(context.WithoutCancel(ctx), q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have, ok := c.m[q]; ok {
		_ = st.Close()
		return have
	}
	c.m[q] = st
	return st
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	c.m = map[string]*sqlx.Stmt{}
}
