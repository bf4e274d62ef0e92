package link

import (
	"context"
	"errors"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// Subjects of an end date (issue 21 "access that expires"): the link
// itself, or one grant of the agency's staff on the client.
const (
	SubjectLink           = "link"
	SubjectUser           = "user"            // a user of the link's access list
	SubjectGroup          = "group"           // a group of the link's access list
	SubjectAccountManager = "account_manager" // an account manager assignment
)

// Limits of an end date: far enough ahead that the job has not ended it
// before the answer, near enough to be a time box.
const (
	MinEndAhead = 5 * time.Minute
	MaxEndAhead = 5 * 365 * 24 * time.Hour
	// ExtendBy is what one click on "extend" adds, from the current end
	// (or from now, if that is later).
	ExtendBy = 30 * 24 * time.Hour
)

// AccessEnd is the end date of one grant of the agency's staff.
type AccessEnd struct {
	Subject   string    `json:"subject" enum:"user,group,account_manager"`
	SubjectID string    `json:"subject_id"`
	EndsAt    time.Time `json:"ends_at"`
	SetBy     string    `json:"set_by" enum:"agency,client" doc:"The side that set it; only it extends or clears it"`
}

// EndInput sets (EndsAt) or clears (nil) the end date of the link or of one
// staff grant on it.
type EndInput struct {
	Subject   string
	SubjectID string // the user or group; ignored for the link
	EndsAt    *time.Time
}

var errOtherSide = errs.E(errs.Conflict, "end_set_by_other_side",
	"The other side set this end date: you may bring it earlier, but only they extend or clear it.")

var errNoEnd = errs.E(errs.Conflict, "no_end_date", "This access has no end date to extend.")

type endRow struct {
	ID        string  `db:"id"`
	LinkID    string  `db:"link_id"`
	AgencyID  string  `db:"agency_id"`
	ClientID  string  `db:"client_id"`
	Subject   string  `db:"subject"`
	SubjectID string  `db:"subject_id"`
	EndsAt    db.Time `db:"ends_at"`
	SetBy     string  `db:"set_by_side"`
}

const endColumns = `id, link_id, agency_id, client_id, subject, subject_id, ends_at, set_by_side`

// checkSubject validates a subject for the side rel speaks for and returns
// its subject_id (the link's own ID for the link).
func checkSubject(rel authz.LinkRelation, subject, subjectID string) (string, error) {
	switch subject {
	case SubjectLink:
		return rel.LinkID, nil
	case SubjectUser, SubjectGroup, SubjectAccountManager:
		if rel.Side != "agency" {
			return "", errs.InvalidField("subject", "Only the agency sets end dates of its staff's access.")
		}
		if subjectID == "" || len(subjectID) > 64 {
			return "", errs.InvalidField("subject_id", "Name the user or group (subject_id).")
		}
		return subjectID, nil
	}
	return "", errs.InvalidField("subject", "Use link, user, group or account_manager.")
}

// grantExists reports whether the staff grant an end date is for exists.
func grantExists(ctx context.Context, q db.Querier, rel authz.LinkRelation, subject, subjectID string) (bool, error) {
	var query string
	args := []any{rel.LinkID, subjectID}
	switch subject {
	case SubjectLink:
		return true, nil
	case SubjectUser:
		query = `SELECT COUNT(*) FROM link_access_users WHERE link_id = ? AND user_id = ?`
	case SubjectGroup:
		query = `SELECT COUNT(*) FROM link_access_groups WHERE link_id = ? AND group_id = ?`
	case SubjectAccountManager:
		query = `SELECT COUNT(*) FROM client_account_managers WHERE agency_id = ? AND client_id = ? AND user_id = ?`
		args = []any{rel.AgencyID, rel.ClientID, subjectID}
	}
	var n int
	err := q.Get(ctx, &n, query, args...)
	return n > 0, err
}

// lockActive locks an active link's row for the transaction, so that the
// job (or another admin) cannot end or change it halfway.
func lockActive(ctx context.Context, tx *db.Tx, linkID, verb string) error {
	res, err := tx.Exec(ctx, `UPDATE links SET access_all = access_all WHERE id = ? AND status = 'active'`, linkID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return currentStatus(ctx, tx, linkID, verb)
	}
	return nil
}

func findEnd(ctx context.Context, q db.Querier, linkID, subject, subjectID string) (*endRow, error) {
	var r endRow
	err := q.Get(ctx, &r, `SELECT `+endColumns+` FROM access_ends WHERE link_id = ? AND subject = ? AND subject_id = ?`,
		linkID, subject, subjectID)
	if errors.Is(err, db.ErrNoRows) {
		return nil, nil
	}
	return &r, err
}

// SetEnd sets or clears the end date of an active link (either side's
// admins: rel was checked with authz.LinkDisconnect) or of one of the
// agency's staff grants on it (the agency's admins). The side that did not
// set an existing end date may only bring it earlier — it could end the
// access at once anyway — and then becomes its setter; extending or
// clearing it is the setter's alone.
func (s *Service) SetEnd(ctx context.Context, rel authz.LinkRelation, actor *authz.Actor, in EndInput) (Link, error) {
	if rel.LinkID == "" || (rel.Side != "agency" && rel.Side != "client") || actor == nil {
		return Link{}, errs.ErrNotFound
	}
	subjectID, err := checkSubject(rel, in.Subject, in.SubjectID)
	if err != nil {
		return Link{}, err
	}
	var out Link
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now().UTC()
		if in.EndsAt != nil {
			at := in.EndsAt.UTC().Truncate(time.Second)
			if at.Before(now.Add(MinEndAhead)) || at.After(now.Add(MaxEndAhead)) {
				return errs.InvalidField("ends_at", "Choose an end at least 5 minutes and at most 5 years ahead.")
			}
			in.EndsAt = &at
		}
		if err := lockActive(ctx, tx, rel.LinkID, "given an end date"); err != nil {
			return err
		}
		if ok, err := grantExists(ctx, tx, rel, in.Subject, subjectID); err != nil {
			return err
		} else if !ok {
			return errs.InvalidField("subject_id", "This user or group has no such access to the client.")
		}
		cur, err := findEnd(ctx, tx, rel.LinkID, in.Subject, subjectID)
		if err != nil {
			return err
		}
		if cur != nil && cur.SetBy != rel.Side && (in.EndsAt == nil || !in.EndsAt.Before(cur.EndsAt.Time)) {
			return errOtherSide
		}
		var before any
		if cur != nil {
			before = map[string]any{"ends_at": cur.EndsAt.Time, "set_by": cur.SetBy}
		}
		var after any
		action := "access.end_set"
		switch {
		case in.EndsAt == nil && cur == nil:
			out, err = load(ctx, tx, rel.LinkID, rel.Side)
			return err
		case in.EndsAt == nil:
			action = "access.end_cleared"
			if _, err := tx.Exec(ctx, `DELETE FROM access_ends WHERE id = ?`, cur.ID); err != nil {
				return err
			}
		default:
			after = map[string]any{"ends_at": *in.EndsAt, "set_by": rel.Side}
			if err := upsertEnd(ctx, tx, now, rel, in.Subject, subjectID, *in.EndsAt, rel.Side, actor.UserID); err != nil {
				return err
			}
		}
		if err := s.auditEnd(ctx, tx, now, actor, rel, action, in.Subject, subjectID, before, after); err != nil {
			return err
		}
		out, err = load(ctx, tx, rel.LinkID, rel.Side)
		return err
	})
	return out, err
}

// Extend moves an end date ExtendBy later (from now, if it has passed
// while the job had not yet run): the one click of the side that set it.
func (s *Service) Extend(ctx context.Context, rel authz.LinkRelation, actor *authz.Actor, subject, subjectID string) (Link, error) {
	if rel.LinkID == "" || (rel.Side != "agency" && rel.Side != "client") || actor == nil {
		return Link{}, errs.ErrNotFound
	}
	subjectID, err := checkSubject(rel, subject, subjectID)
	if err != nil {
		return Link{}, err
	}
	var out Link
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now().UTC()
		if err := lockActive(ctx, tx, rel.LinkID, "extended"); err != nil {
			return err
		}
		cur, err := findEnd(ctx, tx, rel.LinkID, subject, subjectID)
		if err != nil {
			return err
		}
		if cur == nil {
			return errNoEnd
		}
		if cur.SetBy != rel.Side {
			return errOtherSide
		}
		from := cur.EndsAt.Time
		if now.After(from) {
			from = now
		}
		at := from.Add(ExtendBy).Truncate(time.Second)
		if err := upsertEnd(ctx, tx, now, rel, subject, subjectID, at, rel.Side, actor.UserID); err != nil {
			return err
		}
		if err := s.auditEnd(ctx, tx, now, actor, rel, "access.end_extended", subject, subjectID,
			map[string]any{"ends_at": cur.EndsAt.Time}, map[string]any{"ends_at": at, "set_by": rel.Side}); err != nil {
			return err
		}
		out, err = load(ctx, tx, rel.LinkID, rel.Side)
		return err
	})
	return out, err
}

// upsertEnd stores an end date. A new ends_at re-arms the notices: they
// remember the ends_at they were sent for.
func upsertEnd(ctx context.Context, tx *db.Tx, now time.Time, rel authz.LinkRelation, subject, subjectID string, at time.Time, side, userID string) error {
	var by any
	if userID != "" {
		by = userID
	}
	_, err := tx.Exec(ctx, `INSERT INTO access_ends (id, link_id, agency_id, client_id, subject, subject_id, ends_at, set_by_side, set_by, set_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (link_id, subject, subject_id) DO UPDATE SET ends_at = excluded.ends_at, set_by_side = excluded.set_by_side,
			set_by = excluded.set_by, set_at = excluded.set_at`,
		id.New("end"), rel.LinkID, rel.AgencyID, rel.ClientID, subject, subjectID, at.UTC(), side, by, now)
	return err
}

// GrantUserUntil adds a user to the access list of the agency's active link
// with the client, in the caller's transaction, with an end date when until
// is set (an approved access request, internal/accessreq). It reports
// false when the agency has no active link with the client.
func GrantUserUntil(ctx context.Context, tx *db.Tx, now time.Time, agencyID, clientID, userID string, until *time.Time, byUserID string) (string, bool, error) {
	var linkID string
	err := tx.Get(ctx, &linkID, `SELECT id FROM links WHERE agency_id = ? AND client_id = ? AND status = 'active'`, agencyID, clientID)
	if errors.Is(err, db.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if err := lockActive(ctx, tx, linkID, "shared"); err != nil {
		return "", false, err
	}
	if err := writeAccess(ctx, tx, linkID, AccessInput{UserIDs: []string{userID}}); err != nil {
		return "", false, err
	}
	rel := authz.LinkRelation{LinkID: linkID, AgencyID: agencyID, ClientID: clientID}
	if until != nil {
		return linkID, true, upsertEnd(ctx, tx, now, rel, SubjectUser, userID, *until, "agency", byUserID)
	}
	// Access granted without an end replaces any end an earlier grant had.
	_, err = tx.Exec(ctx, `DELETE FROM access_ends WHERE link_id = ? AND subject = ? AND subject_id = ?`, linkID, SubjectUser, userID)
	return linkID, true, err
}

// auditEnd records a change of an end date: on both accounts for the link
// (it concerns both), on the agency only for its staff's grants, as the
// access list's own changes are (access.go).
func (s *Service) auditEnd(ctx context.Context, tx *db.Tx, now time.Time, actor *authz.Actor, rel authz.LinkRelation,
	action, subject, subjectID string, before, after any) error {
	withSubject := func(v any) any {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		m["subject"], m["subject_id"] = subject, subjectID
		return m
	}
	before, after = withSubject(before), withSubject(after)
	if subject == SubjectLink {
		return auditBoth(ctx, tx, now, actor, rel.AgencyID, rel.ClientID, action, rel.LinkID, before, after)
	}
	_, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: rel.AgencyID, ActorID: actor.UserID, AgencyID: rel.AgencyID,
		ImpersonatorID: actor.ImpersonatorID, Action: action, TargetID: rel.LinkID, IP: actor.IP, Before: before, After: after})
	return err
}

// fillEnds loads the end dates of the links: the link's own on both sides,
// the staff grants' on the agency side (the links that show Access).
func fillEnds(ctx context.Context, q db.Querier, links []Link) error {
	if len(links) == 0 {
		return nil
	}
	byID := make(map[string]*Link, len(links))
	ids := make([]string, 0, len(links))
	for i := range links {
		byID[links[i].ID] = &links[i]
		ids = append(ids, links[i].ID)
	}
	query, args, err := db.In(`SELECT `+endColumns+` FROM access_ends WHERE link_id IN (?) ORDER BY link_id, subject, subject_id`, ids)
	if err != nil {
		return err
	}
	var rows []endRow
	if err := q.Select(ctx, &rows, query, args...); err != nil {
		return err
	}
	for _, r := range rows {
		l := byID[r.LinkID]
		switch {
		case r.Subject == SubjectLink:
			at := r.EndsAt.Time
			l.EndsAt, l.EndsSetBy = &at, r.SetBy
		case l.Access != nil:
			l.AccessEnds = append(l.AccessEnds, AccessEnd{Subject: r.Subject, SubjectID: r.SubjectID, EndsAt: r.EndsAt.Time, SetBy: r.SetBy})
		}
	}
	return nil
}
