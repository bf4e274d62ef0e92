package impersonation

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Person names the agency user who logged in as the client.
type Person struct {
	ID    string `db:"id" json:"id"`
	Name  string `db:"name" json:"name"`
	Email string `db:"email" json:"email"`
}

// LogAction is one request made during a Login As.
type LogAction struct {
	At     time.Time `db:"at" json:"at"`
	Method string    `db:"method" json:"method"`
	Path   string    `db:"path" json:"path"`
	Status int       `db:"status" json:"status" doc:"HTTP status of the answer (0: the request did not finish)"`
}

// LogEntry is one Login As session as the client's admins see it (SPEC §6:
// who, when, how long, what was done).
type LogEntry struct {
	ID              string      `json:"id"`
	Impersonator    Person      `json:"impersonator"`
	AgencyID        string      `json:"agency_id"`
	AgencyName      string      `json:"agency_name"`
	Reason          string      `json:"reason"`
	StartedAt       time.Time   `json:"started_at"`
	EndedAt         *time.Time  `json:"ended_at" doc:"null while it lasts"`
	EndReason       string      `json:"end_reason,omitempty" enum:"exit,idle,disconnected,revoked,disabled_by_client,access_lost,session_ended"`
	DurationSeconds int64       `json:"duration_seconds" doc:"How long it lasted (so far)"`
	Actions         []LogAction `json:"actions" doc:"Every request made during it, in order (at most 1000)"`
}

const maxLogActions = 1000

// Log lists the client's Login As sessions, newest first, with their
// actions; rel was checked with authz.ImpersonationLogRead (the client's
// admins). limit is 1–100 (default 20); cursor is the previous page's
// next_cursor.
func (s *Service) Log(ctx context.Context, rel authz.Relation, limit int, cursor string) ([]LogEntry, string, error) {
	if !rel.Visible() || rel.AccountKind != "client" || !authz.Allowed(rel.Role, authz.ImpersonationLogRead) {
		return nil, "", errs.ErrNotFound
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	q := `SELECT i.id, i.agency_id, ag.name AS agency_name, i.reason, i.started_at, i.last_seen_at, i.idle_minutes,
		i.ended_at, i.end_reason, u.id AS user_id, u.name AS user_name, u.email AS user_email
		FROM impersonations i JOIN accounts ag ON ag.id = i.agency_id JOIN users u ON u.id = i.impersonator_id
		WHERE i.client_id = ?`
	args := []any{rel.AccountID}
	if cursor != "" {
		at, cid, err := parseCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		q += ` AND (i.started_at < ? OR (i.started_at = ? AND i.id < ?))`
		args = append(args, at, at, cid)
	}
	q += ` ORDER BY i.started_at DESC, i.id DESC LIMIT ?`
	args = append(args, limit+1)
	var rows []struct {
		ID          string    `db:"id"`
		AgencyID    string    `db:"agency_id"`
		AgencyName  string    `db:"agency_name"`
		Reason      string    `db:"reason"`
		StartedAt   time.Time `db:"started_at"`
		LastSeenAt  time.Time `db:"last_seen_at"`
		IdleMinutes int       `db:"idle_minutes"`
		EndedAt     db.Time   `db:"ended_at"`
		EndReason   string    `db:"end_reason"`
		UserID      string    `db:"user_id"`
		UserName    string    `db:"user_name"`
		UserEmail   string    `db:"user_email"`
	}
	if err := s.db.Select(ctx, &rows, q, args...); err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = encodeCursor(last.StartedAt, last.ID)
	}
	now := s.now()
	out := make([]LogEntry, 0, len(rows))
	for _, r := range rows {
		e := LogEntry{ID: r.ID, Impersonator: Person{ID: r.UserID, Name: r.UserName, Email: r.UserEmail}, AgencyID: r.AgencyID,
			AgencyName: r.AgencyName, Reason: r.Reason, StartedAt: r.StartedAt, EndedAt: r.EndedAt.Ptr(), EndReason: r.EndReason}
		// An impersonation past its idle time has ended even if no request
		// or sweep has written it down yet.
		if idleEnd := r.LastSeenAt.Add(time.Duration(r.IdleMinutes) * time.Minute); e.EndedAt == nil && !now.Before(idleEnd) {
			e.EndedAt, e.EndReason = &idleEnd, EndIdle
		}
		end := now
		if e.EndedAt != nil {
			end = *e.EndedAt
		}
		e.DurationSeconds = int64(end.Sub(r.StartedAt) / time.Second)
		if err := s.db.Select(ctx, &e.Actions, `SELECT at, method, path, status FROM impersonation_actions
			WHERE impersonation_id = ? ORDER BY seq LIMIT ?`, r.ID, maxLogActions); err != nil {
			return nil, "", err
		}
		if e.Actions == nil {
			e.Actions = []LogAction{}
		}
		out = append(out, e)
	}
	return out, next, nil
}

func encodeCursor(at time.Time, impID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + impID))
}

func parseCursor(c string) (time.Time, string, error) {
	bad := errs.InvalidField("cursor", "This cursor is not valid; start from the first page.")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", bad
	}
	at, impID, ok := strings.Cut(string(b), "|")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || impID == "" {
		return time.Time{}, "", bad
	}
	return t, impID, nil
}

// Security is a client's own security settings.
type Security struct {
	AllowImpersonation bool `db:"allow_impersonation" json:"allow_impersonation" doc:"Whether the client's agencies may Login As (default true)"`
	// Require2FA makes the client's users sign in with a second factor
	// (issue 21; internal/auth/twofactor.go): existing users set it up at
	// their next sign-in, a new person accepting an invitation before the
	// acceptance opens their first session (invite.Accept).
	Require2FA bool `db:"require_2fa" json:"require_2fa" doc:"The client's users must sign in with a second factor; those without one set it up at their next sign-in, and a person who joins by invitation on accepting it, before their first session"`
}

// SecurityUpdate changes some security settings: nil keeps the value.
type SecurityUpdate struct {
	AllowImpersonation *bool
	Require2FA         *bool
}

// GetSecurity returns the client's security settings; rel was checked with
// authz.ImpersonationLogRead.
func (s *Service) GetSecurity(ctx context.Context, rel authz.Relation) (Security, error) {
	if !rel.Visible() || rel.AccountKind != "client" {
		return Security{}, errs.ErrNotFound
	}
	return security(ctx, s.db, rel.AccountID)
}

func security(ctx context.Context, q db.Querier, clientID string) (Security, error) {
	v := Security{AllowImpersonation: true}
	err := q.Get(ctx, &v, `SELECT allow_impersonation, require_2fa FROM client_security WHERE client_id = ?`, clientID)
	if errors.Is(err, db.ErrNoRows) {
		return Security{AllowImpersonation: true}, nil
	}
	return v, err
}

// SetSecurity saves the client's security settings; rel was checked with
// authz.ClientSecurityManage (the client's admins). Turning Login As off
// ends every Login As in progress on the client, in the same transaction.
func (s *Service) SetSecurity(ctx context.Context, rel authz.Relation, a *authz.Actor, u SecurityUpdate) (Security, error) {
	if !rel.Visible() || rel.AccountKind != "client" || !authz.Allowed(rel.Role, authz.ClientSecurityManage) {
		return Security{}, errs.ErrNotFound
	}
	if a.Impersonating() {
		return Security{}, authz.ErrImpersonating("change the client's security settings")
	}
	var out Security
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		before, err := security(ctx, tx, rel.AccountID)
		if err != nil {
			return err
		}
		out = before
		if u.AllowImpersonation != nil {
			out.AllowImpersonation = *u.AllowImpersonation
		}
		if u.Require2FA != nil {
			out.Require2FA = *u.Require2FA
		}
		if out == before {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO client_security (client_id, allow_impersonation, require_2fa, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (client_id) DO UPDATE SET allow_impersonation = excluded.allow_impersonation,
			require_2fa = excluded.require_2fa, updated_at = excluded.updated_at`,
			rel.AccountID, out.AllowImpersonation, out.Require2FA, now); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: rel.AccountID, ActorID: a.UserID, Action: "client.security.update",
			TargetID: rel.AccountID, IP: a.IP, Before: before, After: out}); err != nil {
			return err
		}
		if !out.AllowImpersonation && before.AllowImpersonation {
			_, err = EndFor(ctx, tx, now, Filter{ClientID: rel.AccountID}, EndDisabledByClient, a.IP)
		}
		return err
	})
	return out, err
}
