package api_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func TestAuditTrailAPI(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		c, uid, acc := s.Signup(t, "Max", "max@example.com", "Max Agency", "agency")
		_, _, other := s.Signup(t, "Ned", "ned@example.com", "Ned Agency", "agency")
		r := c.Must(t, 200, "GET", "/api/v1/accounts/"+acc+"/audit", nil)
		evs := r.Body["events"].([]any)
		if len(evs) != 1 {
			t.Fatalf("want the account.create event only (not the other agency's), got %s", r.Raw)
		}
		ev := evs[0].(map[string]any)
		if ev["action"] != "account.create" || ev["account_id"] != acc || ev["actor_id"] != uid || ev["impersonator_id"] != nil ||
			ev["ip"] != "127.0.0.1" || ev["after"].(map[string]any)["name"] != "Max Agency" {
			t.Fatalf("event: %s", r.Raw)
		}
		if _, err := time.Parse(time.RFC3339, ev["at"].(string)); err != nil {
			t.Fatalf("at not RFC 3339: %v", ev["at"])
		}
		if r := c.Do(t, "GET", "/api/v1/accounts/"+other+"/audit", nil); r.Status != 404 {
			t.Fatalf("another agency's audit: %d", r.Status)
		}
		q := url.Values{"action": {"nothing.such"}}
		if n := len(c.Must(t, 200, "GET", "/api/v1/accounts/"+acc+"/audit?"+q.Encode(), nil).Body["events"].([]any)); n != 0 {
			t.Fatalf("action filter: %d events", n)
		}
		q = url.Values{"action": {"account."}, "actor": {uid}, "since": {time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}}
		if n := len(c.Must(t, 200, "GET", "/api/v1/accounts/"+acc+"/audit?"+q.Encode(), nil).Body["events"].([]any)); n != 1 {
			t.Fatalf("prefix+actor+since filter: %d events", n)
		}
		if r := c.Do(t, "GET", "/api/v1/accounts/"+acc+"/audit?cursor=not-a-cursor!", nil); r.Status != 400 {
			t.Fatalf("bad cursor: %d %s", r.Status, r.Raw)
		}
		if r := c.Do(t, "GET", "/api/v1/accounts/"+acc+"/audit?since=yesterday", nil); r.Status != 400 {
			t.Fatalf("bad since: %d %s", r.Status, r.Raw)
		}
	})
}
