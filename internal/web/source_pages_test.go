package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestSourcePages: the agency creates a source (its token shown once),
// the source pushes, the page lists the items with their points, maps one
// to a brand, pauses, rotates and deletes; a client user finds nothing.
func TestSourcePages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		w.ada.get("/app/sources").expect(t, "no sources", 200, "No data sources yet", `action="/app/sources"`)
		w.ada.post("/app/sources", url.Values{"name": {" "}}).expect(t, "no name", 400, `id="f-name-error"`)
		a := w.ada.post("/app/sources", url.Values{"name": {"Google Ads"}})
		a.expect(t, "created", 201, "Token of “Google Ads”", "shown this once")
		tok := regexp.MustCompile(`value="(lis_[^"]+)"`).FindStringSubmatch(a.body)
		if tok == nil {
			t.Fatalf("no token on the page:\n%s", a.body)
		}
		list := w.ada.get("/app/sources")
		if strings.Contains(list.body, tok[1]) {
			t.Fatal("the token is shown again")
		}
		id := regexp.MustCompile(`href="/app/sources/(src_[a-z0-9]+)"`).FindStringSubmatch(list.body)[1]
		c := w.s.NewClient()
		c.Bearer = tok[1]
		today := time.Now().UTC().Format(time.DateOnly)
		c.Must(t, 200, "POST", "/api/v1/sources/"+id+"/data", map[string]any{"points": []map[string]any{
			{"item": "acct-1", "date": today, "metric": "clicks", "value": 4},
			{"item": "acct-2", "date": today, "metric": "clicks", "value": 6}}})
		c.Do(t, "POST", "/api/v1/sources/"+id+"/data", map[string]any{"points": []map[string]any{{"date": today, "metric": "clicks", "value": 1}}})
		page := w.ada.get("/app/sources/" + id)
		page.expect(t, "source page", 200, "acct-1", "acct-2", "Points received per day", `<svg class="chart-svg"`, "item is missing",
			`name="brand_id"`, "Not mapped", "Pause pushes")
		w.ada.post("/app/sources/"+id+"/mappings", url.Values{"item": {"acct-1"}, "brand_id": {w.nike}}).redirects(t, "map", "/app/sources/"+id)
		if !regexp.MustCompile(`value="` + w.nike + `" selected`).MatchString(w.ada.get("/app/sources/" + id).body) {
			t.Error("the mapped brand is not selected")
		}
		if n := count(t, w.s, `SELECT COUNT(*) FROM source_items WHERE brand_id = ?`, w.nike); n != 1 {
			t.Errorf("%d items mapped to Nike", n)
		}
		w.ada.post("/app/sources/"+id+"/pause", url.Values{"paused": {"true"}}).redirects(t, "pause", "/app/sources/"+id)
		if r := c.Do(t, "POST", "/api/v1/sources/"+id+"/data", map[string]any{"points": []map[string]any{{"item": "a", "date": today, "metric": "clicks", "value": 1}}}); r.Status != 409 {
			t.Errorf("paused push: %d", r.Status)
		}
		rot := w.ada.post("/app/sources/"+id+"/token", url.Values{})
		rot.expect(t, "rotated", 200, "New token", "The old token stopped working")
		if r := c.Do(t, "GET", "/api/v1/sources/"+id, nil); r.Status != 401 {
			t.Errorf("a source token read its source: %d", r.Status)
		}
		// A client user finds no source page.
		if a := w.grace.get("/app/sources/" + id); a.status != 404 {
			t.Errorf("client user: %d", a.status)
		}
		w.ada.post("/app/sources/"+id+"/delete", url.Values{}).redirects(t, "delete", "/app/sources")
		if n := count(t, w.s, `SELECT COUNT(*) FROM metric_series WHERE source_id IS NOT NULL`); n != 0 {
			t.Errorf("%d series left", n)
		}
		w.ada.get("/app/sources/"+id).expect(t, "deleted", 404)
	})
}
