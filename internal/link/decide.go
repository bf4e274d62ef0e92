package link

import (
	"context"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/billing"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/impersonation"
)

// step is one edge of the state machine.
type step struct {
	from, to string
	action   string // audit action
	verb     string // for the state error: "cannot be <verb>"
	ends     bool   // sets ended_at/ended_by instead of decided_at/decided_by
}

var (
	stepAccept     = step{from: Pending, to: Active, action: "link.accept", verb: "accepted"}
	stepDecline    = step{from: Pending, to: Declined, action: "link.decline", verb: "declined"}
	stepCancel     = step{from: Pending, to: Cancelled, action: "link.cancel", verb: "cancelled"}
	stepDisconnect = step{from: Active, to: Disconnected, action: "link.disconnect", verb: "disconnected", ends: true}
)

// Accept activates a pending request; rel was checked with authz.LinkDecide
// (the receiving side's admins). An agency acceptor chooses the access; with
// none given (all=false and nobody listed) only the agency's admins and the
// client's assigned account managers see the client. A client acceptor keeps
// the access the agency chose when it sent the request, and may not send one.
func (s *Service) Accept(ctx context.Context, rel authz.LinkRelation, actor *authz.Actor, access *AccessInput) (Link, error) {
	if rel.Side == "client" && access != nil {
		return Link{}, errs.InvalidField("access", "Only the agency chooses who sees the client.")
	}
	return s.move(ctx, rel, actor, stepAccept, func(tx *db.Tx, before, after map[string]any) error {
		if rel.Side == "agency" {
			var a AccessInput
			if access != nil {
				var err error
				if a, err = checkAccess(ctx, tx, rel.AgencyID, *access); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE links SET access_all = ? WHERE id = ?`, a.All, rel.LinkID); err != nil {
				return err
			}
			if err := writeAccess(ctx, tx, rel.LinkID, a); err != nil {
				return err
			}
			after["access"] = a.view()
		}
		// The agency's management of the client (seats, permissions,
		// account managers) survives a disconnect, so a re-link finds it.
		now := s.now()
		return client.EnsureManagement(ctx, tx, now, rel.AgencyID, rel.ClientID)
	})
}

// Decline refuses a pending request; rel was checked with authz.LinkDecide.
func (s *Service) Decline(ctx context.Context, rel authz.LinkRelation, actor *authz.Actor) (Link, error) {
	return s.move(ctx, rel, actor, stepDecline, nil)
}

// Cancel withdraws a pending request; rel was checked with authz.LinkCancel
// (the sending side).
func (s *Service) Cancel(ctx context.Context, rel authz.LinkRelation, actor *authz.Actor) (Link, error) {
	return s.move(ctx, rel, actor, stepCancel, nil)
}

// Disconnect ends an active link; rel was checked with authz.LinkDisconnect
// (either side's admins). Every agency access ends with it, because authz
// reads the link's status on every request; the data of both sides stays.
// The agency's Login As sessions on the client end in the same transaction
// (SPEC §2, §6), so no request made as the client succeeds after it commits.
func (s *Service) Disconnect(ctx context.Context, rel authz.LinkRelation, actor *authz.Actor) (Link, error) {
	return s.move(ctx, rel, actor, stepDisconnect, func(tx *db.Tx, _, _ map[string]any) error {
		_, err := impersonation.EndFor(ctx, tx, s.now(), impersonation.Filter{AgencyID: rel.AgencyID, ClientID: rel.ClientID},
			impersonation.EndDisconnected, actor.IP)
		return err
	})
}

// move takes the link along one edge of the state machine in one
// transaction: the conditional UPDATE decides races (of two admins accepting
// at once, one matches the pending row and the other matches nothing and gets
// 409), then extra writes the edge's own rows, then the audit entries on both
// accounts and the e-mail to the other side's admins.
func (s *Service) move(ctx context.Context, rel authz.LinkRelation, actor *authz.Actor, st step,
	extra func(tx *db.Tx, before, after map[string]any) error) (Link, error) {
	if rel.LinkID == "" || (rel.Side != "agency" && rel.Side != "client") || actor == nil {
		return Link{}, errs.ErrNotFound
	}
	var out Link
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		q := `UPDATE links SET status = ?, decided_at = ?, decided_by = ? WHERE id = ? AND status = ?`
		if st.ends {
			q = `UPDATE links SET status = ?, ended_at = ?, ended_by = ? WHERE id = ? AND status = ?`
		}
		res, err := tx.Exec(ctx, q, st.to, now, actor.UserID, rel.LinkID, st.from)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return currentStatus(ctx, tx, rel.LinkID, st.verb)
		}
		before, after := map[string]any{"status": st.from}, map[string]any{"status": st.to}
		if extra != nil {
			if err := extra(tx, before, after); err != nil {
				return err
			}
		}
		if err := auditBoth(ctx, tx, now, actor, rel.AgencyID, rel.ClientID, st.action, rel.LinkID, before, after); err != nil {
			return err
		}
		if out, err = load(ctx, tx, rel.LinkID, rel.Side); err != nil {
			return err
		}
		if err := s.mailAnswer(ctx, tx, out, rel.Side, st.to, actor); err != nil {
			return err
		}
		// A link that starts or ends starts or stops the brands its client
		// has (client_brands outlive a disconnect).
		cause := map[string]billing.Cause{"active": billing.CauseLinkActive, "disconnected": billing.CauseDisconnect}[st.to]
		if cause == "" {
			return nil
		}
		return billing.Sync(ctx, tx, now, rel.AgencyID, billing.Change{Cause: cause, RefID: rel.LinkID, ActorID: actor.UserID})
	})
	return out, err
}
