package link

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/client/managers"
	"github.com/liaison-dev/liaison/internal/clientlist/due"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/impersonation"
	"github.com/liaison-dev/liaison/internal/mail"
)

// EndsResult is what one run of the access.expiry job did.
type EndsResult struct {
	Notices int // grants whose 7-day or 1-day notice went out
	Ended   int // grants that ended
}

// notices are the warnings before an end date, latest first: the column
// that remembers the ends_at each was sent for, and how far ahead it goes.
var notices = []struct {
	column string
	ahead  time.Duration
	days   int
}{
	{"notice1_for", 24 * time.Hour, 1},
	{"notice7_for", 7 * 24 * time.Hour, 7},
}

// batch bounds the grants one transaction of the job handles.
const batch = 100

// RunEnds is the access.expiry job: it sends the 7-day and 1-day notices
// that are due and ends every grant whose end date has come. Several
// processes may run it at once: each notice is sent by the one transaction
// whose conditional UPDATE marks it sent, and each grant is ended by the one
// whose DELETE of its end date matches a row, so nothing goes twice.
func (s *Service) RunEnds(ctx context.Context) (EndsResult, error) {
	var res EndsResult
	n, err := s.sendNotices(ctx)
	res.Notices = n
	if err != nil {
		return res, err
	}
	for {
		var ended, seen int
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			now := s.now().UTC()
			var rows []endRow
			if err := tx.Select(ctx, &rows, `SELECT `+endColumns+` FROM access_ends WHERE ends_at <= ?
				ORDER BY ends_at, id LIMIT ?`, now, batch); err != nil {
				return err
			}
			seen = len(rows)
			for _, r := range rows {
				ok, err := s.endGrant(ctx, tx, now, r)
				if err != nil {
					return err
				}
				if ok {
					ended++
				}
			}
			return nil
		})
		res.Ended += ended
		if err != nil || seen < batch {
			return res, err
		}
	}
}

// sendNotices sends each due notice once per end date: the 1-day notice
// when the end is a day away or less, else the 7-day one when it is a week
// away or less. A grant whose 1-day notice went out does not get a 7-day
// one afterwards (set 3 days ahead, say, it gets the 7-day notice, then
// the 1-day one).
func (s *Service) sendNotices(ctx context.Context) (int, error) {
	sent := 0
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now().UTC()
		for _, n := range notices {
			var rows []endRow
			// Only live grants of active links; and not the 7-day notice of a
			// grant whose 1-day notice already went.
			q := `SELECT e.id, e.link_id, e.agency_id, e.client_id, e.subject, e.subject_id, e.ends_at, e.set_by_side
				FROM access_ends e JOIN links l ON l.id = e.link_id AND l.status = 'active'
				WHERE e.ends_at > ? AND e.ends_at <= ? AND (e.` + n.column + ` IS NULL OR e.` + n.column + ` <> e.ends_at)`
			if n.days == 7 {
				q += ` AND (e.notice1_for IS NULL OR e.notice1_for <> e.ends_at)`
			}
			if err := tx.Select(ctx, &rows, q+` ORDER BY e.ends_at, e.id LIMIT 500`, now, now.Add(n.ahead)); err != nil {
				return err
			}
			for _, r := range rows {
				res, err := tx.Exec(ctx, `UPDATE access_ends SET `+n.column+` = ends_at
					WHERE id = ? AND (`+n.column+` IS NULL OR `+n.column+` <> ends_at)`, r.ID)
				if err != nil {
					return err
				}
				if k, _ := res.RowsAffected(); k == 0 {
					continue // another process sent it
				}
				if err := s.mailEnd(ctx, tx, r, "access_ending", n.days); err != nil {
					return err
				}
				sent++
			}
		}
		return nil
	})
	return sent, err
}

// endGrant ends one grant whose end date came, with the effects of its
// manual removal: a link is disconnected (Login As sessions end, the
// billing ledger records it); a user, group or account manager leaves the
// client, and Login As sessions of those who no longer see it end. Both
// accounts' audit logs and admins hear of it. It reports false when the
// end was not this transaction's to apply (another process did, or the
// grant had gone already: then only the end date is dropped).
func (s *Service) endGrant(ctx context.Context, tx *db.Tx, now time.Time, r endRow) (bool, error) {
	// The link's row first, then the end's: the order SetEnd, Extend,
	// SetAccess and a disconnect take them in, so that they never wait on
	// each other in a cycle (PostgreSQL would abort one as a deadlock).
	if _, err := tx.Exec(ctx, `UPDATE links SET access_all = access_all WHERE id = ?`, r.LinkID); err != nil {
		return false, err
	}
	res, err := tx.Exec(ctx, `DELETE FROM access_ends WHERE id = ? AND ends_at <= ?`, r.ID, now)
	if err != nil {
		return false, err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return false, nil
	}
	system := &authz.Actor{}
	rel := authz.LinkRelation{LinkID: r.LinkID, AgencyID: r.AgencyID, ClientID: r.ClientID, Side: "agency"}
	var status string
	if err := tx.Get(ctx, &status, `SELECT status FROM links WHERE id = ?`, r.LinkID); err != nil {
		return false, err
	}
	if status != Active {
		return false, nil
	}
	if r.Subject == SubjectLink {
		if _, err := s.moveTx(ctx, tx, now, rel, system, stepExpire, func(tx *db.Tx, _, after map[string]any) error {
			after["ends_at"], after["set_by"] = r.EndsAt.Time, r.SetBy
			_, err := impersonation.EndFor(ctx, tx, now, impersonation.Filter{AgencyID: r.AgencyID, ClientID: r.ClientID},
				impersonation.EndDisconnected, "")
			return err
		}); err != nil {
			return false, err
		}
	} else {
		removed, err := removeGrant(ctx, tx, r)
		if err != nil {
			return false, err
		}
		if !removed {
			return false, nil // removed by hand meanwhile
		}
		ended, err := endLostSight(ctx, tx, now, r.AgencyID, r.ClientID, "")
		if err != nil {
			return false, err
		}
		if r.Subject == SubjectAccountManager {
			// Login As is for assigned account managers and admins: one no
			// longer assigned ends theirs even if they still see the client.
			var role string
			if err := tx.Get(ctx, &role, `SELECT COALESCE(MAX(role), '') FROM memberships WHERE account_id = ? AND user_id = ?`,
				r.AgencyID, r.SubjectID); err != nil {
				return false, err
			}
			if role != "admin" {
				n, err := impersonation.EndFor(ctx, tx, now, impersonation.Filter{AgencyID: r.AgencyID, ClientID: r.ClientID, UserID: r.SubjectID},
					impersonation.EndAccessLost, "")
				if err != nil {
					return false, err
				}
				if n > 0 {
					ended = append(ended, r.SubjectID)
				}
			}
		}
		after := map[string]any{"subject": r.Subject, "subject_id": r.SubjectID, "ends_at": r.EndsAt.Time, "set_by": r.SetBy}
		if len(ended) > 0 {
			after["login_as_ended_for"] = ended
		}
		// Audited on both sides (issue 21): the client's admins see their
		// time box kept, as they do for the link itself.
		for _, acc := range []string{r.AgencyID, r.ClientID} {
			if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: acc, AgencyID: r.AgencyID, Action: "access.expire",
				TargetID: r.LinkID, After: after}); err != nil {
				return false, err
			}
		}
	}
	if err := due.MarkClients(ctx, tx, []string{r.ClientID}); err != nil {
		return false, err
	}
	return true, s.mailEnd(ctx, tx, r, "access_ended", 0)
}

// removeGrant takes away the staff grant (not the link) whose end date
// came, and reports whether it was still there. An account manager's
// assignment is written by internal/client/managers.
func removeGrant(ctx context.Context, tx *db.Tx, r endRow) (bool, error) {
	var q string
	switch r.Subject {
	case SubjectAccountManager:
		return managers.Unassign(ctx, tx, r.AgencyID, r.ClientID, r.SubjectID)
	case SubjectUser:
		q = `DELETE FROM link_access_users WHERE link_id = ? AND user_id = ?`
	case SubjectGroup:
		q = `DELETE FROM link_access_groups WHERE link_id = ? AND group_id = ?`
	}
	res, err := tx.Exec(ctx, q, r.LinkID, r.SubjectID)
	if err != nil {
		return false, err
	}
	k, _ := res.RowsAffected()
	return k > 0, nil
}

// mailEnd tells the admins of both sides that a grant ends in days (a
// notice) or has ended (days 0). The client's admins hear in the agency's
// brand (SPEC §7).
func (s *Service) mailEnd(ctx context.Context, tx *db.Tx, r endRow, template string, days int) error {
	var names struct {
		Agency string `db:"agency"`
		Client string `db:"client"`
	}
	if err := tx.Get(ctx, &names, `SELECT ag.name AS agency, cl.name AS client FROM accounts ag, accounts cl WHERE ag.id = ? AND cl.id = ?`,
		r.AgencyID, r.ClientID); err != nil {
		return err
	}
	what, err := describe(ctx, tx, r, names.Agency, names.Client)
	if err != nil {
		return err
	}
	for _, acc := range []string{r.AgencyID, r.ClientID} {
		admins, err := account.Admins(ctx, tx, acc)
		if err != nil {
			return err
		}
		url := s.linksURL()
		if acc == r.AgencyID && r.Subject != SubjectLink {
			url = s.baseURL + "/app/clients/" + r.ClientID + "#access"
		}
		for _, a := range admins {
			e := mail.Email{Template: template, To: a.Email, AccountID: acc, Data: map[string]any{
				"Name": a.Name, "What": what, "Days": days, "EndsAt": r.EndsAt.Time.UTC().Format("2 January 2006 at 15:04 UTC"),
				"SetBy": r.SetBy, "Agency": names.Agency, "Client": names.Client, "URL": url,
				"CanExtend": (acc == r.AgencyID) == (r.SetBy == "agency")}}
			if acc == r.ClientID {
				e.BrandAgencyID = r.AgencyID
			}
			if err := s.mailer.Send(ctx, tx, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// describe names a grant in words for the e-mails.
func describe(ctx context.Context, q db.Querier, r endRow, agency, client string) (string, error) {
	var name string
	var err error
	switch r.Subject {
	case SubjectLink:
		return fmt.Sprintf("The link between %s and %s", agency, client), nil
	case SubjectGroup:
		err = q.Get(ctx, &name, `SELECT COALESCE(MAX(name), '') FROM agency_groups WHERE id = ?`, r.SubjectID)
		return fmt.Sprintf("The access of %s's group %q to %s", agency, name, client), err
	default:
		err = q.Get(ctx, &name, `SELECT COALESCE(MAX(name), '') FROM users WHERE id = ?`, r.SubjectID)
		if r.Subject == SubjectAccountManager {
			return fmt.Sprintf("%s's assignment as account manager of %s (%s)", name, client, agency), err
		}
		return fmt.Sprintf("The access of %s (%s) to %s", name, agency, client), err
	}
}
