// Package activity records what client users do — logins, logouts, page
// views, exports — on the server (SPEC §5), never on a client's word alone:
// a page view is recorded for the user and the client account the session
// is in, and only for a page the portal has. The agency reads the events and
// a summary per client (GET …/clients/{client_id}/activity); clients never do.
//
// Events made while an agency user is logged in as the client carry the
// impersonator and are kept for the record, but never count as the client's
// own: health and last activity read own events only.
//
// Recording an event also marks the client's stored list rows due
// (client_list_due.valid_until), so the next read of the client list recomputes
// their status, health and last activity (clientlist/fresh.go) — in the same
// transaction as the event.
package activity

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clientlist/due"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Kinds of events.
const (
	Login    = "login"
	Logout   = "logout"
	PageView = "page_view"
	Export   = "export"
)

// Pages are the portal's pages (features) a page view may name.
var Pages = []string{"dashboard", "reports", "users", "agencies", "security", "profile", "billing"}

// Event is one recorded event.
type Event struct {
	ClientID       string
	UserID         string
	Kind           string
	Page           string // page views
	Format         string // exports
	BrandID        string // where one applies
	ImpersonatorID string // set while an agency user is logged in as the client
	AgencyID       string // that user's agency (the Login As's): only it reads the event
	At             time.Time
}

// ValidPage checks a page name from the portal.
func ValidPage(page string) (string, error) {
	page = strings.TrimSpace(page)
	if !slices.Contains(Pages, page) {
		return "", errs.InvalidField("page", "Name one of the portal's pages: %s.", strings.Join(Pages, ", "))
	}
	return page, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Record writes one event in tx and, when it is the client's own, marks
// the client's list rows due.
func Record(ctx context.Context, tx *db.Tx, e Event) error { return recordAll(ctx, tx, []Event{e}) }

// recordAll writes events in tx — one INSERT per 500 — and marks due, once
// each, the list rows of the clients whose own events they are.
func recordAll(ctx context.Context, tx *db.Tx, events []Event) error {
	own := map[string]bool{}
	for _, e := range events {
		if e.ImpersonatorID == "" {
			own[e.ClientID] = true
		}
	}
	insert := insertValues
	if tx.Dialect() == db.Postgres {
		insert = insertArrays
	}
	for start := 0; start < len(events); start += 500 {
		if err := insert(ctx, tx, events[start:min(start+500, len(events))]); err != nil {
			return err
		}
	}
	if len(own) == 0 {
		return nil
	}
	clients := make([]string, 0, len(own))
	for c := range own {
		clients = append(clients, c)
	}
	slices.Sort(clients) // the same lock order in every transaction
	return due.MarkClients(ctx, tx, clients)
}

// insertArrays writes events on PostgreSQL as one array per column, so the
// statement's text is the same for every batch size and is prepared once
// per connection (a multi-row VALUES list is a new statement, parsed and
// planned again, for each size the recorder's batches happen to have).
func insertArrays(ctx context.Context, tx *db.Tx, chunk []Event) error {
	var clients, users, kinds, pages, formats, brands, impersonators, agencies []*string
	ats := make([]time.Time, 0, len(chunk))
	for _, e := range chunk {
		clients = append(clients, &e.ClientID)
		users, kinds = append(users, nullableRef(e.UserID)), append(kinds, &e.Kind)
		pages, formats = append(pages, nullableRef(e.Page)), append(formats, nullableRef(e.Format))
		brands, impersonators = append(brands, nullableRef(e.BrandID)), append(impersonators, nullableRef(e.ImpersonatorID))
		agencies = append(agencies, nullableRef(e.AgencyID))
		ats = append(ats, e.At)
	}
	_, err := tx.Exec(ctx, `INSERT INTO activity_events (client_id, user_id, kind, page, format, brand_id, impersonator_id, agency_id, at)
		SELECT * FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]),
			CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TIMESTAMPTZ[]))`,
		clients, users, kinds, pages, formats, brands, impersonators, agencies, ats)
	return err
}

func nullableRef(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// insertValues writes events on SQLite as one multi-row VALUES list.
func insertValues(ctx context.Context, tx *db.Tx, chunk []Event) error {
	args := make([]any, 0, len(chunk)*9)
	for _, e := range chunk {
		args = append(args, e.ClientID, nullable(e.UserID), e.Kind, nullable(e.Page), nullable(e.Format),
			nullable(e.BrandID), nullable(e.ImpersonatorID), nullable(e.AgencyID), e.At)
	}
	one := `(` + db.Placeholders(9) + `)`
	_, err := tx.Exec(ctx, `INSERT INTO activity_events (client_id, user_id, kind, page, format, brand_id, impersonator_id, agency_id, at)
		VALUES `+db.Tuples(one, len(chunk)), args...)
	return err
}

// LoginClientsSQL is RecordLogin's query of the user's client accounts
// (exported for the query-plan test: without statistics SQLite walked every
// client account for it; db.Optimize).
const LoginClientsSQL = `SELECT m.account_id FROM memberships m JOIN accounts a ON a.id = m.account_id
		WHERE m.user_id = ? AND a.kind = 'client' ORDER BY m.account_id`

// RecordLogin records a login of the user in every client account they
// belong to (a session can move between them without logging in again).
// Signing up and accepting an invitation log the person in and count too.
func RecordLogin(ctx context.Context, tx *db.Tx, now time.Time, userID, impersonatorID string) error {
	var clients []string
	if err := tx.Select(ctx, &clients, LoginClientsSQL, userID); err != nil {
		return err
	}
	for _, c := range clients {
		if err := Record(ctx, tx, Event{ClientID: c, UserID: userID, Kind: Login, ImpersonatorID: impersonatorID, At: now}); err != nil {
			return err
		}
	}
	return nil
}

// RecordInClient records an event of the user in the client account the
// session is in; nothing when that account is not a client the user
// belongs to (an agency's own page, an account left meanwhile).
func RecordInClient(ctx context.Context, tx *db.Tx, e Event) (bool, error) {
	if e.ClientID == "" {
		return false, nil
	}
	member, err := inClient(ctx, tx, e.UserID, e.ClientID)
	if err != nil || !member {
		return false, err
	}
	return true, Record(ctx, tx, e)
}

// inClient reports whether the user is a member of the client account.
func inClient(ctx context.Context, q db.Querier, userID, clientID string) (bool, error) {
	var n int
	err := q.Get(ctx, &n, `SELECT COUNT(*) FROM memberships m JOIN accounts a ON a.id = m.account_id
		WHERE m.user_id = ? AND m.account_id = ? AND a.kind = 'client'`, userID, clientID)
	return n > 0, err
}

// PageView records that the actor opened a portal page, in the client
// account their session is in (or, during Login As, the client acted as,
// with the impersonator named and not counted as the client's own). A
// session outside any client account records nothing and says so. The
// membership is checked now, on a read; the event is written by the
// recorder (recorder.go) in the next batch.
func (s *Service) PageView(ctx context.Context, a *authz.Actor, page, brandID string) error {
	page, err := ValidPage(page)
	if err != nil {
		return err
	}
	if len(brandID) > 64 {
		return errs.InvalidField("brand_id", "This is not a brand ID.")
	}
	e := Event{ClientID: a.AccountID, UserID: a.UserID, Kind: PageView, Page: page, BrandID: brandID, At: s.now()}
	if a.Impersonating() {
		e.ClientID, e.ImpersonatorID, e.AgencyID = a.Impersonation.ClientID, a.UserID, a.Impersonation.AgencyID
	} else if m, ok := a.MembershipOn(e.ClientID); !ok || m.Kind != "client" {
		// The memberships read with the session (authz/preload.go) hold
		// the answer for nearly everyone; the database is asked when
		// they do not.
		member, err := inClient(ctx, s.db, e.UserID, e.ClientID)
		if err != nil {
			return err
		}
		if !member {
			return errs.E(errs.Conflict, "not_in_client_account", "Page views are recorded in a client account: switch to one first.")
		}
	}
	return s.rec.add(ctx, e)
}

// Flush returns once every page view recorded so far is written (tests read
// them back; the server's shutdown uses Close).
func (s *Service) Flush(ctx context.Context) { s.rec.Flush(ctx) }

// Close writes the page views still queued and stops recording in batches
// (later ones are written one by one).
func (s *Service) Close() { s.rec.Close() }
