package api_test

import (
	"slices"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// A disabled client shows as disabled in the list (enabled: false) and can
// be filtered on, in the list read from memory and in SQL (a search beyond
// ASCII), with counts that follow the filter; its status stays what SPEC §5
// says (active here), and enabling it again shows it enabled at once.
func TestDisabledClientInTheList(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		_, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acmé")
		_, _, beta := w.clientUser(t, "Bea Beta", "bea@beta.example", "Betaé")
		item := func(r testkit.Response, id string) map[string]any {
			for _, c := range clItems(r) {
				if c["id"] == id {
					return c
				}
			}
			return nil
		}
		if c := item(w.list(t, w.admin, ""), acme); c == nil || c["enabled"] != true {
			t.Fatalf("before: %v", c)
		}
		w.admin.Must(t, 200, "PATCH", w.clientPath(acme), map[string]any{"enabled": false})
		for _, q := range []string{"", "q=%C3%A9"} { // from memory; in SQL
			r := w.list(t, w.admin, q)
			if c := item(r, acme); c == nil || c["enabled"] != false || c["status"] != "active" {
				t.Errorf("%q: disabled client listed as %v", q, c)
			}
			if c := item(r, beta); c == nil || c["enabled"] != true {
				t.Errorf("%q: enabled client listed as %v", q, c)
			}
			amp := "&"
			if q == "" {
				amp = ""
			}
			off := w.list(t, w.admin, q+amp+"enabled=false")
			if ids := clIDs(off); !slices.Equal(ids, []string{acme}) {
				t.Errorf("%q enabled=false lists %v, want Acmé only", q, ids)
			}
			if c := off.Body["counts"].(map[string]any); c["all"] != 1.0 || c["active"] != 1.0 {
				t.Errorf("%q enabled=false counts %v", q, c)
			}
			on := w.list(t, w.admin, q+amp+"enabled=true")
			if ids := clIDs(on); !slices.Equal(ids, []string{beta}) {
				t.Errorf("%q enabled=true lists %v, want Betaé only", q, ids)
			}
		}
		wantError(t, w.admin.Do(t, "GET", "/api/v1/agencies/"+w.agency+"/clients?enabled=maybe", nil), 400, "invalid_enabled", "enabled")
		w.admin.Must(t, 200, "PATCH", w.clientPath(acme), map[string]any{"enabled": true})
		if c := item(w.list(t, w.admin, ""), acme); c == nil || c["enabled"] != true {
			t.Errorf("enabled again: %v", c)
		}
		if ids := clIDs(w.list(t, w.admin, "enabled=false")); len(ids) != 0 {
			t.Errorf("enabled again: the disabled filter lists %v", ids)
		}
	})
}
