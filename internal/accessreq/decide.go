package accessreq

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/link"
	"github.com/liaison-dev/liaison/internal/mail"
)

// List returns the requests the reader sees in the agency rel was checked
// on (authz.AgencyRead), newest first, at most 200: an admin sees all, an
// account manager also those for clients assigned to them, everyone their
// own.
func (s *Service) List(ctx context.Context, rel authz.Relation, a *authz.Actor) ([]Request, error) {
	if err := agencyOnly(rel, a); err != nil {
		return nil, err
	}
	q := selectRows + ` WHERE r.agency_id = ?`
	args := []any{a.UserID, rel.AccountID}
	if rel.Role != authz.AgencyAdmin {
		q += ` AND (r.requester_id = ? OR EXISTS (SELECT 1 FROM client_account_managers cam
			WHERE cam.agency_id = r.agency_id AND cam.client_id = r.client_id AND cam.user_id = ?))`
		args = append(args, a.UserID, a.UserID)
		if rel.Role != authz.AgencyAccountManager {
			q = selectRows + ` WHERE r.agency_id = ? AND r.requester_id = ?`
			args = []any{a.UserID, rel.AccountID, a.UserID}
		}
	}
	var rows []row
	if err := s.db.Select(ctx, &rows, q+` ORDER BY r.created_at DESC, r.id DESC LIMIT 200`, args...); err != nil {
		return nil, err
	}
	out := make([]Request, len(rows))
	for i, r := range rows {
		out[i] = r.view(rel, a.UserID)
	}
	return out, nil
}

// Get returns one request the reader sees (List's rule); any other is 404.
func (s *Service) Get(ctx context.Context, rel authz.Relation, a *authz.Actor, reqID string) (Request, error) {
	if err := agencyOnly(rel, a); err != nil {
		return Request{}, err
	}
	r, err := s.visible(ctx, s.db, rel, a, reqID)
	if err != nil {
		return Request{}, err
	}
	return r.view(rel, a.UserID), nil
}

func (s *Service) visible(ctx context.Context, q db.Querier, rel authz.Relation, a *authz.Actor, reqID string) (row, error) {
	r, err := s.load(ctx, q, reqID, a.UserID)
	if err != nil {
		return r, err
	}
	if r.AgencyID != rel.AccountID || !(rel.Role == authz.AgencyAdmin || r.Assigned || r.RequesterID == a.UserID) {
		return row{}, errs.ErrNotFound
	}
	return r, nil
}

// Approve grants the requester access to the client the request matched
// — they join the link's access list, with an end date when until is set
// — in one transaction with the audit entries (the agency's and the
// client's: its data is now seen by one more person) and the e-mail to the
// requester.
func (s *Service) Approve(ctx context.Context, rel authz.Relation, a *authz.Actor, reqID string, until *time.Time) (Request, error) {
	return s.decide(ctx, rel, a, reqID, Approved, until)
}

// Decline refuses a request and tells the requester.
func (s *Service) Decline(ctx context.Context, rel authz.Relation, a *authz.Actor, reqID string) (Request, error) {
	return s.decide(ctx, rel, a, reqID, Declined, nil)
}

func (s *Service) decide(ctx context.Context, rel authz.Relation, a *authz.Actor, reqID, to string, until *time.Time) (Request, error) {
	if err := agencyOnly(rel, a); err != nil {
		return Request{}, err
	}
	var out Request
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now().UTC()
		r, err := s.visible(ctx, tx, rel, a, reqID)
		if err != nil {
			return err
		}
		if !r.mayDecide(rel, a.UserID) {
			return errs.E(errs.Forbidden, "not_a_decider", "Only the agency's admins and the client's account managers decide access requests.")
		}
		if to == Approved && r.ClientID == nil {
			return errs.E(errs.Conflict, "no_client_matched", "No client of this agency matches this request; decline it.")
		}
		if until != nil {
			u := until.UTC().Truncate(time.Second)
			if u.Before(now.Add(link.MinEndAhead)) || u.After(now.Add(link.MaxEndAhead)) {
				return errs.InvalidField("ends_at", "Choose an end at least 5 minutes and at most 5 years ahead.")
			}
			until = &u
		}
		res, err := tx.Exec(ctx, `UPDATE access_requests SET status = ?, decided_at = ?, decided_by = ?, ends_at = ?
			WHERE id = ? AND status = 'pending'`, to, now, a.UserID, until, reqID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Conflict, "request_decided", "This request was already decided.")
		}
		action := "access_request.decline"
		accounts := []string{r.AgencyID}
		after := map[string]any{"status": to, "requester_id": r.RequesterID, "client_id": r.ClientID}
		if to == Approved {
			action = "access_request.approve"
			linkID, ok, err := link.GrantUserUntil(ctx, tx, now, r.AgencyID, *r.ClientID, r.RequesterID, until, a.UserID)
			if err != nil {
				return err
			}
			if !ok {
				return errs.E(errs.Conflict, "link_not_active", "The agency's link with this client is no longer active.")
			}
			after["link_id"], after["ends_at"] = linkID, until
			accounts = append(accounts, *r.ClientID)
		}
		for _, acc := range accounts {
			if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: acc, ActorID: a.UserID, AgencyID: r.AgencyID,
				ImpersonatorID: a.ImpersonatorID, Action: action, TargetID: reqID, IP: a.IP,
				Before: map[string]any{"status": Pending}, After: after}); err != nil {
				return err
			}
		}
		r, err = s.load(ctx, tx, reqID, a.UserID)
		if err != nil {
			return err
		}
		data := map[string]any{"Name": r.ReqName, "Status": to, "DeciderName": a.Name, "AskedFor": r.AskedFor, "URL": s.PageURL(reqID), "EndsAt": ""}
		if until != nil {
			data["EndsAt"] = until.Format("2 January 2006 at 15:04 UTC")
		}
		if err := s.mailer.Send(ctx, tx, mail.Email{Template: "access_request_answer", To: r.ReqEmail, AccountID: r.AgencyID, Data: data}); err != nil {
			return err
		}
		out = r.view(rel, a.UserID)
		return nil
	})
	return out, err
}
