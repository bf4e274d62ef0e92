package api_test

import (
	"encoding/csv"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Headline metrics (SPEC §3, §12): the agency's setting, the list's values
// of this calendar month over each client's granted brands — summed or
// averaged by each metric's rule, a percent never summed — current after
// every push, grant, revocation and change of the setting, in the API's
// list and in its CSV.
func TestHeadlineMetricsOnTheClientList(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newDataWorld(t, e)
		settings := "/api/v1/agencies/" + w.agency + "/settings"
		for _, bad := range [][]string{{"a", "b", "c", "d"}, {"Sessions"}, {"sessions", "sessions"}, {""}} {
			if r := w.admin.Do(t, "PUT", settings, map[string]any{"headline_metrics": bad}); r.Status != 400 || r.Code() != "invalid_headline_metrics" && !strings.Contains(string(r.Raw), "headline_metrics") {
				t.Fatalf("headline_metrics %q: %d %s", bad, r.Status, r.Raw)
			}
		}
		w.member.Must(t, 403, "PUT", settings, map[string]any{"headline_metrics": []string{"sessions"}})
		r := w.admin.Must(t, 200, "PUT", settings, map[string]any{"headline_metrics": []string{"sessions", "conv_rate", "revenue"}})
		if got := r.Body["headline_metrics"]; !reflect.DeepEqual(got, []any{"sessions", "conv_rate", "revenue"}) {
			t.Fatalf("settings answer %v", r.Body)
		}
		if got := w.view.Must(t, 200, "GET", settings, nil).Body["headline_metrics"]; !reflect.DeepEqual(got, []any{"sessions", "conv_rate", "revenue"}) {
			t.Fatalf("settings read %v", got)
		}
		first := time.Date(w.today.Year(), w.today.Month(), 1, 0, 0, 0, 0, time.UTC)
		lastMonth := first.AddDate(0, 0, -1).Format(time.DateOnly)
		today := w.today.Format(time.DateOnly)
		push := func(brand string, points ...map[string]any) {
			t.Helper()
			w.admin.Must(t, 200, "POST", "/api/v1/brands/"+brand+"/data", pts(points...))
		}
		list := func() map[string]map[string]any {
			t.Helper()
			r := w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/clients", nil)
			if got := r.Body["headline_metrics"]; !reflect.DeepEqual(got, []any{"sessions", "conv_rate", "revenue"}) {
				t.Fatalf("the list's headline metrics: %v", got)
			}
			out := map[string]map[string]any{}
			for _, c := range r.Body["clients"].([]any) {
				c := c.(map[string]any)
				out[c["id"].(string)] = c["metrics"].(map[string]any)
			}
			return out
		}
		want := func(step string, m map[string]any) {
			t.Helper()
			if got := list()[w.clientID]; !reflect.DeepEqual(got, m) {
				t.Fatalf("%s: metrics %v, want %v", step, got, m)
			}
		}
		want("no data", map[string]any{})

		w.admin.Must(t, 200, "PUT", "/api/v1/brands/"+w.brand+"/metrics/conv_rate", map[string]any{"unit": "percent"})
		push(w.brand, pt(today, "sessions", 10, ""), pt(lastMonth, "sessions", 1000, ""), pt(today, "sessions", 7, "organic"),
			pt(today, "conv_rate", 2, ""), pt(today, "clicks", 99, ""))
		want("after a push", map[string]any{"sessions": 10.0, "conv_rate": 2.0})
		for id, m := range list() {
			if id != w.clientID && len(m) != 0 {
				t.Fatalf("a client without the brand has metrics %v", m)
			}
		}

		// A second brand: sessions add up, a percent is averaged.
		adidas := w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+w.agency+"/brands", map[string]any{"name": "Adidas"}).Body["id"].(string)
		w.admin.Must(t, 200, "PUT", "/api/v1/brands/"+adidas+"/metrics/conv_rate", map[string]any{"unit": "percent"})
		push(adidas, pt(today, "sessions", 5, ""), pt(today, "conv_rate", 4, ""))
		want("before the grant", map[string]any{"sessions": 10.0, "conv_rate": 2.0})
		grant := "/api/v1/agencies/" + w.agency + "/clients/" + w.clientID + "/brands/" + adidas
		w.admin.Must(t, 204, "PUT", grant, nil)
		want("after a grant", map[string]any{"sessions": 15.0, "conv_rate": 3.0})
		push(w.brand, pt(today, "sessions", 20, ""))
		want("after an update of a point", map[string]any{"sessions": 25.0, "conv_rate": 3.0})

		// The CSV has a column per headline metric.
		raw := w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/clients.csv", nil).Raw
		rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if h := rows[0]; !slices.Equal(h[len(h)-3:], []string{"sessions", "conv_rate", "revenue"}) {
			t.Fatalf("CSV header %v", h)
		}
		found := false
		for _, row := range rows[1:] {
			if row[0] == w.clientID {
				found = true
				if got := row[len(row)-3:]; !slices.Equal(got, []string{"25", "3", ""}) {
					t.Fatalf("CSV metrics %v", got)
				}
			}
		}
		if !found {
			t.Fatalf("the client is not in the CSV:\n%s", raw)
		}

		w.admin.Must(t, 204, "DELETE", grant, nil)
		want("after a revocation of the brand", map[string]any{"sessions": 20.0, "conv_rate": 2.0})
		w.admin.Must(t, 200, "PUT", "/api/v1/brands/"+w.brand+"/metrics/sessions", map[string]any{"aggregation": "last"})
		push(w.brand, pt(first.Format(time.DateOnly), "sessions", 1, ""))
		if first.Format(time.DateOnly) != today {
			want("last of the month", map[string]any{"sessions": 20.0, "conv_rate": 2.0})
		}
		w.admin.Must(t, 200, "DELETE", "/api/v1/brands/"+w.brand+"/data?metrics=conv_rate", nil)
		want("after a deletion", map[string]any{"sessions": 20.0})

		// Another setting: the columns follow at once.
		w.admin.Must(t, 200, "PUT", settings, map[string]any{"headline_metrics": []string{"clicks"}})
		r = w.admin.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/clients", nil)
		if got := r.Body["headline_metrics"]; !reflect.DeepEqual(got, []any{"clicks"}) {
			t.Fatalf("after the setting changed: %v", got)
		}
		for _, c := range r.Body["clients"].([]any) {
			c := c.(map[string]any)
			if c["id"] == w.clientID && fmt.Sprint(c["metrics"]) != "map[clicks:99]" {
				t.Fatalf("after the setting changed: %v", c["metrics"])
			}
		}

		// Next month, the values start again from nothing (a token: the
		// session would have ended).
		tok := w.admin.Token(t)
		w.s.Clock.Advance(first.AddDate(0, 1, 0).Sub(w.s.Clock.Now()) + time.Hour)
		r = tok.Must(t, 200, "GET", "/api/v1/agencies/"+w.agency+"/clients", nil)
		for _, c := range r.Body["clients"].([]any) {
			c := c.(map[string]any)
			if c["id"] == w.clientID && len(c["metrics"].(map[string]any)) != 0 {
				t.Fatalf("next month: %v", c["metrics"])
			}
		}
	})
}
