package clientlist

// The items of a page: made from its rows, or, for the API, the JSON the
// copy's rows keep.

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// items turns rows into list items.
// The values of metrics no longer chosen are left out.
//
// The items' health, last activity and brands are allocated together, a
// backing array each for the whole page: a page from memory is a few
// microseconds of work, and allocations per item were most of the
// garbage of the list's hot path (issue 23).
func (s *Service) items(rows []listRow, names []string) ([]ClientListItem, error) {
	out := make([]ClientListItem, len(rows))
	healths := make([]ClientHealth, len(rows))
	times := make([]time.Time, len(rows))
	var brands []ClientBrand
	// The key of the JSON the copy's rows keep: any row may be a copy's,
	// whatever the first is (a row computed anew is not).
	namesKey := strings.Join(names, "\x00")
	for i, r := range rows {
		var b []ClientBrand
		var err error
		if b, brands, err = parseBrandsInto(brands, r.Brands); err != nil {
			return nil, err
		}
		m := r.metrics
		if m == nil {
			if m, err = parseHeadline(r.Headline); err != nil {
				return nil, err
			}
		}
		for k := range m {
			if !slices.Contains(names, k) {
				m = onlyNamed(m, names)
				break
			}
		}
		out[i] = ClientListItem{ID: r.ID, Name: r.Name, Email: r.Email, Status: r.Status,
			Brands: b, Users: r.Users, Seats: r.Seats, Enabled: r.Enabled, Metrics: m}
		if r.Health != nil {
			healths[i] = healthFor(int(*r.Health))
			out[i].Health = &healths[i]
		}
		if r.LastActive.Valid {
			times[i] = r.LastActive.Time
			out[i].LastActiveAt = &times[i]
		}
		if r.from != nil {
			out[i].raw = r.from.json(namesKey, &out[i])
		}
	}
	return out, nil
}

// rowsPool keeps the row slices of pages read from memory (pagedRows,
// releaseRows): 51 rows of a few hundred bytes each, per request.
var rowsPool = sync.Pool{New: func() any { return new([]listRow) }}

// pagedRows returns an empty slice of at least n rows' capacity, from the
// pool.
func pagedRows(n int) []listRow {
	p := rowsPool.Get().(*[]listRow)
	if cap(*p) < n {
		return make([]listRow, 0, n)
	}
	return (*p)[:0]
}

// releaseRows gives a page's rows back to the pool once nothing refers to
// them (their fields were copied into the page's items), cleared so the
// pool keeps no copy's strings alive.
func releaseRows(rows []listRow) {
	rows = rows[:cap(rows)]
	clear(rows)
	rows = rows[:0]
	rowsPool.Put(&rows)
}

// itemsJSON is items as the JSON each row of a copy keeps (memRow.json).
// A page with a row that has none yet (or computed anew, with no copy's
// row) is made into items once, which keeps every row's.
func (s *Service) itemsJSON(rows []listRow, names []string) ([][]byte, error) {
	out := make([][]byte, 0, len(rows))
	namesKey := strings.Join(names, "\x00")
	for _, r := range rows {
		if r.from == nil {
			break
		}
		b := r.from.kept(namesKey)
		if b == nil {
			break
		}
		out = append(out, b)
	}
	if len(out) == len(rows) {
		return out, nil
	}
	items, err := s.items(rows, names)
	if err != nil {
		return nil, err
	}
	out = out[:0]
	for i := range items {
		b := items[i].raw
		if b == nil { // not from a copy's row, or refused by it: written here
			if b, err = items[i].AppendJSON(nil); err != nil {
				return nil, err
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// onlyNamed is a copy of m without the metrics no longer chosen (m may be
// a copy's, shared with other pages).
func onlyNamed(m map[string]float64, names []string) map[string]float64 {
	out := make(map[string]float64, len(names))
	for k, v := range m {
		if slices.Contains(names, k) {
			out[k] = v
		}
	}
	return out
}

// headlineNames reads the agency's headline metrics as a page's statement
// read them (a JSON array).
func headlineNames(rows []listRow) []string {
	if len(rows) == 0 || rows[0].HeadlineNames == "" {
		return []string{}
	}
	text := rows[0].HeadlineNames
	if last := lastHeadline.Load(); last != nil && last.text == text {
		return last.names
	}
	names := []string{}
	if err := json.Unmarshal([]byte(text), &names); err != nil || names == nil {
		names = []string{}
	}
	lastHeadline.Store(&parsedHeadline{text: text, names: names})
	return names
}

// lastHeadline is the last headline_metrics text headlineNames parsed: an
// agency's pages all carry the same, and parsing it was six allocations
// a page (issue 23). The names are shared, so not to be changed.
var lastHeadline atomic.Pointer[parsedHeadline]

type parsedHeadline struct {
	text  string
	names []string
}
