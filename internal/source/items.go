package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/metricdata"
)

// Item is an item a source has sent (or that was mapped before its first
// point): its points, last day with data and brand.
type Item struct {
	Item      string  `json:"item"`
	Points    int64   `json:"points"`
	LastDate  *string `json:"last_date" doc:"The latest day with a point, YYYY-MM-DD"`
	BrandID   *string `json:"brand_id" doc:"The brand it is mapped to; null when unmapped"`
	BrandName string  `json:"brand_name,omitempty"`
}

// Items lists a source's items by name.
func (s *Service) Items(ctx context.Context, rel authz.Relation, sourceID string) ([]Item, error) {
	if _, err := s.Get(ctx, rel, sourceID); err != nil {
		return nil, err
	}
	var rows []struct {
		Item      string         `db:"item"`
		BrandID   sql.NullString `db:"brand_id"`
		BrandName sql.NullString `db:"brand_name"`
		Points    int64          `db:"points"`
		Last      sql.NullInt64  `db:"last"`
	}
	// Points and last day per item: one pass over the source's series'
	// days, grouped (a page's read, not a hot path).
	err := s.db.Select(ctx, &rows, `SELECT i.item, i.brand_id, b.name AS brand_name,
		COALESCE(st.points, 0) AS points, st.last FROM source_items i
		LEFT JOIN brands b ON b.id = i.brand_id
		LEFT JOIN (SELECT s.item, COUNT(*) AS points, MAX(d.day) AS last FROM metric_series s
			JOIN metric_days d ON d.series_id = s.id WHERE s.source_id = ? GROUP BY s.item) st ON st.item = i.item
		WHERE i.source_id = ? ORDER BY i.item`, sourceID, sourceID)
	if err != nil {
		return nil, err
	}
	out := make([]Item, 0, len(rows))
	for _, r := range rows {
		it := Item{Item: r.Item, Points: r.Points}
		if r.Last.Valid {
			d := metricdata.DayString(int32(r.Last.Int64))
			it.LastDate = &d
		}
		if r.BrandID.Valid {
			b := r.BrandID.String
			it.BrandID, it.BrandName = &b, r.BrandName.String
		}
		out = append(out, it)
	}
	return out, nil
}

// Mapping maps an item to a brand of the agency, or unmaps it (nil).
type Mapping struct {
	Item    string  `json:"item" maxLength:"200"`
	BrandID *string `json:"brand_id" maxLength:"64" doc:"A brand of the source's agency; null unmaps the item"`
}

// PutMappings sets items' brands, validated as a whole first (every brand
// one of the agency's; at most 1,000 mappings), in one transaction: the
// brands left and joined show the change on their next read. An item not
// seen yet may be mapped ahead of its first point. Audited with each
// change.
func (s *Service) PutMappings(ctx context.Context, a *authz.Actor, rel authz.Relation, sourceID string, ms []Mapping) ([]Item, error) {
	if _, err := s.Get(ctx, rel, sourceID); err != nil {
		return nil, err
	}
	if len(ms) == 0 || len(ms) > 1000 {
		return nil, errs.InvalidField("mappings", "Send 1 to 1,000 mappings of {item, brand_id}.")
	}
	seen := map[string]bool{}
	for i, m := range ms {
		field := fmt.Sprintf("mappings[%d]", i)
		if m.Item == "" || !metricdata.ValidDimension(m.Item) {
			return nil, errs.InvalidField(field+".item", "An item is 1 to %d characters of plain text.", metricdata.MaxDimensionLen)
		}
		if seen[m.Item] {
			return nil, errs.InvalidField(field+".item", "Item %q is mapped twice in this request.", m.Item)
		}
		seen[m.Item] = true
		if m.BrandID == nil {
			continue
		}
		var n int
		if err := s.db.Get(ctx, &n, `SELECT COUNT(*) FROM brands WHERE id = ? AND agency_id = ?`, *m.BrandID, rel.AccountID); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, errs.InvalidField(field+".brand_id", "No brand %q in this agency.", clip(*m.BrandID))
		}
	}
	now := s.now()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var changes []map[string]any
		for _, m := range ms {
			to := ""
			if m.BrandID != nil {
				to = *m.BrandID
			}
			from, err := metricdata.MapItem(ctx, tx, sourceID, m.Item, to, now)
			if err != nil {
				return err
			}
			if from != to {
				changes = append(changes, map[string]any{"item": m.Item, "from": nullable(from), "to": nullable(to)})
			}
		}
		if len(changes) == 0 {
			return nil
		}
		return record(ctx, tx, a, rel.AccountID, now, "source.mappings", sourceID, nil, map[string]any{"changes": changes})
	})
	if err != nil {
		return nil, err
	}
	return s.Items(ctx, rel, sourceID)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

var (
	errBadSourceToken = errs.E(errs.Unauthorized, "invalid_source_token", "This token is not the source's: use the token shown when the source was created or last rotated.")
	errPaused         = errs.E(errs.Conflict, "source_paused", "This source is paused: its agency resumes it on the source's page. Nothing was stored.")
)

// Push stores a batch a source sent with its token: brand ingest's limits,
// validation and idempotence, points carrying their item. A paused source
// gets 409 source_paused. A refused batch is kept as the source's last
// rejection (the code, field and message it was answered with), in its own
// transaction, and nothing of it is stored. Audited with the counts.
func (s *Service) Push(ctx context.Context, sourceID, token string, body []byte) (metricdata.PushResult, error) {
	var src struct {
		AgencyID  string `db:"agency_id"`
		TokenHash string `db:"token_hash"`
		Paused    bool   `db:"paused"`
	}
	err := s.db.Get(ctx, &src, `SELECT agency_id, token_hash, paused FROM sources WHERE id = ?`, sourceID)
	if errors.Is(err, db.ErrNoRows) || err == nil && !tokenMatches(token, src.TokenHash) {
		return metricdata.PushResult{}, errBadSourceToken
	}
	if err != nil {
		return metricdata.PushResult{}, err
	}
	if src.Paused {
		return metricdata.PushResult{}, errPaused
	}
	now := s.now()
	b, err := metricdata.DecodeSourceBatch(body)
	if err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			if rerr := s.db.InTx(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE sources SET rejected_at = ?, rejected_code = ?, rejected_field = ?, rejected_message = ? WHERE id = ?`,
					now, e.Code, e.Field, e.Message, sourceID)
				return err
			}); rerr != nil {
				return metricdata.PushResult{}, rerr
			}
		}
		return metricdata.PushResult{}, err
	}
	today, err := s.data.Today(ctx, src.AgencyID)
	if err != nil {
		return metricdata.PushResult{}, err
	}
	var res metricdata.PushResult
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if res, err = metricdata.StoreSource(ctx, tx, sourceID, b, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO source_days (source_id, day, points) VALUES (?, ?, ?)
			ON CONFLICT (source_id, day) DO UPDATE SET points = source_days.points + excluded.points`,
			sourceID, metricdata.DayNumber(today), res.Received); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sources SET last_push_at = ? WHERE id = ?`, now, sourceID); err != nil {
			return err
		}
		return record(ctx, tx, nil, src.AgencyID, now, "source.push", sourceID, nil, map[string]any{
			"received": res.Received, "inserted": res.Inserted, "updated": res.Updated, "items": len(b.Items())})
	})
	return res, err
}
