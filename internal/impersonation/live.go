package impersonation

import (
	"context"
	"errors"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// state is an impersonation with everything that decides whether it is
// still live.
type state struct {
	liveRow
	SessionID   *string   `db:"session_id"`
	ReturnTo    string    `db:"return_to"`
	IdleMinutes int       `db:"idle_minutes"`
	LastSeenAt  time.Time `db:"last_seen_at"`
	EndedAt     db.Time   `db:"ended_at"`
	EndReason   string    `db:"end_reason"`
	AgencyName  string    `db:"agency_name"`
	ClientName  string    `db:"client_name"`
	Linked      bool      `db:"linked"`
	Revoked     bool      `db:"revoked"`
	Allowed     bool      `db:"allowed"`
}

const stateSQL = `SELECT i.id, i.agency_id, i.client_id, i.impersonator_id, i.session_id, i.return_to, i.idle_minutes,
	i.started_at, i.last_seen_at, i.ended_at, i.end_reason, ag.name AS agency_name, cl.name AS client_name,
	EXISTS (SELECT 1 FROM links l WHERE l.agency_id = i.agency_id AND l.client_id = i.client_id AND l.status = 'active') AS linked,
	EXISTS (SELECT 1 FROM agency_clients ac WHERE ac.agency_id = i.agency_id AND ac.client_id = i.client_id
		AND ac.revoked_at IS NOT NULL) AS revoked,
	COALESCE((SELECT cs.allow_impersonation FROM client_security cs WHERE cs.client_id = i.client_id), TRUE) AS allowed
	FROM impersonations i JOIN accounts ag ON ag.id = i.agency_id JOIN accounts cl ON cl.id = i.client_id`

func (st state) idle() time.Duration { return time.Duration(st.IdleMinutes) * time.Minute }

// deadReason says why the impersonation is over at now ("" while live),
// and when it ended.
func (s *Service) deadReason(ctx context.Context, st state, now time.Time) (string, time.Time, error) {
	switch {
	case st.EndedAt.Valid:
		return st.EndReason, st.EndedAt.Time, nil
	case !now.Before(st.LastSeenAt.Add(st.idle())):
		return EndIdle, st.LastSeenAt.Add(st.idle()), nil
	case !st.Linked:
		return EndDisconnected, now, nil
	case st.Revoked:
		return EndRevoked, now, nil
	case !st.Allowed:
		return EndDisabledByClient, now, nil
	}
	// The agency user must still be allowed: still in the agency, with a
	// role that may Login As, still seeing the client (SPEC §1).
	_, err := s.authz.CheckClientOf(ctx, &authz.Actor{UserID: st.ImpersonatorID}, st.AgencyID, st.ClientID, authz.ClientImpersonate)
	if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Forbidden) {
		return EndAccessLost, now, nil
	}
	return "", time.Time{}, err
}

// Resolve checks the Login As that the actor's session points at. While it
// is live it returns it (the caller puts it on the actor); once it is over
// it ends it (if nothing did yet), releases the session's pointer and
// returns how it ended, which the caller announces once (401
// impersonation_ended, or the agency page with a notice).
func (s *Service) Resolve(ctx context.Context, a *authz.Actor) (*authz.Impersonation, *Ended, error) {
	impID := a.SessionImpersonationID
	var st state
	err := s.db.Get(ctx, &st, stateSQL+` WHERE i.id = ?`, impID)
	if errors.Is(err, db.ErrNoRows) {
		return nil, &Ended{ID: impID, Reason: "ended", ReturnTo: "/app"}, s.releaseOnly(ctx, a.SessionID, impID)
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	reason, at, err := s.deadReason(ctx, st, now)
	if err != nil {
		return nil, nil, err
	}
	if st.SessionID == nil || *st.SessionID != a.SessionID || st.ImpersonatorID != a.UserID {
		reason, at = EndSessionEnded, now
	}
	if reason == "" {
		return &authz.Impersonation{ID: st.ID, AgencyID: st.AgencyID, AgencyName: st.AgencyName, ClientID: st.ClientID,
			ClientName: st.ClientName, StartedAt: st.StartedAt, ExpiresAt: now.Add(st.idle()), Idle: st.idle(), ReturnTo: st.ReturnTo}, nil, nil
	}
	err = s.db.InTx(db.WithoutBeforeCommit(ctx), func(tx *db.Tx) error {
		if err := endOne(ctx, tx, at, st.liveRow, reason, a.IP); err != nil {
			return err
		}
		return release(ctx, tx, a.SessionID, st.ID)
	})
	if st.EndedAt.Valid {
		reason = st.EndReason
	}
	returnTo := st.ReturnTo
	switch reason {
	case EndDisconnected, EndRevoked, EndAccessLost: // the client's own page may be gone for them
		returnTo = "/app/clients"
	}
	return nil, &Ended{ID: st.ID, Reason: reason, ReturnTo: returnTo, ClientName: st.ClientName}, err
}

func (s *Service) releaseOnly(ctx context.Context, sessionID, impID string) error {
	return s.db.InTx(db.WithoutBeforeCommit(ctx), func(tx *db.Tx) error { return release(ctx, tx, sessionID, impID) })
}

// ErrEnded answers a request made after its Login As ended.
func ErrEnded(e Ended) error {
	return errs.E(errs.Unauthorized, "impersonation_ended", "%s", e.Message())
}

// Action is one request made during Login As, recorded in the action log.
type Action struct {
	id     string
	imp    *authz.Impersonation
	at     time.Time
	method string
	path   string
}

// Begin starts the record of a request made during Login As.
func (s *Service) Begin(a *authz.Actor, method, path string) *Action {
	imp := a.Impersonation
	now := s.now()
	return &Action{id: id.New("act"), imp: imp, at: now, method: method, path: truncate(path, 500)}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// BeforeCommit runs as the last statement of every transaction the request
// makes (db.WithBeforeCommit): it refuses the change when the Login As is
// no longer live — ended (a disconnect ends it in its own transaction and
// holds the row until it commits), idle too long, or the link gone — and
// writes the request's action row with the change, so a change made during
// Login As is never without its record.
func (s *Service) BeforeCommit(act *Action) func(ctx context.Context, tx *db.Tx) error {
	return func(ctx context.Context, tx *db.Tx) error {
		now := s.now()
		res, err := tx.Exec(ctx, `UPDATE impersonations SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL AND last_seen_at > ?
			AND EXISTS (SELECT 1 FROM links l WHERE l.agency_id = impersonations.agency_id AND l.client_id = impersonations.client_id
				AND l.status = 'active')
			AND EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = impersonations.agency_id AND m.user_id = impersonations.impersonator_id)`,
			now, act.imp.ID, now.Add(-act.imp.Idle))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrEnded(Ended{ID: act.imp.ID, ClientName: act.imp.ClientName})
		}
		_, err = tx.Exec(ctx, `INSERT INTO impersonation_actions (id, impersonation_id, at, method, path, status)
			VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (id) DO NOTHING`, act.id, act.imp.ID, act.at, act.method, act.path)
		return err
	}
}

// Finish records the request's final status and slides the idle timeout.
func (s *Service) Finish(ctx context.Context, act *Action, status int) error {
	return s.db.InTx(db.WithoutBeforeCommit(ctx), func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO impersonation_actions (id, impersonation_id, at, method, path, status)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status`,
			act.id, act.imp.ID, act.at, act.method, act.path, status); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE impersonations SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL AND last_seen_at < ?`,
			act.at, act.imp.ID, act.at)
		return err
	})
}

// Sweep ends the impersonations that are over but that no request has
// noticed yet (idle, session ended, link gone, access lost), at the time
// they ended where it is known, so the client's log shows how long each
// lasted. The job runner calls it every minute.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	var rows []state
	now := s.now()
	if err := s.db.Select(ctx, &rows, stateSQL+` WHERE i.ended_at IS NULL ORDER BY i.started_at, i.id`); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		reason, at, err := s.deadReason(ctx, r, now)
		if err != nil {
			return n, err
		}
		if reason == "" {
			live, end, err := s.sessionLive(ctx, r.SessionID, now)
			if err != nil {
				return n, err
			}
			if live {
				continue
			}
			reason, at = EndSessionEnded, end
		}
		if err := s.db.InTx(ctx, func(tx *db.Tx) error { return endOne(ctx, tx, at, r.liveRow, reason, "") }); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// sessionLive reports whether the agency user's session is still on, and
// when it ended otherwise.
func (s *Service) sessionLive(ctx context.Context, sessionID *string, now time.Time) (bool, time.Time, error) {
	if sessionID == nil {
		return false, now, nil
	}
	var ss struct {
		RevokedAt db.Time   `db:"revoked_at"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	err := s.db.Get(ctx, &ss, `SELECT revoked_at, expires_at FROM sessions WHERE id = ?`, *sessionID)
	if errors.Is(err, db.ErrNoRows) {
		return false, now, nil
	}
	if err != nil {
		return false, now, err
	}
	if ss.RevokedAt.Valid {
		return false, ss.RevokedAt.Time, nil
	}
	if !now.Before(ss.ExpiresAt) {
		return false, ss.ExpiresAt, nil
	}
	return true, time.Time{}, nil
}
