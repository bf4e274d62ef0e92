package report

import (
	"strconv"
	"strings"
	"sync"
)

// Reports are read far more often than their data changes (a portal page,
// its range picker, exports, the same report for every client user of a
// brand), and computing one reads every day of its metrics: 55,000 rows for
// a year of 50 dimension values. So a report's Data is kept in memory under
// everything it depends on: the report's stored row as read (title,
// widgets, ranges, updated_at), the resolved range and comparison, and the
// brand's data version (metric_versions), which every push, deletion,
// catalogue edit and mapping change bumps in its own transaction. The
// version is read from the database on every request, so a change made by
// another process is seen at once; nothing is ever served for a version
// that is not the current one. Entries are never invalidated, only left
// behind: the cache holds a bounded number and drops arbitrary ones when
// full.

type cache struct {
	mu   sync.Mutex
	max  int
	data map[string]Data
}

func newCache(max int) *cache { return &cache{max: max, data: map[string]Data{}} }

// cacheKey is what a report's Data depends on.
func cacheKey(r row, sp Span, version int64) string {
	var b strings.Builder
	for _, s := range []string{r.ID, r.BrandID, r.Title, r.Description, r.DefaultRange, r.Comparison, r.Widgets,
		r.CreatedAt.Time.String(), r.UpdatedAt.Time.String(), sp.Preset, sp.Range.String(), sp.Compare.String(),
		strconv.FormatBool(sp.HasCompare), strconv.FormatInt(version, 10)} {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	return b.String()
}

// get returns a computed Data. Callers only read it: its slices are shared.
func (c *cache) get(key string) (Data, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.data[key]
	return d, ok
}

func (c *cache) put(key string, d Data) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.data {
		if len(c.data) < c.max {
			break
		}
		delete(c.data, k)
	}
	c.data[key] = d
}
