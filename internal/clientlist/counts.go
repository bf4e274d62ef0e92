package clientlist

import (
	"context"
	"sync"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
)

// The counts per status of the client list when its page was read in SQL
// (a search beyond ASCII). Pages read from memory take their counts from
// their copy (memoryCounts, memory.go).

// counts returns the number of clients per status, with the search applied.
//
// Counting reads every visible client (10,000 of them cost tens of
// milliseconds), so the counts are kept in memory per agency, user and
// search (countsCache) together with the version of the data they were
// counted from: the agency's access version (accessVersionSQL), a counter
// that every change to a table the counts read moves for the agencies it
// concerns, in the same transaction (triggers, migration 00024). The page's own statement reads the version too (seen, -1 when the
// page was empty): when the cached counts carry it, they are the counts of
// the page's snapshot and nothing more runs. Otherwise one statement reads
// the version and, only when it differs from the
// cached one, counts again: in that statement's snapshot, so counts are
// never older than the request, exactly as when they were always counted.
func (s *Service) counts(ctx context.Context, scope authz.ClientScope, q ListQuery, seen int64) (ClientCounts, error) {
	key := countsKey{agency: scope.AgencyID, user: scope.UserID, q: q.Q, enabled: q.Enabled}
	cached, ok := s.countsCache.get(key)
	if ok && seen >= 0 && cached.version == seen {
		return cached.counts, nil
	}
	have := int64(-1)
	if ok {
		have = cached.version
	}
	join, args := scope.JoinMembership()
	cond, cargs := scope.Condition()
	// The count runs only when the version moved: on PostgreSQL the
	// uncorrelated condition is a one-time filter over the whole scan; on
	// SQLite the one-row version table is the outer loop (CROSS JOIN fixes
	// the order) and its condition is tested before the scan.
	var from, gate string
	if s.read.Dialect() == db.Postgres {
		from, gate = `FROM client_list l `, accessVersionSQL+` <> ?`
	} else {
		from, gate = `FROM (SELECT `+accessVersionSQL+` AS v) gate CROSS JOIN client_list l `, `gate.v <> ?`
	}
	sql := `SELECT ` + accessVersionSQL + ` AS version, '' AS status, 0 AS n
		UNION ALL
		SELECT 0, l.status, COUNT(*) ` + from + enabledJoin + join + `
		WHERE ` + gate + ` AND ` + cond
	if s.read.Dialect() == db.Postgres {
		args = append(append(append([]any{scope.AgencyID}, args...), scope.AgencyID, have), cargs...)
	} else {
		args = append(append(append([]any{scope.AgencyID, scope.AgencyID}, args...), have), cargs...)
	}
	if filtered, want := q.enabledFilter(); filtered {
		sql += ` AND ` + enabledCol + ` = ?`
		args = append(args, want)
	}
	if q.Q != "" {
		sql += ` AND ` + likeSQL
		args = append(args, likePattern(q.Q))
	}
	sql += ` GROUP BY l.status`
	if q.Q != "" {
		args = db.FreshPlan(s.read, args)
	}
	var rows []struct {
		Version int64  `db:"version"`
		Status  string `db:"status"`
		N       int    `db:"n"`
	}
	if err := s.read.Select(ctx, &rows, sql, args...); err != nil {
		return ClientCounts{}, err
	}
	version := int64(-1)
	for _, r := range rows {
		if r.Status == "" {
			version = r.Version
		}
	}
	if ok && version == have {
		return cached.counts, nil
	}
	var c ClientCounts
	for _, r := range rows {
		if r.Status == "" {
			continue
		}
		c.add(r.Status, r.N)
	}
	if version >= 0 {
		s.countsCache.put(key, countsEntry{version: version, counts: c}, func(held countsEntry) bool { return held.version > version })
	}
	return c, nil
}

// countsKey is what counts depend on besides the data: whose view, which
// search, which enabled filter.
type countsKey struct{ agency, user, q, enabled string }

type countsEntry struct {
	version int64
	counts  ClientCounts
}

// add counts n clients of a status.
func (c *ClientCounts) add(status string, n int) {
	c.All += n
	switch status {
	case "pending":
		c.Pending += n
	case "link_invite":
		c.LinkInvite += n
	case "active":
		c.Active += n
	case "at_risk":
		c.AtRisk += n
	case "churned":
		c.Churned += n
	case "revoked":
		c.Revoked += n
	}
}

// latestCounts holds the latest counts per key (countsCache for the SQL
// path, memCountsCache for pages from memory); it forgets everything when
// it reaches maxCountsCached keys (searches typed letter by letter make
// many), which costs one count each.
type latestCounts[K comparable, E any] struct {
	mu sync.Mutex
	m  map[K]E
}

type (
	countsCache    = latestCounts[countsKey, countsEntry]
	memCountsCache = latestCounts[memCountsKey, memCountsEntry]
)

const maxCountsCached = 4096

func (c *latestCounts[K, E]) get(k K) (E, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e, ok
}

// put keeps e unless the entry held is newer (a slower request counted
// older data).
func (c *latestCounts[K, E]) put(k K, e E, newer func(held E) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if held, ok := c.m[k]; ok && newer(held) {
		return
	}
	if c.m == nil || len(c.m) >= maxCountsCached {
		c.m = map[K]E{}
	}
	c.m[k] = e
}
