package client

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/billing"
	"github.com/liaison-dev/liaison/internal/client/managers"
	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/impersonation"
	"github.com/liaison-dev/liaison/internal/input"
)

// AccountManager is an agency user assigned to the client, as the detail shows them.
type AccountManager struct {
	ID    string `db:"id" json:"id"`
	Name  string `db:"name" json:"name"`
	Email string `db:"email" json:"email"`
}

// ClientUser is a member of a client account.
type ClientUser struct {
	ID           string     `db:"id" json:"id"`
	Name         string     `db:"name" json:"name"`
	Email        string     `db:"email" json:"email"`
	Role         string     `db:"role" json:"role" enum:"admin,member"`
	Status       string     `db:"-" json:"status" enum:"active,invited"`
	LastActiveAt *time.Time `db:"-" json:"last_active_at"`
}

// ClientDetail is one client as its agency sees it.
type ClientDetail struct {
	ID                 string            `json:"id"`
	Name               string            `json:"name"`
	Status             string            `json:"status" enum:"pending,link_invite,active,at_risk,churned,revoked"`
	Email              *string           `json:"email"`
	CreatedAt          time.Time         `json:"created_at" doc:"When the client joined the agency: the link's acceptance"`
	LastActiveAt       *time.Time        `json:"last_active_at"`
	Seats              int               `json:"seats"`
	UsersCount         int               `json:"users_count"`
	PendingInvitations int               `json:"pending_invitations"`
	Enabled            bool              `json:"enabled"`
	Permissions        ClientPermissions `json:"permissions"`
	Brands             []ClientBrand     `json:"brands"`
	AccountManagers    []AccountManager  `json:"account_managers"`
	Users              []ClientUser      `json:"users"`
	RevokedAt          *time.Time        `json:"revoked_at"`
	// LinkID is the agency's active link with the client, for disconnecting.
	LinkID string `json:"link_id"`
}

type detailRow struct {
	ID            string  `db:"id"`
	LinkID        string  `db:"link_id"`
	Name          string  `db:"name"`
	Email         *string `db:"email"`
	Status        string  `db:"status"`
	JoinedAt      db.Time `db:"joined_at"`
	LastActive    db.Time `db:"last_active_at"`
	Seats         int     `db:"seats"`
	Users         int     `db:"users"`
	Brands        string  `db:"brands"`
	Health        *int64  `db:"health"`
	ValidUntil    db.Time `db:"valid_until"`
	Enabled       bool    `db:"enabled"`
	CanExport     bool    `db:"can_export"`
	ManageBilling bool    `db:"manage_billing"`
	PermReports   bool    `db:"perm_reports"`
	PermUsers     bool    `db:"perm_users"`
	RevokedAt     db.Time `db:"revoked_at"`
}

// Get returns the client that rel was checked against, as rel's agency sees
// it. The query goes through that agency's active link, so a relation that
// was not checked (or not through a link) finds nothing.
func (s *Service) Get(ctx context.Context, rel authz.Relation) (ClientDetail, error) {
	return s.get(ctx, s.read, rel)
}

func (s *Service) get(ctx context.Context, q db.Querier, rel authz.Relation) (ClientDetail, error) {
	if !linked(rel) {
		return ClientDetail{}, errs.ErrNotFound
	}
	var r detailRow
	// The name, e-mail, status, users, seats and brands come from the
	// client's stored list row (migration 00010), exactly as the list shows
	// them; its id is the active link's.
	read := func() error {
		return q.Get(ctx, &r, `SELECT cl.client_id AS id, cl.id AS link_id, cl.name, cl.email, cl.status, cl.health, cd.valid_until,
		COALESCE(l.decided_at, l.created_at) AS joined_at, cl.last_active_at, cl.users,
		cl.seats, cl.brands, COALESCE(ac.enabled, TRUE) AS enabled, COALESCE(ac.can_export, TRUE) AS can_export,
		COALESCE(ac.manage_billing, FALSE) AS manage_billing, COALESCE(ac.perm_reports, TRUE) AS perm_reports,
		COALESCE(ac.perm_users, TRUE) AS perm_users, ac.revoked_at
		FROM client_list cl JOIN links l ON l.id = cl.id
		JOIN client_list_due cd ON cd.agency_id = cl.agency_id AND cd.client_id = cl.client_id
		LEFT JOIN agency_clients ac ON ac.agency_id = cl.agency_id AND ac.client_id = cl.client_id
		WHERE cl.agency_id = ? AND cl.client_id = ?`, rel.AgencyID, rel.AccountID)
	}
	err := read()
	// A stored status or score past its validity is recomputed first, as
	// the list does (fresh.go). Inside a write transaction (q is a *db.Tx:
	// the caller changed the client, and the triggers rebuilt its row due)
	// when the refresh fails (the database takes no writes: a full disk)
	// and when it is left behind the reader (a large backlog), the row's status and last activity are computed in memory from
	// the same data, so the answer is what a GET after it returns and a
	// read never needs the writer.
	if err == nil && clientlist.IsDue(r.ValidUntil, s.now()) {
		_, inTx := q.(*db.Tx)
		refreshed := false
		if !inTx {
			// A backlog too large to wait for is refreshed behind the
			// reader (clientlist/behind.go); this client is computed below.
			if behind, rerr := s.Refresh(ctx, rel.AgencyID); rerr == nil && !behind {
				err, refreshed = read(), true
			}
		}
		if err == nil && !refreshed {
			var c clientlist.Computed
			if c, err = s.Compute(ctx, q, rel.AgencyID, r.ID, r.Status); err == nil {
				r.Status, r.Health, r.LastActive = c.Status, c.Health, c.LastActive
			}
		}
	}
	if errors.Is(err, db.ErrNoRows) {
		return ClientDetail{}, errs.ErrNotFound
	}
	if err != nil {
		return ClientDetail{}, err
	}
	d := ClientDetail{ID: r.ID, Name: r.Name, Status: r.Status, Email: r.Email, CreatedAt: r.JoinedAt.Time,
		LastActiveAt: r.LastActive.Ptr(), Seats: r.Seats, UsersCount: r.Users, Enabled: r.Enabled,
		Permissions: ClientPermissions{CanExport: r.CanExport, ManageBilling: r.ManageBilling, Reports: r.PermReports, Users: r.PermUsers},
		RevokedAt:   r.RevokedAt.Ptr(), AccountManagers: []AccountManager{}, LinkID: r.LinkID}
	if d.Brands, err = clientlist.ParseBrands(r.Brands); err != nil {
		return ClientDetail{}, err
	}
	if err := q.Select(ctx, &d.AccountManagers, `SELECT u.id, u.name, u.email FROM client_account_managers cam
		JOIN users u ON u.id = cam.user_id WHERE cam.agency_id = ? AND cam.client_id = ? ORDER BY u.name, u.id`,
		rel.AgencyID, rel.AccountID); err != nil {
		return ClientDetail{}, err
	}
	if err := q.Get(ctx, &d.PendingInvitations, `SELECT COUNT(*) FROM invitations WHERE account_id = ? AND status = 'pending'
		AND (expires_at IS NULL OR expires_at > ?)`, rel.AccountID, s.now()); err != nil {
		return ClientDetail{}, err
	}
	d.Users, err = usersOf(ctx, q, rel.AccountID, true)
	return d, err
}

// usersOf lists a client's members, oldest first, all active. With
// activity (the agency's view: SPEC §5 shows activity to the agency only),
// each carries when they were last active in the client — their own
// events, not an agency user's during Login As; the client's own view
// leaves it null.
func usersOf(ctx context.Context, q db.Querier, clientID string, activity bool) ([]ClientUser, error) {
	users := []ClientUser{}
	var rows []struct {
		ClientUser
		LastActive db.Time `db:"last_active_at"`
	}
	sql := `SELECT u.id, u.name, u.email, m.role, CAST(NULL AS TIMESTAMP) AS last_active_at
		FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = ? ORDER BY m.created_at, u.id`
	args := []any{clientID}
	if activity {
		sql = `SELECT u.id, u.name, u.email, m.role, ev.last_active_at
			FROM memberships m JOIN users u ON u.id = m.user_id
			LEFT JOIN (SELECT user_id, MAX(at) AS last_active_at FROM activity_events
				WHERE client_id = ? AND impersonator_id IS NULL GROUP BY user_id) ev ON ev.user_id = m.user_id
			WHERE m.account_id = ? ORDER BY m.created_at, u.id`
		args = []any{clientID, clientID}
	}
	err := q.Select(ctx, &rows, sql, args...)
	for _, r := range rows {
		u := r.ClientUser
		u.Status, u.LastActiveAt = "active", r.LastActive.Ptr()
		users = append(users, u)
	}
	return users, err
}

// Change is a PATCH of a client's settings; nil fields stay as they are.
type Change struct {
	Seats             *int
	Enabled           *bool
	CanExport         *bool
	ManageBilling     *bool
	Reports           *bool
	Users             *bool
	AccountManagerIDs []string // nil: unchanged; empty: none
}

// settings is what the audit trail records before and after a change.
type settings struct {
	Seats           int               `json:"seats"`
	Enabled         bool              `json:"enabled"`
	Permissions     ClientPermissions `json:"permissions"`
	AccountManagers []string          `json:"account_manager_ids"`
}

func (s *Service) settings(ctx context.Context, tx *db.Tx, rel authz.Relation) (settings, error) {
	var r detailRow
	err := tx.Get(ctx, &r, `SELECT seats, enabled, can_export, manage_billing, perm_reports, perm_users FROM agency_clients
		WHERE agency_id = ? AND client_id = ?`, rel.AgencyID, rel.AccountID)
	if err != nil {
		return settings{}, err
	}
	st := settings{Seats: r.Seats, Enabled: r.Enabled, AccountManagers: []string{},
		Permissions: ClientPermissions{CanExport: r.CanExport, ManageBilling: r.ManageBilling, Reports: r.PermReports, Users: r.PermUsers}}
	err = tx.Select(ctx, &st.AccountManagers, `SELECT user_id FROM client_account_managers WHERE agency_id = ? AND client_id = ?
		ORDER BY user_id`, rel.AgencyID, rel.AccountID)
	return st, err
}

// maxManagers bounds account_manager_ids, so one request cannot run
// thousands of statements.
const maxManagers = 100

func (c *Change) validate() error {
	if c.Seats != nil && (*c.Seats < 0 || *c.Seats > input.MaxSeats) {
		return errs.InvalidField("seats", "Seats must be between 0 (unlimited) and %d.", input.MaxSeats)
	}
	if c.AccountManagerIDs != nil {
		slices.Sort(c.AccountManagerIDs)
		c.AccountManagerIDs = slices.Compact(c.AccountManagerIDs)
		if len(c.AccountManagerIDs) > maxManagers {
			return errs.InvalidField("account_manager_ids", "Assign at most %d account managers.", maxManagers)
		}
	}
	return nil
}

// Update changes a client's seats, enabled flag, permissions and account
// managers in one transaction, all or nothing. Seats may not go below the
// users the client has (422 seats_below_usage); account managers must be
// the agency's admins or account managers. Disabling a client ends its
// users' sessions in the client when no agency keeps it open.
func (s *Service) Update(ctx context.Context, rel authz.Relation, a *authz.Actor, c Change) (ClientDetail, error) {
	if !linked(rel) || a == nil {
		return ClientDetail{}, errs.ErrNotFound
	}
	if err := c.validate(); err != nil {
		return ClientDetail{}, err
	}
	var out ClientDetail
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if err := ensureRow(ctx, tx, now, rel); err != nil {
			return err
		}
		before, err := s.settings(ctx, tx, rel)
		if err != nil {
			return err
		}
		if err := applyChange(ctx, tx, now, rel, c); err != nil {
			return err
		}
		after, err := s.settings(ctx, tx, rel)
		if err != nil {
			return err
		}
		if before.Enabled && !after.Enabled {
			if err := endClientSessions(ctx, tx, now, rel.AccountID); err != nil {
				return err
			}
		}
		// The answer is read before the audit entry: appending locks the
		// audit head, every writer's, until the commit, and the read may
		// recompute the client's score from its activity (get), which
		// the other writers then waited for (issue 23's soak).
		if out, err = s.get(ctx, tx, rel); err != nil {
			return err
		}
		if !equalSettings(before, after) {
			return auditBoth(ctx, tx, now, a, rel.AgencyID, rel.AccountID, "client.update", rel.AccountID, before, after)
		}
		return nil
	})
	return out, err
}

func applyChange(ctx context.Context, tx *db.Tx, now time.Time, rel authz.Relation, c Change) error {
	where := ` WHERE agency_id = ? AND client_id = ?`
	if c.Seats != nil {
		// The seat rule is in the UPDATE itself, so a member joining at
		// the same moment cannot slip under it. Seats hold users and open
		// invitations (SPEC §3).
		res, err := tx.Exec(ctx, `UPDATE agency_clients SET seats = ?, updated_at = ?`+where+`
			AND (? = 0 OR ? >= (SELECT COUNT(*) FROM memberships WHERE account_id = ?)
				+ (SELECT COUNT(*) FROM invitations WHERE account_id = ? AND status = 'pending' AND (expires_at IS NULL OR expires_at > ?)))`,
			*c.Seats, now, rel.AgencyID, rel.AccountID, *c.Seats, *c.Seats, rel.AccountID, rel.AccountID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Unprocessable, "seats_below_usage", "The client already has more users than %d seats (users and open invitations count).", *c.Seats)
		}
	}
	for col, v := range map[string]*bool{"enabled": c.Enabled, "can_export": c.CanExport, "manage_billing": c.ManageBilling,
		"perm_reports": c.Reports, "perm_users": c.Users} {
		if v == nil {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE agency_clients SET `+col+` = ?, updated_at = ?`+where, *v, now, rel.AgencyID, rel.AccountID); err != nil {
			return err
		}
	}
	if c.AccountManagerIDs == nil {
		return nil
	}
	// Only the agency's admins and account managers may be assigned.
	refused, err := managers.Replace(ctx, tx, rel.AgencyID, rel.AccountID, c.AccountManagerIDs)
	if err != nil {
		return err
	}
	if refused != "" {
		return errs.InvalidField("account_manager_ids", "%q is not an admin or account manager of this agency.", refused)
	}
	// The end dates of assignments that are gone go with them (issue 21),
	// so that a later assignment starts without one.
	_, err = tx.Exec(ctx, `DELETE FROM access_ends WHERE agency_id = ? AND client_id = ? AND subject = 'account_manager'
		AND subject_id NOT IN (SELECT user_id FROM client_account_managers WHERE agency_id = ? AND client_id = ?)`,
		rel.AgencyID, rel.AccountID, rel.AgencyID, rel.AccountID)
	return err
}

func equalSettings(a, b settings) bool {
	return a.Seats == b.Seats && a.Enabled == b.Enabled && a.Permissions == b.Permissions &&
		slices.Equal(a.AccountManagers, b.AccountManagers)
}

// endClientSessions ends the sessions that the client's users have open in
// the client, when the client is now closed to them (another agency may
// still keep it open).
func endClientSessions(ctx context.Context, tx *db.Tx, now time.Time, clientID string) error {
	closed, err := authz.ClientIsClosed(ctx, tx, clientID)
	if err != nil || !closed {
		return err
	}
	_, err = auth.EndSessionsIn(ctx, tx, now, clientID, "")
	return err
}

// GrantBrand gives the client access to one of the agency's brands. It is
// idempotent: granting a brand again changes nothing and records nothing.
func (s *Service) GrantBrand(ctx context.Context, rel authz.Relation, a *authz.Actor, brandID string) error {
	if !linked(rel) || a == nil {
		return errs.ErrNotFound
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		b, err := agencyBrand(ctx, tx, rel.AgencyID, brandID)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)
			ON CONFLICT (client_id, brand_id) DO NOTHING`, rel.AccountID, b.ID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if err := auditBoth(ctx, tx, now, a, rel.AgencyID, rel.AccountID, "client.brand_grant", b.ID, nil, b); err != nil {
			return err
		}
		return billing.Sync(ctx, tx, now, rel.AgencyID, billing.Change{Cause: billing.CauseGrant, RefID: rel.AccountID, ActorID: a.UserID})
	})
}

// RemoveBrand takes a brand of the agency away from the client; a brand
// that was not granted is not found.
func (s *Service) RemoveBrand(ctx context.Context, rel authz.Relation, a *authz.Actor, brandID string) error {
	if !linked(rel) || a == nil {
		return errs.ErrNotFound
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		b, err := agencyBrand(ctx, tx, rel.AgencyID, brandID)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `DELETE FROM client_brands WHERE client_id = ? AND brand_id = ?`, rel.AccountID, b.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "brand_not_granted", "This client does not have this brand.")
		}
		if err := auditBoth(ctx, tx, now, a, rel.AgencyID, rel.AccountID, "client.brand_remove", b.ID, b, nil); err != nil {
			return err
		}
		return billing.Sync(ctx, tx, now, rel.AgencyID, billing.Change{Cause: billing.CauseBrandRemoved, RefID: rel.AccountID, ActorID: a.UserID})
	})
}

// agencyBrand finds a brand of the agency; another agency's brand is not
// found, exactly like one that does not exist.
func agencyBrand(ctx context.Context, q db.Querier, agencyID, brandID string) (ClientBrand, error) {
	var b ClientBrand
	err := q.Get(ctx, &b, `SELECT id, name FROM brands WHERE id = ? AND agency_id = ?`, brandID, agencyID)
	if errors.Is(err, db.ErrNoRows) {
		return b, errs.E(errs.NotFound, "brand_not_found", "This agency has no such brand.")
	}
	return b, err
}

// Revoke removes the client's access (SPEC §5 "revoked"): its users lose the
// account (authz.ClientClosed) and their sessions in it end, while its data
// and the link stay. Revoking twice is a conflict.
func (s *Service) Revoke(ctx context.Context, rel authz.Relation, a *authz.Actor) (ClientDetail, error) {
	if !linked(rel) || a == nil {
		return ClientDetail{}, errs.ErrNotFound
	}
	var out ClientDetail
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if err := ensureRow(ctx, tx, now, rel); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE agency_clients SET revoked_at = ?, updated_at = ?
			WHERE agency_id = ? AND client_id = ? AND revoked_at IS NULL`, now, now, rel.AgencyID, rel.AccountID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Conflict, "already_revoked", "This client's access is already revoked.")
		}
		if err := endClientSessions(ctx, tx, now, rel.AccountID); err != nil {
			return err
		}
		// This agency's Login As sessions on the client end with it (SPEC §6).
		if _, err := impersonation.EndFor(ctx, tx, now, impersonation.Filter{AgencyID: rel.AgencyID, ClientID: rel.AccountID},
			impersonation.EndRevoked, a.IP); err != nil {
			return err
		}
		if err := auditBoth(ctx, tx, now, a, rel.AgencyID, rel.AccountID, "client.revoke", rel.AccountID,
			map[string]any{"revoked_at": nil}, map[string]any{"revoked_at": now}); err != nil {
			return err
		}
		if err := billing.Sync(ctx, tx, now, rel.AgencyID, billing.Change{Cause: billing.CauseRevoke, RefID: rel.AccountID, ActorID: a.UserID}); err != nil {
			return err
		}
		out, err = s.get(ctx, tx, rel)
		return err
	})
	return out, err
}
