package api_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Headline metrics count a brand's mapped source items as its reports do
// (issue 16 × issue 17): a source's push to a mapped item, a mapping and an
// unmapping each show on the client list at once, and two items on one
// brand add up.
func TestHeadlineMetricsFollowSources(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newSourceWorld(t, e)
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.agency+"/settings", map[string]any{"headline_metrics": []string{"sessions"}})
		today := w.today.Format(time.DateOnly)
		metrics := func(step string, want map[string]any) {
			t.Helper()
			r := w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/clients", nil)
			for _, c := range r.Body["clients"].([]any) {
				c := c.(map[string]any)
				if c["id"] == w.clientID {
					if got := c["metrics"]; !reflect.DeepEqual(got, want) {
						t.Fatalf("%s: metrics %v, want %v", step, got, want)
					}
					return
				}
			}
			t.Fatalf("%s: the client is not listed", step)
		}
		mapItem := func(item string, brand any) {
			t.Helper()
			w.admin.Must(t, 200, "PUT", "/api/v1/sources/"+w.source+"/mappings",
				map[string]any{"mappings": []map[string]any{{"item": item, "brand_id": brand}}})
		}
		w.admin.Must(t, 200, "POST", "/api/v1/brands/"+w.brand+"/data", pts(pt(today, "sessions", 3, "")))
		if r := w.push(t, w.token, pts(ipt("acct-1", today, "sessions", 10, ""), ipt("acct-2", today, "sessions", 100, ""))); r.Status != 200 {
			t.Fatalf("push: %d %s", r.Status, r.Raw)
		}
		metrics("unmapped items", map[string]any{"sessions": 3.0})
		mapItem("acct-1", w.brand)
		metrics("one item mapped", map[string]any{"sessions": 13.0})
		mapItem("acct-2", w.brand)
		metrics("two items mapped", map[string]any{"sessions": 113.0})
		if r := w.push(t, w.token, pts(ipt("acct-1", today, "sessions", 20, ""))); r.Status != 200 {
			t.Fatalf("push: %d %s", r.Status, r.Raw)
		}
		metrics("a mapped item's push", map[string]any{"sessions": 123.0})
		mapItem("acct-2", nil)
		metrics("an item unmapped", map[string]any{"sessions": 23.0})
		mapItem("acct-1", w.brand2)
		metrics("an item moved to a brand the client lacks", map[string]any{"sessions": 3.0})
	})
}
