// Package invite holds every invitation (SPEC §4): client invitations (an
// agency invites a person into a client account, created at once when it
// does not exist), team invitations (into an existing client account, by its
// admin or its agency) and agency staff invitations, with one token, one
// landing page and one acceptance for all three.
//
// Tokens are 32 random bytes handed out once (in the e-mail, or to the
// agency to copy); only their SHA-256 is stored, so a lost link is replaced
// by a resend, which also kills the old one. Acceptance is single-use and
// seat-checked inside one transaction: the invitation's pending → accepted
// UPDATE is conditional, and the seat count runs under the lock of the
// client's agency_clients rows, so two acceptances of one client run one
// after the other (PostgreSQL) or through the one writer (SQLite).
//
// Functions take what authz checked (a Relation to the agency, the client
// or the invitation's account) and scope their SQL by it. Every change
// writes its audit entries (on the agency and the account joined), e-mails
// and nothing else in the same transaction.
package invite

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/mail"
)

// Kinds of invitation.
const (
	KindClient = "client" // agency → a person, into a (possibly new) client account
	KindTeam   = "team"   // client admin or agency → a person, into an existing client account
	KindStaff  = "staff"  // agency admin → a person, into the agency
)

// Statuses of an invitation.
const (
	Pending   = "pending"
	Accepted  = "accepted"
	Expired   = "expired"
	Cancelled = "cancelled"
)

// Delivery of an invitation: sent by e-mail, or a link the agency shares.
const (
	ByEmail = "email"
	ByLink  = "link"
)

// maxMessage bounds the personal message.
const maxMessage = 2000

// Invitation is an invitation as the lists and the create answer show it.
type Invitation struct {
	ID       string `json:"id"`
	Kind     string `json:"kind" enum:"client,team,staff"`
	Status   string `json:"status" enum:"pending,accepted,expired,cancelled"`
	Email    string `json:"email"`
	Role     string `json:"role" enum:"admin,account_manager,member,viewer"`
	Delivery string `json:"delivery" enum:"email,link"`
	// AccountID is the account the person joins; ClientAccountID repeats it
	// for client and team invitations (SPEC §10) and is null for staff.
	AccountID       string  `json:"account_id"`
	AccountName     string  `json:"account_name"`
	ClientAccountID *string `json:"client_account_id"`
	AgencyID        *string `json:"agency_id"`
	// FromClient marks a team invitation that the client's own admin sent;
	// agency_id then names the agency whose brand it wears, not a sender.
	FromClient bool     `json:"from_client" doc:"Sent by the client account's own admin (agency_id is then the agency whose brand the e-mail wears)"`
	Message    string   `json:"message"`
	BrandIDs   []string `json:"brand_ids"`
	// URL is the invitation's link. The token is kept only as a hash, so
	// the URL is in the answers to create and resend, and nowhere else.
	URL        string     `json:"url,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at" doc:"null for link invitations, which never expire"`
	CreatedAt  time.Time  `json:"created_at"`
	SentAt     time.Time  `json:"sent_at" doc:"When the invitation was last sent or its link last made"`
	DecidedAt  *time.Time `json:"decided_at" doc:"When it was accepted, cancelled or found expired"`
	InvitedBy  *string    `json:"invited_by"`
	AcceptedBy *string    `json:"accepted_by"`
}

// row is an invitations row with its account's name.
type row struct {
	ID          string    `db:"id"`
	Kind        string    `db:"kind"`
	AccountID   string    `db:"account_id"`
	AccountName string    `db:"account_name"`
	AgencyID    *string   `db:"agency_id"`
	Email       string    `db:"email"`
	Role        string    `db:"role"`
	Delivery    string    `db:"delivery"`
	Status      string    `db:"status"`
	Message     string    `db:"message"`
	BrandIDs    string    `db:"brand_ids"`
	Reinstate   bool      `db:"reinstate"`
	FromClient  bool      `db:"from_client"`
	InvitedBy   *string   `db:"invited_by"`
	CreatedAt   time.Time `db:"created_at"`
	SentAt      time.Time `db:"sent_at"`
	ExpiresAt   db.Time   `db:"expires_at"`
	DecidedAt   db.Time   `db:"decided_at"`
	AcceptedBy  *string   `db:"accepted_by"`
	// CreatedClient: this client invitation created its client account.
	CreatedClient bool `db:"created_client"`
}

const rowColumns = `i.id, i.kind, i.account_id, a.name AS account_name, i.agency_id, i.email, i.role, i.delivery,
	i.status, i.message, i.brand_ids, i.reinstate, i.from_client, i.invited_by, i.created_at, i.sent_at, i.expires_at, i.decided_at,
	i.accepted_by, i.created_client FROM invitations i JOIN accounts a ON a.id = i.account_id`

// status is the invitation's status at now: a pending invitation past its
// expiry is expired, whether or not the expiry job has marked it yet.
func (r row) status(now time.Time) string {
	if r.Status == Pending && r.ExpiresAt.Valid && !now.Before(r.ExpiresAt.Time) {
		return Expired
	}
	return r.Status
}

func (r row) view(now time.Time) Invitation {
	inv := Invitation{ID: r.ID, Kind: r.Kind, Status: r.status(now), Email: r.Email, Role: r.Role, Delivery: r.Delivery,
		AccountID: r.AccountID, AccountName: r.AccountName, AgencyID: r.AgencyID, FromClient: r.FromClient, Message: r.Message,
		ExpiresAt: r.ExpiresAt.Ptr(), CreatedAt: r.CreatedAt.UTC(), SentAt: r.SentAt.UTC(), DecidedAt: r.DecidedAt.Ptr(),
		InvitedBy: r.InvitedBy, AcceptedBy: r.AcceptedBy, BrandIDs: []string{}}
	if r.Kind != KindStaff {
		acc := r.AccountID
		inv.ClientAccountID = &acc
	}
	_ = json.Unmarshal([]byte(r.BrandIDs), &inv.BrandIDs)
	if inv.BrandIDs == nil {
		inv.BrandIDs = []string{}
	}
	return inv
}

// Service is the invitation domain.
type Service struct {
	db      *db.DB
	mailer  *mail.Mailer
	auth    *auth.Service
	authz   *authz.Authorizer
	now     clock.Clock
	baseURL string
}

// New returns the invitation service. baseURL (LIAISON_BASE_URL) makes the
// invitation links, {baseURL}/invite/{token} (SPEC §11).
func New(d *db.DB, m *mail.Mailer, a *auth.Service, z *authz.Authorizer, now clock.Clock, baseURL string) *Service {
	return &Service{db: d, mailer: m, auth: a, authz: z, now: now, baseURL: strings.TrimRight(baseURL, "/")}
}

// URL is the link of an invitation token.
func (s *Service) URL(token string) string { return s.baseURL + "/invite/" + token }

// sender is the agency that sent the invitation, "" for the client's own
// team invitation: its audit entries are that agency's (audit.Entry.AgencyID).
func (r row) sender() string {
	if r.FromClient {
		return ""
	}
	return str(r.AgencyID)
}

// agencyOf is the agency an entry about an invitation sent by sender
// belongs to: the sender, else the agency of the actor's Login As.
func agencyOf(sender string, a *authz.Actor) string {
	if sender == "" && a != nil {
		return a.ActingAgency()
	}
	return sender
}

// auditOn appends one entry per account concerned (the agency and the
// account joined, once each): SPEC §9, changes to a client are seen by both.
func auditOn(ctx context.Context, tx *db.Tx, now time.Time, e audit.Entry, accounts ...string) error {
	seen := map[string]bool{}
	for _, acc := range accounts {
		if acc == "" || seen[acc] {
			continue
		}
		seen[acc] = true
		e.AccountID = acc
		if _, err := audit.Append(ctx, tx, now, e); err != nil {
			return err
		}
	}
	return nil
}

func actorEntry(a *authz.Actor, action, target string, before, after any) audit.Entry {
	return audit.As(a, audit.Entry{Action: action, TargetID: target, Before: before, After: after})
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// PendingSQL counts a client's open invitations at a time (the argument):
// pending and not past expiry. The seat rule (here and in the client
// package's PATCH of seats) adds it to the members.
const PendingSQL = `(SELECT COUNT(*) FROM invitations pi WHERE pi.account_id = ? AND pi.status = 'pending'
	AND (pi.expires_at IS NULL OR pi.expires_at > ?))`

var errNoSeats = errs.E(errs.Unprocessable, "no_seats", "This account has no seats left. Ask the agency for more seats.")

// errNoSeatsAgency is errNoSeats as the agency reads it: it sets the seats.
var errNoSeatsAgency = errs.E(errs.Unprocessable, "no_seats",
	"This client has no seats left. Raise its seat limit, or cancel one of its open invitations.")

// seatsFor words a seat refusal for who asked: the agency (byAgency: its
// own invitation, or a client seen through its link) or the client's own
// admin.
func seatsFor(byAgency bool, err error) error {
	if byAgency && errors.Is(err, errNoSeats) {
		return errNoSeatsAgency
	}
	return err
}

// checkSeats refuses when adding one more person (an invitation, extra) to
// the client's users and open invitations would pass its seat limit.
func checkSeats(ctx context.Context, tx *db.Tx, now time.Time, clientID string) error {
	limit, err := client.SeatLimit(ctx, tx, clientID)
	if err != nil || limit == 0 {
		return err
	}
	var used int
	if err := tx.Get(ctx, &used, `SELECT (SELECT COUNT(*) FROM memberships WHERE account_id = ?) + `+PendingSQL,
		clientID, clientID, now); err != nil {
		return err
	}
	if used+1 > limit {
		return errNoSeats
	}
	return nil
}
