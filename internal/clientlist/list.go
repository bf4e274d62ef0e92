package clientlist

import (
	"context"
	stdsql "database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/jsonw"
)

// Page sizes of the client list.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ListQuery is what the client list is asked for (SPEC §10).
type ListQuery struct {
	Status string // one of Statuses; "" is all
	Q      string // case-insensitive substring of name, primary e-mail or a granted brand's name
	Sort   string // name (default) | health | -health | last_active | -last_active
	Limit  int    // DefaultLimit when 0; at most MaxLimit
	Cursor string // next_cursor of the previous page
	// Enabled filters on whether the agency has the client enabled:
	// "true", "false" (the disabled ones), or "" for both. A disabled
	// client keeps its status (SPEC §5); this is a filter of its own, and
	// the counts apply it.
	Enabled string
	// JSONOnly says the caller only writes the page as JSON (the API): a
	// page read from memory then carries its items as the JSON its rows
	// keep, and Clients is empty. Building 50 items that only pointed at
	// that JSON was 60 % of the bytes a list request allocated, and the
	// collections they caused were the list's latency tail (issue 23).
	JSONOnly bool
	// noCounts skips the per-status counts (the CSV export needs none).
	noCounts bool
}

// ClientListItem is one row of the client list.
type ClientListItem struct {
	ID           string             `json:"id"`
	Name         string             `json:"name"`
	Email        *string            `json:"email" doc:"The primary contact: the earliest-joined client admin; null while nobody has joined"`
	Status       string             `json:"status" enum:"pending,link_invite,active,at_risk,churned,revoked"`
	Health       *ClientHealth      `json:"health"`
	LastActiveAt *time.Time         `json:"last_active_at"`
	Brands       []ClientBrand      `json:"brands"`
	Users        int                `json:"users" doc:"Member count"`
	Seats        int                `json:"seats" doc:"0 means unlimited"`
	Enabled      bool               `json:"enabled" doc:"false when the agency has disabled the client: its users cannot log in (the status is unchanged)"`
	Metrics      map[string]float64 `json:"metrics" doc:"The agency's headline metrics (headline_metrics of the page): this calendar month's value of each over the client's brands, in the agency's time zone; a metric without data this month is absent"`
	// raw is the item's JSON as AppendJSON writes it, kept by the copy's
	// row it was read from (memRow.json), or nil. An item List returned
	// is therefore not to be changed.
	raw []byte
}

// ClientCounts are the number of clients per status tab (with the search applied,
// the status filter not).
type ClientCounts struct {
	All        int `json:"all"`
	Pending    int `json:"pending"`
	LinkInvite int `json:"link_invite"`
	Active     int `json:"active"`
	AtRisk     int `json:"at_risk"`
	Churned    int `json:"churned"`
	Revoked    int `json:"revoked"`
}

// ClientPage is one page of the client list.
type ClientPage struct {
	Clients []ClientListItem `json:"clients"`
	// HeadlineMetrics are the agency's headline metrics, in its order:
	// the columns of the list (SPEC §3).
	HeadlineMetrics []string     `json:"headline_metrics" doc:"The agency's headline metrics, in order: the keys of each client's metrics"`
	NextCursor      string       `json:"next_cursor"`
	ClientCounts    ClientCounts `json:"counts"`
	// raw is the items' JSON, in order, on a page read for JSON only
	// (ListQuery.JSONOnly; AppendJSON writes it as the clients).
	raw [][]byte
}

// sorts maps each sort order to the stored key column it walks (empty for
// the name order). Every key is ascending with NULLs mapped past the end
// (client_list, migration 00010), and every order ends with the name and
// the ID, so it is total, one index serves it, and the keyset cursor is
// exact.
var sorts = map[string]string{
	"name":         "",
	"-health":      "health_desc_key",
	"health":       "health_asc_key",
	"-last_active": "active_desc_key",
	"last_active":  "active_asc_key",
}

// cursor is the position after the last row of a page: the sort it belongs
// to, the row's sort key, name and ID. It is JSON in base64url; clients
// treat it as opaque.
type cursor struct {
	Sort string `json:"s"`
	Key  *int64 `json:"k,omitempty"`
	Name string `json:"n"`
	ID   string `json:"i"`
}

// encode writes the cursor as encoding/json would (without its escaping of
// <, > and &, which decoding does not need), by hand and on the stack: one
// allocation, the string, where json.Marshal and the base64 made five on
// every page (issue 23).
func (c cursor) encode() string {
	var js, out [384]byte
	b := jsonw.String(append(js[:0], `{"s":`...), c.Sort)
	if c.Key != nil {
		b = strconv.AppendInt(append(b, `,"k":`...), *c.Key, 10)
	}
	b = jsonw.String(append(b, `,"n":`...), c.Name)
	b = append(jsonw.String(append(b, `,"i":`...), c.ID), '}')
	var e []byte
	if n := base64.RawURLEncoding.EncodedLen(len(b)); n > len(out) {
		e = make([]byte, n)
	} else {
		e = out[:n]
	}
	base64.RawURLEncoding.Encode(e, b)
	return string(e)
}

var errCursor = errs.InvalidField("cursor", "This cursor is not valid for this list; start again without it.")

func parseCursor(s, sort string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 1000 {
		return nil, errCursor
	}
	var c cursor
	if json.Unmarshal(b, &c) != nil || c.Sort != sort || c.ID == "" || (sorts[sort] != "") != (c.Key != nil) {
		return nil, errCursor
	}
	return &c, nil
}

// normalize validates the query and fills in the defaults.
func (q *ListQuery) normalize() error {
	if q.Status == "" {
		q.Status = "all"
	}
	ok := false
	for _, s := range Statuses {
		ok = ok || s == q.Status
	}
	if !ok {
		return errs.InvalidField("status", "Choose one of %s.", strings.Join(Statuses, ", "))
	}
	switch q.Enabled {
	case "", "true", "false":
	default:
		return errs.InvalidField("enabled", "Choose true or false.")
	}
	if q.Sort == "" {
		q.Sort = "name"
	}
	if _, ok := sorts[q.Sort]; !ok {
		return errs.InvalidField("sort", "Sort by name, health, -health, last_active or -last_active.")
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit < 0 || q.Limit > MaxLimit:
		return errs.InvalidField("limit", "Ask for 1 to %d clients per page.", MaxLimit)
	}
	q.Q = strings.TrimSpace(q.Q)
	if utf8.RuneCountInString(q.Q) > 200 {
		return errs.InvalidField("q", "Search for at most 200 characters.")
	}
	// The stored search text separates its fields with a control character
	// (migration 00010), so a search with one could match across fields.
	if strings.ContainsFunc(q.Q, unicode.IsControl) {
		return errs.InvalidField("q", "Search for text without control characters (tabs, line breaks).")
	}
	return nil
}

// enabledFilter reports whether the query filters on the enabled flag, and
// the value it wants.
func (q ListQuery) enabledFilter() (filtered, want bool) {
	return q.Enabled != "", q.Enabled == "true"
}

// enabledJoin reads a list row's enabled flag (no agency_clients row:
// enabled); enabledCond filters on it.
const (
	enabledJoin = ` LEFT JOIN agency_clients lac ON lac.agency_id = l.agency_id AND lac.client_id = l.client_id `
	enabledCol  = `COALESCE(lac.enabled, TRUE)`
	// headlineJoin reads a row's headline values (headline.go).
	headlineJoin = ` LEFT JOIN client_list_headline lh ON lh.agency_id = l.agency_id AND lh.client_id = l.client_id `
	headlineCol  = `COALESCE(lh.vals, '')`
	// headlineNamesSQL reads the agency's headline metrics (argument: the
	// agency), a JSON array.
	headlineNamesSQL = `COALESCE((SELECT headline_metrics FROM agency_settings WHERE agency_id = ?), '[]')`
)

// collate makes text keys compare byte by byte on PostgreSQL, as SQLite
// always does, so both engines order the list the same way whatever the
// database's locale.
func collate(q db.Querier) string {
	if q.Dialect() == db.Postgres {
		return ` COLLATE "C"`
	}
	return ""
}

// likeSQL is the search: a case-insensitive substring of the name, the
// primary e-mail or the name of a brand of this agency granted to the
// client, all kept lower-cased in client_list.search (migration 00010).
const likeSQL = `l.search LIKE LOWER(CAST(? AS TEXT)) ESCAPE '\'`

func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

type listRow struct {
	ID         string  `db:"id"`
	Name       string  `db:"name"`
	SortName   string  `db:"sort_name"`
	Email      *string `db:"email"`
	Status     string  `db:"status"`
	Health     *int64  `db:"health"`
	LastActive db.Time `db:"last_active_at"`
	Users      int     `db:"users"`
	Seats      int     `db:"seats"`
	Brands     string  `db:"brands"` // JSON array of ClientBrand
	Enabled    bool    `db:"enabled"`
	SortKey    int64   `db:"sort_key"`
	// Headline is the row's stored headline values (headline.go), ""
	// for none; HeadlineNames the agency's setting read with it.
	Headline      string `db:"headline"`
	HeadlineNames string `db:"headline_names"`
	// metrics is Headline parsed, kept by a process's copy so that a
	// page does not parse its rows' values again; shared by every page
	// read from the copy, so never changed in place.
	metrics map[string]float64
	// from is the copy's row a page's row was read from (nil in SQL, or
	// once its values were computed anew): its JSON is kept there.
	from *memRow
	// Due is the earliest valid_until of the agency's rows: when it has
	// passed, some stored status or score is stale and the page is read
	// again after refreshDue.
	Due db.Time `db:"due"`
	// Version is the agency's access version as the page's statement saw it: when
	// the counts cached for this view carry the same version, they are
	// the page's own and no counting statement runs.
	Version int64 `db:"version"`
}

// List returns one page of the clients the scope sees, in a constant number
// of statements whatever the page size: the page, the counts, and the
// brands of the page's clients in one batch.
func (s *Service) List(ctx context.Context, scope authz.ClientScope, q ListQuery) (ClientPage, error) {
	if err := q.normalize(); err != nil {
		return ClientPage{}, err
	}
	after, err := parseCursor(q.Cursor, q.Sort)
	if err != nil {
		return ClientPage{}, err
	}
	out := ClientPage{Clients: []ClientListItem{}}
	if scope.AgencyID == "" || scope.UserID == "" {
		return out, nil
	}
	rows, mem, err := s.page(ctx, scope, q, after)
	if err != nil {
		return ClientPage{}, err
	}
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		out.NextCursor = cursorAfter(q.Sort, rows[len(rows)-1]).encode()
	}
	if mem != nil {
		out.HeadlineMetrics = headlineNames([]listRow{{HeadlineNames: mem.st.headline}})
	} else if len(rows) > 0 {
		out.HeadlineMetrics = headlineNames(rows)
	} else {
		var stored string
		if err := s.read.Get(ctx, &stored, `SELECT `+headlineNamesSQL, scope.AgencyID); err != nil {
			return ClientPage{}, err
		}
		out.HeadlineMetrics = headlineNames([]listRow{{HeadlineNames: stored}})
	}
	if q.JSONOnly && mem != nil {
		out.raw, err = s.itemsJSON(rows, out.HeadlineMetrics)
	} else {
		out.Clients, err = s.items(rows, out.HeadlineMetrics)
	}
	if err != nil {
		return ClientPage{}, err
	}
	if mem != nil {
		// The items hold copies of the rows' fields: the rows are done with.
		releaseRows(rows)
	}
	if !q.noCounts && mem != nil {
		out.ClientCounts = s.memoryCounts(scope, q, mem)
	} else if !q.noCounts {
		seen := int64(-1)
		if len(rows) > 0 {
			seen = rows[0].Version
		}
		out.ClientCounts, err = s.counts(ctx, scope, q, seen)
	}
	return out, err
}

// page reads up to q.Limit+1 rows after the cursor (one more than asked
// tells whether a next page exists) in one statement: it walks the agency's
// stored list rows (client_list, migration 00010) in the sort order through
// the index of its key (client_list_agency_sort for names, …_health_desc
// for -health, …) — or client_list_agency_status with a status filter —
// from the cursor on, testing visibility and the search on each row, and
// stops after q.Limit+1. Every column it returns is stored on the row, so
// a page reads about as many rows as it shows, however deep it is, and the
// keyset stays right while clients are added.
//
// The statement also reads when the agency's earliest stored row falls due;
// if that moment has passed, the due rows are recomputed and the page read
// again, so what it shows is right at now (a backlog too large to wait for
// is finished behind the reader: behind.go). The recomputing is shared with
// the other readers of the agency in this process (refreshShared); if that
// shared refresh was made for an earlier moment and rows fell due in
// between, the page is refreshed once more at now.
func (s *Service) page(ctx context.Context, scope authz.ClientScope, q ListQuery, after *cursor) ([]listRow, *readCopy, error) {
	now := s.now()
	for round := 0; ; round++ {
		rows, due, mem, err := s.pageRows(ctx, scope, q, after)
		if err != nil || round == 2 || !IsDue(due, now) {
			return rows, mem, err
		}
		var behind bool
		if round == 0 {
			behind, err = s.refreshShared(ctx, scope.AgencyID, now)
		} else {
			behind, err = s.refreshForReader(ctx, scope.AgencyID, now)
		}
		if behind || errors.Is(err, errs.ErrDatabaseUnavailable) {
			// Reads do not need the writer, nor wait for a large backlog
			// (behind.go): the page's rows get their status, score and
			// last activity computed in memory (the filter, the order and
			// the counts are the stored ones until the database takes
			// writes again, or the refresh behind reaches them).
			return rows, mem, s.computeRows(ctx, scope.AgencyID, rows)
		}
		if err != nil {
			return nil, nil, err
		}
	}
}

// pageRows reads the page's rows and the earliest valid_until of the
// agency's rows they were read with: from the agency's in-memory copy
// (memory.go), and then it also returns what the page was read from; in
// SQL, in one statement, for a search beyond ASCII.
func (s *Service) pageRows(ctx context.Context, scope authz.ClientScope, q ListQuery, after *cursor) ([]listRow, db.Time, *readCopy, error) {
	if s.listFromMemory && fromMemory(q) {
		rows, due, mem, err := s.memoryPage(ctx, scope, q, after)
		if mem != nil || err != nil {
			return rows, due, mem, err
		}
	}
	rows, err := s.pageAt(ctx, scope, q, after)
	if err != nil || len(rows) > 0 {
		var due db.Time
		if len(rows) > 0 {
			due = rows[0].Due
		}
		return rows, due, nil, err
	}
	var due db.Time
	err = s.read.Get(ctx, &due, `SELECT MIN(valid_until) FROM client_list_due WHERE agency_id = ?`, scope.AgencyID)
	return rows, due, nil, err
}

// pageAt reads the page in one statement.
func (s *Service) pageAt(ctx context.Context, scope authz.ClientScope, q ListQuery, after *cursor) ([]listRow, error) {
	join, args := scope.JoinMembership()
	cond, cargs := scope.Condition()
	key := sorts[q.Sort]
	sortKey := `0`
	if key != "" {
		sortKey = `l.` + key
	}
	// The columns are scanned in this order by listRows.ScanRows.
	sql := `SELECT l.client_id AS id, l.name, l.sort_name, l.email, l.status, l.health, l.last_active_at,
		l.users, l.seats, l.brands, ` + sortKey + ` AS sort_key,
		` + accessVersionSQL + ` AS version,
		(SELECT MIN(d.valid_until) FROM client_list_due d WHERE d.agency_id = ?) AS due, ` + enabledCol + ` AS enabled,
		` + headlineCol + ` AS headline, ` + headlineNamesSQL + ` AS headline_names
		FROM client_list l ` + enabledJoin + headlineJoin + join + ` WHERE ` + cond
	args = append(append([]any{scope.AgencyID, scope.AgencyID, scope.AgencyID}, args...), cargs...)
	if q.Status != "all" {
		sql += ` AND l.status = ?`
		args = append(args, q.Status)
	}
	if filtered, want := q.enabledFilter(); filtered {
		sql += ` AND ` + enabledCol + ` = ?`
		args = append(args, want)
	}
	if q.Q != "" {
		sql += ` AND ` + likeSQL
		args = append(args, likePattern(q.Q))
	}
	keys := s.keys(q.Sort)
	if after != nil {
		cond, vals := keyset(keys, after.values())
		sql += ` AND ` + cond
		args = append(args, vals...)
	}
	// The limit is written out (it is a checked integer): PostgreSQL then
	// plans the statement once per limit for every agency (a generic plan)
	// instead of planning it again on each call.
	sql += ` ORDER BY ` + orderBy(keys) + ` LIMIT ` + strconv.Itoa(q.Limit+1)
	if q.Q != "" {
		args = db.FreshPlan(s.read, args)
	}
	var rows listRows
	err := s.read.Select(ctx, &rows, sql, args...)
	return rows, err
}

// listRows scans pageAt's columns in their order (db.RowsScanner).
type listRows []listRow

func (out *listRows) ScanRows(rows *stdsql.Rows) error {
	for rows.Next() {
		var r listRow
		if err := rows.Scan(&r.ID, &r.Name, &r.SortName, &r.Email, &r.Status, &r.Health, &r.LastActive,
			&r.Users, &r.Seats, &r.Brands, &r.SortKey, &r.Version, &r.Due, &r.Enabled, &r.Headline, &r.HeadlineNames); err != nil {
			return err
		}
		*out = append(*out, r)
	}
	return nil
}

// key is one column of a sort order (all ascending).
type key struct {
	expr string
}

// keys returns the columns of a sort order: its stored key, if any, then
// the name and the ID, all ascending.
func (s *Service) keys(sort string) []key {
	c := collate(s.read)
	var keys []key
	if k := sorts[sort]; k != "" {
		keys = append(keys, key{expr: `l.` + k})
	}
	return append(keys, key{expr: `l.sort_name` + c}, key{expr: `l.client_id` + c})
}

func orderBy(keys []key) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.expr + ` ASC`
	}
	return strings.Join(parts, `, `)
}

// values are the cursor's sort key, matching keys().
func (c *cursor) values() []any {
	var vals []any
	if c.Key != nil {
		vals = append(vals, *c.Key)
	}
	return append(vals, c.Name, c.ID)
}

// keyset builds "the row comes after vals in this order" as one row-value
// comparison, (k1, k2, k3) > (v1, v2, v3): every key is ascending, and both
// engines seek an index on all the compared columns with it, so a page deep
// inside a run of equal scores starts where the cursor is instead of at the
// first row of that score. With no values every row comes after.
func keyset(keys []key, vals []any) (string, []any) {
	if vals == nil {
		return `1 = 1`, nil
	}
	cols := make([]string, len(keys))
	for i, k := range keys {
		cols[i] = k.expr
	}
	return `(` + strings.Join(cols, `, `) + `) > (` + db.Placeholders(len(vals)) + `)`, vals
}

func cursorAfter(sort string, r listRow) cursor {
	c := cursor{Sort: sort, Name: r.SortName, ID: r.ID}
	if sorts[sort] != "" {
		k := r.SortKey
		c.Key = &k
	}
	return c
}

// items turns rows into list items.
// The values of metrics no longer chosen are left out.
//
// The items' health, last activity and brands are allocated together, a
// backing array each for the whole page: a page from memory is a few
// microseconds of work, and allocations per item were most of the
// garbage of the list's hot path (issue 23).
func (s *Service) items(rows []listRow, names []string) ([]ClientListItem, error) {
	out := make([]ClientListItem, len(rows))
	healths := make([]ClientHealth, len(rows))
	times := make([]time.Time, len(rows))
	var brands []ClientBrand
	namesKey := ""
	if len(rows) > 0 && rows[0].from != nil {
		namesKey = strings.Join(names, "\x00")
	}
	for i, r := range rows {
		var b []ClientBrand
		var err error
		if b, brands, err = parseBrandsInto(brands, r.Brands); err != nil {
			return nil, err
		}
		m := r.metrics
		if m == nil {
			if m, err = parseHeadline(r.Headline); err != nil {
				return nil, err
			}
		}
		for k := range m {
			if !slices.Contains(names, k) {
				m = onlyNamed(m, names)
				break
			}
		}
		out[i] = ClientListItem{ID: r.ID, Name: r.Name, Email: r.Email, Status: r.Status,
			Brands: b, Users: r.Users, Seats: r.Seats, Enabled: r.Enabled, Metrics: m}
		if r.Health != nil {
			healths[i] = healthFor(int(*r.Health))
			out[i].Health = &healths[i]
		}
		if r.LastActive.Valid {
			times[i] = r.LastActive.Time
			out[i].LastActiveAt = &times[i]
		}
		if r.from != nil {
			out[i].raw = r.from.json(namesKey, &out[i])
		}
	}
	return out, nil
}

// rowsPool keeps the row slices of pages read from memory (pagedRows,
// releaseRows): 51 rows of a few hundred bytes each, per request.
var rowsPool = sync.Pool{New: func() any { return new([]listRow) }}

// pagedRows returns an empty slice of at least n rows' capacity, from the
// pool.
func pagedRows(n int) []listRow {
	p := rowsPool.Get().(*[]listRow)
	if cap(*p) < n {
		return make([]listRow, 0, n)
	}
	return (*p)[:0]
}

// releaseRows gives a page's rows back to the pool once nothing refers to
// them (their fields were copied into the page's items), cleared so the
// pool keeps no copy's strings alive.
func releaseRows(rows []listRow) {
	rows = rows[:cap(rows)]
	clear(rows)
	rows = rows[:0]
	rowsPool.Put(&rows)
}

// itemsJSON is items as the JSON each row of a copy keeps (memRow.json):
// only a row without it yet (or computed anew, with no copy's row) is made
// into an item, which keeps it.
func (s *Service) itemsJSON(rows []listRow, names []string) ([][]byte, error) {
	out := make([][]byte, 0, len(rows))
	namesKey := strings.Join(names, "\x00")
	for i := range rows {
		if r := rows[i].from; r != nil {
			if b := r.kept(namesKey); b != nil {
				out = append(out, b)
				continue
			}
		}
		it, err := s.items(rows[i:i+1], names)
		if err != nil {
			return nil, err
		}
		b := it[0].raw
		if b == nil { // refused by the row's kept JSON: say why
			if b, err = it[0].AppendJSON(nil); err != nil {
				return nil, err
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// onlyNamed is a copy of m without the metrics no longer chosen (m may be
// a copy's, shared with other pages).
func onlyNamed(m map[string]float64, names []string) map[string]float64 {
	out := make(map[string]float64, len(names))
	for k, v := range m {
		if slices.Contains(names, k) {
			out[k] = v
		}
	}
	return out
}

// headlineNames reads the agency's headline metrics as a page's statement
// read them (a JSON array).
func headlineNames(rows []listRow) []string {
	if len(rows) == 0 || rows[0].HeadlineNames == "" {
		return []string{}
	}
	text := rows[0].HeadlineNames
	if last := lastHeadline.Load(); last != nil && last.text == text {
		return last.names
	}
	names := []string{}
	if err := json.Unmarshal([]byte(text), &names); err != nil || names == nil {
		names = []string{}
	}
	lastHeadline.Store(&parsedHeadline{text: text, names: names})
	return names
}

// lastHeadline is the last headline_metrics text headlineNames parsed: an
// agency's pages all carry the same, and parsing it was six allocations
// a page (issue 23). The names are shared, so not to be changed.
var lastHeadline atomic.Pointer[parsedHeadline]

type parsedHeadline struct {
	text  string
	names []string
}
