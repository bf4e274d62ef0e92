package clientlist

import (
	"encoding/json"
	"fmt"
	"sync"
)

// ParseBrands reads a stored list row's brands (a JSON array of {id, name},
// in name order). The answer is the caller's to keep.
//
// A page decodes 50 such arrays, and decoding them was the largest single
// cost of a page in Go (8 % of the server's CPU under load, measured with
// pprof; bench/README.md), while an agency's clients share a handful of
// brand combinations: so the decoded arrays are kept by their text
// (brandsCache) and each answer is a copy.
func ParseBrands(stored string) ([]ClientBrand, error) {
	b, _, err := parseBrandsInto(nil, stored)
	return b, err
}

// parseBrandsInto is ParseBrands copying into the free room of buf (a
// page's items share one backing array) and returning what room is left.
// The answer's capacity ends at its length, so appending to it never
// writes over a neighbour's brands.
func parseBrandsInto(buf []ClientBrand, stored string) (brands, rest []ClientBrand, err error) {
	if stored == "" || stored == "[]" {
		return []ClientBrand{}, buf, nil
	}
	b, ok := brandsCache.get(stored)
	if !ok {
		if b, err = decodeBrands(stored); err != nil {
			return nil, buf, err
		}
	}
	if cap(buf) < len(b) {
		buf = make([]ClientBrand, 0, max(len(b), 64))
	}
	n := copy(buf[:len(b)], b)
	return buf[:n:n], buf[n:n:cap(buf)], nil
}

// decodeBrands decodes a stored brands text and keeps it in brandsCache.
// Apart from parseBrandsInto because the variable Unmarshal decodes into
// escapes to the heap: declared in parseBrandsInto, it was allocated on
// every call, cache hits included — 20 of a page's 41 allocations (issue 23).
func decodeBrands(stored string) ([]ClientBrand, error) {
	b := []ClientBrand{}
	if err := json.Unmarshal([]byte(stored), &b); err != nil {
		return nil, fmt.Errorf("client list brands %q: %w", stored, err)
	}
	brandsCache.put(stored, b)
	return b, nil
}

// brandsCache maps a stored brands text to its decoded form. The text is
// the whole value (IDs and names), so an entry can never be wrong, only
// unused; the cache forgets everything at maxBrandsCached entries.
var brandsCache = &brandsTexts{}

const maxBrandsCached = 8192

type brandsTexts struct {
	mu sync.RWMutex
	m  map[string][]ClientBrand
}

func (c *brandsTexts) get(k string) ([]ClientBrand, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *brandsTexts) put(k string, v []ClientBrand) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxBrandsCached {
		c.m = map[string][]ClientBrand{}
	}
	c.m[k] = v
}
