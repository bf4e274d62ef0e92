package agency

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client/managers"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Member is a user of the agency with their agency role.
type Member struct {
	ID       string    `db:"id" json:"id" doc:"The user's ID"`
	Name     string    `db:"name" json:"name"`
	Email    string    `db:"email" json:"email"`
	Role     string    `db:"role" json:"role" enum:"admin,account_manager,member,viewer"`
	JoinedAt time.Time `db:"joined_at" json:"joined_at"`
	// TwoFactor: the member signs in with a second factor (issue 21).
	TwoFactor bool `db:"two_factor" json:"two_factor" doc:"Whether the member has two-factor sign-in on"`
}

const memberColumns = `u.id, u.name, u.email, m.role, m.created_at AS joined_at,
	EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL) AS two_factor
	FROM memberships m JOIN users u ON u.id = m.user_id`

// Members lists the agency's members by name.
func (s *Service) Members(ctx context.Context, rel authz.Relation, p Page) ([]Member, string, error) {
	agencyID, err := need(rel, authz.AgencyRead)
	if err != nil {
		return nil, "", err
	}
	q, args, err := keyset(`SELECT `+memberColumns+` WHERE m.account_id = ?`, []any{agencyID}, p.Cursor, "u.name", "u.id")
	if err != nil {
		return nil, "", err
	}
	limit := p.limit()
	var rows []Member
	if err := s.db.Select(ctx, &rows, q+` ORDER BY u.name, u.id LIMIT ?`, append(args, limit+1)...); err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = encodeCursor(rows[limit-1].Name, rows[limit-1].ID)
	}
	return rows, next, nil
}

// Member returns one member of the agency; a user who is not one is not found.
func (s *Service) Member(ctx context.Context, rel authz.Relation, userID string) (Member, error) {
	agencyID, err := need(rel, authz.AgencyRead)
	if err != nil {
		return Member{}, err
	}
	return member(ctx, s.db, agencyID, userID)
}

func member(ctx context.Context, q db.Querier, agencyID, userID string) (Member, error) {
	var m Member
	err := q.Get(ctx, &m, `SELECT `+memberColumns+` WHERE m.account_id = ? AND m.user_id = ?`, agencyID, userID)
	if errors.Is(err, db.ErrNoRows) {
		return m, errs.ErrNotFound
	}
	return m, err
}

// ChangeRole gives a member another agency role (admins only). The last admin
// cannot be demoted (409 last_admin). An account manager who stops being one
// loses their client assignments in this agency: SPEC §1 grants access to
// clients through assignment to account managers only.
func (s *Service) ChangeRole(ctx context.Context, a *authz.Actor, rel authz.Relation, userID, role string) (Member, error) {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return Member{}, err
	}
	role = strings.TrimSpace(role)
	if !authz.ValidRole("agency", role) {
		return Member{}, errs.InvalidField("role", "Choose admin, account_manager, member or viewer.")
	}
	var out Member
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockAgency(ctx, tx, agencyID); err != nil {
			return err
		}
		before, err := member(ctx, tx, agencyID, userID)
		if err != nil {
			return err
		}
		if before.Role == role {
			out = before
			return nil
		}
		if err := account.SetRole(ctx, tx, account.Agency, agencyID, userID, role); err != nil {
			return err
		}
		after := map[string]any{"role": role}
		if before.Role == "account_manager" {
			clients, err := managers.UnassignUser(ctx, tx, agencyID, userID)
			if err != nil {
				return err
			}
			if len(clients) > 0 {
				after["unassigned_client_ids"] = clients
			}
			if _, err := tx.Exec(ctx, `DELETE FROM access_ends WHERE agency_id = ? AND subject = 'account_manager' AND subject_id = ?`,
				agencyID, userID); err != nil {
				return err
			}
		}
		if err := s.record(ctx, tx, a, agencyID, "member.role_change", userID, map[string]any{"role": before.Role}, after); err != nil {
			return err
		}
		out, err = member(ctx, tx, agencyID, userID)
		return err
	})
	return out, err
}

// RemoveMember removes a user from the agency (admins only) and ends their
// access at once: their membership, their groups in the agency, their client
// assignments, their places on the access lists of the agency's links, and
// the sessions whose current account is the agency all go in one
// transaction. The last admin cannot be removed (409 last_admin).
func (s *Service) RemoveMember(ctx context.Context, a *authz.Actor, rel authz.Relation, userID string) error {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockAgency(ctx, tx, agencyID); err != nil {
			return err
		}
		m, err := member(ctx, tx, agencyID, userID)
		if err != nil {
			return err
		}
		if err := account.RemoveMember(ctx, tx, account.Agency, agencyID, userID); err != nil {
			return err
		}
		var groups, clients, links []string
		if err := tx.Select(ctx, &groups, `DELETE FROM group_members WHERE user_id = ?
			AND group_id IN (SELECT id FROM agency_groups WHERE agency_id = ?) RETURNING group_id`, userID, agencyID); err != nil {
			return err
		}
		if clients, err = managers.UnassignUser(ctx, tx, agencyID, userID); err != nil {
			return err
		}
		if err := tx.Select(ctx, &links, `DELETE FROM link_access_users WHERE user_id = ?
			AND link_id IN (SELECT id FROM links WHERE agency_id = ?) RETURNING link_id`, userID, agencyID); err != nil {
			return err
		}
		// Their end dates (issue 21) go with the grants.
		if _, err := tx.Exec(ctx, `DELETE FROM access_ends WHERE agency_id = ? AND subject IN ('user', 'account_manager') AND subject_id = ?`,
			agencyID, userID); err != nil {
			return err
		}
		ended, err := auth.EndSessionsIn(ctx, tx, s.now(), agencyID, userID) // the sessions table is auth's
		if err != nil {
			return err
		}
		before := map[string]any{"name": m.Name, "email": m.Email, "role": m.Role,
			"group_ids": nonNil(groups), "account_manager_of": nonNil(clients), "link_access": nonNil(links)}
		return s.record(ctx, tx, a, agencyID, "member.remove", userID, before, map[string]any{"sessions_ended": ended})
	})
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
