package agency

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// Group is a named set of agency users, used to share clients (SPEC §1).
type Group struct {
	ID        string        `db:"id" json:"id"`
	Name      string        `db:"name" json:"name"`
	CreatedAt time.Time     `db:"created_at" json:"created_at"`
	Members   []GroupMember `db:"-" json:"members"`
}

// GroupMember is a user in a group.
type GroupMember struct {
	ID    string `db:"id" json:"id" doc:"The user's ID"`
	Name  string `db:"name" json:"name"`
	Email string `db:"email" json:"email"`
}

// MaxGroupMembers bounds one PUT of a group's members.
const MaxGroupMembers = 1000

// Groups lists the agency's groups by name, each with its members.
func (s *Service) Groups(ctx context.Context, rel authz.Relation, p Page) ([]Group, string, error) {
	agencyID, err := need(rel, authz.AgencyRead)
	if err != nil {
		return nil, "", err
	}
	q, args, err := keyset(`SELECT id, name, created_at FROM agency_groups WHERE agency_id = ?`, []any{agencyID},
		p.Cursor, "name_key", "id")
	if err != nil {
		return nil, "", err
	}
	limit := p.limit()
	var rows []Group
	if err := s.db.Select(ctx, &rows, q+` ORDER BY name_key, id LIMIT ?`, append(args, limit+1)...); err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = encodeCursor(nameKey(rows[limit-1].Name), rows[limit-1].ID)
	}
	if err := fillMembers(ctx, s.db, rows); err != nil {
		return nil, "", err
	}
	return rows, next, nil
}

// Group returns one group of the agency; a group of another agency is not found.
func (s *Service) Group(ctx context.Context, rel authz.Relation, groupID string) (Group, error) {
	agencyID, err := need(rel, authz.AgencyRead)
	if err != nil {
		return Group{}, err
	}
	return group(ctx, s.db, agencyID, groupID)
}

func group(ctx context.Context, q db.Querier, agencyID, groupID string) (Group, error) {
	var g Group
	err := q.Get(ctx, &g, `SELECT id, name, created_at FROM agency_groups WHERE id = ? AND agency_id = ?`, groupID, agencyID)
	if errors.Is(err, db.ErrNoRows) {
		return g, errs.ErrNotFound
	}
	if err != nil {
		return g, err
	}
	list := []Group{g}
	err = fillMembers(ctx, q, list)
	return list[0], err
}

// fillMembers loads the members of the groups in one query.
func fillMembers(ctx context.Context, q db.Querier, groups []Group) error {
	if len(groups) == 0 {
		return nil
	}
	ids := make([]string, len(groups))
	at := map[string]int{}
	for i := range groups {
		ids[i] = groups[i].ID
		at[groups[i].ID] = i
		groups[i].Members = []GroupMember{}
	}
	query, args, err := db.In(`SELECT gm.group_id, u.id, u.name, u.email FROM group_members gm
		JOIN users u ON u.id = gm.user_id WHERE gm.group_id IN (?) ORDER BY u.name, u.id`, ids)
	if err != nil {
		return err
	}
	var rows []struct {
		GroupID string `db:"group_id"`
		GroupMember
	}
	if err := q.Select(ctx, &rows, query, args...); err != nil {
		return err
	}
	for _, r := range rows {
		i := at[r.GroupID]
		groups[i].Members = append(groups[i].Members, r.GroupMember)
	}
	return nil
}

// CreateGroup adds a group (admins only). Names are unique in the agency,
// case-insensitively (409 name_taken).
func (s *Service) CreateGroup(ctx context.Context, a *authz.Actor, rel authz.Relation, name string) (Group, error) {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return Group{}, err
	}
	if name, err = cleanName(name); err != nil {
		return Group{}, err
	}
	now := s.now()
	g := Group{ID: id.New(id.Group), Name: name, CreatedAt: now, Members: []GroupMember{}}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO agency_groups (id, agency_id, name, name_key, created_at) VALUES (?, ?, ?, ?, ?)`,
			g.ID, agencyID, name, nameKey(name), now)
		if errors.Is(err, db.ErrUnique) {
			return errNameTaken
		}
		if err != nil {
			return err
		}
		return s.record(ctx, tx, a, agencyID, "group.create", g.ID, nil, map[string]any{"name": name})
	})
	return g, err
}

// RenameGroup renames a group of the agency (admins only).
func (s *Service) RenameGroup(ctx context.Context, a *authz.Actor, rel authz.Relation, groupID, name string) (Group, error) {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return Group{}, err
	}
	if name, err = cleanName(name); err != nil {
		return Group{}, err
	}
	var out Group
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// The lock makes the audited "before" the name this rename replaced.
		if err := lockAgency(ctx, tx, agencyID); err != nil {
			return err
		}
		g, err := group(ctx, tx, agencyID, groupID)
		if err != nil {
			return err
		}
		if g.Name == name {
			out = g
			return nil
		}
		if err := s.renameRow(ctx, tx, a, agencyID, "agency_groups", "", "group.rename", groupID, g.Name, name); err != nil {
			return err
		}
		g.Name = name
		out = g
		return nil
	})
	return out, err
}

// DeleteGroup deletes a group of the agency (admins only); its members and
// its places on link access lists go with it, so the clients shared with
// the group are no longer seen through it.
func (s *Service) DeleteGroup(ctx context.Context, a *authz.Actor, rel authz.Relation, groupID string) error {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockAgency(ctx, tx, agencyID); err != nil {
			return err
		}
		if err := lockRow(ctx, tx, "agency_groups", groupID, agencyID); err != nil {
			return err
		}
		g, err := group(ctx, tx, agencyID, groupID)
		if err != nil {
			return err
		}
		var links []string
		if err := tx.Select(ctx, &links, `SELECT link_id FROM link_access_groups WHERE group_id = ? ORDER BY link_id`, groupID); err != nil {
			return err
		}
		// The foreign keys cascade to group_members and link_access_groups.
		res, err := tx.Exec(ctx, `DELETE FROM agency_groups WHERE id = ? AND agency_id = ?`, groupID, agencyID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		before := map[string]any{"name": g.Name, "user_ids": memberIDs(g), "link_access": nonNil(links)}
		return s.record(ctx, tx, a, agencyID, "group.delete", groupID, before, nil)
	})
}

// SetGroupMembers replaces a group's members (admins only). Every user must
// be a member of the agency; otherwise nothing changes (400 on user_ids).
func (s *Service) SetGroupMembers(ctx context.Context, a *authz.Actor, rel authz.Relation, groupID string, userIDs []string) (Group, error) {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return Group{}, err
	}
	want := uniqueSorted(userIDs)
	if len(want) > MaxGroupMembers {
		return Group{}, errs.InvalidField("user_ids", "A group has at most %d members.", MaxGroupMembers)
	}
	var out Group
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// Under the agency lock, a member being removed at the same time
		// is either gone before this check or removed from the group after.
		if err := lockAgency(ctx, tx, agencyID); err != nil {
			return err
		}
		g, err := group(ctx, tx, agencyID, groupID)
		if err != nil {
			return err
		}
		if err := allMembers(ctx, tx, agencyID, want); err != nil {
			return err
		}
		before := memberIDs(g)
		if slices.Equal(before, want) {
			out = g
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM group_members WHERE group_id = ?`, groupID); err != nil {
			return err
		}
		for _, u := range want {
			if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, user_id) VALUES (?, ?)`, groupID, u); err != nil {
				return err
			}
		}
		if err := s.record(ctx, tx, a, agencyID, "group.members", groupID,
			map[string]any{"user_ids": before}, map[string]any{"user_ids": want}); err != nil {
			return err
		}
		out, err = group(ctx, tx, agencyID, groupID)
		return err
	})
	return out, err
}

// allMembers fails with 400 on user_ids unless every user is a member of
// the account (account.NonMembers).
func allMembers(ctx context.Context, q db.Querier, accountID string, userIDs []string) error {
	missing, err := account.NonMembers(ctx, q, accountID, userIDs)
	if err != nil || len(missing) == 0 {
		return err
	}
	return errs.InvalidField("user_ids", "Only members of this agency can be in its groups; not members: %s.", strings.Join(missing, ", "))
}

func memberIDs(g Group) []string {
	out := make([]string, len(g.Members))
	for i, m := range g.Members {
		out[i] = m.ID
	}
	slices.Sort(out)
	return out
}

// uniqueSorted drops repeated IDs; anything else (a blank, say) is left for
// allMembers to refuse.
func uniqueSorted(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}
