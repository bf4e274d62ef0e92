// Package agency is the agency's organisation (SPEC §1, §9, §10): its members
// and their roles, its groups, its brands and its settings.
//
// Every Service method takes the caller's checked authz.Relation to the
// agency (or, for a brand, to the brand's agency) and scopes its SQL by the
// relation's account, so a caller that skipped the check finds nothing. The
// methods consult the role × action matrix again themselves, so that pages
// and the API can call them without repeating any rule. Changes write their
// audit entries in the same transaction.
package agency

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Service manages agencies' members, groups, brands and settings.
type Service struct {
	db  *db.DB
	now clock.Clock
}

// New returns the agency service.
func New(d *db.DB, now clock.Clock) *Service { return &Service{db: d, now: now} }

// Page sizes of the lists.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Page asks for one page of a list: the next_cursor of the previous page
// ("" for the first) and a size (DefaultLimit when ≤ 0, at most MaxLimit).
type Page struct {
	Cursor string
	Limit  int
}

func (p Page) limit() int {
	if p.Limit <= 0 {
		return DefaultLimit
	}
	return min(p.Limit, MaxLimit)
}

// Errors with codes of their own (SPEC §10: 409 for conflicts).
var (
	errNameTaken = errs.E(errs.Conflict, "name_taken", "This name is already used in your agency.")
)

// need returns the agency of a checked relation when it allows the action.
// A zero relation (nobody checked) or a relation to a client finds nothing.
func need(rel authz.Relation, action authz.Action) (string, error) {
	if !rel.Visible() || rel.AccountKind != "agency" {
		return "", errs.ErrNotFound
	}
	if !authz.Allowed(rel.Role, action) {
		return "", errs.ErrForbidden
	}
	return rel.AccountID, nil
}

// lockAgency serialises the changes that must see each other within one
// agency: the last-admin rule (two admins demoting each other at once), a
// group's members against a member's removal, and settings merged from a
// partial update. On PostgreSQL a row lock on the agency does it (FOR NO KEY
// UPDATE, so inserts elsewhere that merely reference the account are not
// blocked); every statement after it, under READ COMMITTED, sees what the
// previous holder committed. On SQLite the write transaction already began
// IMMEDIATE on the single writer connection and excludes every other writer.
func lockAgency(ctx context.Context, tx *db.Tx, agencyID string) error {
	if tx.Dialect() != db.Postgres {
		return nil
	}
	var id string
	err := tx.Get(ctx, &id, `SELECT id FROM accounts WHERE id = ? FOR NO KEY UPDATE`, agencyID)
	if errors.Is(err, db.ErrNoRows) {
		return errs.ErrNotFound
	}
	return err
}

// lockRow finds a group or brand of the agency (ErrNotFound otherwise) and,
// on PostgreSQL, locks it FOR UPDATE: that lock conflicts with the key-share
// lock of any insert referencing the row (a link sharing the group, a client
// granted the brand), so what the deletion audits is exactly what it deletes.
func lockRow(ctx context.Context, tx *db.Tx, table, rowID, agencyID string) error {
	q := `SELECT id FROM ` + table + ` WHERE id = ? AND agency_id = ?`
	if tx.Dialect() == db.Postgres {
		q += ` FOR UPDATE`
	}
	var id string
	err := tx.Get(ctx, &id, q, rowID, agencyID)
	if errors.Is(err, db.ErrNoRows) {
		return errs.ErrNotFound
	}
	return err
}

// record appends an audit entry by the actor (a nil actor is the system).
func (s *Service) record(ctx context.Context, tx *db.Tx, a *authz.Actor, accountID, action, target string, before, after any) error {
	return s.recordFor(ctx, tx, a, "", accountID, action, target, before, after)
}

// recordFor appends an entry on a client account about the agency's work
// (audit.Entry.AgencyID): a client shared with other agencies shows it to
// this agency and the client only.
func (s *Service) recordFor(ctx context.Context, tx *db.Tx, a *authz.Actor, agencyID, accountID, action, target string, before, after any) error {
	e := audit.Entry{AccountID: accountID, AgencyID: agencyID, Action: action, TargetID: target, Before: before, After: after}
	return audit.AppendAs(ctx, tx, s.now(), a, e)
}

// MaxNameLength is the longest group or brand name, in characters.
const MaxNameLength = 80

// cleanName trims a group or brand name and checks it: 1–80 characters, no
// control characters (names end up in e-mails and pages).
func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", errs.InvalidField("name", "Enter a name.")
	case !utf8.ValidString(name):
		return "", errs.InvalidField("name", "Use plain text.")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return "", errs.InvalidField("name", "Use at most %d characters.", MaxNameLength)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", errs.InvalidField("name", "Use a name without line breaks or control characters.")
	}
	return name, nil
}

// nameKey is the form under which names are unique: case-insensitively.
func nameKey(name string) string { return strings.ToLower(name) }

// renameRow gives a named row of the agency (a brand, a group) a new name,
// unique within the agency case-insensitively, and audits the change. table
// and set are the code's own constants (set adds columns to update, with
// their arguments first).
func (s *Service) renameRow(ctx context.Context, tx *db.Tx, a *authz.Actor, agencyID, table, set, action, id, from, to string, setArgs ...any) error {
	args := append(append([]any{to, nameKey(to)}, setArgs...), id, agencyID)
	_, err := tx.Exec(ctx, `UPDATE `+table+` SET name = ?, name_key = ?`+set+` WHERE id = ? AND agency_id = ?`, args...)
	if errors.Is(err, db.ErrUnique) {
		return errNameTaken
	}
	if err != nil {
		return err
	}
	return s.record(ctx, tx, a, agencyID, action, id, map[string]any{"name": from}, map[string]any{"name": to})
}

// Cursors are keyset positions: the sort key and the ID of the last row of
// the previous page, opaque to callers.
func encodeCursor(key, id string) string {
	b, _ := json.Marshal([2]string{key, id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string) (key, id string, err error) {
	bad := errs.InvalidField("cursor", "This cursor is not valid; start again from the first page.")
	if len(c) > 400 {
		return "", "", bad
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", "", bad
	}
	var v [2]string
	if json.Unmarshal(b, &v) != nil || v[1] == "" {
		return "", "", bad
	}
	return v[0], v[1], nil
}

// keyset adds the "after the cursor" condition on (keyCol, idCol) to a query.
func keyset(q string, args []any, cursor, keyCol, idCol string) (string, []any, error) {
	if cursor == "" {
		return q, args, nil
	}
	key, id, err := decodeCursor(cursor)
	if err != nil {
		return "", nil, err
	}
	q += ` AND (` + keyCol + ` > ? OR (` + keyCol + ` = ? AND ` + idCol + ` > ?))`
	return q, append(args, key, key, id), nil
}
