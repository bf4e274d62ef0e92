package invite

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/billing"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/link"
)

// Filter narrows an invitation list.
type Filter struct {
	Status   string // pending, accepted, expired, cancelled; "" all
	Kind     string // client, team, staff; "" all
	ClientID string // one client account; "" all
	Limit    int    // 1–200, default 50
	Cursor   string
}

func (f Filter) validate() (Filter, error) {
	switch f.Status {
	case "", Pending, Accepted, Expired, Cancelled:
	default:
		return f, errs.InvalidField("status", "Choose pending, accepted, expired or cancelled.")
	}
	switch f.Kind {
	case "", KindClient, KindTeam, KindStaff:
	default:
		return f, errs.InvalidField("kind", "Choose client, team or staff.")
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 1 || f.Limit > 200 {
		return f, errs.InvalidField("limit", "Choose from 1 to 200.")
	}
	return f, nil
}

// statusCond is the filter on status, read at now (a pending invitation
// past its expiry is expired before the job marks it).
func statusCond(status string, now time.Time) (string, []any) {
	switch status {
	case Pending:
		return ` AND i.status = 'pending' AND (i.expires_at IS NULL OR i.expires_at > ?)`, []any{now}
	case Expired:
		return ` AND (i.status = 'expired' OR (i.status = 'pending' AND i.expires_at <= ?))`, []any{now}
	case "":
		return "", nil
	}
	return ` AND i.status = ?`, []any{status}
}

// page runs a list query, newest first, with a keyset cursor on
// (created_at, id).
func (s *Service) page(ctx context.Context, q string, args []any, f Filter) ([]Invitation, string, error) {
	now := s.now()
	cond, cargs := statusCond(f.Status, now)
	q += cond
	args = append(args, cargs...)
	if f.Kind != "" {
		q += ` AND i.kind = ?`
		args = append(args, f.Kind)
	}
	if f.ClientID != "" {
		q += ` AND i.account_id = ?`
		args = append(args, f.ClientID)
	}
	if f.Cursor != "" {
		at, last, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", errs.InvalidField("cursor", "The cursor is not valid.")
		}
		q += ` AND (i.created_at < ? OR (i.created_at = ? AND i.id < ?))`
		args = append(args, at, at, last)
	}
	q += ` ORDER BY i.created_at DESC, i.id DESC LIMIT ?`
	args = append(args, f.Limit+1)
	var rows []row
	if err := s.db.Select(ctx, &rows, q, args...); err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		next = encodeCursor(rows[f.Limit-1].CreatedAt, rows[f.Limit-1].ID)
	}
	out := make([]Invitation, len(rows))
	for i, r := range rows {
		out[i] = r.view(now)
	}
	return out, next, nil
}

func encodeCursor(at time.Time, invID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + invID))
}

func decodeCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", err
	}
	ts, invID, ok := strings.Cut(string(b), "|")
	if !ok || !id.Valid(id.Invitation, invID) {
		return time.Time{}, "", errs.ErrNotFound
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	return at.UTC(), invID, err
}

// ForAgency lists the invitations an agency sent that the scope's user
// sees: client and team invitations into the clients they see through the
// agency (authz.ClientScope, the client list's own condition), and, when
// staff is true (they may read the agency's members), its staff
// invitations. A client admin's own team invitation, which only wears the
// agency's brand, is not the agency's (from_client).
func (s *Service) ForAgency(ctx context.Context, scope authz.ClientScope, staff bool, f Filter) ([]Invitation, string, error) {
	if scope.AgencyID == "" || scope.UserID == "" {
		return nil, "", errs.ErrNotFound
	}
	f, err := f.validate()
	if err != nil {
		return nil, "", err
	}
	cond, cargs := scope.Condition()
	join, jargs := scope.JoinMembership()
	q := `SELECT ` + rowColumns + ` WHERE i.agency_id = ? AND NOT i.from_client AND (i.account_id IN (SELECT l.client_id FROM links l ` + join +
		` WHERE ` + cond + `)`
	args := append(append([]any{scope.AgencyID}, jargs...), cargs...)
	if staff {
		q += ` OR i.kind = 'staff'`
	}
	q += `)`
	return s.page(ctx, q, args, f)
}

// ForAccount lists the invitations into the account rel was checked
// against (the client's team and the agency users who see it). An agency's
// view of a client it shares with other agencies lists its own
// invitations and the client's own, never another agency's
// (authz.Relation.InvitationCondition).
func (s *Service) ForAccount(ctx context.Context, rel authz.Relation, f Filter) ([]Invitation, string, error) {
	if !rel.Visible() {
		return nil, "", errs.ErrNotFound
	}
	f, err := f.validate()
	if err != nil {
		return nil, "", err
	}
	f.ClientID = ""
	cond, cargs := rel.InvitationCondition(false)
	return s.page(ctx, `SELECT `+rowColumns+` WHERE i.account_id = ?`+cond, append([]any{rel.AccountID}, cargs...), f)
}

// openRow reads an invitation of the account rel was checked against
// (authz.CheckInvitation) that rel may act on, locking it for the
// transaction, and refuses one that is no longer pending (409, naming what
// became of it).
func openRow(ctx context.Context, tx *db.Tx, now time.Time, rel authz.Relation, invID string) (row, error) {
	cond, cargs := rel.InvitationCondition(true)
	args := append([]any{invID, rel.AccountID}, cargs...)
	if _, err := tx.Exec(ctx, `UPDATE invitations SET status = status WHERE id IN
		(SELECT i.id FROM invitations i WHERE i.id = ? AND i.account_id = ?`+cond+`)`, args...); err != nil {
		return row{}, err
	}
	var r row
	err := tx.Get(ctx, &r, `SELECT `+rowColumns+` WHERE i.id = ? AND i.account_id = ?`+cond, args...)
	if errors.Is(err, db.ErrNoRows) {
		return r, errs.ErrNotFound
	}
	if err != nil {
		return r, err
	}
	if st := r.status(now); st == Accepted || st == Cancelled {
		return r, errs.E(errs.Conflict, "invitation_"+st, "This invitation was already %s.", st)
	}
	return r, nil
}

// Resend gives an invitation a new token (the old link dies), a fresh
// expiry and, for an e-mail invitation, a new e-mail. An expired
// invitation comes back to life this way; an accepted or cancelled one
// cannot (409). The answer carries the new link, for copying.
func (s *Service) Resend(ctx context.Context, rel authz.Relation, a *authz.Actor, invID string) (Invitation, error) {
	if !rel.Visible() || a == nil {
		return Invitation{}, errs.ErrNotFound
	}
	var out Invitation
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		r, err := openRow(ctx, tx, now, rel, invID)
		if err != nil {
			return err
		}
		if r.status(now) == Expired && r.Kind != KindStaff {
			// Coming back takes a seat again.
			if err := checkSeats(ctx, tx, now, r.AccountID); err != nil {
				return err
			}
		}
		var expires any
		if r.Delivery == ByEmail {
			set, err := agency.Settings(ctx, tx, str(r.AgencyID))
			if err != nil {
				return err
			}
			expires = now.Add(ttl(set.ClientInviteTTLDays, set.TeamInviteTTLDays, r.Kind))
		}
		token, mailToken, mailHash := newTokens(r.Delivery)
		_, err = tx.Exec(ctx, `UPDATE invitations SET token_hash = ?, mail_token_hash = ?, status = 'pending', sent_at = ?, expires_at = ?,
			decided_at = NULL WHERE id = ?`, id.Hash(token), mailHash, now, expires, invID)
		if errors.Is(err, db.ErrUnique) {
			return errAlreadyInvited // a newer invitation to the address is open
		}
		if err != nil {
			return err
		}
		before := map[string]any{"status": r.status(now), "expires_at": r.ExpiresAt.Ptr()}
		if r, err = get(ctx, tx, invID); err != nil {
			return err
		}
		if r.Delivery == ByEmail {
			if err := s.sendMail(ctx, tx, r, s.URL(mailToken), a.Name); err != nil {
				return err
			}
		}
		out = r.view(now)
		out.URL = s.URL(token)
		after := map[string]any{"status": out.Status, "expires_at": out.ExpiresAt, "email": r.Email}
		e := actorEntry(a, "invitation.resend", invID, before, after)
		e.AgencyID = agencyOf(r.sender(), a)
		if err := auditOn(ctx, tx, now, e, str(r.AgencyID), r.AccountID); err != nil {
			return err
		}
		return billing.Sync(ctx, tx, now, str(r.AgencyID), billing.Change{Cause: billing.CauseInvitationResent, RefID: invID, ActorID: a.UserID})
	})
	return out, seatsFor(rel.AgencyID != "", err)
}

// Cancel withdraws a pending (or expired) invitation: its link stops
// working and its seat is free. Cancelling the only invitation of a client
// account that was created for it and that nobody joined removes that
// client too (it was only ever the invitation's), and says so: removed is
// the client's name.
func (s *Service) Cancel(ctx context.Context, rel authz.Relation, a *authz.Actor, invID string) (removed string, err error) {
	if !rel.Visible() || a == nil {
		return "", errs.ErrNotFound
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		removed = ""
		now := s.now()
		r, err := openRow(ctx, tx, now, rel, invID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE invitations SET status = 'cancelled', decided_at = ? WHERE id = ?`, now, invID); err != nil {
			return err
		}
		e := actorEntry(a, "invitation.cancel", invID,
			map[string]any{"status": r.status(now), "email": r.Email}, map[string]any{"status": Cancelled})
		e.AgencyID = agencyOf(r.sender(), a)
		if err := auditOn(ctx, tx, now, e, str(r.AgencyID), r.AccountID); err != nil {
			return err
		}
		if err := s.removeUnjoinedClient(ctx, tx, now, a, r, invID, e.AgencyID, &removed); err != nil {
			return err
		}
		return billing.Sync(ctx, tx, now, str(r.AgencyID), billing.Change{Cause: billing.CauseInvitationCancelled, RefID: invID, ActorID: a.UserID})
	})
	return removed, err
}

// removeUnjoinedClient takes out of the agency's clients, with its
// invitation cancelled, a client account that was created for that
// invitation and that nobody joined and no other invitation is for: it
// would stay in the list as an empty "nobody yet" client. Its link ends
// (the list holds active links only, and its brands stop being billed);
// the account stays, so the cancelled invitation keeps its row in the
// agency's list and its link still says "cancelled" to whoever opens it.
// *removed is set to its name.
func (s *Service) removeUnjoinedClient(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor, r row, invID, agencyID string, removed *string) error {
	if !r.CreatedClient || r.Kind != KindClient {
		return nil
	}
	var others int
	if err := tx.Get(ctx, &others, `SELECT (SELECT COUNT(*) FROM memberships WHERE account_id = ?)
		+ (SELECT COUNT(*) FROM invitations WHERE account_id = ? AND id <> ?)`, r.AccountID, r.AccountID, invID); err != nil {
		return err
	}
	if others > 0 {
		return nil
	}
	if err := link.EndActive(ctx, tx, now, str(r.AgencyID), r.AccountID, a.UserID); err != nil {
		return err
	}
	*removed = r.AccountName
	del := actorEntry(a, "client.remove", r.AccountID,
		map[string]any{"name": r.AccountName, "invitation_id": invID}, map[string]any{"reason": "invitation_cancelled"})
	del.AgencyID = agencyID
	return auditOn(ctx, tx, now, del, str(r.AgencyID), r.AccountID)
}

// Expire marks the pending invitations past their expiry as expired (the
// background job, SPEC §4), with an audit entry on the agency and the
// account for each. Marking them moves the client list's version (the
// invitations triggers), so a client whose only e-mail invitation expired
// changes status there at once. It returns how many it marked.
func (s *Service) Expire(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			now := s.now()
			var rows []row
			if err := tx.Select(ctx, &rows, `SELECT `+rowColumns+` WHERE i.status = 'pending' AND i.expires_at <= ?
				ORDER BY i.expires_at, i.id LIMIT 200`, now); err != nil {
				return err
			}
			for _, r := range rows {
				res, err := tx.Exec(ctx, `UPDATE invitations SET status = 'expired', decided_at = ? WHERE id = ? AND status = 'pending'`,
					now, r.ID)
				if err != nil {
					return err
				}
				if k, _ := res.RowsAffected(); k == 0 {
					continue
				}
				n++
				e := audit.Entry{Action: "invitation.expire", TargetID: r.ID,
					Before: map[string]any{"status": Pending, "email": r.Email, "expires_at": r.ExpiresAt.Ptr()},
					After:  map[string]any{"status": Expired}, AgencyID: r.sender()}
				if err := auditOn(ctx, tx, now, e, str(r.AgencyID), r.AccountID); err != nil {
					return err
				}
				if err := billing.Sync(ctx, tx, now, str(r.AgencyID), billing.Change{Cause: billing.CauseInvitationExpired, RefID: r.ID}); err != nil {
					return err
				}
			}
			return nil
		})
		total += n
		if err != nil || n < 200 {
			return total, err
		}
	}
}

// Seats returns, for the client account rel was checked against, its seat
// limit (0: unlimited), its users and its open invitations: what Invite
// User shows as seats left.
func (s *Service) Seats(ctx context.Context, rel authz.Relation) (seats, users, pending int, err error) {
	if !rel.Visible() || rel.AccountKind != "client" {
		return 0, 0, 0, errs.ErrNotFound
	}
	var r struct {
		Seats   int `db:"seats"`
		Users   int `db:"users"`
		Pending int `db:"pending"`
	}
	err = s.db.Get(ctx, &r, `SELECT (SELECT COALESCE(MIN(seats), 0) FROM agency_clients WHERE client_id = ? AND seats > 0
		AND agency_id IN (SELECT agency_id FROM links WHERE client_id = ? AND status = 'active')) AS seats,
		(SELECT COUNT(*) FROM memberships WHERE account_id = ?) AS users, `+PendingSQL+` AS pending`,
		rel.AccountID, rel.AccountID, rel.AccountID, rel.AccountID, s.now())
	return r.Seats, r.Users, r.Pending, err
}
