// Package link holds the links between agencies and clients (SPEC §2): link
// requests sent by either side, their state machine, and the agency's direct
// creation of a client account whose link is active from the start.
//
// Every function takes the relation that authz checked (authz.Relation for an
// account, authz.LinkRelation for a link) and scopes its SQL by it, so a call
// without a check finds nothing. State changes are conditional UPDATEs inside
// one transaction with their audit entries and e-mails: the database decides
// races (two admins accepting at once, two requests for the same pair), never
// a read followed by a write in Go.
package link

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/mail"
)

// Link states (SPEC §2): pending → active | declined | cancelled;
// active → disconnected.
const (
	Pending      = "pending"
	Active       = "active"
	Declined     = "declined"
	Cancelled    = "cancelled"
	Disconnected = "disconnected"
)

// Directions of a link as seen from one account.
const (
	Incoming = "incoming"
	Outgoing = "outgoing"
)

// Link is a link request or live link, as seen from one side.
type Link struct {
	ID       string `json:"id"`
	AgencyID string `json:"agency_id"`
	ClientID string `json:"client_id"`
	Status   string `json:"status" enum:"pending,active,declined,cancelled,disconnected"`
	// Direction is relative to the account the link is seen from: outgoing
	// when that account sent the request.
	Direction   string `json:"direction" enum:"incoming,outgoing"`
	InitiatedBy string `json:"initiated_by" enum:"agency,client"`
	// Access is which agency users see the client; shown to the agency side
	// only, since it describes the agency's staff.
	Access    *LinkAccess `json:"access,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	DecidedAt *time.Time  `json:"decided_at,omitempty" doc:"When the request was accepted, declined or cancelled"`
	EndedAt   *time.Time  `json:"ended_at,omitempty" doc:"When the link was disconnected"`
	Agency    LinkParty   `json:"agency"`
	Client    LinkParty   `json:"client"`
	// EndsAt is when the link ends by itself (issue 21), set by the side
	// EndsSetBy names; only that side extends or clears it.
	EndsAt    *time.Time `json:"ends_at,omitempty" doc:"When the link ends by itself, if an end date is set"`
	EndsSetBy string     `json:"ends_set_by,omitempty" enum:"agency,client" doc:"The side that set the end date; only it extends or clears it"`
	// AccessEnds are the end dates of the agency's staff access (users
	// and groups of the access list, account manager assignments); shown
	// to the agency side only, as Access is.
	AccessEnds []AccessEnd `json:"access_ends,omitempty"`
}

// LinkParty names one side of a link.
type LinkParty struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// LinkAccess is the agency's sharing of a linked client (SPEC §1 "who sees a
// client"). Agency admins and the client's assigned account managers see it
// whatever this says.
type LinkAccess struct {
	All      bool     `json:"all" doc:"The entire agency sees the client"`
	UserIDs  []string `json:"user_ids"`
	GroupIDs []string `json:"group_ids"`
}

// AccessInput is the access an agency chooses when it sends, accepts or
// creates. Omitted, it means nobody but the agency's admins and the client's
// assigned account managers.
type AccessInput struct {
	All      bool     `json:"all,omitempty" doc:"The entire agency sees the client"`
	UserIDs  []string `json:"user_ids,omitempty" maxItems:"1000" doc:"Agency members who see the client"`
	GroupIDs []string `json:"group_ids,omitempty" maxItems:"1000" doc:"Agency groups whose members see the client"`
}

// Service manages links.
type Service struct {
	db      *db.DB
	mailer  *mail.Mailer
	now     clock.Clock
	baseURL string
}

// New returns the link service. baseURL (LIAISON_BASE_URL) makes the links
// in its e-mails.
func New(d *db.DB, m *mail.Mailer, now clock.Clock, baseURL string) *Service {
	return &Service{db: d, mailer: m, now: now, baseURL: strings.TrimRight(baseURL, "/")}
}

// linksURL is where both sides answer and review link requests.
func (s *Service) linksURL() string { return s.baseURL + "/app/links" }

// errTargetNotFound is the one answer for every target that cannot be linked
// to: an unknown ID or e-mail, an address that is not an admin's, an account
// of the wrong kind. One code and one message, so accounts cannot be probed.
var errTargetNotFound = errs.E(errs.NotFound, "target_not_found",
	"No account to link with has this account ID or admin e-mail address.")

var errLinkExists = errs.E(errs.Conflict, "link_exists",
	"These accounts already have a pending or active link.")

// SendInput is a link request. Exactly one of TargetAccountID and
// TargetEmail names the other account; Access is for agency senders only.
type SendInput struct {
	TargetAccountID string
	TargetEmail     string
	Access          *AccessInput
}

type party struct {
	ID   string `db:"id"`
	Kind string `db:"kind"`
	Name string `db:"name"`
}

// other is the kind of account a kind links with.
func other(kind string) string {
	if kind == "agency" {
		return "client"
	}
	return "agency"
}

// Send sends a link request from the account rel was checked against (with
// authz.LinkSend) to an account of the other kind.
func (s *Service) Send(ctx context.Context, rel authz.Relation, actor *authz.Actor, in SendInput) (Link, error) {
	if !rel.Visible() || rel.AgencyID != "" || actor == nil { // only direct members speak for an account
		return Link{}, errs.ErrNotFound
	}
	in.TargetAccountID = strings.TrimSpace(in.TargetAccountID)
	in.TargetEmail = strings.ToLower(strings.TrimSpace(in.TargetEmail))
	switch {
	case in.TargetAccountID == "" && in.TargetEmail == "":
		return Link{}, errs.InvalidField("target_account_id", "Give the other account's ID (target_account_id) or an admin's e-mail address (target_email).")
	case in.TargetAccountID != "" && in.TargetEmail != "":
		return Link{}, errs.InvalidField("target_email", "Give target_account_id or target_email, not both.")
	case in.TargetAccountID == rel.AccountID:
		return Link{}, errs.InvalidField("target_account_id", "An account cannot link with itself.")
	case in.TargetEmail != "" && (!strings.Contains(in.TargetEmail, "@") || len(in.TargetEmail) > 254):
		return Link{}, errs.InvalidField("target_email", "Enter an e-mail address.")
	case in.TargetEmail != "" && actor != nil && in.TargetEmail == strings.ToLower(actor.Email):
		return Link{}, errs.InvalidField("target_email", "Use the address of an admin of the other account, not your own.")
	}
	if rel.AccountKind == "client" && in.Access != nil {
		return Link{}, errs.InvalidField("access", "Only the agency chooses who sees the client.")
	}
	var out Link
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		sender, err := accountOf(ctx, tx, rel.AccountID)
		if err != nil {
			return err
		}
		target, err := findTarget(ctx, tx, other(sender.Kind), in)
		if err != nil {
			return err
		}
		agency, client := sender, target
		if sender.Kind == "client" {
			agency, client = target, sender
		}
		var access AccessInput
		if sender.Kind == "agency" && in.Access != nil {
			if access, err = checkAccess(ctx, tx, agency.ID, *in.Access); err != nil {
				return err
			}
		}
		linkID := id.New(id.Link)
		_, err = tx.Exec(ctx, `INSERT INTO links (id, agency_id, client_id, status, initiated_by, requested_by, access_all, created_at)
			VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)`, linkID, agency.ID, client.ID, sender.Kind, actor.UserID, access.All, now)
		if errors.Is(err, db.ErrUnique) {
			return errLinkExists
		}
		if err != nil {
			return err
		}
		if err := writeAccess(ctx, tx, linkID, access); err != nil {
			return err
		}
		after := map[string]any{"status": Pending, "agency_id": agency.ID, "client_id": client.ID, "initiated_by": sender.Kind}
		if sender.Kind == "agency" {
			after["access"] = access.view()
		}
		if err := auditBoth(ctx, tx, now, actor, agency.ID, client.ID, "link.request", linkID, nil, after); err != nil {
			return err
		}
		if err := s.mailRequest(ctx, tx, sender, target, actor); err != nil {
			return err
		}
		out, err = load(ctx, tx, linkID, sender.Kind)
		return err
	})
	return out, err
}

func accountOf(ctx context.Context, q db.Querier, accountID string) (party, error) {
	var p party
	err := q.Get(ctx, &p, `SELECT id, kind, name FROM accounts WHERE id = ?`, accountID)
	if errors.Is(err, db.ErrNoRows) {
		return p, errs.ErrNotFound
	}
	return p, err
}

// findTarget resolves the other account of a request; every way of not
// finding it is errTargetNotFound.
func findTarget(ctx context.Context, q db.Querier, kind string, in SendInput) (party, error) {
	if in.TargetAccountID != "" {
		var p party
		err := q.Get(ctx, &p, `SELECT id, kind, name FROM accounts WHERE id = ? AND kind = ?`, in.TargetAccountID, kind)
		if errors.Is(err, db.ErrNoRows) {
			return p, errTargetNotFound
		}
		return p, err
	}
	// Only an admin whose address is confirmed is found by it: an
	// unverified identity may belong to someone other than the address's
	// owner (auth/verify.go), who must not receive requests meant for it.
	var ps []party
	err := q.Select(ctx, &ps, `SELECT a.id, a.kind, a.name FROM users u
		JOIN memberships m ON m.user_id = u.id AND m.role = 'admin'
		JOIN accounts a ON a.id = m.account_id AND a.kind = ?
		WHERE u.email = ? AND u.email_verified_at IS NOT NULL ORDER BY a.created_at, a.id LIMIT 2`, kind, in.TargetEmail)
	switch {
	case err != nil:
		return party{}, err
	case len(ps) == 0:
		return party{}, errTargetNotFound
	case len(ps) > 1:
		// Guessing would send the request to an account the sender may not
		// mean; the account ID is unambiguous.
		return party{}, &errs.Error{Kind: errs.Invalid, Code: "target_ambiguous", Field: "target_email",
			Message: "This address administers several accounts; send the request by account ID instead."}
	}
	return ps[0], nil
}

// checkAccess validates an agency's access list: users must be members of the
// agency and groups must be the agency's. It returns the list without
// duplicates.
func checkAccess(ctx context.Context, q db.Querier, agencyID string, a AccessInput) (AccessInput, error) {
	a.UserIDs, a.GroupIDs = dedupe(a.UserIDs), dedupe(a.GroupIDs)
	if len(a.UserIDs) > 0 {
		n, err := countIn(ctx, q, `SELECT COUNT(*) FROM memberships WHERE account_id = ? AND user_id IN (?)`, agencyID, a.UserIDs)
		if err != nil {
			return a, err
		}
		if n != len(a.UserIDs) {
			return a, &errs.Error{Kind: errs.Invalid, Code: "invalid_access_user_ids", Field: "access.user_ids",
				Message: "Choose users who are members of this agency."}
		}
	}
	if len(a.GroupIDs) > 0 {
		n, err := countIn(ctx, q, `SELECT COUNT(*) FROM agency_groups WHERE agency_id = ? AND id IN (?)`, agencyID, a.GroupIDs)
		if err != nil {
			return a, err
		}
		if n != len(a.GroupIDs) {
			return a, &errs.Error{Kind: errs.Invalid, Code: "invalid_access_group_ids", Field: "access.group_ids",
				Message: "Choose groups of this agency."}
		}
	}
	return a, nil
}

func countIn(ctx context.Context, q db.Querier, query string, args ...any) (int, error) {
	query, args, err := db.In(query, args...)
	if err != nil {
		return 0, err
	}
	var n int
	err = q.Get(ctx, &n, query, args...)
	return n, err
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := []string{}
	for _, v := range ids {
		v = strings.TrimSpace(v)
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// writeAccess stores a link's access list (the flag is on the links row).
func writeAccess(ctx context.Context, tx *db.Tx, linkID string, a AccessInput) error {
	for _, u := range a.UserIDs {
		if _, err := tx.Exec(ctx, `INSERT INTO link_access_users (link_id, user_id) VALUES (?, ?)
			ON CONFLICT (link_id, user_id) DO NOTHING`, linkID, u); err != nil {
			return err
		}
	}
	for _, g := range a.GroupIDs {
		if _, err := tx.Exec(ctx, `INSERT INTO link_access_groups (link_id, group_id) VALUES (?, ?)
			ON CONFLICT (link_id, group_id) DO NOTHING`, linkID, g); err != nil {
			return err
		}
	}
	return nil
}

func (a AccessInput) view() LinkAccess {
	v := LinkAccess{All: a.All, UserIDs: a.UserIDs, GroupIDs: a.GroupIDs}
	if v.UserIDs == nil {
		v.UserIDs = []string{}
	}
	if v.GroupIDs == nil {
		v.GroupIDs = []string{}
	}
	return v
}

func stateError(status, verb string) error {
	return errs.E(errs.Conflict, "link_state", "This link is %s, so it cannot be %s.", status, verb)
}

// currentStatus explains a conditional UPDATE that matched nothing.
func currentStatus(ctx context.Context, q db.Querier, linkID, verb string) error {
	var status string
	if err := q.Get(ctx, &status, `SELECT status FROM links WHERE id = ?`, linkID); err != nil {
		if errors.Is(err, db.ErrNoRows) {
			return errs.ErrNotFound
		}
		return err
	}
	return stateError(status, verb)
}

// direction is how a link looks from one side: outgoing when that side sent it.
func direction(initiatedBy, side string) string {
	if initiatedBy == side {
		return Outgoing
	}
	return Incoming
}
