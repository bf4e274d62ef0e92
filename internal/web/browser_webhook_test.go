package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
)

// TestBrowserWebhookPages: Settings → Webhooks in a browser (axe runs on
// every visit): the list, and an endpoint's page with a delivery.
func TestBrowserWebhookPages(t *testing.T) {
	w := newAgencyWorld(t, db.SQLite)
	a := w.ada.post("/app/settings/webhooks", url.Values{"url": {"https://hooks.example.invalid/x"}, "events": {"invitation.sent"}})
	id := regexp.MustCompile(`href="/app/settings/webhooks/(whk_[a-z0-9]+)"`).FindStringSubmatch(a.body)
	if id == nil {
		t.Fatalf("created: %d", a.status)
	}
	w.ada.post("/app/members/invitations", url.Values{"invite_email": {"new@example.com"}, "invite_role": {"member"}})
	b := newTab(t, w.s.URL)
	b.login(adminEmail, adminPass)
	b.visit("/app/settings", 200)
	b.visit("/app/settings/webhooks", 200)
	b.visit("/app/settings/webhooks/"+id[1], 200)
	if s := b.text("main"); !strings.Contains(s, "invitation.sent") || !strings.Contains(s, "Resend") {
		t.Fatalf("endpoint page: %q", s)
	}
}
