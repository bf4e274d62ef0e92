package audit

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Page sizes of List.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Filter selects events for List.
type Filter struct {
	// AccountIDs is the scope, decided by the caller's authorisation: only
	// events of these accounts are returned, and an empty scope returns
	// nothing, so forgetting to set it can never leak another tenant's log.
	AccountIDs []string
	// AgencyID, when set, keeps the entries of that agency and those of
	// no agency (Entry.AgencyID): one agency's view of a client it shares
	// with others.
	AgencyID string
	// Action matches exactly, or as a prefix when it ends with "."
	// ("session." matches "session.login" and "session.logout").
	Action string
	Actor  string    // exact actor_id
	Since  time.Time // events at or after; zero means all
	Until  time.Time // events before; zero means all (the pages' date range)
	Cursor string    // next_cursor of the previous page
	Limit  int       // DefaultLimit when ≤ 0, at most MaxLimit
}

// List returns the events matching f, newest first, and the cursor of the
// next page ("" on the last page). A malformed cursor is an Invalid error on
// the field "cursor".
func List(ctx context.Context, q db.Querier, f Filter) (events []Event, nextCursor string, err error) {
	var before int64
	if f.Cursor != "" {
		if before, err = ParseCursor(f.Cursor); err != nil {
			return nil, "", err
		}
	}
	if len(f.AccountIDs) == 0 {
		return []Event{}, "", nil
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)

	conds := []string{"account_id IN (?)"}
	args := []any{f.AccountIDs}
	switch {
	case strings.HasSuffix(f.Action, "."):
		// substr rather than LIKE: no wildcards to escape, and LIKE is
		// case-insensitive on SQLite. Both engines count characters.
		conds = append(conds, "substr(action, 1, ?) = ?")
		args = append(args, utf8.RuneCountInString(f.Action), f.Action)
	case f.Action != "":
		conds = append(conds, "action = ?")
		args = append(args, f.Action)
	}
	if f.AgencyID != "" {
		conds = append(conds, "(agency_id IS NULL OR agency_id = ?)")
		args = append(args, f.AgencyID)
	}
	if f.Actor != "" {
		conds = append(conds, "actor_id = ?")
		args = append(args, f.Actor)
	}
	if !f.Since.IsZero() {
		// Stored times are UTC on both engines; on SQLite they are text in
		// one fixed layout, which compares correctly only against UTC.
		conds = append(conds, "at >= ?")
		args = append(args, f.Since.UTC())
	}
	if !f.Until.IsZero() {
		conds = append(conds, "at < ?")
		args = append(args, f.Until.UTC())
	}
	if before > 0 {
		conds = append(conds, "seq < ?")
		args = append(args, before)
	}
	query, args, err := db.In(`SELECT `+columns+` FROM audit_events WHERE `+
		strings.Join(conds, " AND ")+` ORDER BY seq DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("audit: list: %w", err)
	}
	var rows []row
	if err := q.Select(ctx, &rows, query, args...); err != nil {
		return nil, "", fmt.Errorf("audit: list: %w", err)
	}
	// One row more than asked tells whether another page exists without a
	// second query.
	if len(rows) > limit {
		rows = rows[:limit]
		nextCursor = EncodeCursor(rows[limit-1].Seq)
	}
	events = make([]Event, len(rows))
	for i := range rows {
		events[i] = rows[i].event()
	}
	return events, nextCursor, nil
}

// EncodeCursor makes the opaque cursor that resumes a listing below seq.
func EncodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(seq, 10)))
}

// ParseCursor reads a cursor made by EncodeCursor; anything else, including
// "", is an Invalid error on the field "cursor".
func ParseCursor(s string) (int64, error) {
	bad := errs.InvalidField("cursor", "This cursor is not valid; start again from the first page.")
	// A sequence number has at most 19 digits, 26 characters in base64;
	// refuse anything longer before decoding it.
	if s == "" || len(s) > 32 {
		return 0, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || b[0] == '0' {
		return 0, bad
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, bad
		}
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n <= 0 {
		return 0, bad
	}
	return n, nil
}
