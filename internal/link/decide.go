package link

import (
	"context"
	"time"

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
	action   string        // audit action
	verb     string        // for the state error: "cannot be <verb>"
	ends     bool          // sets ended_at/ended_by instead of decided_at/decided_by
	quiet    bool          // no answer e-mail: the caller sends its own (expiry)
	cause    billing.Cause // the ledger's cause, when not the status's own
}

var (
	stepAccept     = step{from: Pending, to: Active, action: "link.accept", verb: "accepted"}
	stepDecline    = step{from: Pending, to: Declined, action: "link.decline", verb: "declined"}
	stepCancel     = step{from: Pending, to: Cancelled, action: "link.cancel", verb: "cancelled"}
	stepDisconnect = step{from: Active, to: Disconnected, action: "link.disconnect", verb: "disconnected", ends: true}
	// stepExpire is a disconnect by the access.expiry job (ends.go).
	stepExpire = step{from: Active, to: Disconnected, action: "link.expire", verb: "disconnected", ends: true, quiet: true,
		cause: billing.CauseLinkExpired}
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
		var err error
		out, err = s.moveTx(ctx, tx, s.now(), rel, actor, st, extra)
		return err
	})
	return out, err
}

// moveTx is move inside the caller's transaction. An actor without a user
// (the access.expiry job, ends.go) records no user as the one who ended
// the link, and a quiet step sends no answer e-mail: its caller sends its
// own.
func (s *Service) moveTx(ctx context.Context, tx *db.Tx, now time.Time, rel authz.LinkRelation, actor *authz.Actor, st step,
	extra func(tx *db.Tx, before, after map[string]any) error) (Link, error) {
	q := `UPDATE links SET status = ?, decided_at = ?, decided_by = ? WHERE id = ? AND status = ?`
	if st.ends {
		q = `UPDATE links SET status = ?, ended_at = ?, ended_by = ? WHERE id = ? AND status = ?`
	}
	var by any
	if actor.UserID != "" {
		by = actor.UserID
	}
	res, err := tx.Exec(ctx, q, st.to, now, by, rel.LinkID, st.from)
	if err != nil {
		return Link{}, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return Link{}, err
	} else if n == 0 {
		return Link{}, currentStatus(ctx, tx, rel.LinkID, st.verb)
	}
	before, after := map[string]any{"status": st.from}, map[string]any{"status": st.to}
	if extra != nil {
		if err := extra(tx, before, after); err != nil {
			return Link{}, err
		}
	}
	if err := auditBoth(ctx, tx, now, actor, rel.AgencyID, rel.ClientID, st.action, rel.LinkID, before, after); err != nil {
		return Link{}, err
	}
	out, err := load(ctx, tx, rel.LinkID, rel.Side)
	if err != nil {
		return Link{}, err
	}
	if !st.quiet {
		if err := s.mailAnswer(ctx, tx, out, rel.Side, st.to, actor); err != nil {
			return Link{}, err
		}
	}
	if st.ends {
		// End dates of a link that ended have nothing left to end.
		if _, err := tx.Exec(ctx, `DELETE FROM access_ends WHERE link_id = ?`, rel.LinkID); err != nil {
			return Link{}, err
		}
	}
	// A link that starts or ends starts or stops the brands its client
	// has (client_brands outlive a disconnect).
	cause := st.cause
	if cause == "" {
		cause = map[string]billing.Cause{"active": billing.CauseLinkActive, "disconnected": billing.CauseDisconnect}[st.to]
	}
	if cause == "" {
		return out, nil
	}
	return out, billing.Sync(ctx, tx, now, rel.AgencyID, billing.Change{Cause: cause, RefID: rel.LinkID, ActorID: actor.UserID})
}
