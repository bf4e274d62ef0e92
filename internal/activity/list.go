package activity

import (
	"context"
	"encoding/base64"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Service records page views and reads a client's activity for its agency.
type Service struct {
	db  *db.DB
	now clock.Clock
	rec *recorder
}

// New returns the activity service; Close stops its page-view recorder.
func New(d *db.DB, now clock.Clock, log *slog.Logger) *Service {
	return &Service{db: d, now: now, rec: newRecorder(d, log, queueSize)}
}

// ActivityUser is who did something.
type ActivityUser struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// ActivityEvent is one event as the agency reads it.
type ActivityEvent struct {
	ID             int64         `json:"id"`
	Kind           string        `json:"kind" enum:"login,logout,page_view,export"`
	Page           *string       `json:"page"`
	Format         *string       `json:"format"`
	BrandID        *string       `json:"brand_id"`
	User           *ActivityUser `json:"user"`
	ImpersonatorID *string       `json:"impersonator_id" doc:"Set when an agency user did this while logged in as the client; such events never count as the client's own"`
	At             time.Time     `json:"at"`
}

// PageUse is how often a page was viewed.
type PageUse struct {
	Page  string `json:"page" db:"page"`
	Views int    `json:"views" db:"views"`
}

// Summary is what the agency sees at a glance: the client's own logins and
// page views (impersonated ones left out).
type Summary struct {
	TotalLogins  int       `json:"total_logins"`
	Logins30d    int       `json:"logins_30d"`
	FeatureUsage []PageUse `json:"feature_usage" doc:"Page views of the last 30 days by page, most used first"`
}

// ActivityPage is a page of events, newest first, and the summary.
type ActivityPage struct {
	Events     []ActivityEvent `json:"events"`
	NextCursor string          `json:"next_cursor"`
	Summary    Summary         `json:"summary"`
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ForAgency returns a client's events and summary as the agency of rel sees
// them. rel must be a checked agency view of the client (linked); anything
// else finds nothing. A client may be linked to several agencies: each
// reads the client's own events and its own staff's during Login As, and
// an event's brand only when it is the agency's (another agency's brand
// ID is null here).
func (s *Service) ForAgency(ctx context.Context, rel authz.Relation, limit int, cursor string) (ActivityPage, error) {
	out := ActivityPage{Events: []ActivityEvent{}, Summary: Summary{FeatureUsage: []PageUse{}}}
	if !rel.Visible() || rel.AccountKind != "client" || rel.AgencyID == "" {
		return out, errs.ErrNotFound
	}
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		return out, errs.InvalidField("limit", "Ask for 1 to %d events per page.", MaxLimit)
	}
	q := `SELECT e.id, e.kind, e.page, e.format,
		CASE WHEN EXISTS (SELECT 1 FROM brands b WHERE b.id = e.brand_id AND b.agency_id = ?) THEN e.brand_id END AS brand_id,
		e.impersonator_id, e.at, u.id AS user_id, u.name AS user_name, u.email AS user_email
		FROM activity_events e LEFT JOIN users u ON u.id = e.user_id
		WHERE e.client_id = ? AND (e.impersonator_id IS NULL OR e.agency_id = ?)`
	args := []any{rel.AgencyID, rel.AccountID, rel.AgencyID}
	if cursor != "" {
		at, idv, err := parseCursor(cursor)
		if err != nil {
			return out, err
		}
		q += ` AND (e.at < ? OR (e.at = ? AND e.id < ?))`
		args = append(args, at, at, idv)
	}
	q += ` ORDER BY e.at DESC, e.id DESC LIMIT ` + strconv.Itoa(limit+1)
	var rows []struct {
		ID             int64     `db:"id"`
		Kind           string    `db:"kind"`
		Page           *string   `db:"page"`
		Format         *string   `db:"format"`
		BrandID        *string   `db:"brand_id"`
		ImpersonatorID *string   `db:"impersonator_id"`
		At             time.Time `db:"at"`
		UserID         *string   `db:"user_id"`
		UserName       *string   `db:"user_name"`
		UserEmail      *string   `db:"user_email"`
	}
	if err := s.db.Select(ctx, &rows, q, args...); err != nil {
		return out, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		out.NextCursor = encodeCursor(last.At, last.ID)
	}
	for _, r := range rows {
		e := ActivityEvent{ID: r.ID, Kind: r.Kind, Page: r.Page, Format: r.Format, BrandID: r.BrandID,
			ImpersonatorID: r.ImpersonatorID, At: r.At.UTC()}
		if r.UserID != nil {
			e.User = &ActivityUser{ID: *r.UserID, Name: deref(r.UserName), Email: deref(r.UserEmail)}
		}
		out.Events = append(out.Events, e)
	}
	now := s.now()
	if err := s.db.Get(ctx, &out.Summary.TotalLogins, `SELECT COUNT(*) FROM activity_events
		WHERE client_id = ? AND kind = 'login' AND impersonator_id IS NULL`, rel.AccountID); err != nil {
		return out, err
	}
	if err := s.db.Get(ctx, &out.Summary.Logins30d, `SELECT COUNT(*) FROM activity_events
		WHERE client_id = ? AND kind = 'login' AND impersonator_id IS NULL AND at > ? AND at <= ?`,
		rel.AccountID, now.Add(-30*24*time.Hour), now); err != nil {
		return out, err
	}
	err := s.db.Select(ctx, &out.Summary.FeatureUsage, `SELECT page, COUNT(*) AS views FROM activity_events
		WHERE client_id = ? AND kind = 'page_view' AND impersonator_id IS NULL AND at > ? AND at <= ?
		GROUP BY page ORDER BY COUNT(*) DESC, page`, rel.AccountID, now.Add(-30*24*time.Hour), now)
	return out, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

var errCursor = errs.InvalidField("cursor", "This cursor is not valid; start again without it.")

func encodeCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + strconv.FormatInt(id, 10)))
}

func parseCursor(s string) (time.Time, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 200 {
		return time.Time{}, 0, errCursor
	}
	at, idv, ok := strings.Cut(string(b), "|")
	if !ok {
		return time.Time{}, 0, errCursor
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return time.Time{}, 0, errCursor
	}
	n, err := strconv.ParseInt(idv, 10, 64)
	if err != nil {
		return time.Time{}, 0, errCursor
	}
	return t.UTC(), n, nil
}
