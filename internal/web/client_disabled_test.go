package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// A disabled client shows "Disabled" beside its status, which stays what it
// is, in the list and on its page, and the list filters on it.
func TestDisabledClientPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		w.s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID, AccessAll: true})
		nav := "/app/clients/" + w.clientID
		w.ada.get("/app/clients").lacks(t, "enabled client", "badge-disabled")
		w.ada.post(nav+"/settings", url.Values{"seats": {"0"}}).redirects(t, "disable", nav) // enabled unticked
		list := w.ada.get("/app/clients")
		list.expect(t, "disabled client listed", 200, "Navy Client", `class="badge badge-active">`, `class="badge badge-disabled"`,
			`href="/app/clients?enabled=false"`, "Show disabled clients only")
		w.ada.get(nav).expect(t, "disabled client's page", 200, `class="badge badge-disabled">Disabled`, `class="badge badge-active">`)
		only := w.ada.get("/app/clients?enabled=false")
		only.expect(t, "the disabled filter", 200, "Navy Client", "Showing disabled clients only", "All <span class=\"count\">1</span>")
		if !strings.Contains(only.body, `name="enabled" value="false"`) {
			t.Errorf("the search does not keep the filter:\n%s", only.body)
		}
		w.ada.post(nav+"/settings", url.Values{"seats": {"0"}, "enabled": {"on"}}).redirects(t, "enable", nav)
		w.ada.get("/app/clients?enabled=false").lacks(t, "enabled again", "Navy Client")
	})
}
