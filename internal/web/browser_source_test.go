package web_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
)

// TestBrowserSourcePages: the data source pages in a browser (axe runs on
// every visit): the list, and a source's page with items, a brand picker
// and the chart of points per day.
func TestBrowserSourcePages(t *testing.T) {
	w := newAgencyWorld(t, db.SQLite)
	a := w.ada.post("/app/sources", map[string][]string{"name": {"Google Ads"}})
	m := regexp.MustCompile(`value="(lis_[^"]+)"`).FindStringSubmatch(a.body)
	id := regexp.MustCompile(`href="/app/sources/(src_[a-z0-9]+)"`).FindStringSubmatch(a.body)
	if m == nil || id == nil {
		t.Fatalf("created: %d", a.status)
	}
	c := w.s.NewClient()
	c.Bearer = m[1]
	c.Must(t, 200, "POST", "/api/v1/sources/"+id[1]+"/data", map[string]any{"points": []map[string]any{
		{"item": "acct-1", "date": time.Now().UTC().Format(time.DateOnly), "metric": "clicks", "value": 4}}})
	b := newTab(t, w.s.URL)
	b.login(adminEmail, adminPass)
	b.visit("/app/sources", 200)
	b.visit("/app/sources/"+id[1], 200)
	if s := b.text("main"); !regexp.MustCompile(`acct-1`).MatchString(s) {
		t.Fatalf("source page: %q", s)
	}
}
