package link

import (
	"context"
	"slices"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/impersonation"
)

// SetAccess replaces who in the agency sees a linked client (the entire
// agency, or users and groups) on a pending or active link; rel was checked
// on the agency side with authz.AgencyManage (agency admins). Those who lose
// sight of the client lose it at once — authz reads the access on every
// request — and their open Login As sessions on the client end in the same
// transaction, so no request made as the client succeeds after the commit.
// The change is the agency's alone (it names the agency's staff): audited
// on the agency only.
func (s *Service) SetAccess(ctx context.Context, rel authz.LinkRelation, actor *authz.Actor, in AccessInput) (Link, error) {
	if rel.LinkID == "" || rel.Side != "agency" || actor == nil {
		return Link{}, errs.ErrNotFound
	}
	var out Link
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		// Locks the row for the rest of the transaction, so two changes
		// apply one after the other and the "before" read is exact.
		res, err := tx.Exec(ctx, `UPDATE links SET access_all = access_all WHERE id = ? AND status IN ('pending', 'active')`, rel.LinkID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return currentStatus(ctx, tx, rel.LinkID, "shared differently")
		}
		a, err := checkAccess(ctx, tx, rel.AgencyID, in)
		if err != nil {
			return err
		}
		before, err := load(ctx, tx, rel.LinkID, "agency")
		if err != nil {
			return err
		}
		after := a.view()
		slices.Sort(after.UserIDs)
		slices.Sort(after.GroupIDs)
		if sameAccess(*before.Access, after) {
			out = before
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE links SET access_all = ? WHERE id = ?`, a.All, rel.LinkID); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM link_access_users WHERE link_id = ?`, `DELETE FROM link_access_groups WHERE link_id = ?`} {
			if _, err := tx.Exec(ctx, q, rel.LinkID); err != nil {
				return err
			}
		}
		if err := writeAccess(ctx, tx, rel.LinkID, a); err != nil {
			return err
		}
		// End dates of those no longer listed go with them, so that a later
		// grant starts without one.
		if err := dropStaleEnds(ctx, tx, rel.LinkID, a); err != nil {
			return err
		}
		ended, err := endLostSight(ctx, tx, now, rel.AgencyID, rel.ClientID, actor.IP)
		if err != nil {
			return err
		}
		auditAfter := map[string]any{"access": after}
		if len(ended) > 0 {
			auditAfter["login_as_ended_for"] = ended
		}
		if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: rel.AgencyID, ActorID: actor.UserID, AgencyID: rel.AgencyID,
			ImpersonatorID: actor.ImpersonatorID, Action: "link.access", TargetID: rel.LinkID, IP: actor.IP,
			Before: map[string]any{"access": before.Access}, After: auditAfter}); err != nil {
			return err
		}
		out, err = load(ctx, tx, rel.LinkID, "agency")
		return err
	})
	return out, err
}

func sameAccess(a, b LinkAccess) bool {
	x, y := slices.Clone(a.UserIDs), slices.Clone(a.GroupIDs)
	slices.Sort(x)
	slices.Sort(y)
	return a.All == b.All && slices.Equal(x, b.UserIDs) && slices.Equal(y, b.GroupIDs)
}

// ApplyAccess sets a new link's access in tx after checking it (users of
// the agency, groups of the agency): for links made elsewhere, such as the
// client an invitation creates, so that their sharing follows the same rule.
func ApplyAccess(ctx context.Context, tx *db.Tx, agencyID, linkID string, in AccessInput) (LinkAccess, error) {
	a, err := checkAccess(ctx, tx, agencyID, in)
	if err != nil {
		return LinkAccess{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE links SET access_all = ? WHERE id = ? AND agency_id = ?`, a.All, linkID, agencyID); err != nil {
		return LinkAccess{}, err
	}
	return a.view(), writeAccess(ctx, tx, linkID, a)
}

// Get reads a link as the side rel was checked on sees it (the agency's
// side shows its access).
func (s *Service) Get(ctx context.Context, rel authz.LinkRelation) (Link, error) {
	if rel.LinkID == "" || (rel.Side != "agency" && rel.Side != "client") {
		return Link{}, errs.ErrNotFound
	}
	return load(ctx, s.db, rel.LinkID, rel.Side)
}

// endLostSight ends, in tx, the open Login As sessions on the client of the
// agency's users who no longer see it (after a change of access, or an
// end date that came), and returns whose ended.
func endLostSight(ctx context.Context, tx *db.Tx, now time.Time, agencyID, clientID, ip string) ([]string, error) {
	var live []string
	if err := tx.Select(ctx, &live, `SELECT DISTINCT impersonator_id FROM impersonations
		WHERE agency_id = ? AND client_id = ? AND ended_at IS NULL ORDER BY impersonator_id`, agencyID, clientID); err != nil {
		return nil, err
	}
	ended := []string{}
	for _, u := range live {
		sees, err := authz.SeesClient(ctx, tx, agencyID, clientID, u)
		if err != nil {
			return nil, err
		}
		if sees {
			continue
		}
		if _, err := impersonation.EndFor(ctx, tx, now, impersonation.Filter{AgencyID: agencyID, ClientID: clientID, UserID: u},
			impersonation.EndAccessLost, ip); err != nil {
			return nil, err
		}
		ended = append(ended, u)
	}
	return ended, nil
}

// dropStaleEnds deletes the end dates of the users and groups a link's
// access list no longer holds.
func dropStaleEnds(ctx context.Context, tx *db.Tx, linkID string, a AccessInput) error {
	for subject, keep := range map[string][]string{SubjectUser: a.UserIDs, SubjectGroup: a.GroupIDs} {
		q, args := `DELETE FROM access_ends WHERE link_id = ? AND subject = ?`, []any{linkID, subject}
		if len(keep) > 0 {
			var err error
			if q, args, err = db.In(q+` AND subject_id NOT IN (?)`, linkID, subject, keep); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}
