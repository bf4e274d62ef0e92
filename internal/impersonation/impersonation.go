// Package impersonation is Login As (SPEC §6): an agency user allowed by the
// §1 matrix (admins, assigned account managers) acts as a linked client
// account with the view of its admins, without the client's password.
//
// An impersonation is a row tied to the agency user's own browser session
// (sessions.impersonation_id points at it). On every request of that
// session, Resolve checks that it is still live — not ended, not idle for
// longer than the agency's impersonation_idle_minutes, the link active, the
// client not revoked, the client still allowing Login As, the agency user
// still allowed — and the server then runs the request as the client's
// admin (authz.Actor.Impersonation), records it in the action log, and
// slides the idle timeout. A request after the end is answered 401
// impersonation_ended once; the agency session itself goes on.
//
// Race-freedom with a disconnect or revocation: those transactions end the
// live impersonations of the pair (EndFor), and a request that changes data
// writes its action row and re-checks the impersonation in the same
// transaction as the change (BeforeCommit), so no change commits after the
// disconnect has committed.
package impersonation

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/input"
	"github.com/liaison-dev/liaison/internal/mail"
)

// IDPrefix starts every impersonation's ID.
const IDPrefix = "imp"

// Why an impersonation ended (impersonations.end_reason).
const (
	EndExit             = "exit"
	EndIdle             = "idle"
	EndDisconnected     = "disconnected"
	EndRevoked          = "revoked"
	EndDisabledByClient = "disabled_by_client"
	EndAccessLost       = "access_lost"
	EndSessionEnded     = "session_ended"
)

// Service is the Login As domain.
type Service struct {
	db      *db.DB
	authz   *authz.Authorizer
	mailer  *mail.Mailer
	now     clock.Clock
	baseURL string
	log     *slog.Logger
}

// New returns the Login As service.
func New(d *db.DB, m *mail.Mailer, now clock.Clock, baseURL string, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: d, authz: authz.New(d), mailer: m, now: now, baseURL: baseURL, log: log}
}

// Started is the answer to a started Login As.
type Started struct {
	ID        string    `json:"id"`
	ClientID  string    `json:"client_id"`
	AgencyID  string    `json:"agency_id"`
	StartedAt time.Time `json:"started_at"`
	ExpiresAt time.Time `json:"expires_at" doc:"When it ends without another request (sliding)"`
	ReturnTo  string    `json:"return_to" doc:"The agency page to go back to when it ends"`
}

// StartInput is what the agency user gives.
type StartInput struct {
	Reason   string
	ReturnTo string // an agency page (/app/clients…); anything else is replaced by the client's page
}

var errNoSession = errs.E(errs.Invalid, "session_required",
	"Login As works in a browser session (log in with your password); an API token cannot start it.")

// Start begins Login As on the client that rel was checked for
// (authz.CheckClientOf with authz.ClientImpersonate). The agency setting
// impersonation_reason_required makes the reason mandatory; a client that
// turned Login As off answers 403 impersonation_disabled_by_client; a
// revoked client cannot be entered. The start, its audit entries (on the
// client and the agency) and the e-mail to the client's admins (when
// notify_client_on_impersonation is on) are one transaction.
func (s *Service) Start(ctx context.Context, rel authz.Relation, a *authz.Actor, in StartInput) (Started, error) {
	if a == nil || rel.AgencyID == "" || rel.AccountKind != "client" || !authz.Allowed(rel.Role, authz.ClientImpersonate) {
		return Started{}, errs.ErrNotFound
	}
	if a.Impersonating() {
		return Started{}, authz.ErrImpersonating("start another Login As")
	}
	if a.SessionID == "" {
		return Started{}, errNoSession
	}
	reason := strings.TrimSpace(in.Reason)
	if utf8.RuneCountInString(reason) > 500 {
		return Started{}, errs.InvalidField("reason", "Keep the reason under 500 characters.")
	}
	returnTo := safeReturn(in.ReturnTo, rel.AccountID)
	var out Started
	err := s.db.InTx(db.WithoutBeforeCommit(ctx), func(tx *db.Tx) error {
		now := s.now()
		set, err := agency.Settings(ctx, tx, rel.AgencyID)
		if err != nil {
			return err
		}
		if reason == "" && set.ImpersonationReasonRequired {
			return errs.InvalidField("reason", "Give a reason: your agency asks for one for every Login As.")
		}
		if set.Require2FALoginAs {
			// Read here rather than from internal/auth, which imports
			// this package: the user has a confirmed TOTP secret.
			var on bool
			if err := tx.Get(ctx, &on, `SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = ? AND enabled_at IS NOT NULL)`, a.UserID); err != nil {
				return err
			}
			if !on {
				return errs.E(errs.Forbidden, "two_factor_required",
					"Your agency asks for two-factor sign-in before Login As. Turn it on in your profile, then try again.")
			}
		}
		var st struct {
			Allowed bool `db:"allowed"`
			Revoked bool `db:"revoked"`
		}
		if err := tx.Get(ctx, &st, `SELECT
			COALESCE((SELECT cs.allow_impersonation FROM client_security cs WHERE cs.client_id = ?), TRUE) AS allowed,
			EXISTS (SELECT 1 FROM agency_clients ac WHERE ac.agency_id = ? AND ac.client_id = ? AND ac.revoked_at IS NOT NULL) AS revoked`,
			rel.AccountID, rel.AgencyID, rel.AccountID); err != nil {
			return err
		}
		if !st.Allowed {
			return errs.E(errs.Forbidden, "impersonation_disabled_by_client",
				"This client has turned off Login As for its agencies. Ask one of its admins to allow it in their security settings.")
		}
		if st.Revoked {
			return errs.E(errs.Conflict, "client_revoked", "This client's access is revoked; restore it before you log in as the client.")
		}
		out = Started{ID: id.New(IDPrefix), ClientID: rel.AccountID, AgencyID: rel.AgencyID, StartedAt: now,
			ExpiresAt: now.Add(set.ImpersonationIdle()), ReturnTo: returnTo}
		_, err = tx.Exec(ctx, `INSERT INTO impersonations (id, agency_id, client_id, impersonator_id, session_id, reason,
			return_to, idle_minutes, started_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			out.ID, out.AgencyID, out.ClientID, a.UserID, a.SessionID, reason, returnTo, set.ImpersonationIdleMinutes, now, now)
		if errors.Is(err, db.ErrUnique) {
			return errs.E(errs.Conflict, "already_impersonating", "This session is already logged in as a client. Return to your agency first.")
		}
		if err != nil {
			return err
		}
		if err := auth.SetImpersonation(ctx, tx, a.SessionID, out.ID); err != nil {
			return err
		}
		after := map[string]any{"impersonation_id": out.ID, "agency_id": out.AgencyID, "reason": reason,
			"idle_minutes": set.ImpersonationIdleMinutes}
		if err := auditBoth(ctx, tx, now, a.UserID, a.IP, out.AgencyID, out.ClientID, "impersonation.start", out.ID, after); err != nil {
			return err
		}
		if set.NotifyClientOnImpersonation {
			return s.notify(ctx, tx, out, a, reason)
		}
		return nil
	})
	return out, err
}

// safeReturn keeps a return path only when it is one of the agency's
// client pages (no other host, no other part of the app).
func safeReturn(to, clientID string) string {
	def := "/app/clients/" + clientID
	if len(to) > 500 {
		return def
	}
	return input.LocalPathUnder(to, "/app/clients", def)
}

// notify e-mails the client's admins that Login As started.
func (s *Service) notify(ctx context.Context, tx *db.Tx, st Started, a *authz.Actor, reason string) error {
	var names struct {
		Agency string `db:"agency"`
		Client string `db:"client"`
	}
	if err := tx.Get(ctx, &names, `SELECT (SELECT name FROM accounts WHERE id = ?) AS agency, (SELECT name FROM accounts WHERE id = ?) AS client`,
		st.AgencyID, st.ClientID); err != nil {
		return err
	}
	admins, err := account.Admins(ctx, tx, st.ClientID)
	if err != nil {
		return err
	}
	for _, ad := range admins {
		// In the agency's brand: the client knows the agency by its portal.
		if err := s.mailer.Send(ctx, tx, mail.Email{Template: "impersonation_started", To: ad.Email, AccountID: st.ClientID,
			BrandAgencyID: st.AgencyID, Data: map[string]any{"Name": ad.Name, "AccountName": names.Client, "AgencyName": names.Agency,
				"ImpersonatorName": a.Name, "ImpersonatorEmail": a.Email, "Reason": reason,
				"StartedAt": st.StartedAt.UTC().Format("2 Jan 2006 15:04 MST"), "URL": s.baseURL + "/app/security"}}); err != nil {
			return err
		}
	}
	return nil
}

// auditBoth records a Login As event on the client and on the agency (SPEC
// §9: both see changes to a client), naming the agency user as actor and
// impersonator. The entries are the agency's (audit.Entry.AgencyID): another
// agency of the client does not read them.
func auditBoth(ctx context.Context, tx *db.Tx, now time.Time, userID, ip, agencyID, clientID, action, target string, after any) error {
	for _, acc := range []string{clientID, agencyID} {
		if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: acc, ActorID: userID, ImpersonatorID: userID, AgencyID: agencyID,
			Action: action, TargetID: target, IP: ip, After: after}); err != nil {
			return err
		}
	}
	return nil
}

// Ended says how a Login As ended, for the answer and the agency page the
// browser returns to.
type Ended struct {
	ID         string
	Reason     string
	ReturnTo   string
	ClientName string
}

// Message is a sentence for the person whose Login As ended.
func (e Ended) Message() string {
	who := e.ClientName
	if who == "" {
		who = "the client"
	}
	switch e.Reason {
	case EndExit:
		return "You are back in your agency; Login As for " + who + " has ended."
	case EndIdle:
		return "Login As for " + who + " ended after a time without activity."
	case EndDisconnected:
		return "Login As for " + who + " ended: the client is no longer linked to your agency."
	case EndRevoked:
		return "Login As for " + who + " ended: the client's access was revoked."
	case EndDisabledByClient:
		return "Login As for " + who + " ended: the client turned Login As off."
	case EndAccessLost:
		return "Login As for " + who + " ended: you may no longer log in as this client."
	}
	return "Login As for " + who + " has ended."
}

// End leaves the actor's Login As (POST /api/v1/impersonation/end, the
// banner's Return button).
func (s *Service) End(ctx context.Context, a *authz.Actor) (Ended, error) {
	if !a.Impersonating() {
		return Ended{}, errs.E(errs.Conflict, "not_impersonating", "You are not logged in as a client.")
	}
	imp := a.Impersonation
	out := Ended{ID: imp.ID, Reason: EndExit, ReturnTo: imp.ReturnTo, ClientName: imp.ClientName}
	err := s.db.InTx(db.WithoutBeforeCommit(ctx), func(tx *db.Tx) error {
		now := s.now()
		if _, err := endRows(ctx, tx, now, `id = ?`, []any{imp.ID}, EndExit, a.IP); err != nil {
			return err
		}
		return release(ctx, tx, a.SessionID, imp.ID)
	})
	return out, err
}

// release clears a session's pointer to an impersonation that has ended
// and been announced.
func release(ctx context.Context, tx *db.Tx, sessionID, impID string) error {
	return auth.ClearImpersonation(ctx, tx, sessionID, impID)
}

type liveRow struct {
	ID             string    `db:"id"`
	AgencyID       string    `db:"agency_id"`
	ClientID       string    `db:"client_id"`
	ImpersonatorID string    `db:"impersonator_id"`
	StartedAt      time.Time `db:"started_at"`
}

// endRows ends the live impersonations matching where (SQL over the
// impersonations table, unaliased) at now, with the reason, and records
// impersonation.end on both accounts of each. It runs in the caller's
// transaction, so the end commits with the change that caused it.
func endRows(ctx context.Context, tx *db.Tx, now time.Time, where string, args []any, reason, ip string) (int, error) {
	var rows []liveRow
	if err := tx.Select(ctx, &rows, `SELECT id, agency_id, client_id, impersonator_id, started_at FROM impersonations
		WHERE ended_at IS NULL AND `+where, args...); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		if err := endOne(ctx, tx, now, r, reason, ip); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// endOne ends one impersonation at the given time, if it is still live.
func endOne(ctx context.Context, tx *db.Tx, at time.Time, r liveRow, reason, ip string) error {
	res, err := tx.Exec(ctx, `UPDATE impersonations SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL`, at, reason, r.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	// The entry sums the session up for both audit trails: why it ended,
	// how long it lasted, how many requests were made (each is in the
	// client's Login As log; each change has its own entry).
	var actions int
	if err := tx.Get(ctx, &actions, `SELECT COUNT(*) FROM impersonation_actions WHERE impersonation_id = ?`, r.ID); err != nil {
		return err
	}
	return auditBoth(ctx, tx, at, r.ImpersonatorID, ip, r.AgencyID, r.ClientID, "impersonation.end", r.ID,
		map[string]any{"reason": reason, "duration_seconds": int64(at.Sub(r.StartedAt) / time.Second), "actions": actions})
}

// EndFor ends, in the caller's transaction, the live Login As sessions of
// one agency on one client (disconnect, revocation: agencyID and clientID),
// or of one agency user in one agency (removal: agencyID and userID), or of
// one session (logout: sessionID). reason is one of the End* constants.
// Callers in other packages (link, client, auth) call it so that the end
// commits with the change.
func EndFor(ctx context.Context, tx *db.Tx, now time.Time, f Filter, reason, ip string) (int, error) {
	var conds []string
	var args []any
	for _, c := range []struct{ col, val string }{{"agency_id", f.AgencyID}, {"client_id", f.ClientID},
		{"impersonator_id", f.UserID}, {"session_id", f.SessionID}} {
		if c.val != "" {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if len(conds) == 0 {
		return 0, nil
	}
	return endRows(ctx, tx, now, strings.Join(conds, " AND "), args, reason, ip)
}

// Filter picks the impersonations EndFor ends; empty fields match all.
type Filter struct {
	AgencyID, ClientID, UserID, SessionID string
}
