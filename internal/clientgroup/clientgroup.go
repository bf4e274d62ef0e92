// Package clientgroup holds the groups of a client account and the sharing
// of reports with them (SPEC §12 "Client groups and per-client branding",
// issue 24). It owns the tables client_groups, client_group_members,
// report_sharing and report_sharing_groups (migration 00035).
//
// A group is a named set of the client's users. The client's admins manage
// its groups, as do the agency users who manage the client (authz:
// ClientGroupsManage); changes are audited on the client and on the agency
// side. Which reports a client member then sees is decided in one place,
// authz.SharedCondition, which reads the sharing written here (sharing.go).
package clientgroup

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// IDPrefix starts the IDs of client groups.
const IDPrefix = "cgr"

// Limits.
const (
	MaxNameLength = 100
	MaxMembers    = 1000
	MaxGroups     = 200 // groups of one client
)

// Group is a named set of a client's users.
type Group struct {
	ID        string    `db:"id" json:"id"`
	ClientID  string    `db:"client_id" json:"client_id"`
	Name      string    `db:"name" json:"name"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	Members   []Member  `db:"-" json:"members"`
}

// Member is a user in a group.
type Member struct {
	ID    string `db:"id" json:"id" doc:"The user's ID"`
	Name  string `db:"name" json:"name"`
	Email string `db:"email" json:"email"`
}

// Service manages client groups and report sharing.
type Service struct {
	db  *db.DB
	now func() time.Time
}

// New returns the service.
func New(d *db.DB, now func() time.Time) *Service { return &Service{db: d, now: now} }

var errNameTaken = errs.E(errs.Conflict, "name_taken", "This account already has a group with this name.")

// need checks that rel, a checked relation to a client account, allows
// action, and returns the client's ID.
func need(rel authz.Relation, action authz.Action) (string, error) {
	if !rel.Visible() || rel.AccountKind != "client" {
		return "", errs.ErrNotFound
	}
	if !authz.Allowed(rel.Role, action) {
		return "", errs.ErrForbidden
	}
	return rel.AccountID, nil
}

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

// List returns the client's groups by name, each with its members.
func (s *Service) List(ctx context.Context, rel authz.Relation) ([]Group, error) {
	clientID, err := need(rel, authz.ClientGroupsRead)
	if err != nil {
		return nil, err
	}
	return list(ctx, s.db, clientID)
}

func list(ctx context.Context, q db.Querier, clientID string) ([]Group, error) {
	var rows []Group
	if err := q.Select(ctx, &rows, `SELECT id, client_id, name, created_at FROM client_groups WHERE client_id = ?
		ORDER BY name_key, id`, clientID); err != nil {
		return nil, err
	}
	return rows, fillMembers(ctx, q, clientID, rows)
}

// Get returns one group of the client; another client's is not found.
func (s *Service) Get(ctx context.Context, rel authz.Relation, groupID string) (Group, error) {
	clientID, err := need(rel, authz.ClientGroupsRead)
	if err != nil {
		return Group{}, err
	}
	return get(ctx, s.db, clientID, groupID)
}

func get(ctx context.Context, q db.Querier, clientID, groupID string) (Group, error) {
	var g Group
	err := q.Get(ctx, &g, `SELECT id, client_id, name, created_at FROM client_groups WHERE id = ? AND client_id = ?`, groupID, clientID)
	if errors.Is(err, db.ErrNoRows) {
		return g, errs.ErrNotFound
	}
	if err != nil {
		return g, err
	}
	list := []Group{g}
	err = fillMembers(ctx, q, clientID, list)
	return list[0], err
}

// fillMembers loads the groups' members in one query. Only users who are
// still members of the client count: a user removed from the account
// leaves its groups with it.
func fillMembers(ctx context.Context, q db.Querier, clientID string, groups []Group) error {
	if len(groups) == 0 {
		return nil
	}
	at := map[string]int{}
	for i := range groups {
		at[groups[i].ID] = i
		groups[i].Members = []Member{}
	}
	var rows []struct {
		GroupID string `db:"group_id"`
		Member
	}
	if err := q.Select(ctx, &rows, `SELECT gm.group_id, u.id, u.name, u.email FROM client_group_members gm
		JOIN client_groups g ON g.id = gm.group_id AND g.client_id = ?
		JOIN memberships m ON m.account_id = g.client_id AND m.user_id = gm.user_id
		JOIN users u ON u.id = gm.user_id ORDER BY u.name, u.id`, clientID); err != nil {
		return err
	}
	for _, r := range rows {
		if i, ok := at[r.GroupID]; ok {
			groups[i].Members = append(groups[i].Members, r.Member)
		}
	}
	return nil
}

// Create adds a group to the client. Names are unique in the client,
// case-insensitively (409 name_taken).
func (s *Service) Create(ctx context.Context, a *authz.Actor, rel authz.Relation, name string) (Group, error) {
	clientID, err := need(rel, authz.ClientGroupsManage)
	if err != nil {
		return Group{}, err
	}
	if name, err = cleanName(name); err != nil {
		return Group{}, err
	}
	now := s.now()
	g := Group{ID: id.New(IDPrefix), ClientID: clientID, Name: name, CreatedAt: now.UTC(), Members: []Member{}}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.Get(ctx, &n, `SELECT COUNT(*) FROM client_groups WHERE client_id = ?`, clientID); err != nil {
			return err
		}
		if n >= MaxGroups {
			return errs.E(errs.Unprocessable, "too_many_groups", "An account has at most %d groups.", MaxGroups)
		}
		_, err := tx.Exec(ctx, `INSERT INTO client_groups (id, client_id, name, name_key, created_at) VALUES (?, ?, ?, ?, ?)`,
			g.ID, clientID, name, strings.ToLower(name), now)
		if errors.Is(err, db.ErrUnique) {
			return errNameTaken
		}
		if err != nil {
			return err
		}
		return record(ctx, tx, now, a, rel, "client_group.create", g.ID, nil, map[string]any{"name": name})
	})
	return g, err
}

// Rename renames a group of the client.
func (s *Service) Rename(ctx context.Context, a *authz.Actor, rel authz.Relation, groupID, name string) (Group, error) {
	clientID, err := need(rel, authz.ClientGroupsManage)
	if err != nil {
		return Group{}, err
	}
	if name, err = cleanName(name); err != nil {
		return Group{}, err
	}
	var out Group
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockGroup(ctx, tx, clientID, groupID); err != nil {
			return err
		}
		g, err := get(ctx, tx, clientID, groupID)
		if err != nil {
			return err
		}
		out = g
		if g.Name == name {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE client_groups SET name = ?, name_key = ? WHERE id = ? AND client_id = ?`,
			name, strings.ToLower(name), groupID, clientID)
		if errors.Is(err, db.ErrUnique) {
			return errNameTaken
		}
		if err != nil {
			return err
		}
		out.Name = name
		return record(ctx, tx, s.now(), a, rel, "client_group.rename", groupID, map[string]any{"name": g.Name}, map[string]any{"name": name})
	})
	return out, err
}

// Delete deletes a group of the client; its members and its places in
// report sharing go with it (a report shared only with it is then seen by
// the client's admins alone).
func (s *Service) Delete(ctx context.Context, a *authz.Actor, rel authz.Relation, groupID string) error {
	clientID, err := need(rel, authz.ClientGroupsManage)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockGroup(ctx, tx, clientID, groupID); err != nil {
			return err
		}
		g, err := get(ctx, tx, clientID, groupID)
		if err != nil {
			return err
		}
		var reports []string
		if err := tx.Select(ctx, &reports, `SELECT report_id FROM report_sharing_groups WHERE group_id = ? ORDER BY report_id`, groupID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM client_groups WHERE id = ? AND client_id = ?`, groupID, clientID); err != nil {
			return err
		}
		before := map[string]any{"name": g.Name, "user_ids": memberIDs(g), "report_ids": nonNil(reports)}
		return record(ctx, tx, s.now(), a, rel, "client_group.delete", groupID, before, nil)
	})
}

// SetMembers replaces a group's members. Every user must be a member of
// the client; otherwise nothing changes (400 on user_ids). The change
// holds from the users' next request.
func (s *Service) SetMembers(ctx context.Context, a *authz.Actor, rel authz.Relation, groupID string, userIDs []string) (Group, error) {
	clientID, err := need(rel, authz.ClientGroupsManage)
	if err != nil {
		return Group{}, err
	}
	want := slices.Compact(slices.Sorted(slices.Values(userIDs)))
	if len(want) > MaxMembers {
		return Group{}, errs.InvalidField("user_ids", "A group has at most %d members.", MaxMembers)
	}
	var out Group
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockGroup(ctx, tx, clientID, groupID); err != nil {
			return err
		}
		g, err := get(ctx, tx, clientID, groupID)
		if err != nil {
			return err
		}
		if err := allMembers(ctx, tx, clientID, want); err != nil {
			return err
		}
		before := memberIDs(g)
		if _, err := tx.Exec(ctx, `DELETE FROM client_group_members WHERE group_id = ?`, groupID); err != nil {
			return err
		}
		for _, u := range want {
			if _, err := tx.Exec(ctx, `INSERT INTO client_group_members (group_id, user_id) VALUES (?, ?)`, groupID, u); err != nil {
				return err
			}
		}
		if !slices.Equal(before, want) {
			if err := record(ctx, tx, s.now(), a, rel, "client_group.members", groupID,
				map[string]any{"user_ids": nonNil(before)}, map[string]any{"user_ids": nonNil(want)}); err != nil {
				return err
			}
		}
		out, err = get(ctx, tx, clientID, groupID)
		return err
	})
	return out, err
}

// lockGroup serialises changes of one group on PostgreSQL (SQLite's
// writer is one connection); a group of another client is not found.
func lockGroup(ctx context.Context, tx *db.Tx, clientID, groupID string) error {
	q := `SELECT id FROM client_groups WHERE id = ? AND client_id = ?`
	if tx.Dialect() == db.Postgres {
		q += ` FOR UPDATE`
	}
	var got string
	err := tx.Get(ctx, &got, q, groupID, clientID)
	if errors.Is(err, db.ErrNoRows) {
		return errs.ErrNotFound
	}
	return err
}

// allMembers fails with 400 on user_ids unless every user is a member of
// the account (account.NonMembers).
func allMembers(ctx context.Context, q db.Querier, accountID string, userIDs []string) error {
	missing, err := account.NonMembers(ctx, q, accountID, userIDs)
	if err != nil || len(missing) == 0 {
		return err
	}
	return errs.InvalidField("user_ids", "Only users of this account can be in its groups; not users: %s.", strings.Join(missing, ", "))
}

func memberIDs(g Group) []string {
	out := make([]string, len(g.Members))
	for i, m := range g.Members {
		out[i] = m.ID
	}
	slices.Sort(out)
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// record audits a change of the client's groups on both sides (SPEC §9):
// on the client, and on the agency side — the agency the actor acts for
// (through its link, or its Login As), or, for a change by the client's
// own admin, every agency managing the client through an active link.
func record(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor, rel authz.Relation, action, target string, before, after any) error {
	agencies := []string{}
	if ag := rel.Agency(); ag != "" {
		agencies = append(agencies, ag)
	} else if a != nil && a.Impersonating() {
		agencies = append(agencies, a.Impersonation.AgencyID)
	} else if err := tx.Select(ctx, &agencies, `SELECT agency_id FROM links WHERE client_id = ? AND status = 'active'
		ORDER BY agency_id`, rel.AccountID); err != nil {
		return err
	}
	entries := []audit.Entry{{AccountID: rel.AccountID, AgencyID: rel.Agency()}}
	for _, ag := range agencies {
		entries = append(entries, audit.Entry{AccountID: ag})
	}
	for _, e := range entries {
		e.Action, e.TargetID, e.Before, e.After = action, target, before, after
		if err := audit.AppendAs(ctx, tx, now, a, e); err != nil {
			return err
		}
	}
	return nil
}

// Users lists the client's users, the people its groups may hold (for the
// pages' member pickers).
func (s *Service) Users(ctx context.Context, rel authz.Relation) ([]Member, error) {
	clientID, err := need(rel, authz.ClientGroupsRead)
	if err != nil {
		return nil, err
	}
	var out []Member
	err = s.db.Select(ctx, &out, `SELECT u.id, u.name, u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.account_id = ? ORDER BY u.name, u.id`, clientID)
	return out, err
}

// Forget takes a user out of every group of the client, in the caller's
// transaction: internal/client calls it when the user leaves the account,
// so that joining again later does not bring old groups back.
func Forget(ctx context.Context, tx *db.Tx, clientID, userID string) error {
	_, err := tx.Exec(ctx, `DELETE FROM client_group_members WHERE user_id = ?
		AND group_id IN (SELECT id FROM client_groups WHERE client_id = ?)`, userID, clientID)
	return err
}
