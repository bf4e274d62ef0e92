package auth

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
)

// sessionCache keeps the answers of the session statement in process, so
// that a request learns who is asking without a database round trip (it
// was a fifth of a client-list request's CPU on SQLite and one of /me's
// two round trips on PostgreSQL). Sessions stay rows in the database,
// revocable one by one; an answer is used only while the database's
// authentication generation (db.AuthGeneration) is the one it was read
// at, and every committed change to what the answer says moves that
// generation on, in this process and, on PostgreSQL, in every process
// (LISTEN/NOTIFY). TestSessionCacheAcrossProcesses checks logout, password
// reset, role change, removal and a disabled client on one process
// against the next request on three.
//
// Only live sessions are kept; a session that looks ended by the cached
// answer (idle, expired) is read again, since another process may have
// seen it since. The last-seen time is written at most once a minute, as
// before.
type sessionCache struct {
	mu sync.RWMutex
	m  map[string]*cachedSession // by token hash
}

// maxCachedSessions bounds the cache (about 1 KB each); when it is full it
// starts again empty.
const maxCachedSessions = 20000

type cachedSession struct {
	gen uint64
	row sessionRow
	// memberships parsed once; each request's actor shares the slice,
	// which nobody changes.
	memberships []authz.Membership
	preloaded   bool
	// lastSeen is the last-seen time this process wrote or read, in Unix
	// nanoseconds (the touch updates it without the lock).
	lastSeen atomic.Int64
}

func newSessionCache() *sessionCache {
	return &sessionCache{m: make(map[string]*cachedSession)}
}

func (c *sessionCache) get(hash string, gen uint64) *cachedSession {
	c.mu.RLock()
	e := c.m[hash]
	c.mu.RUnlock()
	if e == nil || e.gen != gen {
		return nil
	}
	return e
}

func (c *sessionCache) put(hash string, e *cachedSession) {
	c.mu.Lock()
	if len(c.m) >= maxCachedSessions {
		c.m = make(map[string]*cachedSession)
	}
	c.m[hash] = e
	c.mu.Unlock()
}

func (c *sessionCache) drop(hash string) {
	c.mu.Lock()
	delete(c.m, hash)
	c.mu.Unlock()
}

func newCachedSession(gen uint64, r sessionRow) *cachedSession {
	e := &cachedSession{gen: gen, row: r}
	e.memberships, e.preloaded = authz.ParseMemberships(r.Memberships)
	e.lastSeen.Store(r.LastSeenAt.UnixNano())
	return e
}

// actor builds the request's actor from a cached answer.
func (e *cachedSession) actor(ip string) *authz.Actor {
	r := &e.row
	a := &authz.Actor{UserID: r.UserID, Email: r.Email, Name: r.Name, IsOperator: r.IsOperator,
		UserCreatedAt: r.UserCreatedAt, EmailVerified: r.EmailVerified, SessionID: r.ID, IP: ip}
	if r.AccountID != nil {
		a.AccountID = *r.AccountID
	}
	if r.ImpersonationID != nil {
		a.SessionImpersonationID = *r.ImpersonationID
	}
	if e.preloaded {
		a.UseMemberships(e.memberships)
	}
	return a
}

// live reports whether the cached answer still says the session is live.
func (e *cachedSession) live(now time.Time) bool {
	seen := time.Unix(0, e.lastSeen.Load())
	return !e.row.RevokedAt.Valid && now.Before(e.row.ExpiresAt) && now.Before(seen.Add(IdleTimeout))
}
