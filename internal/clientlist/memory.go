package clientlist

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
)

// A page of the client list is read from an in-memory copy of the agency's
// list rows (client_list) instead of by walking them in SQL.
//
// Why: each page walked the agency's rows in an index and visited each one
// in the table; a search visited about 20 rows per match, scattered over
// the table. On PostgreSQL that cost about as much CPU as the rest of the
// request, and the 15 ms p99 of issues 4 and 6 was missed for the searches
// and by a hair for -health; on SQLite searches fell under the 2,500
// requests/s (bench/README.md). From memory, a request costs the database
// one small statement: three numbers read by key, on either engine.
//
// The copy is exact, never approximately fresh. It is keyed by the
// agency's row version: every change to one of the agency's rows stamps the
// row with a new version (migration 00013 says how, fresh.go does it). Every
// request reads, in one statement (loadDelta), the agency's version, its
// earliest valid_until, whether rows were deleted since the last refresh,
// the agency's access version (for a member's visible clients) and the rows
// stamped since the copy — usually none. Stamped rows replace, join or leave
// the copy; the copy and the state are then one snapshot. As on the SQL
// path, a page whose earliest valid_until has passed, or whose agency has
// deleted rows not yet given a version, is refreshed and read again
// (page()). Other agencies' changes never make a copy be read again.
//
// Searches in plain ASCII are answered from the copy too: the stored search
// text is lower-cased by the database, whose LOWER differs between the
// engines beyond ASCII; other searches run in SQL.

// memRow is one client of an agency's copy.
type memRow struct {
	listRow
	search string
	keys   [4]int64 // the stored sort keys, indexed by keyIndex
	// enc is the row's JSON as a page writes it (*encodedItem), made by
	// the first page that shows the row: a copy's rows never change, and
	// writing 50 items was an eighth of a list request's CPU (issue 23).
	enc atomic.Value
}

// encodedItem is a row's JSON with the headline metrics it holds (the
// agency's names, joined by NUL).
type encodedItem struct {
	names string
	b     []byte
}

// json returns the row's JSON for a page showing the headline metrics
// names, it being the item items made of the row: kept from an earlier
// page when that one showed the same metrics. Two pages writing it at once
// write the same bytes.
func (r *memRow) json(names string, it *ClientListItem) []byte {
	if b := r.kept(names); b != nil {
		return b
	}
	b, err := it.AppendJSON(nil)
	if err != nil {
		return nil // written, and refused, by the page itself
	}
	r.enc.Store(&encodedItem{names: names, b: b})
	return b
}

// kept returns the row's JSON for a page showing the headline metrics
// names, when a page made it before; nil otherwise.
func (r *memRow) kept(names string) []byte {
	if e, _ := r.enc.Load().(*encodedItem); e != nil && e.names == names {
		return e.b
	}
	return nil
}

// keyIndex is where a sort's stored key sits in memRow.keys; the name order
// has none.
var keyIndex = map[string]int{"-health": 0, "health": 1, "-last_active": 2, "last_active": 3}

// listState is what a copy is checked against on every request.
type listState struct {
	list int64   // the agency's access version
	rows int64   // the agency's row version (0 before its first stamp)
	due  db.Time // the earliest valid_until of the agency's rows
	dead bool    // rows were deleted and the refresh has not versioned them
	// headline is the agency's headline metrics (a JSON array), the
	// list's columns.
	headline string
}

// epochDue is the due moment of an agency with deleted rows not yet
// versioned: at once.
var epochDue = db.Time{Time: time.Unix(0, 0).UTC(), Valid: true}

// listCopy is an agency's list rows as of one row version. It is never
// changed once made: a delta makes a new copy, which shares with this one
// every chunk of rows the delta does not touch (rowList).
type listCopy struct {
	rows   int64
	byName *rowList // in the list's name order: sort_name, then client ID
	byID   *rowList // by client ID, to find a client's row
	orders [4]struct {
		mu   sync.Mutex // held only while the order is first sorted
		rows atomic.Pointer[rowList]
	}
	bytes int
}

// order returns the copy's rows in a sort order, sorting them on first use.
func (c *listCopy) order(sortName string) *rowList {
	k, ok := keyIndex[sortName]
	if !ok {
		return c.byName
	}
	o := &c.orders[k]
	if l := o.rows.Load(); l != nil {
		return l
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if l := o.rows.Load(); l != nil {
		return l
	}
	rows := c.byName.slice()
	slices.SortFunc(rows, keyCmp(k))
	l := newRowList(rows)
	o.rows.Store(l)
	return l
}

// keyCmp orders rows by the stored key k, then name and ID.
func keyCmp(k int) func(a, b *memRow) int {
	return func(a, b *memRow) int {
		return cmp.Or(cmp.Compare(a.keys[k], b.keys[k]), nameCmp(a, b))
	}
}

// nameCmp is the list's name order (Go compares strings byte by byte, as
// the list's SQL order does: collate).
func nameCmp(a, b *memRow) int {
	return cmp.Or(strings.Compare(a.SortName, b.SortName), strings.Compare(a.ID, b.ID))
}

// idCmp orders rows by client ID.
func idCmp(a, b *memRow) int { return strings.Compare(a.ID, b.ID) }

// page returns up to q.Limit+1 rows after the cursor that pass the status
// filter, the search (lower-cased ASCII, "" for none) and the scope's
// visible clients (nil: every client); each carries the the agency's access version
// the page was read with, for the counts.
func (c *listCopy) page(q ListQuery, after *cursor, needle string, visible map[string]struct{}, version int64) []listRow {
	order := c.order(q.Sort)
	k, keyed := keyIndex[q.Sort]
	ci, i := 0, 0
	if after != nil {
		ci, i = order.seek(func(r *memRow) bool {
			if keyed && r.keys[k] != *after.Key {
				return r.keys[k] > *after.Key
			}
			return r.SortName > after.Name || r.SortName == after.Name && r.ID > after.ID
		})
	}
	out := pagedRows(q.Limit + 1)
	filtered, want := q.enabledFilter()
	// A filter or a search skips the chunks its counts say hold no row
	// it passes: a page of a status few clients have walked the whole
	// agency (issue 23). A chunk counts once per search for its lifetime.
	var skip func(*chunk) bool
	if q.Status != "all" || needle != "" {
		skip = func(ch *chunk) bool {
			n, ok := ch.count(needle, filtered, want).of(q.Status)
			return ok && n == 0
		}
	}
	order.each(ci, i, skip, func(r *memRow) bool {
		if q.Status != "all" && r.Status != q.Status || filtered && r.Enabled != want || !r.shown(needle, visible) {
			return true
		}
		row := r.listRow
		row.from = r
		if keyed {
			row.SortKey = r.keys[k]
		}
		row.Version = version
		out = append(out, row)
		return len(out) <= q.Limit
	})
	return out
}

// shown reports whether the row matches the search (lower-cased ASCII, ""
// for none) and is among the visible clients (nil: every client).
func (r *memRow) shown(needle string, visible map[string]struct{}) bool {
	if needle != "" && !strings.Contains(r.search, needle) {
		return false
	}
	if visible != nil {
		_, ok := visible[r.ID]
		return ok
	}
	return true
}

// fromMemory reports whether a query can be answered from a copy: any
// query without a search or with a plain-ASCII one.
func fromMemory(q ListQuery) bool {
	for i := 0; i < len(q.Q); i++ {
		if q.Q[i] >= 0x80 {
			return false
		}
	}
	return true
}

// readCopy is what a page read from memory was read from; the counts are
// taken from the same (memoryCounts).
type readCopy struct {
	c       *listCopy
	st      listState
	visible map[string]struct{} // nil: every client
	needle  string
}

// memoryPage reads a page from the agency's copy, brought up to date first.
// It gives up (no readCopy) when the data keeps moving under it, and the
// caller reads the page in SQL instead.
func (s *Service) memoryPage(ctx context.Context, scope authz.ClientScope, q ListQuery, after *cursor) ([]listRow, db.Time, *readCopy, error) {
	needle := strings.ToLower(q.Q)
	for try := 0; try < 3; try++ {
		c, st, err := s.currentCopy(ctx, scope.AgencyID)
		if err != nil || c == nil {
			return nil, db.Time{}, nil, err
		}
		var visible map[string]struct{}
		if !scope.All {
			if visible, err = s.visibleAt(ctx, scope, st.list); err != nil {
				return nil, db.Time{}, nil, err
			}
			if visible == nil {
				continue // access changed between the two statements
			}
		}
		if st.dead {
			st.due = epochDue
		}
		m := &readCopy{c: c, st: st, visible: visible, needle: needle}
		return c.page(q, after, needle, visible, st.list), st.due, m, nil
	}
	return nil, db.Time{}, nil, nil
}

// memoryCounts counts the clients per status from the copy a page was read
// from, with its search and visible clients: the counts of the page's own
// snapshot. They are kept per agency, user, scope and search with the row
// version they were counted at (and, for a scope with visible clients, the
// the agency's access version those were read at), so another agency's change
// costs no count, and an unchanged list none at all.
func (s *Service) memoryCounts(scope authz.ClientScope, q ListQuery, m *readCopy) ClientCounts {
	key := memCountsKey{agency: scope.AgencyID, user: scope.UserID, q: q.Q, enabled: q.Enabled, all: scope.All}
	list := m.st.list
	if scope.All {
		list = 0 // the counts of every client do not depend on access
	}
	if e, ok := s.memCounts.get(key); ok && e.rows == m.c.rows && e.list == list {
		return e.counts
	}
	var c ClientCounts
	filtered, want := q.enabledFilter()
	if m.visible == nil {
		// Chunk by chunk: after a change, only the chunks it made are
		// counted again (issue 23).
		for _, ch := range m.c.byName.chunks {
			c.plus(ch.count(m.needle, filtered, want))
		}
	} else {
		m.c.byName.each(0, 0, nil, func(r *memRow) bool {
			if (!filtered || r.Enabled == want) && r.shown(m.needle, m.visible) {
				c.add(r.Status, 1)
			}
			return true
		})
	}
	s.memCounts.put(key, memCountsEntry{rows: m.c.rows, list: list, counts: c}, func(held memCountsEntry) bool {
		return held.rows > m.c.rows || held.list > list
	})
	return c
}

type memCountsKey struct {
	agency, user, q, enabled string
	all                      bool
}

type memCountsEntry struct {
	rows, list int64
	counts     ClientCounts
}

// currentCopy returns the agency's copy as of now with the state it was
// read at. With a copy in memory that is one statement (loadDelta), which
// reads the state and the rows stamped since the copy; the whole agency is
// read when there is no copy. It returns no copy when the data kept moving.
//
// Not even that while nothing the state is read from changed since it was
// read and no row has fallen due (db.ListGeneration): the state is then
// the one in memory (issue 23: the statement was an eighth of a page's CPU
// on SQLite, a third on PostgreSQL). On SQLite the generation moves with
// every write of this process, the only one; on PostgreSQL with every
// change of the state's tables committed by any process, before its
// writer answers (migration 00059, db/listgen.go).
func (s *Service) currentCopy(ctx context.Context, agencyID string) (*listCopy, listState, error) {
	gen, exact := s.db.ListGeneration() // taken before anything is read
	if exact {
		if c, st, ok := s.copies.current(agencyID, gen, s.now()); ok {
			return c, st, nil
		}
	}
	for try := 0; try < 3; try++ {
		if old := s.copies.get(agencyID); old != nil {
			x, st, err := s.loadDelta(ctx, agencyID, old)
			if err == nil && x != nil && exact {
				s.copies.remember(agencyID, x, st, gen)
			}
			if err != nil || x != nil {
				return x, st, err
			}
		}
		type loaded struct {
			c  *listCopy
			st listState
		}
		v, err, shared := s.copies.loads.Do(agencyID, func() (any, error) {
			// The load serves every request waiting on it: one of them
			// going away must not fail the others.
			x, st, err := s.loadCopy(context.WithoutCancel(ctx), agencyID)
			if err != nil {
				return nil, err
			}
			return loaded{s.copies.put(agencyID, x), st}, nil
		})
		if err != nil {
			return nil, listState{}, err
		}
		if !shared {
			l := v.(loaded)
			if exact {
				s.copies.remember(agencyID, l.c, l.st, gen)
			}
			return l.c, l.st, nil
		}
		// A shared load may have begun before this request did and miss
		// a change it must see: the next round brings its copy to now.
	}
	return nil, listState{}, nil
}

// stateSQL reads an agency's listState (arguments: the agency five times).
//
// Whether the agency has tombstones is the sign of its smallest stamp, read
// as a MIN, which both engines answer from the first entry of the (agency,
// v) index whatever the statistics say. An EXISTS of v < 0 was planned on
// PostgreSQL, with statistics taken while every stamp was a tombstone, as
// a walk of every stamp, on every request: 17 ms at 8,000 clients in
// issue 23's soak (TestStatePlan).
const stateSQL = `SELECT ` + accessVersionSQL + ` AS list_v, ` + headlineNamesSQL + ` AS headline_names,
	COALESCE((SELECT v FROM client_list_agency_versions WHERE agency_id = ?), 0) AS rows_v,
	(SELECT MIN(valid_until) FROM client_list_due WHERE agency_id = ?) AS due,
	CASE WHEN (SELECT MIN(v) FROM client_list_stamps WHERE agency_id = ?) < 0 THEN 1 ELSE 0 END AS dead`

// copyCols are the columns a copy holds, after the state's, in the order
// copyRows scans them; stamped names the client a row stands for (the
// stamp's client in a delta, where a deleted row's columns are NULL).
func copyCols(stamped string) string {
	return `v.list_v, v.rows_v, v.due, v.dead, v.headline_names, ` + stamped + `, l.client_id, l.name, l.sort_name, l.email, l.status,
	l.health, l.last_active_at, l.users, l.seats, l.brands, l.search, l.health_desc_key, l.health_asc_key,
	l.active_desc_key, l.active_asc_key, ` + enabledCol + `, ` + headlineCol
}

// loadCopy reads all of an agency's rows with the state they belong to.
func (s *Service) loadCopy(ctx context.Context, agencyID string) (*listCopy, listState, error) {
	var rows copyRows
	err := s.read.Select(ctx, &rows, `SELECT `+copyCols(`l.client_id`)+` FROM (`+stateSQL+`) v
		LEFT JOIN client_list l ON l.agency_id = ?`+enabledJoin+headlineJoin, agencyID, agencyID, agencyID, agencyID, agencyID, agencyID)
	if err != nil {
		return nil, listState{}, err
	}
	x := &listCopy{rows: rows.state.rows}
	x.index(rows.rows)
	return x, rows.state, nil
}

// index makes rows (which it sorts) the copy's rows.
func (x *listCopy) index(rows []*memRow) {
	slices.SortFunc(rows, nameCmp)
	x.byName, x.bytes = newRowList(rows), 0
	for _, r := range rows {
		x.bytes += r.size()
	}
	ids := slices.Clone(rows)
	slices.SortFunc(ids, idCmp)
	x.byID = newRowList(ids)
}

// loadDelta reads the state and the rows stamped since old was read, and
// returns old brought to that state (old itself when nothing was stamped).
// It returns no copy when the database is behind old (it never is: versions
// only grow), and the caller reads the whole agency.
func (s *Service) loadDelta(ctx context.Context, agencyID string, old *listCopy) (*listCopy, listState, error) {
	var rows copyRows
	err := s.read.Select(ctx, &rows, deltaSQL, deltaArgs(s.read, agencyID, old.rows)...)
	if err != nil || rows.state.rows < old.rows {
		return nil, listState{}, err
	}
	if rows.state.rows == old.rows {
		return old, rows.state, nil
	}
	return s.copies.put(agencyID, old.with(rows.state.rows, rows.rows, rows.gone)), rows.state, nil
}

// deltaSQL reads an agency's state and the rows stamped after a version
// (deltaArgs), for loadDelta.
var deltaSQL = `SELECT ` + copyCols(`s.client_id`) + ` FROM (` + stateSQL + `) v
	LEFT JOIN client_list_stamps s ON s.agency_id = ? AND s.v > ?
	LEFT JOIN client_list l ON l.agency_id = s.agency_id AND l.client_id = s.client_id` + enabledJoin + headlineJoin

// deltaArgs are deltaSQL's arguments for the rows of agencyID stamped after
// version after. Planned for its arguments on PostgreSQL (db.FreshPlan):
// the generic plan cannot see that few stamps follow the copy's version
// and walked the agency's stamps, list rows and links on every call, 244 →
// 625 blocks a call and two thirds of the database's time by the end of
// issue 23's soak; planned for its values it read 32–34 blocks throughout
// (TestDeltaPlanAsRun).
func deltaArgs(q db.Querier, agencyID string, after int64) []any {
	return db.FreshPlan(q, []any{agencyID, agencyID, agencyID, agencyID, agencyID, agencyID, after})
}

// visibleAt returns the clients the scope's user sees in the agency as of
// the agency's access version list (access lists, groups, account managers and
// roles all move it), or nil when the database has moved past list.
func (s *Service) visibleAt(ctx context.Context, scope authz.ClientScope, list int64) (map[string]struct{}, error) {
	key := countsKey{agency: scope.AgencyID, user: scope.UserID}
	if v, ok := s.visible.get(key); ok && v.list == list {
		return v.clients, nil
	}
	join, args := scope.JoinMembership()
	cond, cargs := scope.Condition()
	var rows []struct {
		List     int64  `db:"list_v"`
		ClientID string `db:"client_id"`
	}
	// One statement, so the version and the clients are one snapshot.
	err := s.read.Select(ctx, &rows, `SELECT `+accessVersionSQL+` AS list_v, '' AS client_id
		UNION ALL SELECT -1, l.client_id FROM client_list l `+join+` WHERE `+cond, append(append([]any{scope.AgencyID}, args...), cargs...)...)
	if err != nil {
		return nil, err
	}
	v := visibleSet{list: -1, clients: make(map[string]struct{}, len(rows))}
	for _, r := range rows {
		if r.ClientID == "" {
			v.list = r.List
		} else {
			v.clients[r.ClientID] = struct{}{}
		}
	}
	s.visible.put(key, v)
	if v.list != list {
		return nil, nil
	}
	return v.clients, nil
}

// visibleSet is the clients one user sees in one agency.
type visibleSet struct {
	list    int64
	clients map[string]struct{}
}

// visibleSets holds the latest set per agency and user; it forgets every
// set when they would name more than maxVisibleNamed clients.
type visibleSets struct {
	mu    sync.Mutex
	m     map[countsKey]visibleSet
	named int
}

const maxVisibleNamed = 200_000

func (c *visibleSets) get(k countsKey) (visibleSet, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *visibleSets) put(k countsKey, v visibleSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		if old.list > v.list {
			return
		}
		c.named -= len(old.clients)
	}
	if c.m == nil || c.named+len(v.clients) > maxVisibleNamed {
		c.m, c.named = map[countsKey]visibleSet{}, 0
	}
	c.m[k] = v
	c.named += len(v.clients)
}
