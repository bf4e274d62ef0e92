package authz

import (
	"context"
	"errors"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// CheckSource decides an action on a data source: on its agency, with the
// actor's role there (SPEC §1: sources belong to the agency as a whole).
// Anyone without a role in that agency — client users included — finds
// nothing (404). The relation's AccountID is the source's agency.
func (z *Authorizer) CheckSource(ctx context.Context, a *Actor, sourceID string, action Action) (Relation, error) {
	return z.checkOnAgency(ctx, a, `SELECT agency_id FROM sources WHERE id = ?`, sourceID, action)
}

// checkOnAgency decides an action on a thing that belongs to an agency as
// a whole (a data source, a webhook endpoint): query finds the thing's
// agency by its ID, and the actor's role there decides. Anyone without a
// role in that agency finds nothing (404).
func (z *Authorizer) checkOnAgency(ctx context.Context, a *Actor, query, id string, action Action) (Relation, error) {
	if a == nil {
		return Relation{}, errs.ErrUnauthorized
	}
	var agencyID string
	err := z.db.Get(ctx, &agencyID, query, id)
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

// SourceTokenPrefix marks data source tokens. A request bearing one is not
// a user's: it reaches its source's push route and nothing else.
const SourceTokenPrefix = "lis_"

type sourceTokenKey struct{}

// WithSourceToken returns ctx carrying a data source's token (set by the
// server's authentication instead of an actor).
func WithSourceToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, sourceTokenKey{}, token)
}

// SourceTokenFrom returns the source token of the request, "" when none.
func SourceTokenFrom(ctx context.Context) string {
	s, _ := ctx.Value(sourceTokenKey{}).(string)
	return s
}
