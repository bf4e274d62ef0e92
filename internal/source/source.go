// Package source holds the agency's data sources (SPEC §12 "Data sources",
// issue 17): a source pushes metric points for its own items with a token
// of its own, the agency maps items to brands, and the source's delivery
// status (last push, points per day, the last rejected batch and why) is
// kept for its page. It owns the tables sources, source_items and
// source_days (migration 00027); the points themselves are metric data
// (internal/metricdata), read by brands through the mappings.
//
// Functions for agency users take the authz.Relation that CheckSource (or
// Check on the agency) decided; its AccountID is the agency, and every
// query is scoped by it.
package source

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/metricdata"
)

// Service is the agency's data sources.
type Service struct {
	db   *db.DB
	data *metricdata.Service
	now  func() time.Time
}

// New returns the service.
func New(d *db.DB, data *metricdata.Service, now func() time.Time) *Service {
	return &Service{db: d, data: data, now: now}
}

// Source is a data source and its delivery status.
type Source struct {
	ID        string    `json:"id"`
	AgencyID  string    `json:"agency_id"`
	Name      string    `json:"name"`
	Paused    bool      `json:"paused"`
	CreatedAt time.Time `json:"created_at"`
	// Token is set only in the answer that creates or rotates it.
	Token      string     `json:"token,omitempty" doc:"The source's token: shown once, when created or rotated"`
	LastPushAt *time.Time `json:"last_push_at"`
	// Delivery status (GET of one source, and the list).
	PointsToday   int64      `json:"points_today" doc:"Points received today (the agency's day)"`
	Points7Days   int64      `json:"points_7_days" doc:"Points received in the last 7 days, today included"`
	ItemsMapped   int        `json:"items_mapped"`
	ItemsUnmapped int        `json:"items_unmapped"`
	LastRejected  *Rejected  `json:"last_rejected" doc:"The last batch refused, and why; null when none"`
	PerDay        []DayCount `json:"per_day,omitempty" doc:"Points received per day over the last 30 days (one source's GET)"`
}

// Rejected is the last batch a source had refused.
type Rejected struct {
	At      time.Time `json:"at"`
	Code    string    `json:"code"`
	Field   string    `json:"field"`
	Message string    `json:"message"`
}

// DayCount is the points received on a day.
type DayCount struct {
	Date   string `json:"date"`
	Points int64  `json:"points"`
}

type row struct {
	ID              string  `db:"id"`
	AgencyID        string  `db:"agency_id"`
	Name            string  `db:"name"`
	Paused          bool    `db:"paused"`
	CreatedAt       db.Time `db:"created_at"`
	LastPushAt      db.Time `db:"last_push_at"`
	RejectedAt      db.Time `db:"rejected_at"`
	RejectedCode    string  `db:"rejected_code"`
	RejectedField   string  `db:"rejected_field"`
	RejectedMessage string  `db:"rejected_message"`
	Mapped          int     `db:"mapped"`
	Unmapped        int     `db:"unmapped"`
}

const columns = `id, agency_id, name, paused, created_at, last_push_at, rejected_at, rejected_code, rejected_field, rejected_message,
	(SELECT COUNT(*) FROM source_items i WHERE i.source_id = sources.id AND i.brand_id IS NOT NULL) AS mapped,
	(SELECT COUNT(*) FROM source_items i WHERE i.source_id = sources.id AND i.brand_id IS NULL) AS unmapped`

func (r row) source() Source {
	s := Source{ID: r.ID, AgencyID: r.AgencyID, Name: r.Name, Paused: r.Paused, CreatedAt: r.CreatedAt.Time,
		ItemsMapped: r.Mapped, ItemsUnmapped: r.Unmapped}
	if r.LastPushAt.Valid {
		t := r.LastPushAt.Time
		s.LastPushAt = &t
	}
	if r.RejectedAt.Valid {
		s.LastRejected = &Rejected{At: r.RejectedAt.Time, Code: r.RejectedCode, Field: r.RejectedField, Message: r.RejectedMessage}
	}
	return s
}

func checkName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" || !utf8.ValidString(n) || utf8.RuneCountInString(n) > 100 || strings.IndexFunc(n, unicode.IsControl) >= 0 {
		return "", errs.InvalidField("name", "Give the source a name of 1 to 100 characters, e.g. \"Google Ads\".")
	}
	return n, nil
}

func newToken() string { return authz.SourceTokenPrefix + id.Secret() }

// Create adds a source to the agency and returns it with its token, the
// only time the token is shown.
func (s *Service) Create(ctx context.Context, a *authz.Actor, rel authz.Relation, agencyID, name string) (Source, error) {
	if err := onAgency(rel, agencyID); err != nil {
		return Source{}, err
	}
	n, err := checkName(name)
	if err != nil {
		return Source{}, err
	}
	now := s.now()
	src := Source{ID: id.New(id.Source), AgencyID: agencyID, Name: n, CreatedAt: now, Token: newToken()}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var by any
		if a != nil {
			by = a.UserID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sources (id, agency_id, name, token_hash, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, src.ID, agencyID, n, id.Hash(src.Token), by, now, now); err != nil {
			return err
		}
		return record(ctx, tx, a, agencyID, now, "source.create", src.ID, nil, map[string]any{"name": n})
	})
	if err != nil {
		return Source{}, err
	}
	return src, nil
}

// onAgency checks that rel is the agency's (CheckSource or Check on it).
func onAgency(rel authz.Relation, agencyID string) error {
	if rel.AccountID != agencyID || rel.AccountKind != "agency" || !authz.Allowed(rel.Role, authz.SourceManage) {
		return errs.ErrNotFound
	}
	return nil
}

// List returns the agency's sources by name, with their status.
func (s *Service) List(ctx context.Context, rel authz.Relation, agencyID string) ([]Source, error) {
	if err := onAgency(rel, agencyID); err != nil {
		return nil, err
	}
	var rows []row
	if err := s.db.Select(ctx, &rows, `SELECT `+columns+` FROM sources WHERE agency_id = ? ORDER BY name, id`, agencyID); err != nil {
		return nil, err
	}
	out := make([]Source, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.source())
	}
	if err := s.counts(ctx, agencyID, out, false); err != nil {
		return nil, err
	}
	return out, nil
}

// Get returns one source with its status and points per day.
func (s *Service) Get(ctx context.Context, rel authz.Relation, sourceID string) (Source, error) {
	var r row
	err := s.db.Get(ctx, &r, `SELECT `+columns+` FROM sources WHERE id = ? AND agency_id = ?`, sourceID, rel.AccountID)
	if errors.Is(err, db.ErrNoRows) {
		return Source{}, errs.ErrNotFound
	}
	if err != nil {
		return Source{}, err
	}
	if err := onAgency(rel, r.AgencyID); err != nil {
		return Source{}, err
	}
	out := []Source{r.source()}
	if err := s.counts(ctx, r.AgencyID, out, true); err != nil {
		return Source{}, err
	}
	return out[0], nil
}

// counts fills points today and in 7 days (and per day over 30 days when
// perDay) from source_days, by the agency's day.
func (s *Service) counts(ctx context.Context, agencyID string, srcs []Source, perDay bool) error {
	if len(srcs) == 0 {
		return nil
	}
	today, err := s.data.Today(ctx, agencyID)
	if err != nil {
		return err
	}
	t := metricdata.DayNumber(today)
	ids := make([]string, len(srcs))
	at := map[string]int{}
	for i, src := range srcs {
		ids[i], at[src.ID] = src.ID, i
	}
	q, args, err := db.In(`SELECT source_id, day, points FROM source_days WHERE source_id IN (?) AND day > ? AND day <= ? ORDER BY day`, ids, t-30, t)
	if err != nil {
		return err
	}
	var rows []struct {
		SourceID string `db:"source_id"`
		Day      int32  `db:"day"`
		Points   int64  `db:"points"`
	}
	if err := s.db.Select(ctx, &rows, q, args...); err != nil {
		return err
	}
	per := map[int32]int64{}
	for _, r := range rows {
		src := &srcs[at[r.SourceID]]
		if r.Day == t {
			src.PointsToday += r.Points
		}
		if r.Day > t-7 {
			src.Points7Days += r.Points
		}
		per[r.Day] += r.Points
	}
	if perDay {
		for d := t - 29; d <= t; d++ {
			srcs[0].PerDay = append(srcs[0].PerDay, DayCount{Date: metricdata.DayString(d), Points: per[d]})
		}
	}
	return nil
}

// Update renames, pauses or resumes a source (nil keeps the value).
func (s *Service) Update(ctx context.Context, a *authz.Actor, rel authz.Relation, sourceID string, name *string, paused *bool) (Source, error) {
	cur, err := s.Get(ctx, rel, sourceID)
	if err != nil {
		return Source{}, err
	}
	next := cur
	if name != nil {
		if next.Name, err = checkName(*name); err != nil {
			return Source{}, err
		}
	}
	if paused != nil {
		next.Paused = *paused
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE sources SET name = ?, paused = ?, updated_at = ? WHERE id = ? AND agency_id = ?`,
			next.Name, next.Paused, now, sourceID, rel.AccountID); err != nil {
			return err
		}
		return record(ctx, tx, a, rel.AccountID, now, "source.update", sourceID,
			map[string]any{"name": cur.Name, "paused": cur.Paused}, map[string]any{"name": next.Name, "paused": next.Paused})
	})
	if err != nil {
		return Source{}, err
	}
	return s.Get(ctx, rel, sourceID)
}

// Rotate gives the source a new token; the old one stops at once.
func (s *Service) Rotate(ctx context.Context, a *authz.Actor, rel authz.Relation, sourceID string) (Source, error) {
	if _, err := s.Get(ctx, rel, sourceID); err != nil {
		return Source{}, err
	}
	tok := newToken()
	now := s.now()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE sources SET token_hash = ?, updated_at = ? WHERE id = ? AND agency_id = ?`,
			id.Hash(tok), now, sourceID, rel.AccountID); err != nil {
			return err
		}
		return record(ctx, tx, a, rel.AccountID, now, "source.token_rotate", sourceID, nil, nil)
	})
	if err != nil {
		return Source{}, err
	}
	src, err := s.Get(ctx, rel, sourceID)
	src.Token = tok
	return src, err
}

// Delete removes a source: its items, and its data from every brand it was
// mapped to, in one transaction (the series by cascade, their days by
// trigger), audited with what went.
func (s *Service) Delete(ctx context.Context, a *authz.Actor, rel authz.Relation, sourceID string) error {
	cur, err := s.Get(ctx, rel, sourceID)
	if err != nil {
		return err
	}
	now := s.now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var points int64
		if err := tx.Get(ctx, &points, `SELECT COUNT(*) FROM metric_days WHERE series_id IN (SELECT id FROM metric_series WHERE source_id = ?)`, sourceID); err != nil {
			return err
		}
		if err := metricdata.BumpSourceBrands(ctx, tx, sourceID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sources WHERE id = ? AND agency_id = ?`, sourceID, rel.AccountID); err != nil {
			return err
		}
		return record(ctx, tx, a, rel.AccountID, now, "source.delete", sourceID,
			map[string]any{"name": cur.Name, "items_mapped": cur.ItemsMapped, "items_unmapped": cur.ItemsUnmapped, "points": points}, nil)
	})
}

func record(ctx context.Context, tx *db.Tx, a *authz.Actor, agencyID string, now time.Time, action, target string, before, after any) error {
	return audit.AppendAs(ctx, tx, now, a, audit.Entry{AccountID: agencyID, Action: action, TargetID: target, Before: before, After: after})
}

// tokenMatches compares a presented token with the stored hash in constant
// time.
func tokenMatches(token, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(id.Hash(token)), []byte(hash)) == 1
}
