package authz

import (
	"context"
	"errors"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// CheckWebhook decides an action on a webhook endpoint (issue 21): on its
// agency, with the actor's role there, like a data source. Anyone without
// a role in that agency finds nothing (404).
func (z *Authorizer) CheckWebhook(ctx context.Context, a *Actor, endpointID string, action Action) (Relation, error) {
	if a == nil {
		return Relation{}, errs.ErrUnauthorized
	}
	var agencyID string
	err := z.db.Get(ctx, &agencyID, `SELECT agency_id FROM webhook_endpoints WHERE id = ?`, endpointID)
	if errors.Is(err, db.ErrNoRows) {
		return Relation{}, errs.ErrNotFound
	}
	if err != nil {
		return Relation{}, err
	}
	rel, err := z.Check(ctx, a, agencyID, action)
	if err == nil && rel.AccountKind != "agency" {
		return Relation{}, errs.ErrNotFound
	}
	return rel, err
}
