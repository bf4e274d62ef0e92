package link

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Page sizes of List.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Filter selects links for List.
type Filter struct {
	Direction string // incoming | outgoing | "" for both
	Status    string // one state, or "" for all
	Cursor    string // next_cursor of the previous page
	Limit     int    // DefaultLimit when ≤ 0, at most MaxLimit
}

var statuses = map[string]bool{Pending: true, Active: true, Declined: true, Cancelled: true, Disconnected: true}

type row struct {
	ID          string  `db:"id"`
	AgencyID    string  `db:"agency_id"`
	ClientID    string  `db:"client_id"`
	Status      string  `db:"status"`
	InitiatedBy string  `db:"initiated_by"`
	AccessAll   bool    `db:"access_all"`
	CreatedAt   db.Time `db:"created_at"`
	DecidedAt   db.Time `db:"decided_at"`
	EndedAt     db.Time `db:"ended_at"`
	AgencyName  string  `db:"agency_name"`
	ClientName  string  `db:"client_name"`
}

const selectLinks = `SELECT l.id, l.agency_id, l.client_id, l.status, l.initiated_by, l.access_all,
	l.created_at, l.decided_at, l.ended_at, ag.name AS agency_name, cl.name AS client_name
	FROM links l JOIN accounts ag ON ag.id = l.agency_id JOIN accounts cl ON cl.id = l.client_id`

func (r row) view(side string) Link {
	l := Link{ID: r.ID, AgencyID: r.AgencyID, ClientID: r.ClientID, Status: r.Status,
		Direction: direction(r.InitiatedBy, side), InitiatedBy: r.InitiatedBy, CreatedAt: r.CreatedAt.Time,
		DecidedAt: r.DecidedAt.Ptr(), EndedAt: r.EndedAt.Ptr(),
		Agency: LinkParty{ID: r.AgencyID, Name: r.AgencyName}, Client: LinkParty{ID: r.ClientID, Name: r.ClientName}}
	if side == "agency" {
		l.Access = &LinkAccess{All: r.AccessAll, UserIDs: []string{}, GroupIDs: []string{}}
	}
	return l
}

// load reads one link as seen from side (agency | client).
func load(ctx context.Context, q db.Querier, linkID, side string) (Link, error) {
	var r row
	err := q.Get(ctx, &r, selectLinks+` WHERE l.id = ?`, linkID)
	if errors.Is(err, db.ErrNoRows) {
		return Link{}, errs.ErrNotFound
	}
	if err != nil {
		return Link{}, err
	}
	out := []Link{r.view(side)}
	if err := fillAccess(ctx, q, out); err != nil {
		return Link{}, err
	}
	return out[0], nil
}

// fillAccess loads the access lists of the links that show one.
func fillAccess(ctx context.Context, q db.Querier, links []Link) error {
	byID := map[string]*LinkAccess{}
	var ids []string
	for i := range links {
		if links[i].Access != nil {
			byID[links[i].ID] = links[i].Access
			ids = append(ids, links[i].ID)
		}
	}
	if err := fillEnds(ctx, q, links); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	for _, t := range []struct {
		query string
		add   func(a *LinkAccess, v string)
	}{
		{`SELECT link_id, user_id AS v FROM link_access_users WHERE link_id IN (?) ORDER BY link_id, user_id`,
			func(a *LinkAccess, v string) { a.UserIDs = append(a.UserIDs, v) }},
		{`SELECT link_id, group_id AS v FROM link_access_groups WHERE link_id IN (?) ORDER BY link_id, group_id`,
			func(a *LinkAccess, v string) { a.GroupIDs = append(a.GroupIDs, v) }},
	} {
		query, args, err := db.In(t.query, ids)
		if err != nil {
			return err
		}
		var rows []struct {
			LinkID string `db:"link_id"`
			V      string `db:"v"`
		}
		if err := q.Select(ctx, &rows, query, args...); err != nil {
			return err
		}
		for _, r := range rows {
			t.add(byID[r.LinkID], r.V)
		}
	}
	return nil
}

// List returns the links of the account rel was checked against (with
// authz.LinkRead), newest first, and the cursor of the next page ("" on the
// last). Direction is relative to that account.
func (s *Service) List(ctx context.Context, rel authz.Relation, f Filter) ([]Link, string, error) {
	if !rel.Visible() || rel.AgencyID != "" {
		return nil, "", errs.ErrNotFound
	}
	side := rel.AccountKind
	if side != "agency" && side != "client" {
		return nil, "", errs.ErrNotFound
	}
	// Column names come from constants, never from input.
	conds, args := []string{"l." + side + "_id = ?"}, []any{rel.AccountID}
	switch f.Direction {
	case "":
	case Outgoing:
		conds, args = append(conds, "l.initiated_by = ?"), append(args, side)
	case Incoming:
		conds, args = append(conds, "l.initiated_by = ?"), append(args, other(side))
	default:
		return nil, "", errs.InvalidField("direction", "Use incoming or outgoing.")
	}
	if f.Status != "" {
		if !statuses[f.Status] {
			return nil, "", errs.InvalidField("status", "Use pending, active, declined, cancelled or disconnected.")
		}
		conds, args = append(conds, "l.status = ?"), append(args, f.Status)
	}
	if f.Cursor != "" {
		at, lastID, err := parseCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		conds = append(conds, "(l.created_at < ? OR (l.created_at = ? AND l.id < ?))")
		args = append(args, at, at, lastID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	args = append(args, limit+1)
	var rows []row
	err := s.db.Select(ctx, &rows, selectLinks+` WHERE `+strings.Join(conds, " AND ")+
		` ORDER BY l.created_at DESC, l.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = encodeCursor(last.CreatedAt.Time, last.ID)
	}
	out := make([]Link, len(rows))
	for i, r := range rows {
		out[i] = r.view(side)
	}
	if err := fillAccess(ctx, s.db, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// The cursor is the (created_at, id) of the last link of a page, opaque to
// callers: keyset paging stays correct while links are added.
func encodeCursor(at time.Time, linkID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + linkID))
}

func parseCursor(c string) (time.Time, string, error) {
	bad := errs.InvalidField("cursor", "This cursor is not valid; start again from the first page.")
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", bad
	}
	ts, linkID, ok := strings.Cut(string(raw), "|")
	if !ok || linkID == "" {
		return time.Time{}, "", bad
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", bad
	}
	return at.UTC(), linkID, nil
}
