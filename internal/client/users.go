package client

import (
	"context"
	"errors"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clientgroup"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// The client's own users (GET, PATCH, DELETE /api/v1/accounts/{id}/users…).
// Who may call them is authz's (ClientUsersRead, ClientUsersManage): the
// client's team, and the agency users who see the client. Rules that depend
// on the data, not the role, are here: the users feature switch and the
// last admin.

// clientRel reports whether rel is a checked view of a client account, from
// either side.
func clientRel(rel authz.Relation) bool { return rel.Visible() && rel.AccountKind == "client" }

// ownSide reports whether the actor is a member of the client itself (not an
// agency user looking at it through a link).
func ownSide(rel authz.Relation) bool { return rel.AgencyID == "" }

var errUsersOff = errs.E(errs.Forbidden, "feature_disabled", "Your agency has turned off user management for this account.")

// usersFeatureOff reports whether the agencies managing the client have all
// turned its "users" portal feature off (SPEC §3: the switches bind both
// client roles). It binds the client's own users, not the agency.
func usersFeatureOff(ctx context.Context, q db.Querier, clientID string) (bool, error) {
	managed := `SELECT 1 FROM agency_clients cc JOIN links cl ON cl.agency_id = cc.agency_id
		AND cl.client_id = cc.client_id AND cl.status = 'active' WHERE cc.client_id = ?`
	var n int
	err := q.Get(ctx, &n, `SELECT CASE WHEN EXISTS (`+managed+`) AND NOT EXISTS (`+managed+` AND cc.perm_users)
		THEN 1 ELSE 0 END`, clientID, clientID)
	return n == 1, err
}

func (s *Service) checkFeature(ctx context.Context, q db.Querier, rel authz.Relation) error {
	if !ownSide(rel) {
		return nil
	}
	off, err := usersFeatureOff(ctx, q, rel.AccountID)
	if err == nil && off {
		err = errUsersOff
	}
	return err
}

// Users lists the members of the client account rel was checked against.
// Last activity is agency-side tracking that clients never see (SPEC §1);
// it is null for everyone until tracking exists, and must stay null for the
// client's own users then.
func (s *Service) Users(ctx context.Context, rel authz.Relation) ([]ClientUser, error) {
	if !clientRel(rel) {
		return nil, errs.ErrNotFound
	}
	if err := s.checkFeature(ctx, s.read, rel); err != nil {
		return nil, err
	}
	return usersOf(ctx, s.read, rel.AccountID, !ownSide(rel))
}

func memberRole(ctx context.Context, tx *db.Tx, clientID, userID string) (ClientUser, error) {
	var u ClientUser
	err := tx.Get(ctx, &u, `SELECT u.id, u.name, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.account_id = ? AND m.user_id = ?`, clientID, userID)
	if errors.Is(err, db.ErrNoRows) {
		return u, errs.E(errs.NotFound, "user_not_found", "This user is not a member of this account.")
	}
	u.Status = "active"
	return u, err
}

// SetRole changes a client user's role (admin or member).
func (s *Service) SetRole(ctx context.Context, rel authz.Relation, a *authz.Actor, userID, role string) (ClientUser, error) {
	if !clientRel(rel) || a == nil {
		return ClientUser{}, errs.ErrNotFound
	}
	if !authz.ValidRole("client", role) {
		return ClientUser{}, errs.InvalidField("role", "Choose admin or member.")
	}
	var out ClientUser
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if err := s.checkFeature(ctx, tx, rel); err != nil {
			return err
		}
		if err := account.LockAdmins(ctx, tx, rel.AccountID); err != nil {
			return err
		}
		before, err := memberRole(ctx, tx, rel.AccountID, userID)
		if err != nil || before.Role == role {
			out = before
			return err
		}
		// Nobody — the client's own admins nor the agency managing it —
		// demotes a client's last admin.
		if err := account.SetRole(ctx, tx, account.Client, rel.AccountID, userID, role); err != nil {
			return err
		}
		out = before
		out.Role = role
		return auditBoth(ctx, tx, now, a, rel.AgencyID, rel.AccountID, "client.user_role", userID,
			map[string]any{"user_id": userID, "role": before.Role}, map[string]any{"user_id": userID, "role": role})
	})
	return out, err
}

// RemoveUser takes a user out of the client account at once: the
// membership goes and their sessions in the account end. No e-mail is sent.
func (s *Service) RemoveUser(ctx context.Context, rel authz.Relation, a *authz.Actor, userID string) error {
	if !clientRel(rel) || a == nil {
		return errs.ErrNotFound
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if err := s.checkFeature(ctx, tx, rel); err != nil {
			return err
		}
		if err := account.LockAdmins(ctx, tx, rel.AccountID); err != nil {
			return err
		}
		before, err := memberRole(ctx, tx, rel.AccountID, userID)
		if err != nil {
			return err
		}
		if err := account.RemoveMember(ctx, tx, account.Client, rel.AccountID, userID); err != nil {
			return err
		}
		if _, err := auth.EndSessionsIn(ctx, tx, now, rel.AccountID, userID); err != nil {
			return err
		}
		if err := clientgroup.Forget(ctx, tx, rel.AccountID, userID); err != nil { // out of the client's groups too (issue 24)
			return err
		}
		return auditBoth(ctx, tx, now, a, rel.AgencyID, rel.AccountID, "client.user_remove", userID,
			map[string]any{"user_id": userID, "email": before.Email, "role": before.Role}, nil)
	})
}
