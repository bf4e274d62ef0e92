package api_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/jsonw/jsonwtest"
	"github.com/liaison-dev/liaison/internal/report"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestHotResponsesJSON: the client list page, /me and report data, which
// write their own JSON (internal/jsonw), answer exactly the bytes
// encoding/json writes for the same value (decoded from the answer and
// encoded again), names with HTML's <>&, quotes and line separators
// included, with a Content-Length.
func TestHotResponsesJSON(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		c, _, agencyID := s.Signup(t, "Zoë <Admin> & \"Co\"", "zoe@example.com", "Tidal <&> Agency", "agency")
		tok := c.Token(t)
		brand := tok.Must(t, 201, "POST", "/api/v1/agencies/"+agencyID+"/brands", map[string]any{"name": "Brand <b>&amp;"}).Body["id"].(string)
		for _, name := range []string{"Blue <Kitchen> & Co", "Café \"Ünï\" \\ 日本", "plain", "Ω ☃ 🙂"} {
			tok.Must(t, 201, "POST", "/api/v1/agencies/"+agencyID+"/clients", map[string]any{"name": name, "brand_ids": []string{brand}})
		}
		day := s.Now().UTC().AddDate(0, 0, -3).Format("2006-01-02")
		tok.Must(t, 200, "POST", "/api/v1/brands/"+brand+"/data", map[string]any{"points": []map[string]any{
			{"date": day, "metric": "visits", "value": 12.5}, {"date": day, "metric": "visits", "dimension": "<a&b>", "value": 1e-9}}})
		rid := tok.Must(t, 201, "POST", "/api/v1/brands/"+brand+"/reports", map[string]any{"title": "Year <&>", "default_range": "last_12_months",
			"widgets": []map[string]any{{"kind": "tile", "metrics": []string{"visits"}}, {"kind": "line", "metrics": []string{"visits"}},
				{"kind": "table", "by": "dimension", "metrics": []string{"visits"}}, {"kind": "text", "text": "**bold** <i>x</i> & y"}}}).Body["id"].(string)

		check := func(path string, v any) {
			t.Helper()
			for range 2 { // the report's second answer comes from its cache
				r := tok.Must(t, 200, "GET", path, nil)
				if err := json.Unmarshal(r.Raw, v); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if want := jsonwtest.Encode(t, v); !bytes.Equal(r.Raw, want) {
					t.Fatalf("%s: the answer is not encoding/json's bytes:\n got %s\nwant %s", path, r.Raw, want)
				}
				if r.Header.Get("Content-Length") == "" {
					t.Fatalf("%s: no Content-Length", path)
				}
			}
		}
		check("/api/v1/agencies/"+agencyID+"/clients", &clientlist.ClientPage{})
		check("/api/v1/agencies/"+agencyID+"/clients?limit=2", &clientlist.ClientPage{})
		check("/api/v1/agencies/"+agencyID+"/clients?q=zzz", &clientlist.ClientPage{})
		check("/api/v1/me", &account.Me{})
		check("/api/v1/reports/"+rid+"/data", &report.Data{})
	})
}
