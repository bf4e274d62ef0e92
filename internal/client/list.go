package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
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
	Metrics      map[string]float64 `json:"metrics" doc:"Headline metrics of the current period"`
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
	Clients      []ClientListItem `json:"clients"`
	NextCursor   string           `json:"next_cursor"`
	ClientCounts ClientCounts     `json:"counts"`
}

// sortSpec is one sort order: its value column (empty for name) and whether
// that value goes high to low. Every order ends with the name and the ID, so
// it is total and the keyset cursor exact.
type sortSpec struct {
	value string // SQL over the link l and its row ac (client.go)
	desc  bool
	time  bool // the value is a timestamp (else an integer)
}

var sorts = map[string]sortSpec{
	"name":         {},
	"health":       {value: healthSQL},
	"-health":      {value: healthSQL, desc: true},
	"last_active":  {value: lastActiveSQL, time: true},
	"-last_active": {value: lastActiveSQL, desc: true, time: true},
}

// cursor is the position after the last row of a page: the sort it belongs
// to, the row's sort key and its ID. It is JSON in base64url; clients treat
// it as opaque.
type cursor struct {
	Sort string     `json:"s"`
	Null bool       `json:"z,omitempty"` // the row's sort value is NULL
	Int  *int64     `json:"v,omitempty"`
	Time *time.Time `json:"t,omitempty"`
	Name string     `json:"n"`
	ID   string     `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
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
	if json.Unmarshal(b, &c) != nil || c.Sort != sort || c.ID == "" {
		return nil, errCursor
	}
	spec := sorts[sort]
	if spec.value != "" && !c.Null && (spec.time && c.Time == nil || !spec.time && c.Int == nil) {
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
	if q.Sort == "" {
		q.Sort = "name"
	}
	if _, ok := sorts[q.Sort]; !ok {
		return errs.InvalidField("sort", "Sort by name, health, -health or -last_active.")
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
	return nil
}

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
// primary e-mail or the name of a brand of this agency granted to the client.
// l.sort_name is LOWER(accounts.name), kept on the link by triggers
// (migration 00006), so the name test needs no read of the account.
const likeSQL = `(l.sort_name LIKE LOWER(CAST(? AS TEXT)) ESCAPE '\' OR LOWER(` + primaryEmailSQL + `) LIKE LOWER(CAST(? AS TEXT)) ESCAPE '\'
	OR EXISTS (SELECT 1 FROM client_brands cb JOIN brands b ON b.id = cb.brand_id
		WHERE cb.client_id = l.client_id AND b.agency_id = l.agency_id AND LOWER(b.name) LIKE LOWER(CAST(? AS TEXT)) ESCAPE '\'))`

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
	rows, err := s.page(ctx, scope, q, after)
	if err != nil {
		return ClientPage{}, err
	}
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		out.NextCursor = cursorAfter(q.Sort, rows[len(rows)-1]).encode()
	}
	if out.Clients, err = s.items(ctx, scope.AgencyID, rows); err != nil {
		return ClientPage{}, err
	}
	if !q.noCounts {
		out.ClientCounts, err = s.counts(ctx, scope, q)
	}
	return out, err
}

// page reads up to q.Limit+1 rows after the cursor (one more than asked
// tells whether a next page exists), in two steps of one statement: the
// inner query walks the agency's links in the sort order through the index
// links_agency_sort (agency_id, status, sort_name, client_id) from the
// cursor on, testing visibility, the status filter and the search on each
// link, and stops after q.Limit+1; only those rows then get their account,
// e-mail, user count and seats. A deep page costs what the first one does,
// and the keyset stays right while clients are added.
func (s *Service) page(ctx context.Context, scope authz.ClientScope, q ListQuery, after *cursor) ([]listRow, error) {
	join, args := scope.JoinMembership()
	cond, cargs := scope.Condition()
	spec := sorts[q.Sort]
	value := spec.value != "" && !alwaysNull[spec.value]
	inner := `SELECT l.client_id, l.agency_id, l.sort_name`
	if value {
		inner += `, ` + spec.value + ` AS sort_value`
	}
	inner += ` FROM links l ` + join
	if q.Status != "all" || value {
		inner += ` LEFT JOIN agency_clients ac ON ac.agency_id = l.agency_id AND ac.client_id = l.client_id`
	}
	inner += ` WHERE ` + cond
	args = append(args, cargs...)
	if q.Status != "all" {
		inner += ` AND ` + statusSQL + ` = ?`
		args = append(args, q.Status)
	}
	if q.Q != "" {
		p := likePattern(q.Q)
		inner += ` AND ` + likeSQL
		args = append(args, p, p, p)
	}
	if after != nil {
		cond, vals := keyset(s.keys(q.Sort, spec.value), after.values(spec, value))
		inner += ` AND ` + cond
		args = append(args, vals...)
	}
	// The limit is written out (it is a checked integer): PostgreSQL then
	// plans the statement once per limit for every agency (a generic plan)
	// instead of planning it again on each call.
	inner += ` ORDER BY ` + orderBy(s.keys(q.Sort, spec.value)) + ` LIMIT ` + strconv.Itoa(q.Limit+1)
	sql := `SELECT l.client_id AS id, a.name, l.sort_name, ` + primaryEmailSQL + ` AS email, ` + statusSQL + ` AS status,
		` + healthSQL + ` AS health, ` + lastActiveSQL + ` AS last_active_at, ` + usersSQL + ` AS users, COALESCE(ac.seats, 0) AS seats
		FROM (` + inner + `) l JOIN accounts a ON a.id = l.client_id
		LEFT JOIN agency_clients ac ON ac.agency_id = l.agency_id AND ac.client_id = l.client_id
		ORDER BY ` + orderBy(s.keys(q.Sort, "l.sort_value"))
	var rows []listRow
	err := s.read.Select(ctx, &rows, sql, args...)
	return rows, err
}

// key is one column of a sort order.
type key struct {
	expr string
	desc bool
}

// keys returns the columns of a sort order, with value as the sort value's
// expression. A sort on a value that may be NULL puts the NULLs last on both
// engines by sorting on "value is null" first; a value that is NULL for
// every client (alwaysNull) adds nothing to the name order and is left out,
// so the index serves the order.
func (s *Service) keys(sort, value string) []key {
	c := collate(s.read)
	spec := sorts[sort]
	var keys []key
	if spec.value != "" && !alwaysNull[spec.value] {
		keys = append(keys, key{expr: `(CASE WHEN ` + value + ` IS NULL THEN 1 ELSE 0 END)`},
			key{expr: value, desc: spec.desc})
	}
	return append(keys, key{expr: `l.sort_name` + c}, key{expr: `l.client_id` + c})
}

func orderBy(keys []key) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.expr + map[bool]string{false: ` ASC`, true: ` DESC`}[k.desc]
	}
	return strings.Join(parts, `, `)
}

// values are the cursor's sort key, matching keys(); a nil entry drops that
// column from the comparison (rows whose value is NULL all tie on it). With
// a value that is NULL for every client (withValue false), the keys are the
// name and the ID: a cursor past a NULL value goes on by name, and a cursor
// at a non-NULL value (which no row has) comes before every row, as NULLs
// sort last.
func (c *cursor) values(spec sortSpec, withValue bool) []any {
	var vals []any
	switch {
	case spec.value == "":
	case !withValue:
		if !c.Null {
			return nil
		}
	case c.Null:
		vals = append(vals, 1, nil)
	case spec.time:
		vals = append(vals, 0, *c.Time)
	default:
		vals = append(vals, 0, *c.Int)
	}
	return append(vals, c.Name, c.ID)
}

// keyset builds "the row comes after vals in this order" as
// (k1 > v1) OR (k1 = v1 AND k2 > v2) OR …, with < for descending columns,
// led by k1 >= v1 (the first compared column's range, which an index can
// seek to). With no values every row comes after.
func keyset(keys []key, vals []any) (string, []any) {
	if vals == nil {
		return `1 = 1`, nil
	}
	var ors []string
	var args []any
	var eqs []string
	var eqArgs []any
	lead := ""
	for i, k := range keys {
		if vals[i] == nil {
			continue
		}
		op, cmp := ` > ?`, ` >= ?`
		if k.desc {
			op, cmp = ` < ?`, ` <= ?`
		}
		if lead == "" {
			lead = k.expr + cmp
			args = append(args, vals[i])
		}
		ors = append(ors, `(`+strings.Join(append(append([]string{}, eqs...), k.expr+op), ` AND `)+`)`)
		args = append(append(args, eqArgs...), vals[i])
		eqs = append(eqs, k.expr+` = ?`)
		eqArgs = append(eqArgs, vals[i])
	}
	return `(` + lead + ` AND (` + strings.Join(ors, ` OR `) + `))`, args
}

func cursorAfter(sort string, r listRow) cursor {
	c := cursor{Sort: sort, Name: r.SortName, ID: r.ID}
	spec := sorts[sort]
	switch {
	case spec.value == "":
	case spec.time && r.LastActive.Valid:
		t := r.LastActive.Time
		c.Time = &t
	case !spec.time && r.Health != nil:
		c.Int = r.Health
	default:
		c.Null = true
	}
	return c
}

// items turns rows into list items, with the brands of all of them read in
// one query.
func (s *Service) items(ctx context.Context, agencyID string, rows []listRow) ([]ClientListItem, error) {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	brands, err := s.brandsOf(ctx, agencyID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]ClientListItem, len(rows))
	for i, r := range rows {
		b := brands[r.ID]
		if b == nil {
			b = []ClientBrand{}
		}
		out[i] = ClientListItem{ID: r.ID, Name: r.Name, Email: r.Email, Status: r.Status, Health: healthOf(r.Health),
			LastActiveAt: r.LastActive.Ptr(), Brands: b, Users: r.Users, Seats: r.Seats, Metrics: map[string]float64{}}
	}
	return out, nil
}

// brandsOf returns the agency's brands granted to each of the clients, by
// name, in a single query.
func (s *Service) brandsOf(ctx context.Context, agencyID string, clientIDs []string) (map[string][]ClientBrand, error) {
	out := map[string][]ClientBrand{}
	if len(clientIDs) == 0 {
		return out, nil
	}
	// From the clients' grants to their brands (CROSS JOIN keeps that
	// order on SQLite, which would otherwise try every brand of the agency
	// against every client).
	q, args, err := db.In(`SELECT cb.client_id, b.id, b.name FROM client_brands cb CROSS JOIN brands b
		WHERE b.id = cb.brand_id AND cb.client_id IN (?) AND b.agency_id = ?
		ORDER BY LOWER(b.name)`+collate(s.read)+`, b.id`+collate(s.read), clientIDs, agencyID)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ClientID string `db:"client_id"`
		ClientBrand
	}
	if err := s.read.Select(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ClientID] = append(out[r.ClientID], r.ClientBrand)
	}
	return out, nil
}

// counts returns the number of clients per status, with the search applied.
//
// Counting reads every visible client (10,000 of them cost tens of
// milliseconds), so the counts are kept in memory per agency, user and
// search (countsCache) together with the version of the data they were
// counted from: client_list_version, a counter that every change to a table
// the counts read moves, in the same transaction (triggers, migration
// 00006). One statement reads the version and, only when it differs from the
// cached one, counts again: in that statement's snapshot, so counts are
// never older than the request, exactly as when they were always counted.
func (s *Service) counts(ctx context.Context, scope authz.ClientScope, q ListQuery) (ClientCounts, error) {
	key := countsKey{agency: scope.AgencyID, user: scope.UserID, q: q.Q}
	cached, ok := s.countsCache.get(key)
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
		from, gate = `FROM links l `, `(SELECT v FROM client_list_version) <> ?`
	} else {
		from, gate = `FROM client_list_version gate CROSS JOIN links l `, `gate.v <> ?`
	}
	sql := `SELECT v AS version, '' AS status, 0 AS n FROM client_list_version
		UNION ALL
		SELECT 0, status, COUNT(*) FROM (SELECT ` + statusSQL + ` AS status ` + from + join + `
		LEFT JOIN agency_clients ac ON ac.agency_id = l.agency_id AND ac.client_id = l.client_id
		WHERE ` + gate + ` AND ` + cond
	args = append(append(args, have), cargs...)
	if q.Q != "" {
		p := likePattern(q.Q)
		sql += ` AND ` + likeSQL
		args = append(args, p, p, p)
	}
	sql += `) st GROUP BY status`
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
		c.All += r.N
		switch r.Status {
		case "pending":
			c.Pending = r.N
		case "link_invite":
			c.LinkInvite = r.N
		case "active":
			c.Active = r.N
		case "at_risk":
			c.AtRisk = r.N
		case "churned":
			c.Churned = r.N
		case "revoked":
			c.Revoked = r.N
		}
	}
	if version >= 0 {
		s.countsCache.put(key, countsEntry{version: version, counts: c})
	}
	return c, nil
}

// countsKey is what counts depend on besides the data: whose view, which
// search.
type countsKey struct{ agency, user, q string }

type countsEntry struct {
	version int64
	counts  ClientCounts
}

// countsCache holds the latest counts per key; it forgets everything when
// it reaches maxCountsCached keys (searches typed letter by letter make
// many), which costs one count each.
type countsCache struct {
	mu sync.Mutex
	m  map[countsKey]countsEntry
}

const maxCountsCached = 4096

func (c *countsCache) get(k countsKey) (countsEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e, ok
}

func (c *countsCache) put(k countsKey, e countsEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCountsCached {
		c.m = map[countsKey]countsEntry{}
	}
	if old, ok := c.m[k]; !ok || old.version <= e.version {
		c.m[k] = e
	}
}
