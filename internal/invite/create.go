package invite

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/billing"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/link"
)

// ClientInput is a client invitation (POST /agencies/{id}/invitations).
type ClientInput struct {
	Email    string
	Delivery string // email (default) or link
	BrandIDs []string
	Message  string
	// ClientAccountID names an existing client of the agency to join, with
	// Role; empty creates a client account named ClientName (else after the
	// e-mail) whose admin the person becomes.
	ClientAccountID string
	ClientName      string
	Role            string
	// Access is who in the agency sees the new client (as when the
	// agency adds a client); nil: its admins and account managers only.
	// Not with ClientAccountID: an existing client's sharing is changed
	// on its link (PATCH /links/{id}).
	Access *link.AccessInput
}

// TeamInput is a team or staff invitation: an address and a role.
type TeamInput struct {
	Email    string
	Role     string
	Delivery string // email (default) or link
	Message  string
}

var (
	errAlreadyMember  = errs.E(errs.Conflict, "already_member", "This person is already a member of the account.")
	errAlreadyInvited = errs.E(errs.Conflict, "already_invited",
		"This address already has an open invitation to the account. Resend it instead.")
	errAlreadyInvitedNew = errs.E(errs.Conflict, "already_invited",
		"This address already has an open invitation as a new client. Resend it instead (Invitations).")
	errBrandNotFound = errs.E(errs.NotFound, "brand_not_found", "This agency has no such brand.")
)

func validDelivery(d string) (string, error) {
	switch strings.TrimSpace(d) {
	case "", ByEmail:
		return ByEmail, nil
	case ByLink:
		return ByLink, nil
	}
	return "", errs.InvalidField("delivery", "Choose email or link.")
}

func validMessage(m string) (string, error) {
	m = strings.TrimSpace(m)
	if !utf8.ValidString(m) || utf8.RuneCountInString(m) > maxMessage {
		return "", errs.InvalidField("message", "Use at most %d characters.", maxMessage)
	}
	return m, nil
}

// InviteClient sends a client invitation for the agency that rel was
// checked against (authz.ClientCreate). With a ClientAccountID the actor
// must also be allowed to invite into that client (authz.ClientInvite
// through this agency's link: 404 when they do not see it).
func (s *Service) InviteClient(ctx context.Context, rel authz.Relation, a *authz.Actor, in ClientInput) (Invitation, error) {
	if !rel.Visible() || rel.AccountKind != "agency" || rel.AgencyID != "" || a == nil {
		return Invitation{}, errs.ErrNotFound
	}
	agencyID := rel.AccountID
	email, err := auth.NormalizeEmail(in.Email)
	if err != nil {
		return Invitation{}, err
	}
	delivery, err := validDelivery(in.Delivery)
	if err != nil {
		return Invitation{}, err
	}
	message, err := validMessage(in.Message)
	if err != nil {
		return Invitation{}, err
	}
	role := strings.TrimSpace(in.Role)
	var name string
	if in.ClientAccountID != "" {
		if role == "" {
			role = "member"
		}
		if !authz.ValidRole("client", role) {
			return Invitation{}, errs.InvalidField("role", "Choose admin or member.")
		}
		if _, err := s.authz.CheckClientOf(ctx, a, agencyID, in.ClientAccountID, authz.ClientInvite); err != nil {
			return Invitation{}, err
		}
		if in.Access != nil {
			return Invitation{}, errs.InvalidField("access", "An existing client keeps its sharing: change it on the client's Access tab.")
		}
	} else {
		if role != "" && role != "admin" {
			return Invitation{}, errs.InvalidField("role", "The first person of a new client is its admin.")
		}
		role = "admin"
		name = strings.TrimSpace(in.ClientName)
		if name == "" {
			name = email
		}
		if name, err = account.ValidateName("client_name", name); err != nil {
			return Invitation{}, err
		}
	}
	if len(in.BrandIDs) > 100 {
		return Invitation{}, errs.InvalidField("brand_ids", "Choose at most 100 brands.")
	}
	brandIDs := slices.Clone(in.BrandIDs)
	slices.Sort(brandIDs)
	brandIDs = slices.Compact(brandIDs)
	var out Invitation
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if err := agencyBrands(ctx, tx, agencyID, brandIDs); err != nil {
			return err
		}
		clientID, reinstate := in.ClientAccountID, false
		if clientID == "" {
			if clientID, err = createClient(ctx, tx, now, rel, a, name, in.Access); err != nil {
				return err
			}
		} else {
			var revoked db.Time
			if err := tx.Get(ctx, &revoked, `SELECT revoked_at FROM agency_clients WHERE agency_id = ? AND client_id = ?`,
				agencyID, clientID); err != nil && !errors.Is(err, db.ErrNoRows) {
				return err
			}
			reinstate = revoked.Valid
		}
		for _, b := range brandIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)
				ON CONFLICT (client_id, brand_id) DO NOTHING`, clientID, b, now); err != nil {
				return err
			}
		}
		out, err = s.create(ctx, tx, now, a, newInvitation{kind: KindClient, accountID: clientID, agencyID: agencyID,
			email: email, role: role, delivery: delivery, message: message, brandIDs: brandIDs, reinstate: reinstate,
			seats: true, created: in.ClientAccountID == ""})
		return err
	})
	return out, seatsFor(true, err)
}

// InviteTeam invites a person into a client account (team invitation), by
// its admin or by an agency user who may manage its users: rel was checked
// with authz.ClientUsersManage on the client.
func (s *Service) InviteTeam(ctx context.Context, rel authz.Relation, a *authz.Actor, in TeamInput) (Invitation, error) {
	if !rel.Visible() || rel.AccountKind != "client" || a == nil {
		return Invitation{}, errs.ErrNotFound
	}
	email, role, delivery, message, err := validTeam(in, "client")
	if err != nil {
		return Invitation{}, err
	}
	var out Invitation
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		agencyID, fromClient := rel.AgencyID, false
		if agencyID == "" {
			// The client's own admin: the feature switch binds them, and
			// the invitation carries the agency that manages the client
			// (the oldest active link), if any, for its brand. An agency
			// user logged in as the client sends it for their agency.
			if off, err := usersFeatureOff(ctx, tx, rel.AccountID); err != nil || off {
				if err == nil {
					err = errs.E(errs.Forbidden, "feature_disabled", "Your agency has turned off user management for this account.")
				}
				return err
			}
			if err := tx.Get(ctx, &agencyID, `SELECT agency_id FROM links WHERE client_id = ? AND status = 'active'
				ORDER BY COALESCE(decided_at, created_at), id LIMIT 1`, rel.AccountID); err != nil && !errors.Is(err, db.ErrNoRows) {
				return err
			}
			fromClient = true
			if rel.LoginAsAgencyID != "" {
				agencyID, fromClient = rel.LoginAsAgencyID, false
			}
		}
		// An agency user's invitation into a client their agency revoked
		// brings it back on acceptance, as a client invitation does.
		reinstate := false
		if rel.AgencyID != "" {
			var revoked db.Time
			if err := tx.Get(ctx, &revoked, `SELECT revoked_at FROM agency_clients WHERE agency_id = ? AND client_id = ?`,
				rel.AgencyID, rel.AccountID); err != nil && !errors.Is(err, db.ErrNoRows) {
				return err
			}
			reinstate = revoked.Valid
		}
		out, err = s.create(ctx, tx, now, a, newInvitation{kind: KindTeam, accountID: rel.AccountID, agencyID: agencyID,
			email: email, role: role, delivery: delivery, message: message, seats: true, fromClient: fromClient, reinstate: reinstate})
		return err
	})
	return out, seatsFor(rel.AgencyID != "", err)
}

// InviteStaff invites a person into the agency rel was checked against
// (authz.AgencyManage) with an agency role.
func (s *Service) InviteStaff(ctx context.Context, rel authz.Relation, a *authz.Actor, in TeamInput) (Invitation, error) {
	if !rel.Visible() || rel.AccountKind != "agency" || rel.AgencyID != "" || a == nil {
		return Invitation{}, errs.ErrNotFound
	}
	email, role, delivery, message, err := validTeam(in, "agency")
	if err != nil {
		return Invitation{}, err
	}
	var out Invitation
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		out, err = s.create(ctx, tx, s.now(), a, newInvitation{kind: KindStaff, accountID: rel.AccountID,
			agencyID: rel.AccountID, email: email, role: role, delivery: delivery, message: message})
		return err
	})
	return out, err
}

func validTeam(in TeamInput, kind string) (email, role, delivery, message string, err error) {
	if email, err = auth.NormalizeEmail(in.Email); err != nil {
		return
	}
	role = strings.TrimSpace(in.Role)
	if !authz.ValidRole(kind, role) {
		if kind == "agency" {
			err = errs.InvalidField("role", "Choose admin, account_manager, member or viewer.")
		} else {
			err = errs.InvalidField("role", "Choose admin or member.")
		}
		return
	}
	if delivery, err = validDelivery(in.Delivery); err != nil {
		return
	}
	message, err = validMessage(in.Message)
	return
}

type newInvitation struct {
	kind, accountID, agencyID, email, role, delivery, message string
	brandIDs                                                  []string
	reinstate, seats, created                                 bool
	// fromClient: a team invitation by the client's own admin.
	fromClient bool
}

// create writes an invitation, its e-mail (delivery email) and its audit
// entries in tx, after the rules that need the database: not a member
// already, no other open invitation (the unique index invitations_open;
// for a new client, invitations_open_new_client: one open invitation per
// agency and address that created its client, so inviting a person twice
// as a new client does not make two clients), and a seat left.
func (s *Service) create(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor, n newInvitation) (Invitation, error) {
	if uid, err := auth.UserIDByEmail(ctx, tx, n.email); err != nil {
		return Invitation{}, err
	} else if uid != "" {
		var member int
		if err := tx.Get(ctx, &member, `SELECT COUNT(*) FROM memberships WHERE account_id = ? AND user_id = ?`,
			n.accountID, uid); err != nil {
			return Invitation{}, err
		}
		if member > 0 && n.reinstate {
			// A member of a revoked client needs no invitation: the
			// client's Restore gives them their access back.
			return Invitation{}, errs.E(errs.Conflict, "already_member",
				"This person is already a member of the account, whose access is revoked: restore the client to let them log in again.")
		}
		if member > 0 {
			return Invitation{}, errAlreadyMember
		}
	}
	if n.seats {
		if err := checkSeats(ctx, tx, now, n.accountID); err != nil {
			return Invitation{}, err
		}
	}
	var expires any
	if n.delivery == ByEmail {
		set, err := agency.Settings(ctx, tx, n.agencyID)
		if err != nil {
			return Invitation{}, err
		}
		expires = now.Add(ttl(set.ClientInviteTTLDays, set.TeamInviteTTLDays, n.kind))
	}
	token, mailToken, mailHash := newTokens(n.delivery)
	invID := id.New(id.Invitation)
	brands, _ := json.Marshal(nonNil(n.brandIDs))
	var agencyID, invitedBy any
	if n.agencyID != "" {
		agencyID = n.agencyID
	}
	if a != nil {
		invitedBy = a.UserID
	}
	_, err := tx.Exec(ctx, `INSERT INTO invitations (id, kind, account_id, agency_id, email, role, delivery, status,
		token_hash, mail_token_hash, message, brand_ids, reinstate, from_client, invited_by, created_at, sent_at, expires_at, created_client)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		invID, n.kind, n.accountID, agencyID, n.email, n.role, n.delivery, id.Hash(token), mailHash, n.message, string(brands),
		n.reinstate, n.fromClient, invitedBy, now, now, expires, n.created)
	if errors.Is(err, db.ErrUnique) && n.created {
		return Invitation{}, errAlreadyInvitedNew
	}
	if errors.Is(err, db.ErrUnique) {
		return Invitation{}, errAlreadyInvited
	}
	if err != nil {
		return Invitation{}, err
	}
	r, err := get(ctx, tx, invID)
	if err != nil {
		return Invitation{}, err
	}
	url := s.URL(token)
	if n.delivery == ByEmail {
		inviter := ""
		if a != nil {
			inviter = a.Name
		}
		if err := s.sendMail(ctx, tx, r, s.URL(mailToken), inviter); err != nil {
			return Invitation{}, err
		}
	}
	out := r.view(now)
	out.URL = url
	after := map[string]any{"kind": n.kind, "email": n.email, "role": n.role, "delivery": n.delivery,
		"brand_ids": out.BrandIDs, "expires_at": out.ExpiresAt, "client_created": n.created, "reinstate": n.reinstate}
	e := actorEntry(a, "invitation.create", invID, nil, after)
	e.AgencyID = agencyOf(r.sender(), a)
	if err := auditOn(ctx, tx, now, e, n.agencyID, n.accountID); err != nil {
		return out, err
	}
	return out, billing.Sync(ctx, tx, now, n.agencyID, billing.Change{Cause: billing.CauseInvitationCreated, RefID: invID, ActorID: actorID(a)})
}

// actorID is the user behind a change, or "" for none.
func actorID(a *authz.Actor) string {
	if a == nil {
		return ""
	}
	return a.UserID
}

// newTokens makes an invitation's tokens: the copyable link's, which the
// inviter sees, and for an e-mail invitation a second one that only its
// e-mail carries (mailHash is nil for link invitations). See byToken.
func newTokens(delivery string) (token, mailToken string, mailHash any) {
	token = id.Secret()
	if delivery == ByEmail {
		mailToken = id.Secret()
		mailHash = id.Hash(mailToken)
	}
	return token, mailToken, mailHash
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func get(ctx context.Context, q db.Querier, invID string) (row, error) {
	var r row
	err := q.Get(ctx, &r, `SELECT `+rowColumns+` WHERE i.id = ?`, invID)
	if errors.Is(err, db.ErrNoRows) {
		return r, errs.ErrNotFound
	}
	return r, err
}

// agencyBrands checks that every brand is the agency's: another agency's
// brand is not found, exactly like one that does not exist.
func agencyBrands(ctx context.Context, q db.Querier, agencyID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	query, args, err := db.In(`SELECT COUNT(*) FROM brands WHERE agency_id = ? AND id IN (?)`, agencyID, ids)
	if err != nil {
		return err
	}
	var n int
	if err := q.Get(ctx, &n, query, args...); err != nil {
		return err
	}
	if n != len(ids) {
		return errBrandNotFound
	}
	return nil
}

// createClient creates the client account of a client invitation, linked
// to the agency from the start (link.CreateLinkedClient, as an
// agency-created client, SPEC §2), with the access chosen on the
// invitation, and audits it.
func createClient(ctx context.Context, tx *db.Tx, now time.Time, rel authz.Relation, a *authz.Actor, name string, access *link.AccessInput) (string, error) {
	acc, linkID, err := link.CreateLinkedClient(ctx, tx, now, rel, a.UserID, link.LinkedClient{Name: name, Enabled: true})
	if err != nil {
		return "", err
	}
	after := map[string]any{"name": acc.Name, "link_id": linkID, "by_invitation": true}
	if access != nil {
		v, err := link.ApplyAccess(ctx, tx, rel.AccountID, linkID, *access)
		if err != nil {
			return "", err
		}
		after["access"] = v
	}
	e := actorEntry(a, "client.create", acc.ID, nil, after)
	e.AgencyID = rel.AccountID
	return acc.ID, auditOn(ctx, tx, now, e, rel.AccountID, acc.ID)
}

// usersFeatureOff reports whether the agencies managing the client have all
// turned its "users" feature off (SPEC §3; as the client package decides it
// for its users routes).
func usersFeatureOff(ctx context.Context, q db.Querier, clientID string) (bool, error) {
	managed := `SELECT 1 FROM agency_clients cc JOIN links cl ON cl.agency_id = cc.agency_id
		AND cl.client_id = cc.client_id AND cl.status = 'active' WHERE cc.client_id = ?`
	var n int
	err := q.Get(ctx, &n, `SELECT CASE WHEN EXISTS (`+managed+`) AND NOT EXISTS (`+managed+` AND cc.perm_users)
		THEN 1 ELSE 0 END`, clientID, clientID)
	return n == 1, err
}
