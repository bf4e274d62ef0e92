package clientlist

import (
	"fmt"
	"strings"
	"testing"
)

// TestItemsShareNoBrandsRoom: a page's items take their brands from one
// backing array, yet appending to one item's brands never changes another's,
// nor the decoded brands cached for the next page.
func TestItemsShareNoBrandsRoom(t *testing.T) {
	rows := make([]listRow, 40)
	for i := range rows {
		rows[i] = listRow{ID: fmt.Sprint("acc_", i), Status: "active",
			Brands: fmt.Sprintf(`[{"id":"brd_a%d","name":"A %d"},{"id":"brd_b%d","name":"B %d"}]`, i%3, i%3, i%3, i%3)}
		if i%4 == 0 {
			rows[i].Brands = "[]"
		}
	}
	s := &Service{}
	items, err := s.items(rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range items {
		items[i].Brands = append(items[i].Brands, ClientBrand{ID: "brd_x", Name: "appended"})
	}
	again, err := s.items(rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		want := 3
		if i%4 == 0 {
			want = 1
		}
		if len(it.Brands) != want || it.Brands[len(it.Brands)-1].ID != "brd_x" {
			t.Fatalf("item %d: %v", i, it.Brands)
		}
		if i%4 != 0 && (it.Brands[0].ID != fmt.Sprint("brd_a", i%3) || it.Brands[1].ID != fmt.Sprint("brd_b", i%3)) {
			t.Fatalf("item %d's brands were overwritten by a neighbour's append: %v", i, it.Brands)
		}
		if n := len(again[i].Brands); n != want-1 {
			t.Fatalf("item %d read again has %d brands: the cache was changed", i, n)
		}
	}
}

// TestItemsKeepJSONUnderThePagesMetrics: the JSON a copy's row keeps is
// keyed by the headline metrics of the page that wrote it, whatever the
// page's first row. A page whose first row was computed anew (no copy's
// row) once kept the others' JSON under no metrics, and a later page,
// after the agency cleared its metrics, showed the old column from it.
func TestItemsKeepJSONUnderThePagesMetrics(t *testing.T) {
	fresh := listRow{ID: "acc_fresh", Status: "active", Brands: "[]", Headline: `{"revenue":1}`}
	kept := &memRow{listRow: listRow{ID: "acc_kept", Status: "active", Brands: "[]", Headline: `{"revenue":2}`}}
	fromCopy := kept.listRow
	fromCopy.from = kept
	s := &Service{}
	if _, err := s.items([]listRow{fresh, fromCopy}, []string{"revenue"}); err != nil {
		t.Fatal(err)
	}
	if b := kept.kept("revenue"); !strings.Contains(string(b), `"revenue":2`) {
		t.Fatalf("the copy's row kept no JSON for the page's metrics: %q", b)
	}
	if b := kept.kept(""); b != nil {
		t.Fatalf("the copy's row kept JSON with the metrics under none: %s", b)
	}
	// The agency clears its metrics: the next page shows no column.
	items, err := s.items([]listRow{fresh, fromCopy}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		b := it.raw
		if b == nil {
			if b, err = it.AppendJSON(nil); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Contains(string(b), "revenue") {
			t.Fatalf("%s shows a metric no longer chosen: %s", it.ID, b)
		}
	}
}
