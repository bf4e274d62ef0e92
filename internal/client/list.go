package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
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
	value string
	desc  bool
	time  bool // the value is a timestamp (else an integer)
}

var sorts = map[string]sortSpec{
	"name":         {},
	"health":       {value: "st.health"},
	"-health":      {value: "st.health", desc: true},
	"last_active":  {value: "st.last_active_at", time: true},
	"-last_active": {value: "st.last_active_at", desc: true, time: true},
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

// visibleClients is the CTE "st": the clients the scope's user sees through
// the agency's active links (authz.ClientScope, the same rule as the access
// checks), with every column the list shows, filters or sorts on.
func visibleClients(scope authz.ClientScope) (string, []any) {
	join, jargs := scope.JoinMembership()
	cond, cargs := scope.Condition()
	q := `WITH st AS (SELECT a.id, a.name, LOWER(a.name) AS sort_name, l.agency_id,
		` + primaryEmailSQL + ` AS email, ` + usersSQL + ` AS users, COALESCE(ac.seats, 0) AS seats,
		` + healthSQL + ` AS health, ` + lastActiveSQL + ` AS last_active_at, ` + statusSQL + ` AS status
		FROM links l ` + join + ` JOIN accounts a ON a.id = l.client_id
		LEFT JOIN agency_clients ac ON ac.agency_id = l.agency_id AND ac.client_id = l.client_id
		WHERE ` + cond + `) `
	return q, append(jargs, cargs...)
}

// likeSQL is the search: a case-insensitive substring of the name, the
// primary e-mail or the name of a brand of this agency granted to the client.
const likeSQL = `(LOWER(st.name) LIKE LOWER(CAST(? AS TEXT)) ESCAPE '\' OR LOWER(st.email) LIKE LOWER(CAST(? AS TEXT)) ESCAPE '\'
	OR EXISTS (SELECT 1 FROM client_brands cb JOIN brands b ON b.id = cb.brand_id
		WHERE cb.client_id = st.id AND b.agency_id = st.agency_id AND LOWER(b.name) LIKE LOWER(CAST(? AS TEXT)) ESCAPE '\'))`

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
// tells whether a next page exists). The keyset condition makes a deep page
// cost what the first one does, and stays right while clients are added.
func (s *Service) page(ctx context.Context, scope authz.ClientScope, q ListQuery, after *cursor) ([]listRow, error) {
	sql, args := visibleClients(scope)
	var where []string
	if q.Status != "all" {
		where = append(where, `st.status = ?`)
		args = append(args, q.Status)
	}
	if q.Q != "" {
		p := likePattern(q.Q)
		where = append(where, likeSQL)
		args = append(args, p, p, p)
	}
	keys, order := s.keys(q.Sort)
	if after != nil {
		cond, vals := keyset(keys, after.values(sorts[q.Sort]))
		where = append(where, cond)
		args = append(args, vals...)
	}
	sql += `SELECT st.id, st.name, st.sort_name, st.email, st.status, st.health, st.last_active_at, st.users, st.seats FROM st`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, ` AND `)
	}
	sql += ` ORDER BY ` + order + ` LIMIT ?`
	args = append(args, q.Limit+1)
	var rows []listRow
	err := s.read.Select(ctx, &rows, sql, args...)
	return rows, err
}

// key is one column of a sort order.
type key struct {
	expr string
	desc bool
}

// keys returns the columns of a sort order and its ORDER BY. A sort on a
// value that may be NULL puts the NULLs last on both engines by sorting on
// "value is null" first.
func (s *Service) keys(sort string) ([]key, string) {
	c := collate(s.read)
	spec := sorts[sort]
	var keys []key
	if spec.value != "" {
		keys = append(keys, key{expr: `(CASE WHEN ` + spec.value + ` IS NULL THEN 1 ELSE 0 END)`},
			key{expr: spec.value, desc: spec.desc})
	}
	keys = append(keys, key{expr: `st.sort_name` + c}, key{expr: `st.id` + c})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.expr + map[bool]string{false: ` ASC`, true: ` DESC`}[k.desc]
	}
	return keys, strings.Join(parts, `, `)
}

// values are the cursor's sort key, matching keys(); a nil entry drops that
// column from the comparison (rows whose value is NULL all tie on it).
func (c *cursor) values(spec sortSpec) []any {
	var vals []any
	if spec.value != "" {
		switch {
		case c.Null:
			vals = append(vals, 1, nil)
		case spec.time:
			vals = append(vals, 0, *c.Time)
		default:
			vals = append(vals, 0, *c.Int)
		}
	}
	return append(vals, c.Name, c.ID)
}

// keyset builds "the row comes after vals in this order" as
// (k1 > v1) OR (k1 = v1 AND k2 > v2) OR …, with < for descending columns.
func keyset(keys []key, vals []any) (string, []any) {
	var ors []string
	var args []any
	var eqs []string
	var eqArgs []any
	for i, k := range keys {
		if vals[i] == nil {
			continue
		}
		op := ` > ?`
		if k.desc {
			op = ` < ?`
		}
		ors = append(ors, `(`+strings.Join(append(append([]string{}, eqs...), k.expr+op), ` AND `)+`)`)
		args = append(append(args, eqArgs...), vals[i])
		eqs = append(eqs, k.expr+` = ?`)
		eqArgs = append(eqArgs, vals[i])
	}
	return `(` + strings.Join(ors, ` OR `) + `)`, args
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
	q, args, err := db.In(`SELECT cb.client_id, b.id, b.name FROM client_brands cb JOIN brands b ON b.id = cb.brand_id
		WHERE b.agency_id = ? AND cb.client_id IN (?) ORDER BY LOWER(b.name)`+collate(s.read)+`, b.id`+collate(s.read), agencyID, clientIDs)
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
func (s *Service) counts(ctx context.Context, scope authz.ClientScope, q ListQuery) (ClientCounts, error) {
	sql, args := visibleClients(scope)
	sql += `SELECT st.status, COUNT(*) AS n FROM st`
	if q.Q != "" {
		p := likePattern(q.Q)
		sql += ` WHERE ` + likeSQL
		args = append(args, p, p, p)
	}
	sql += ` GROUP BY st.status`
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := s.read.Select(ctx, &rows, sql, args...); err != nil {
		return ClientCounts{}, err
	}
	var c ClientCounts
	for _, r := range rows {
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
	return c, nil
}
