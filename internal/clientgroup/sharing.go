package clientgroup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Report sharing (PUT /api/v1/reports/{id}/sharing): per client that has the
// report's brand, everyone (the default: no row) or chosen groups of that
// client. The agency's users who edit reports decide it, for the clients
// they see through the brand's agency; clients they do not see are neither
// listed nor changed. What a client member then sees is authz.SharedCondition.

// ClientShare is how a report is shared with one client.
type ClientShare struct {
	ClientID   string   `json:"client_id"`
	ClientName string   `json:"client_name,omitempty" doc:"Answers only"`
	All        bool     `json:"all" doc:"Every user of the client sees the report (the default)"`
	GroupIDs   []string `json:"group_ids" doc:"With all false: the client's groups whose members see it (its admins always do)"`
	// Groups are the client's groups to choose from (answers only).
	Groups []GroupRef `json:"groups,omitempty" doc:"Answers only: the client's groups"`
}

// GroupRef names a group.
type GroupRef struct {
	ID   string `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

// Sharing is a report's sharing with the clients the actor sees.
type Sharing struct {
	ReportID string        `json:"report_id"`
	Clients  []ClientShare `json:"clients"`
}

// MaxShares bounds one PUT.
const MaxShares = 500

// agencySide checks that rel, decided on the report's brand, is an agency
// user's and allows action.
func agencySide(rel authz.Relation, action authz.Action) error {
	if !rel.Visible() || rel.AccountKind != "agency" || rel.BrandID == "" {
		return errs.ErrNotFound
	}
	if !authz.Allowed(rel.Role, action) {
		return errs.ErrForbidden
	}
	return nil
}

type visibleClient struct {
	ID   string `db:"client_id"`
	Name string `db:"name"`
}

// visibleClients lists the clients that have the brand through an active
// link of the brand's agency and that the user sees there (SPEC §1).
func visibleClients(ctx context.Context, q db.Querier, rel authz.Relation, userID string) ([]visibleClient, error) {
	scope := authz.ClientScopeOf(rel, userID)
	join, jargs := scope.JoinMembership()
	cond, cargs := scope.Condition()
	args := append(append([]any{rel.BrandID}, jargs...), cargs...)
	var out []visibleClient
	err := q.Select(ctx, &out, `SELECT l.client_id, a.name FROM links l
		JOIN client_brands cb ON cb.client_id = l.client_id AND cb.brand_id = ?
		JOIN accounts a ON a.id = l.client_id `+join+`
		WHERE l.status = 'active' AND `+cond+` ORDER BY a.name, l.client_id`, args...)
	return out, err
}

func reportOfBrand(ctx context.Context, q db.Querier, brandID, reportID string) error {
	var got string
	err := q.Get(ctx, &got, `SELECT id FROM reports WHERE id = ? AND brand_id = ?`, reportID, brandID)
	if errors.Is(err, db.ErrNoRows) {
		return errs.ErrNotFound
	}
	return err
}

// Sharing returns the report's sharing with each client the actor sees.
func (s *Service) Sharing(ctx context.Context, a *authz.Actor, rel authz.Relation, reportID string) (Sharing, error) {
	if err := agencySide(rel, authz.ReportSharingRead); err != nil {
		return Sharing{}, err
	}
	return s.sharing(ctx, s.db, a, rel, reportID)
}

func (s *Service) sharing(ctx context.Context, q db.Querier, a *authz.Actor, rel authz.Relation, reportID string) (Sharing, error) {
	if err := reportOfBrand(ctx, q, rel.BrandID, reportID); err != nil {
		return Sharing{}, err
	}
	clients, err := visibleClients(ctx, q, rel, a.UserID)
	if err != nil {
		return Sharing{}, err
	}
	out := Sharing{ReportID: reportID, Clients: []ClientShare{}}
	for _, c := range clients {
		sh, err := shareOf(ctx, q, reportID, c.ID)
		if err != nil {
			return Sharing{}, err
		}
		sh.ClientName = c.Name
		if err := q.Select(ctx, &sh.Groups, `SELECT id, name FROM client_groups WHERE client_id = ? ORDER BY name_key, id`, c.ID); err != nil {
			return Sharing{}, err
		}
		if sh.Groups == nil {
			sh.Groups = []GroupRef{}
		}
		out.Clients = append(out.Clients, sh)
	}
	return out, nil
}

// shareOf reads one client's sharing of a report.
func shareOf(ctx context.Context, q db.Querier, reportID, clientID string) (ClientShare, error) {
	sh := ClientShare{ClientID: clientID, All: true, GroupIDs: []string{}}
	var n int
	if err := q.Get(ctx, &n, `SELECT COUNT(*) FROM report_sharing WHERE report_id = ? AND client_id = ?`, reportID, clientID); err != nil {
		return sh, err
	}
	if n == 0 {
		return sh, nil
	}
	sh.All = false
	err := q.Select(ctx, &sh.GroupIDs, `SELECT group_id FROM report_sharing_groups WHERE report_id = ? AND client_id = ?
		ORDER BY group_id`, reportID, clientID)
	if sh.GroupIDs == nil {
		sh.GroupIDs = []string{}
	}
	return sh, err
}

// SetSharing changes the report's sharing with the clients named; others
// keep theirs. The whole request is checked before anything is written:
// each client must be one the actor sees that has the brand, each group
// one of that client's (400 naming clients[i].client_id or
// clients[i].group_ids). It takes effect on the clients' next request and
// is audited on the agency and on each client changed.
func (s *Service) SetSharing(ctx context.Context, a *authz.Actor, rel authz.Relation, reportID string, shares []ClientShare) (Sharing, error) {
	if err := agencySide(rel, authz.ReportShare); err != nil {
		return Sharing{}, err
	}
	if len(shares) > MaxShares {
		return Sharing{}, errs.InvalidField("clients", "Name at most %d clients at once.", MaxShares)
	}
	var out Sharing
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if tx.Dialect() == db.Postgres { // one change of a report's sharing at a time
			if _, err := tx.Exec(ctx, `SELECT id FROM reports WHERE id = ? FOR UPDATE`, reportID); err != nil {
				return err
			}
		}
		if err := reportOfBrand(ctx, tx, rel.BrandID, reportID); err != nil {
			return err
		}
		clients, err := visibleClients(ctx, tx, rel, a.UserID)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		want := make([]ClientShare, len(shares))
		for i, sh := range shares {
			field := fmt.Sprintf("clients[%d]", i)
			if !slices.ContainsFunc(clients, func(c visibleClient) bool { return c.ID == sh.ClientID }) {
				return errs.InvalidField(field+".client_id", "No client of yours with this report's brand has the ID %q.", sh.ClientID)
			}
			if seen[sh.ClientID] {
				return errs.InvalidField(field+".client_id", "This client is named twice.")
			}
			seen[sh.ClientID] = true
			ids := slices.Compact(slices.Sorted(slices.Values(sh.GroupIDs)))
			if sh.All && len(ids) > 0 {
				return errs.InvalidField(field+".group_ids", "Shared with everyone: leave the groups out, or set all to false.")
			}
			if err := groupsOf(ctx, tx, sh.ClientID, ids, field+".group_ids"); err != nil {
				return err
			}
			want[i] = ClientShare{ClientID: sh.ClientID, All: sh.All, GroupIDs: nonNil(ids)}
		}
		now := s.now()
		for _, sh := range want {
			before, err := shareOf(ctx, tx, reportID, sh.ClientID)
			if err != nil {
				return err
			}
			if before.All == sh.All && slices.Equal(before.GroupIDs, sh.GroupIDs) {
				continue
			}
			if err := writeShare(ctx, tx, now, reportID, sh); err != nil {
				return err
			}
			if err := recordSharing(ctx, tx, now, a, rel, reportID, before, sh); err != nil {
				return err
			}
		}
		out, err = s.sharing(ctx, tx, a, rel, reportID)
		return err
	})
	return out, err
}

// groupsOf fails with 400 on field unless every group is the client's.
func groupsOf(ctx context.Context, q db.Querier, clientID string, ids []string, field string) error {
	if len(ids) == 0 {
		return nil
	}
	query, args, err := db.In(`SELECT COUNT(*) FROM client_groups WHERE client_id = ? AND id IN (?)`, clientID, ids)
	if err != nil {
		return err
	}
	var n int
	if err := q.Get(ctx, &n, query, args...); err != nil {
		return err
	}
	if n != len(ids) {
		return errs.InvalidField(field, "Choose groups of this client only.")
	}
	return nil
}

func writeShare(ctx context.Context, tx *db.Tx, now time.Time, reportID string, sh ClientShare) error {
	// Deleting the row takes its groups with it (ON DELETE CASCADE).
	if _, err := tx.Exec(ctx, `DELETE FROM report_sharing WHERE report_id = ? AND client_id = ?`, reportID, sh.ClientID); err != nil {
		return err
	}
	if sh.All {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO report_sharing (report_id, client_id, updated_at) VALUES (?, ?, ?)`,
		reportID, sh.ClientID, now); err != nil {
		return err
	}
	for _, g := range sh.GroupIDs {
		if _, err := tx.Exec(ctx, `INSERT INTO report_sharing_groups (report_id, client_id, group_id) VALUES (?, ?, ?)`,
			reportID, sh.ClientID, g); err != nil {
			return err
		}
	}
	return nil
}

// recordSharing audits one client's change on the agency and on the client.
func recordSharing(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor, rel authz.Relation, reportID string, before, after ClientShare) error {
	b := map[string]any{"client_id": before.ClientID, "all": before.All, "group_ids": before.GroupIDs}
	f := map[string]any{"client_id": after.ClientID, "all": after.All, "group_ids": after.GroupIDs}
	for _, e := range []audit.Entry{{AccountID: rel.AccountID}, {AccountID: after.ClientID, AgencyID: rel.AccountID}} {
		e.Action, e.TargetID, e.Before, e.After = "report.sharing", reportID, b, f
		if err := audit.AppendAs(ctx, tx, now, a, e); err != nil {
			return err
		}
	}
	return nil
}
