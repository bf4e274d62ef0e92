package clientlist

import (
	"context"
	"sort"
	"time"

	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/health"
)

// DigestClient is one client in the weekly health digest.
type DigestClient struct {
	ID         string  `db:"client_id"`
	Name       string  `db:"name"`
	Status     string  `db:"status"`
	Score      *int    `db:"health"`
	LastActive db.Time `db:"last_active_at"`
	WeekAgo    int     `db:"-"` // the score a week before (drops only)
}

// DigestData is what an agency's weekly digest reports at now: its at-risk
// and churned clients (the worst first, at most limit of each, with their
// totals) and the biggest score drops of the week.
type DigestData struct {
	AtRisk, Churned           []DigestClient
	AtRiskTotal, ChurnedTotal int
	Drops                     []DigestClient
}

// Digest reads the digest of an agency at now, for the digest job: every
// client the agency manages (it goes to the agency's admins, who see them
// all). Stored statuses and scores that are due are recomputed first, all
// of them (refreshWhole): the e-mail is sent once.
func (s *Service) Digest(ctx context.Context, agencyID string, now time.Time, limit int) (DigestData, error) {
	if err := s.refreshWhole(ctx, agencyID, now); err != nil {
		return DigestData{}, err
	}
	return s.digest(ctx, agencyID, now, limit)
}

// DigestForPage is Digest for a page (the overview): it refreshes the due
// rows as a reader of the list does, so that after a bulk change the page
// does not wait for the whole agency; the statuses of the rows left to the
// refresh behind are the stored ones for the few seconds it takes.
func (s *Service) DigestForPage(ctx context.Context, agencyID string, now time.Time, limit int) (DigestData, error) {
	if _, err := s.refreshShared(ctx, agencyID, now); err != nil {
		return DigestData{}, err
	}
	return s.digest(ctx, agencyID, now, limit)
}

func (s *Service) digest(ctx context.Context, agencyID string, now time.Time, limit int) (DigestData, error) {
	var out DigestData
	for _, st := range []struct {
		status string
		list   *[]DigestClient
		total  *int
	}{{"at_risk", &out.AtRisk, &out.AtRiskTotal}, {"churned", &out.Churned, &out.ChurnedTotal}} {
		if err := s.db.Get(ctx, st.total, `SELECT COUNT(*) FROM client_list WHERE agency_id = ? AND status = ?`, agencyID, st.status); err != nil {
			return out, err
		}
		if err := s.db.Select(ctx, st.list, `SELECT client_id, name, status, health, last_active_at FROM client_list
			WHERE agency_id = ? AND status = ? ORDER BY health_asc_key, sort_name, client_id LIMIT ?`, agencyID, st.status, limit); err != nil {
			return out, err
		}
	}
	// Drops: the score now against a week ago, for the joined clients.
	var rows []DigestClient
	if err := s.db.Select(ctx, &rows, `SELECT client_id, name, status, health, last_active_at FROM client_list
		WHERE agency_id = ? AND status IN ('active', 'at_risk', 'churned') ORDER BY client_id`, agencyID); err != nil {
		return out, err
	}
	set, err := agency.Settings(ctx, s.db, agencyID)
	if err != nil {
		return out, err
	}
	weekAgo := now.Add(-7 * health.Day)
	for start := 0; start < len(rows); start += 500 {
		batch := rows[start:min(start+500, len(rows))]
		ids := make([]string, len(batch))
		for i, r := range batch {
			ids[i] = r.ID
		}
		acts, err := activityOf(ctx, s.db, ids, now, healthWindow+7*health.Day)
		if err != nil {
			return out, err
		}
		for _, r := range batch {
			a := acts[r.ID].Activity
			cur, before := health.Score(a, now, set.ChurnDays).Score, health.Score(a, weekAgo, set.ChurnDays).Score
			if cur < before {
				r.Score, r.WeekAgo = &cur, before
				out.Drops = append(out.Drops, r)
			}
		}
	}
	sort.Slice(out.Drops, func(i, j int) bool {
		di, dj := out.Drops[i].WeekAgo-*out.Drops[i].Score, out.Drops[j].WeekAgo-*out.Drops[j].Score
		if di != dj {
			return di > dj
		}
		return out.Drops[i].Name < out.Drops[j].Name
	})
	if len(out.Drops) > limit {
		out.Drops = out.Drops[:limit]
	}
	return out, nil
}
