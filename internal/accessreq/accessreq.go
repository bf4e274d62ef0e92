// Package accessreq is staff access requests (issue 21): an agency user who
// does not see a client asks for access to it, naming it by account ID or
// by name, with a reason; the agency's admins and the client's assigned
// account managers approve (optionally with an end date, link/ends.go) or
// decline, in the app or from the e-mail, whose link opens the app page
// behind sign-in.
//
// The request must not tell its sender whether the client exists: a name
// or ID that matches no client of the agency makes a request that is
// stored, answered, listed and e-mailed like any other (to the agency's
// admins, who see that nothing matched); only approvers see what it
// matched, and the requester learns the client only once approved.
package accessreq

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/mail"
)

// Statuses of a request.
const (
	Pending  = "pending"
	Approved = "approved"
	Declined = "declined"
)

// PerDay is how many requests one user may send in 24 hours: enough for
// real use, too few to probe an agency's clients by name.
const PerDay = 20

// Request is one access request as its reader may see it.
type Request struct {
	ID        string     `json:"id"`
	AgencyID  string     `json:"agency_id"`
	AskedFor  string     `json:"asked_for" doc:"The account ID or name the requester gave"`
	Reason    string     `json:"reason"`
	Status    string     `json:"status" enum:"pending,approved,declined"`
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	EndsAt    *time.Time `json:"ends_at,omitempty" doc:"When the approved access ends by itself, if the approver set an end"`
	Requester Person     `json:"requester"`
	// Client is what the request matched: shown to approvers, and to the
	// requester once approved. Absent: not shown, or nothing matched.
	Client *Party `json:"client,omitempty"`
	// CanDecide tells the reader may approve or decline it.
	CanDecide bool `json:"can_decide"`
}

// Person names a user.
type Person struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Party names an account.
type Party struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Service manages access requests.
type Service struct {
	db      *db.DB
	mailer  *mail.Mailer
	now     clock.Clock
	baseURL string
}

// New returns the service; baseURL makes the links of its e-mails.
func New(d *db.DB, m *mail.Mailer, now clock.Clock, baseURL string) *Service {
	return &Service{db: d, mailer: m, now: now, baseURL: strings.TrimRight(baseURL, "/")}
}

// PageURL is the app page of one request, behind sign-in: the e-mails link
// there rather than carry a token that approves.
func (s *Service) PageURL(id string) string { return s.baseURL + "/app/access-requests/" + id }

type row struct {
	ID          string  `db:"id"`
	AgencyID    string  `db:"agency_id"`
	RequesterID string  `db:"requester_id"`
	AskedFor    string  `db:"asked_for"`
	ClientID    *string `db:"client_id"`
	Reason      string  `db:"reason"`
	Status      string  `db:"status"`
	CreatedAt   db.Time `db:"created_at"`
	DecidedAt   db.Time `db:"decided_at"`
	EndsAt      db.Time `db:"ends_at"`
	ReqName     string  `db:"req_name"`
	ReqEmail    string  `db:"req_email"`
	ClientName  *string `db:"client_name"`
	// Assigned: the reader is an assigned account manager of the client.
	Assigned bool `db:"assigned"`
}

// selectRows reads requests with the reader's assignment; its first
// argument is the reader's user ID.
const selectRows = `SELECT r.id, r.agency_id, r.requester_id, r.asked_for, r.client_id, r.reason, r.status,
	r.created_at, r.decided_at, r.ends_at, u.name AS req_name, u.email AS req_email, c.name AS client_name,
	EXISTS (SELECT 1 FROM client_account_managers cam WHERE cam.agency_id = r.agency_id AND cam.client_id = r.client_id
		AND cam.user_id = ?) AS assigned
	FROM access_requests r JOIN users u ON u.id = r.requester_id LEFT JOIN accounts c ON c.id = r.client_id`

// mayDecide: the agency's admins, and account managers assigned to the
// client the request matched; never the requester for themself.
func (r row) mayDecide(rel authz.Relation, userID string) bool {
	if r.RequesterID == userID {
		return false
	}
	return rel.Role == authz.AgencyAdmin || (rel.Role == authz.AgencyAccountManager && r.Assigned)
}

func (r row) view(rel authz.Relation, userID string) Request {
	out := Request{ID: r.ID, AgencyID: r.AgencyID, AskedFor: r.AskedFor, Reason: r.Reason, Status: r.Status,
		CreatedAt: r.CreatedAt.Time, DecidedAt: r.DecidedAt.Ptr(), EndsAt: r.EndsAt.Ptr(),
		Requester: Person{ID: r.RequesterID, Name: r.ReqName, Email: r.ReqEmail}}
	decider := rel.Role == authz.AgencyAdmin || (rel.Role == authz.AgencyAccountManager && r.Assigned)
	if r.ClientID != nil && r.ClientName != nil && (decider || r.Status == Approved) {
		out.Client = &Party{ID: *r.ClientID, Name: *r.ClientName}
	}
	out.CanDecide = r.Status == Pending && r.mayDecide(rel, userID)
	return out
}

// agencyOnly refuses relations that are not a direct member's of an agency.
func agencyOnly(rel authz.Relation, a *authz.Actor) error {
	if !rel.Visible() || rel.AccountKind != "agency" || rel.AgencyID != "" || a == nil || a.UserID == "" {
		return errs.ErrNotFound
	}
	return nil
}

// CreateInput is a request: the client by account ID or name, and why.
type CreateInput struct {
	Client string
	Reason string
}

// Create stores a request from the actor to the agency rel was checked on
// (authz.AgencyRead: any member) and e-mails those who decide it. The
// answer is the same whether or not a client matched (see the package doc);
// the work is the same too — one match query, one insert, one audit entry,
// e-mails to the admins — so that timing tells little either.
func (s *Service) Create(ctx context.Context, rel authz.Relation, a *authz.Actor, in CreateInput) (Request, error) {
	if err := agencyOnly(rel, a); err != nil {
		return Request{}, err
	}
	asked := strings.TrimSpace(in.Client)
	reason := strings.TrimSpace(in.Reason)
	switch {
	case asked == "" || utf8.RuneCountInString(asked) > 200:
		return Request{}, errs.InvalidField("client", "Give the client's account ID or name (at most 200 characters).")
	case reason == "" || utf8.RuneCountInString(reason) > 1000:
		return Request{}, errs.InvalidField("reason", "Say why you need access (at most 1000 characters).")
	}
	var out Request
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now().UTC()
		var recent int
		if err := tx.Get(ctx, &recent, `SELECT COUNT(*) FROM access_requests WHERE requester_id = ? AND created_at > ?`,
			a.UserID, now.Add(-24*time.Hour)); err != nil {
			return err
		}
		if recent >= PerDay {
			return errs.E(errs.RateLimited, "rate_limited", "You sent %d access requests in the last 24 hours; try again later.", PerDay)
		}
		clientID, err := match(ctx, tx, rel.AccountID, asked)
		if err != nil {
			return err
		}
		// A second pending request for the same client does not e-mail
		// again; the answer is the same.
		var dup int
		if clientID != nil {
			if err := tx.Get(ctx, &dup, `SELECT COUNT(*) FROM access_requests WHERE requester_id = ? AND agency_id = ?
				AND client_id = ? AND status = 'pending'`, a.UserID, rel.AccountID, *clientID); err != nil {
				return err
			}
		}
		reqID := id.New("arq")
		if _, err := tx.Exec(ctx, `INSERT INTO access_requests (id, agency_id, requester_id, asked_for, client_id, reason, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`, reqID, rel.AccountID, a.UserID, asked, clientID, reason, now); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: rel.AccountID, ActorID: a.UserID, AgencyID: rel.AccountID,
			ImpersonatorID: a.ImpersonatorID, Action: "access_request.create", TargetID: reqID, IP: a.IP,
			After: map[string]any{"asked_for": asked, "reason": reason, "client_id": clientID}}); err != nil {
			return err
		}
		if dup == 0 {
			if err := s.mailDeciders(ctx, tx, rel.AccountID, reqID, clientID, asked, reason, a); err != nil {
				return err
			}
		}
		r, err := s.load(ctx, tx, reqID, a.UserID)
		if err != nil {
			return err
		}
		// The requester's own view: nothing of the match (view hides it).
		out = r.view(authz.Relation{Role: authz.AgencyMember}, a.UserID)
		return nil
	})
	return out, err
}

// match finds the agency's actively linked client named by ID or by name
// (case-insensitive, exactly one); nil when none does.
func match(ctx context.Context, q db.Querier, agencyID, asked string) (*string, error) {
	var ids []string
	err := q.Select(ctx, &ids, `SELECT l.client_id FROM links l JOIN accounts c ON c.id = l.client_id
		WHERE l.agency_id = ? AND l.status = 'active' AND (c.id = ? OR LOWER(c.name) = LOWER(?)) ORDER BY c.id LIMIT 2`,
		agencyID, asked, asked)
	if err != nil || len(ids) != 1 {
		return nil, err
	}
	return &ids[0], nil
}

func (s *Service) load(ctx context.Context, q db.Querier, reqID, userID string) (row, error) {
	var r row
	err := q.Get(ctx, &r, selectRows+` WHERE r.id = ?`, userID, reqID)
	if errors.Is(err, db.ErrNoRows) {
		return r, errs.ErrNotFound
	}
	return r, err
}

// mailDeciders e-mails the agency's admins, and the client's assigned
// account managers when a client matched, a link to the request's page.
func (s *Service) mailDeciders(ctx context.Context, tx *db.Tx, agencyID, reqID string, clientID *string, asked, reason string, a *authz.Actor) error {
	to, err := account.Admins(ctx, tx, agencyID)
	if err != nil {
		return err
	}
	clientName := ""
	if clientID != nil {
		var ams []account.Admin
		if err := tx.Select(ctx, &ams, `SELECT u.id, u.email, u.name FROM client_account_managers cam JOIN users u ON u.id = cam.user_id
			WHERE cam.agency_id = ? AND cam.client_id = ? ORDER BY u.email`, agencyID, *clientID); err != nil {
			return err
		}
		to = append(to, ams...)
		if err := tx.Get(ctx, &clientName, `SELECT name FROM accounts WHERE id = ?`, *clientID); err != nil {
			return err
		}
	}
	seen := map[string]bool{a.UserID: true} // the requester does not decide
	for _, u := range to {
		if seen[u.ID] {
			continue
		}
		seen[u.ID] = true
		if err := s.mailer.Send(ctx, tx, mail.Email{Template: "access_request", To: u.Email, AccountID: agencyID,
			Data: map[string]any{"Name": u.Name, "RequesterName": a.Name, "RequesterEmail": a.Email, "AskedFor": asked,
				"ClientName": clientName, "Reason": reason, "URL": s.PageURL(reqID)}}); err != nil {
			return err
		}
	}
	return nil
}
