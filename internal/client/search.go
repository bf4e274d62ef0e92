package client

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
)

// A search of the client list in name order (the list's default) is
// answered from an in-memory copy of the agency's search texts instead of
// by testing every row in SQL.
//
// Why: a search matches rows anywhere in the name order, so SQL has to read
// rows until it has a page of matches — about 20 rows per match for a term
// one client in 20 has — and on PostgreSQL every one of them is a heap
// visit (the trigram index, too, rechecks each candidate on its row): about
// 1.3 ms of database CPU per page for 10,000 clients, against 0.35 ms for a
// page without a search (bench/README.md). Scanning the agency's texts in
// memory takes tens of microseconds, and the page's statement then reads
// only the rows that match.
//
// The copy is exact, never approximately fresh: it carries the
// client_list_version it was read at (one statement reads both), every
// change to a search text, a name or the set of rows moves that version in
// the changing transaction (migrations 00006 and 00010), and the page's
// statement reads the version again — when it differs the copy is read
// anew and the page too. The statement also keeps the search condition, so
// a row reaches the page only when the database agrees it matches.
//
// Only searches in plain ASCII take this path: the stored texts are
// lower-cased by the database, whose LOWER differs between the engines
// beyond ASCII (SQLite leaves other letters alone); other searches run in
// SQL as before.

// searchRow is one client of an agency's copy, in name order.
type searchRow struct {
	name, id string
}

// searchIndex is an agency's client rows in the list's name order with
// their search texts, as of one client_list_version.
type searchIndex struct {
	version int64
	rows    []searchRow
	// text is every row's search text followed by a NUL (which no search
	// contains), in row order; ends[i] is the offset of row i's NUL.
	text string
	ends []int
}

// after returns the position of the first row after the cursor.
func (x *searchIndex) after(c *cursor) int {
	if c == nil {
		return 0
	}
	return sort.Search(len(x.rows), func(i int) bool {
		r := x.rows[i]
		return r.name > c.Name || r.name == c.Name && r.id > c.ID
	})
}

// match returns the IDs of up to n rows from position from on whose search
// text contains needle, and the position after the last row it looked at.
func (x *searchIndex) match(needle string, from, n int) ([]string, int) {
	var ids []string
	if from >= len(x.rows) {
		return ids, len(x.rows)
	}
	off := 0
	if from > 0 {
		off = x.ends[from-1] + 1
	}
	for len(ids) < n && off < len(x.text) {
		i := strings.Index(x.text[off:], needle)
		if i < 0 {
			return ids, len(x.rows)
		}
		// The row holding the hit: the first whose end lies past it.
		row := sort.SearchInts(x.ends, off+i)
		ids = append(ids, x.rows[row].id)
		off = x.ends[row] + 1
		from = row + 1
	}
	return ids, from
}

// searchIndexes holds the latest copy per agency. It forgets every copy when
// they would hold more than maxSearchBytes (10,000 clients take about 1 MB);
// concurrent readers of a missing or stale copy share one load.
type searchIndexes struct {
	mu    sync.Mutex
	m     map[string]*searchIndex
	bytes int
	loads singleflight.Group
}

const maxSearchBytes = 16 << 20

// size is about what a copy holds in memory.
func (x *searchIndex) size() int { return len(x.text) + len(x.rows)*(64+8) }

// searchIndexOf returns the agency's copy, reading it again when it is missing or
// older than version (-1: any copy will do).
func (s *Service) searchIndexOf(ctx context.Context, agencyID string, version int64) (*searchIndex, error) {
	c := &s.searchIndexes
	c.mu.Lock()
	x := c.m[agencyID]
	c.mu.Unlock()
	if x != nil && x.version >= version {
		return x, nil
	}
	v, err, _ := c.loads.Do(agencyID, func() (any, error) {
		// The load serves every request waiting on it: one of them
		// going away must not fail the others.
		x, err := loadSearchIndex(context.WithoutCancel(ctx), s.read, agencyID)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		old := c.m[agencyID]
		if old != nil && old.version > x.version {
			return x, nil
		}
		if old != nil {
			c.bytes -= old.size()
		}
		if c.m == nil || c.bytes+x.size() > maxSearchBytes {
			c.m, c.bytes = map[string]*searchIndex{}, 0
		}
		c.m[agencyID] = x
		c.bytes += x.size()
		return x, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*searchIndex), nil
}

// loadSearchIndex reads an agency's rows and the version in one statement,
// so they belong to one snapshot.
func loadSearchIndex(ctx context.Context, q db.Querier, agencyID string) (*searchIndex, error) {
	c := collate(q)
	var rows []struct {
		Version int64  `db:"version"`
		Name    string `db:"sort_name"`
		ID      string `db:"client_id"`
		Search  string `db:"search"`
	}
	err := q.Select(ctx, &rows, `SELECT (SELECT v FROM client_list_version) AS version, l.sort_name, l.client_id, l.search
		FROM client_list l WHERE l.agency_id = ? ORDER BY l.sort_name`+c+`, l.client_id`+c, agencyID)
	if err != nil {
		return nil, err
	}
	x := &searchIndex{version: -1, rows: make([]searchRow, len(rows)), ends: make([]int, len(rows))}
	var b strings.Builder
	for i, r := range rows {
		x.version = r.Version
		x.rows[i] = searchRow{name: r.Name, id: r.ID}
		b.WriteString(r.Search)
		x.ends[i] = b.Len()
		b.WriteByte(0)
	}
	x.text = b.String()
	if len(rows) == 0 {
		// An agency with no rows still needs the version its emptiness
		// belongs to.
		if err := q.Get(ctx, &x.version, `SELECT v FROM client_list_version`); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// indexable reports whether a search can be answered from the copy: a
// non-empty plain-ASCII search in name order.
func indexable(q ListQuery) bool {
	if q.Q == "" || q.Sort != "name" {
		return false
	}
	for i := 0; i < len(q.Q); i++ {
		if q.Q[i] >= 0x80 {
			return false
		}
	}
	return true
}

// searchPage reads a page of a search through the agency's copy: the IDs of
// the next matching rows after the cursor go to the page's statement, which
// keeps the ones the scope sees; when it kept fewer than it was given and
// more matches remain, the next ones follow. If the statement saw another
// version than the copy's, the copy is read again and the page with it.
// It gives up (ok false) after a few rounds of versions moving under it,
// and the caller searches in SQL instead.
func (s *Service) searchPage(ctx context.Context, scope authz.ClientScope, q ListQuery, after *cursor) (rows []listRow, ok bool, err error) {
	needle := strings.ToLower(q.Q)
	x, err := s.searchIndexOf(ctx, scope.AgencyID, -1)
	for try := 0; try < 3 && err == nil; try++ {
		var seen int64
		rows, seen, err = s.searchPageAt(ctx, scope, q, after, x, needle)
		if err == nil && seen == x.version {
			return rows, true, nil
		}
		if err == nil {
			x, err = s.searchIndexOf(ctx, scope.AgencyID, seen)
		}
	}
	return nil, false, err
}

// searchPageAt reads the page through the copy x and returns the version
// the statements saw.
func (s *Service) searchPageAt(ctx context.Context, scope authz.ClientScope, q ListQuery, after *cursor, x *searchIndex, needle string) ([]listRow, int64, error) {
	var out []listRow
	pos := x.after(after)
	tried, batch := 0, q.Limit+1
	for {
		ids, next := x.match(needle, pos, batch)
		if len(ids) == 0 {
			break
		}
		rows, err := s.pageAt(ctx, scope, q, after, ids)
		if err != nil {
			return nil, 0, err
		}
		if len(rows) > 0 && rows[0].Version != x.version {
			return nil, rows[0].Version, nil
		}
		out = append(out, rows...)
		if len(out) > q.Limit || next >= len(x.rows) {
			// The page is full (with the row that tells a next page
			// exists), or no row is left to look at.
			break
		}
		// The scope hid some matches: the next batch is sized by the
		// share it let through so far, twice over, so a user who sees
		// few of the agency's clients needs few rounds.
		tried += len(ids)
		batch = min(4*tried, 2000)
		if len(out) > 0 {
			batch = min(2*(q.Limit+1-len(out))*tried/len(out)+1, 2000)
		}
		pos = next
	}
	if len(out) > 0 {
		return out, x.version, nil
	}
	// Nothing matched, or nothing the scope sees: no page row carried the
	// version, so it is read on its own.
	var v int64
	err := s.read.Get(ctx, &v, `SELECT v FROM client_list_version`)
	return nil, v, err
}

// onlyClients restricts a page's statement to the listed clients.
func onlyClients(q db.Querier, ids []string) (string, any) {
	if q.Dialect() == db.Postgres {
		return `l.client_id = ANY(CAST(? AS TEXT[]))`, ids
	}
	b, _ := json.Marshal(ids)
	return `l.client_id IN (SELECT value FROM json_each(?))`, string(b)
}
