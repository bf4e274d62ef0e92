package clientlist

import (
	"context"
	"errors"
	"time"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/health"
)

// HealthReport explains a client's health score to the agency: the score
// now and its four parts, logins per week and the score at the end of each
// of the last 90 days, for the detail page's charts.
//
// The history is computed from the events rather than stored: the score at
// any moment is a function of the events before it, so computing 90 scores
// from one read of 210 days of events (a few hundred rows) is exact, costs
// less than keeping a table of daily scores in step, and stays right when a
// late event or a change of churn_days arrives.
type HealthReport struct {
	Score   *int          `json:"score"`
	Band    string        `json:"band,omitempty" enum:"healthy,at_risk,churned"`
	Parts   *health.Parts `json:"parts"`
	Weekly  []WeekLogins  `json:"logins_per_week" doc:"The last 13 weeks, oldest first; each week ends at the time of the request"`
	History []DayScore    `json:"score_history" doc:"The score at the end of each of the last 90 days (UTC), oldest first; today's is now"`
}

// WeekLogins is the number of the client's own logins in one week.
type WeekLogins struct {
	Start  time.Time `json:"start"`
	Logins int       `json:"logins"`
}

// DayScore is the score at the end of a day.
type DayScore struct {
	Day   string `json:"day"`
	Score int    `json:"score"`
}

// Health returns the health report of the client rel was checked against,
// as its agency sees it (its churn_days). A client nobody has joined has no
// score.
func (s *Service) Health(ctx context.Context, rel authz.Relation) (HealthReport, error) {
	out := HealthReport{Weekly: []WeekLogins{}, History: []DayScore{}}
	if !linked(rel) {
		return out, errs.ErrNotFound
	}
	status, err := s.freshStatus(ctx, rel)
	if err != nil {
		return out, err
	}
	set, err := agency.Settings(ctx, s.read, rel.AgencyID)
	if err != nil {
		return out, err
	}
	now := s.now()
	// The events of the 90 days shown and the 120 days each score reads.
	acts, err := activityOf(ctx, s.read, []string{rel.AccountID}, now, 210*health.Day)
	if err != nil {
		return out, err
	}
	a := acts[rel.AccountID]
	for w := 12; w >= 0; w-- {
		end := now.Add(-time.Duration(w) * 7 * health.Day)
		start := end.Add(-7 * health.Day)
		n := 0
		for _, t := range a.Logins {
			if t.After(start) && !t.After(end) {
				n++
			}
		}
		out.Weekly = append(out.Weekly, WeekLogins{Start: start, Logins: n})
	}
	if !scored(status, a) {
		return out, nil
	}
	p := health.Score(a.Activity, now, set.ChurnDays)
	out.Score, out.Band, out.Parts = &p.Score, health.BandOf(p.Score), &p
	today := now.Truncate(health.Day)
	for i := 89; i >= 0; i-- {
		at := today.Add(-time.Duration(i-1)*health.Day - time.Microsecond)
		if i == 0 {
			at = now
		}
		out.History = append(out.History, DayScore{Day: at.Format("2006-01-02"), Score: health.Score(a.Activity, at, set.ChurnDays).Score})
	}
	return out, nil
}

// freshStatus reads the stored status of the client rel was checked
// against, recomputing the agency's due rows first (fresh.go).
func (s *Service) freshStatus(ctx context.Context, rel authz.Relation) (string, error) {
	var r struct {
		Status     string  `db:"status"`
		ValidUntil db.Time `db:"valid_until"`
	}
	read := func() error {
		return s.read.Get(ctx, &r, `SELECT l.status, d.valid_until FROM client_list l
			JOIN client_list_due d ON d.agency_id = l.agency_id AND d.client_id = l.client_id WHERE l.agency_id = ? AND l.client_id = ?`,
			rel.AgencyID, rel.AccountID)
	}
	err := read()
	if err == nil && IsDue(r.ValidUntil, s.now()) {
		var behind bool
		if behind, err = s.Refresh(ctx, rel.AgencyID); err == nil && !behind {
			err = read()
		} else if err == nil {
			var c Computed
			c, err = s.Compute(ctx, s.read, rel.AgencyID, rel.AccountID, r.Status)
			r.Status = c.Status
		}
	}
	if errors.Is(err, db.ErrNoRows) {
		return "", errs.ErrNotFound
	}
	return r.Status, err
}
