// Package authz is the one place where Liaison decides who may see and do what
// (SPEC §1). Handlers never check roles themselves: every API route names the
// action it needs in the route table, and the api package asks Check before the
// handler runs. Storage queries that list tenant data take a Scope built here,
// so a forgotten check returns nothing rather than another tenant's rows.
//
// Not visible is errs.ErrNotFound (404), visible but not allowed is
// errs.ErrForbidden (403): a stranger cannot tell a hidden account from one that
// does not exist.
package authz

import (
	"context"
	"errors"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Actor is whoever makes a request: the user, how they authenticated, where
// from, and the impersonator when an agency user acts as a client.
type Actor struct {
	UserID     string
	Email      string
	Name       string
	IsOperator bool
	// UserCreatedAt lets GET /me answer without another query.
	UserCreatedAt time.Time
	// EmailVerified tells whether the user has proven to control their
	// address (auth/verify.go); read with the session or token.
	EmailVerified bool
	// AccountID is the account the session is working in (the account
	// switcher); API routes name their account in the path instead.
	AccountID string
	SessionID string // set for cookie sessions
	TokenID   string // set for API tokens
	IP        string
	// ImpersonatorID is the agency user acting as this actor (SPEC §6).
	ImpersonatorID string
	// Impersonation is set during Login As (impersonation.go); see
	// Impersonating. SessionImpersonationID is the session's Login As as
	// auth read it, before internal/impersonation checks it is still live.
	Impersonation          *Impersonation
	SessionImpersonationID string

	// memberships are the user's own, read with the session (preload.go).
	memberships []Membership
	preloaded   bool
}

type ctxKey struct{}

// WithActor returns ctx carrying the actor.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// ActorFrom returns the request's actor, or nil for an anonymous request.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(ctxKey{}).(*Actor)
	return a
}

// Relation is how an actor stands to an account: the role through which they
// see it. The zero Relation means they do not see it at all.
type Relation struct {
	AccountID   string
	AccountKind string // agency | client
	Role        Role
	// AgencyID is the agency through which a linked client is seen
	// (linked:* roles only), and the brand's agency on a client's relation
	// to a brand (CheckBrand).
	AgencyID string
	// LoginAsAgencyID is the agency whose user acts as the client's admin
	// through Login As (impersonatedRelation); AgencyID stays empty, as
	// the actor acts on the client's side.
	LoginAsAgencyID string
	// BrandID is the brand CheckBrand (or CheckReport) decided on; domain
	// functions on a brand's data accept only a relation for that brand.
	BrandID string
	// UserID is the client user a client's relation to a brand was
	// decided for (CheckBrand), so that reads of its reports can apply
	// the report sharing of that user (sharing.go).
	UserID string
}

// Visible reports whether the relation lets the actor see the account.
func (r Relation) Visible() bool { return r.Role != "" }

// Agency is the agency whose view of a client this relation is: the agency
// through which a linked client is seen, or the one whose user is logged in
// as the client; "" for the client's own users and for direct memberships.
// A client may be linked to several agencies, and each sees and changes
// only what is its own or the client's (SPEC §1, issue 15): domain reads
// that take a Relation narrow by it (invite.ForAccount, audit.Log.List,
// activity.ForAgency), and CheckInvitation lets an agency act only on the
// invitations it sent.
func (r Relation) Agency() string {
	if r.AgencyID != "" {
		return r.AgencyID
	}
	return r.LoginAsAgencyID
}

// Authorizer answers access questions against the database.
type Authorizer struct{ db *db.DB }

// New returns an Authorizer reading from d.
func New(d *db.DB) *Authorizer { return &Authorizer{db: d} }

// RelationTo finds how the actor stands to the account. A direct membership
// gives its role on that account's side; otherwise an agency user who sees a
// client through an active link gets the linked role (the strongest, when
// several of their agencies see it). A client's own members do not see it
// while its agencies have disabled or revoked it (ClientClosed).
func (z *Authorizer) RelationTo(ctx context.Context, a *Actor, accountID string) (Relation, error) {
	if a == nil {
		return Relation{}, errs.ErrUnauthorized
	}
	if a.Impersonating() {
		return impersonatedRelation(a, accountID), nil
	}
	if m, ok := a.MembershipOn(accountID); ok && !m.Closed {
		return Relation{AccountID: accountID, AccountKind: m.Kind, Role: MemberRole(m.Kind, m.Role)}, nil
	}
	var row struct {
		Kind string `db:"kind"`
		Role string `db:"role"`
	}
	err := z.db.Get(ctx, &row, `SELECT a.kind, m.role FROM memberships m JOIN accounts a ON a.id = m.account_id
		WHERE m.account_id = ? AND m.user_id = ? AND NOT `+ClientClosed("m.account_id"), accountID, a.UserID)
	if err == nil {
		return Relation{AccountID: accountID, AccountKind: row.Kind, Role: MemberRole(row.Kind, row.Role)}, nil
	}
	if !errors.Is(err, db.ErrNoRows) {
		return Relation{}, err
	}
	rows, err := z.linkedRelations(ctx, a.UserID, accountID, "")
	if err != nil {
		return Relation{}, err
	}
	return bestLinked(accountID, rows), nil
}

// Check decides whether the actor may perform action on the account. It
// returns the relation when allowed; ErrNotFound when the account is not
// visible to the actor; ErrForbidden when visible but the role lacks the
// action; the gate's own 403 when a client permission that binds the action
// on the client's side is off (permission.go).
func (z *Authorizer) Check(ctx context.Context, a *Actor, accountID string, action Action) (Relation, error) {
	rel, err := z.RelationTo(ctx, a, accountID)
	if err != nil {
		return rel, err
	}
	if !rel.Visible() {
		return rel, errs.ErrNotFound
	}
	if !Allowed(rel.Role, action) {
		return rel, errs.ErrForbidden
	}
	if err := z.checkGate(ctx, rel, action); err != nil {
		return rel, err
	}
	return rel, nil
}

// Scope is the set of accounts an actor may read for one action. Store
// functions that list tenant data take a Scope and filter by it in SQL.
type Scope struct {
	UserID     string
	AccountIDs []string
}

// ScopeFor returns the single-account scope after checking the action.
func (z *Authorizer) ScopeFor(ctx context.Context, a *Actor, accountID string, action Action) (Scope, error) {
	if _, err := z.Check(ctx, a, accountID, action); err != nil {
		return Scope{}, err
	}
	return Scope{UserID: a.UserID, AccountIDs: []string{accountID}}, nil
}
