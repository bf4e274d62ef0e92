package metricdata

import (
	"context"
	"database/sql"
	"sort"
	"strings"

	"github.com/liaison-dev/liaison/internal/db"
)

// Writing a batch (migration 00026): its series are looked up, or added, by
// (owner, item, metric, dimension), then its points are upserted as
// (series id, epoch day, value) rows. How many were new is worked out
// without a read per point: a point after its series' last day or before
// its first is new (pushes mostly bring the latest days), and only the
// others are looked for, in one statement per chunk.

// Owner is whose series a batch writes: a brand's, or a data source's
// (whose items are mapped to brands when reports read them).
type Owner struct {
	BrandID  string
	SourceID string
}

func (o Owner) column() (string, string) {
	if o.SourceID != "" {
		return "source_id", o.SourceID
	}
	return "brand_id", o.BrandID
}

// rowsChunk is how many points one SQLite statement carries (3 parameters
// each, under SQLite's 32,766).
const rowsChunk = 1000

// store writes a batch's points for owner and returns how many were new.
func store(ctx context.Context, tx *db.Tx, o Owner, b *batch) (int, error) {
	ids, err := resolve(ctx, tx, o, b.series)
	if err != nil {
		return 0, err
	}
	known, err := spans(ctx, tx, ids)
	if err != nil {
		return 0, err
	}
	// Points inside their series' span of days may be there already.
	var maybe []bpoint
	for _, p := range b.points {
		if sp, ok := known[ids[p.s]]; ok && p.day >= sp[0] && p.day <= sp[1] {
			maybe = append(maybe, p)
		}
	}
	there := 0
	if len(maybe) > 0 {
		if there, err = countThere(ctx, tx, ids, maybe); err != nil {
			return 0, err
		}
	}
	// In key order: the rows go into the index's pages one after the other
	// instead of all over it.
	sort.Slice(b.points, func(i, j int) bool {
		a, c := b.points[i], b.points[j]
		if ids[a.s] != ids[c.s] {
			return ids[a.s] < ids[c.s]
		}
		return a.day < c.day
	})
	if err := upsertDays(ctx, tx, ids, b.points); err != nil {
		return 0, err
	}
	if o.BrandID != "" {
		if err := bump(ctx, tx, o.BrandID); err != nil {
			return 0, err
		}
	}
	return len(b.points) - there, nil
}

type seriesRow struct {
	ID        int64  `db:"id"`
	Item      string `db:"item"`
	Metric    string `db:"metric"`
	Dimension string `db:"dimension"`
}

// resolve returns the series ID of each key, adding the series not seen.
func resolve(ctx context.Context, tx *db.Tx, o Owner, keys []seriesKey) ([]int64, error) {
	col, owner := o.column()
	index := make(map[seriesKey]int, len(keys))
	metrics := map[string]bool{}
	var names []string
	for i, k := range keys {
		index[k] = i
		if !metrics[k.metric] {
			metrics[k.metric] = true
			names = append(names, k.metric)
		}
	}
	ids := make([]int64, len(keys))
	found := 0
	read := func() error {
		q, args, err := db.In(`SELECT id, item, metric, dimension FROM metric_series WHERE `+col+` = ? AND metric IN (?)`, owner, names)
		if err != nil {
			return err
		}
		var rows []seriesRow
		if err := tx.Select(ctx, &rows, q, args...); err != nil {
			return err
		}
		found = 0
		for _, r := range rows {
			if i, ok := index[seriesKey{r.Item, r.Metric, r.Dimension}]; ok {
				ids[i] = r.ID
				found++
			}
		}
		return nil
	}
	if err := read(); err != nil {
		return nil, err
	}
	if found == len(keys) {
		return ids, nil
	}
	// Add the missing ones. DO NOTHING: a concurrent push (PostgreSQL) may
	// add the same series; it is read back below either way.
	var missing []seriesKey
	for i, k := range keys {
		if ids[i] == 0 {
			missing = append(missing, k)
		}
	}
	for start := 0; start < len(missing); start += 500 {
		part := missing[start:min(start+500, len(missing))]
		args := make([]any, 0, 4*len(part))
		for _, k := range part {
			args = append(args, owner, k.item, k.metric, k.dimension)
		}
		rows := strings.Repeat("(?, ?, ?, ?), ", len(part))
		if _, err := tx.Exec(ctx, `INSERT INTO metric_series (`+col+`, item, metric, dimension) VALUES `+rows[:len(rows)-2]+
			` ON CONFLICT DO NOTHING`, args...); err != nil {
			return nil, err
		}
	}
	if err := read(); err != nil {
		return nil, err
	}
	return ids, nil
}

type spanRow struct {
	ID    int64         `db:"id"`
	First sql.NullInt64 `db:"first"`
	Last  sql.NullInt64 `db:"last"`
}

// spans returns the first and last day of the series that have days.
func spans(ctx context.Context, tx *db.Tx, ids []int64) (map[int64][2]int32, error) {
	out := make(map[int64][2]int32, len(ids))
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		// One index probe each way per series (a GROUP BY would read every
		// day of every series).
		q, args, err := db.In(`SELECT id, (SELECT MIN(day) FROM metric_days d WHERE d.series_id = s.id) AS first,
			(SELECT MAX(day) FROM metric_days d WHERE d.series_id = s.id) AS last FROM metric_series s WHERE s.id IN (?)`, part)
		if err != nil {
			return nil, err
		}
		var rows []spanRow
		if err := tx.Select(ctx, &rows, q, args...); err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.First.Valid {
				out[r.ID] = [2]int32{int32(r.First.Int64), int32(r.Last.Int64)}
			}
		}
	}
	return out, nil
}

// countThere counts the points already stored.
func countThere(ctx context.Context, tx *db.Tx, ids []int64, ps []bpoint) (int, error) {
	total := 0
	if tx.Dialect() == db.Postgres {
		sids, days := make([]int64, len(ps)), make([]int32, len(ps))
		for i, p := range ps {
			sids[i], days[i] = ids[p.s], p.day
		}
		err := tx.Get(ctx, &total, `SELECT COUNT(*) FROM metric_days d JOIN unnest(?::bigint[], ?::int[]) AS k(series_id, day)
			ON d.series_id = k.series_id AND d.day = k.day`, sids, days)
		return total, err
	}
	for start := 0; start < len(ps); start += rowsChunk {
		part := ps[start:min(start+rowsChunk, len(ps))]
		args := make([]any, 0, 2*len(part))
		for _, p := range part {
			args = append(args, ids[p.s], p.day)
		}
		keys := strings.Repeat("(?, ?), ", len(part))
		var n int
		// A CTE of the keys joined to the primary key: one probe per key.
		if err := tx.Get(ctx, &n, `WITH k (series_id, day) AS (VALUES `+keys[:len(keys)-2]+`)
			SELECT COUNT(*) FROM k JOIN metric_days d ON d.series_id = k.series_id AND d.day = k.day`, args...); err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

const upsertTail = ` ON CONFLICT (series_id, day) DO UPDATE SET value = excluded.value`

// upsertDays writes the points: on PostgreSQL one statement over arrays,
// on SQLite prepared statements of rowsChunk rows.
func upsertDays(ctx context.Context, tx *db.Tx, ids []int64, ps []bpoint) error {
	if tx.Dialect() == db.Postgres {
		sids, days, vals := make([]int64, len(ps)), make([]int32, len(ps)), make([]float64, len(ps))
		for i, p := range ps {
			sids[i], days[i], vals[i] = ids[p.s], p.day, p.value
		}
		_, err := tx.Exec(ctx, `INSERT INTO metric_days (series_id, day, value)
			SELECT * FROM unnest(?::bigint[], ?::int[], ?::float8[])`+upsertTail, sids, days, vals)
		return err
	}
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, 3*rowsChunk)
	for start := 0; start < len(ps); start += rowsChunk {
		part := ps[start:min(start+rowsChunk, len(ps))]
		args = args[:0]
		for _, p := range part {
			args = append(args, ids[p.s], p.day, p.value)
		}
		if len(part) == rowsChunk {
			if full == nil {
				var err error
				if full, err = tx.Prepare(ctx, upsertSQL(rowsChunk)); err != nil {
					return err
				}
			}
			if _, err := full.ExecContext(ctx, args...); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.Exec(ctx, upsertSQL(len(part)), args...); err != nil {
			return err
		}
	}
	return nil
}

func upsertSQL(n int) string {
	rows := strings.Repeat("(?, ?, ?), ", n)
	return `INSERT INTO metric_days (series_id, day, value) VALUES ` + rows[:len(rows)-2] + upsertTail
}

// bump marks a brand's data changed: reports cached for the old version
// are computed again (internal/report).
func bump(ctx context.Context, tx *db.Tx, brandIDs ...string) error {
	for _, id := range brandIDs {
		if _, err := tx.Exec(ctx, `INSERT INTO metric_versions (brand_id, version) VALUES (?, 1)
			ON CONFLICT (brand_id) DO UPDATE SET version = metric_versions.version + 1`, id); err != nil {
			return err
		}
	}
	return nil
}

// Version is a brand's data version: it changes with every push, deletion,
// catalogue edit and mapping that touches the brand's reports.
func (s *Service) Version(ctx context.Context, brandID string) (int64, error) {
	var v []int64
	err := s.db.Select(ctx, &v, `SELECT version FROM metric_versions WHERE brand_id = ?`, brandID)
	if err != nil || len(v) == 0 {
		return 0, err
	}
	return v[0], nil
}
