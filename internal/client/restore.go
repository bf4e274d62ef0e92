package client

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/billing"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Restore gives a revoked client its access back (SPEC §5: a revoked client
// comes back with its history). Only the revocation is lifted: its users,
// brands, data and activity were kept, so its users can log in again at
// once (authz.ClientClosed reads revoked_at) and its status is computed
// again from its activity by the list's triggers, never set by hand. The
// billing ledger starts the brands it holds again in the same transaction.
// Restoring a client that is not revoked is a conflict.
func (s *Service) Restore(ctx context.Context, rel authz.Relation, a *authz.Actor) (ClientDetail, error) {
	if !linked(rel) || a == nil {
		return ClientDetail{}, errs.ErrNotFound
	}
	var out ClientDetail
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if err := ensureRow(ctx, tx, now, rel); err != nil {
			return err
		}
		// ensureRow locked the row: the "before" read is exact.
		var revokedAt db.Time
		if err := tx.Get(ctx, &revokedAt, `SELECT revoked_at FROM agency_clients WHERE agency_id = ? AND client_id = ?`,
			rel.AgencyID, rel.AccountID); err != nil {
			return err
		}
		if !revokedAt.Valid {
			return errs.E(errs.Conflict, "not_revoked", "This client's access is not revoked: there is nothing to restore.")
		}
		if _, err := tx.Exec(ctx, `UPDATE agency_clients SET revoked_at = NULL, updated_at = ?
			WHERE agency_id = ? AND client_id = ?`, now, rel.AgencyID, rel.AccountID); err != nil {
			return err
		}
		if err := auditBoth(ctx, tx, now, a, rel.AgencyID, rel.AccountID, "client.restore", rel.AccountID,
			map[string]any{"revoked_at": revokedAt.Time}, map[string]any{"revoked_at": nil}); err != nil {
			return err
		}
		if err := billing.Sync(ctx, tx, now, rel.AgencyID, billing.Change{Cause: billing.CauseRestore, RefID: rel.AccountID, ActorID: a.UserID}); err != nil {
			return err
		}
		var err error
		out, err = s.get(ctx, tx, rel)
		return err
	})
	return out, err
}

// Now is the service's clock, for pages that compare with what it stores
// (the overview's "this week").
func (s *Service) Now() time.Time { return s.now() }
