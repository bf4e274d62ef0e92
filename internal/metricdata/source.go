package metricdata

import (
	"context"
	"database/sql"
	"time"

	"github.com/liaison-dev/liaison/internal/clientlist/due"
	"github.com/liaison-dev/liaison/internal/db"
)

// Data sources' pushes (issue 17; internal/source decides who pushes and
// keeps the delivery status). A source's points are series owned by the
// source, one per (item, metric, dimension); they reach a brand's reports
// only through the mapping of their item (read.go).

// SourceBatch is a decoded, validated source push.
type SourceBatch struct{ b *batch }

// DecodeSourceBatch decodes a source push: brand ingest's limits and
// validation, and every point names its item.
func DecodeSourceBatch(body []byte) (*SourceBatch, error) {
	b, err := decode(body, true)
	if err != nil {
		return nil, err
	}
	return &SourceBatch{b}, nil
}

// Received is the number of points the batch held.
func (sb *SourceBatch) Received() int { return sb.b.received }

// Items are the batch's distinct items.
func (sb *SourceBatch) Items() []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range sb.b.series {
		if !seen[k.item] {
			seen[k.item] = true
			out = append(out, k.item)
		}
	}
	return out
}

// StoreSource writes a source's batch in the caller's transaction: the
// items seen are listed (new ones unmapped), the brands the batch's items
// are mapped to learn its metrics and get a new data version, and the
// points are stored like a brand's.
func StoreSource(ctx context.Context, tx *db.Tx, sourceID string, sb *SourceBatch, now time.Time) (PushResult, error) {
	b := sb.b
	res := PushResult{Received: b.received}
	items := sb.Items()
	for _, it := range items {
		if _, err := tx.Exec(ctx, `INSERT INTO source_items (source_id, item, first_seen_at) VALUES (?, ?, ?)
			ON CONFLICT (source_id, item) DO NOTHING`, sourceID, it, now); err != nil {
			return res, err
		}
	}
	q, args, err := db.In(`SELECT DISTINCT brand_id FROM source_items WHERE source_id = ? AND item IN (?) AND brand_id IS NOT NULL`, sourceID, items)
	if err != nil {
		return res, err
	}
	var brands []string
	if err := tx.Select(ctx, &brands, q, args...); err != nil {
		return res, err
	}
	for _, br := range brands {
		if err := learn(ctx, tx, br, b.metricNames(), now); err != nil {
			return res, err
		}
	}
	ins, err := store(ctx, tx, Owner{SourceID: sourceID}, b)
	if err != nil {
		return res, err
	}
	res.Inserted, res.Updated = ins, len(b.points)-ins
	return res, changed(ctx, tx, b.metricNames(), brands...)
}

// MapItem points a source's item at a brand ("" unmaps it) in the caller's
// transaction: the brand learns the item's metrics, and the brands it left
// and joined get a new data version, so their reports show the change on
// the next read. Returns the brand it was mapped to before.
func MapItem(ctx context.Context, tx *db.Tx, sourceID, item, brandID string, now time.Time) (string, error) {
	var before []sql.NullString
	if err := tx.Select(ctx, &before, `SELECT brand_id FROM source_items WHERE source_id = ? AND item = ?`, sourceID, item); err != nil {
		return "", err
	}
	old := ""
	if len(before) > 0 {
		old = before[0].String
	}
	var target any
	if brandID != "" {
		target = brandID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO source_items (source_id, item, brand_id, first_seen_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (source_id, item) DO UPDATE SET brand_id = excluded.brand_id`, sourceID, item, target, now); err != nil {
		return old, err
	}
	if old == brandID {
		return old, nil
	}
	if brandID != "" {
		var metrics []string
		if err := tx.Select(ctx, &metrics, `SELECT DISTINCT metric FROM metric_series WHERE source_id = ? AND item = ?`, sourceID, item); err != nil {
			return old, err
		}
		if err := learn(ctx, tx, brandID, metrics, now); err != nil {
			return old, err
		}
	}
	var touched []string
	for _, b := range []string{old, brandID} {
		if b != "" {
			touched = append(touched, b)
		}
	}
	return old, changed(ctx, tx, nil, touched...)
}

// BumpSourceBrands gives every brand an item of the source is mapped to a
// new data version (before the source's deletion takes its data away).
func BumpSourceBrands(ctx context.Context, tx *db.Tx, sourceID string) error {
	var brands []string
	if err := tx.Select(ctx, &brands, `SELECT DISTINCT brand_id FROM source_items WHERE source_id = ? AND brand_id IS NOT NULL`, sourceID); err != nil {
		return err
	}
	return changed(ctx, tx, nil, brands...)
}

// changed records in tx that the brands' data changed through a source:
// a new data version for their reports, and their clients' headline
// metrics due (metrics nil: any of them).
func changed(ctx context.Context, tx *db.Tx, metrics []string, brandIDs ...string) error {
	if err := bump(ctx, tx, brandIDs...); err != nil {
		return err
	}
	for _, id := range brandIDs {
		if err := due.MarkHeadline(ctx, tx, id, metrics); err != nil {
			return err
		}
	}
	return nil
}
