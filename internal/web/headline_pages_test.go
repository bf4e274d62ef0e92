package web_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Headline metrics on the pages: the setting on the Settings page (errors
// beside the field, nothing saved), and a column per metric on the client
// list with each client's value this month.
func TestHeadlineMetricsPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		w.s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID, AccessAll: true})
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond) // the agency's time zone is UTC
		if _, err := w.s.DB.Exec(ctx, `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`, w.clientID, w.nike, now); err != nil {
			t.Fatal(err)
		}
		if err := testkit.InsertPoint(ctx, w.s.DB, w.nike, "sessions", "", now, 1234.5); err != nil {
			t.Fatal(err)
		}
		form := url.Values{"at_risk_days": {"14"}, "churn_days": {"45"}, "client_invite_ttl_days": {"14"},
			"team_invite_ttl_days": {"7"}, "impersonation_idle_minutes": {"15"}, "notify_client_on_impersonation": {"on"}}
		form.Set("headline_metrics", "sessions, Revenue")
		w.ada.post("/app/settings", form).expect(t, "a bad name", 400, `id="f-headline_metrics-error"`, "is not a metric name", `value="sessions, Revenue"`)
		w.ada.get("/app/clients").lacks(t, "nothing saved", ">sessions</th>")
		form.Set("headline_metrics", "sessions, revenue")
		w.ada.post("/app/settings", form).redirects(t, "saved", "/app/settings")
		w.ada.get("/app/settings").expect(t, "the setting shown", 200, `value="sessions, revenue"`)
		w.ada.get("/app/clients").expect(t, "the columns", 200, ">sessions</th>", ">revenue</th>", ">1,234.5</span>", ">—</span>")
	})
}
