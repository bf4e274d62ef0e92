package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Scheduled e-mails follow report sharing and per-client branding (issue
// 17 × issue 24): a report shared with a client's Finance group reaches
// Finance and the client's admin, skips the member outside it (the skip
// recorded), and the client's recipients get it — e-mail and attached PDF —
// under the client's own portal name while the agency's user gets the
// agency's.
func TestScheduledReportsFollowSharingAndClientBranding(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		ctx := context.Background()
		w := newDataWorld(t, e)
		s := w.s
		w.admin = w.admin.Token(t) // the clock moves on: sessions would expire
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.agency+"/portal", map[string]any{"portal_name": "Acme Insights"})
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.agency+"/clients/"+w.clientID+"/branding", map[string]any{"portal_name": "Client Co Hub"})
		_, finID, _ := s.Signup(t, "Fi Nance", "fi@client.example", "Fi Own", "client")
		s.AddMember(t, w.clientID, finID, "member")
		_, mktID, _ := s.Signup(t, "Mark Eting", "mark@client.example", "Mark Own", "client")
		s.AddMember(t, w.clientID, mktID, "member")
		var cyID, moID string
		if err := s.DB.Get(ctx, &cyID, `SELECT id FROM users WHERE email = 'cy@client.example'`); err != nil {
			t.Fatal(err)
		}
		if err := s.DB.Get(ctx, &moID, `SELECT id FROM users WHERE email = 'mo@agency.example'`); err != nil {
			t.Fatal(err)
		}
		gid := w.admin.Must(t, 201, "POST", "/api/v1/accounts/"+w.clientID+"/groups", map[string]any{"name": "Finance"}).Body["id"].(string)
		w.admin.Must(t, 200, "PUT", "/api/v1/accounts/"+w.clientID+"/groups/"+gid+"/members", map[string]any{"user_ids": []string{finID}})
		rep := w.member.Must(t, 201, "POST", "/api/v1/brands/"+w.brand+"/reports", map[string]any{"title": "Revenue"}).Body["id"].(string)
		w.admin.Must(t, 200, "PUT", "/api/v1/reports/"+rep+"/sharing",
			map[string]any{"clients": []map[string]any{{"client_id": w.clientID, "all": false, "group_ids": []string{gid}}}})
		var recipients []map[string]any
		for _, id := range []string{cyID, finID, mktID, moID} {
			recipients = append(recipients, map[string]any{"kind": "user", "user_id": id})
		}
		now := s.Clock.Now()
		hour := now.Add(time.Hour).Hour()
		sch := w.admin.Must(t, 201, "POST", "/api/v1/reports/"+rep+"/schedules", map[string]any{"frequency": "weekly",
			"weekday": strings.ToLower(now.Add(time.Hour).Weekday().String()), "hour": hour, "recipients": recipients}).Body["id"].(string)
		s.Clock.Set(time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), 0, 0, 0, time.UTC).Add(time.Hour + time.Minute))
		if n, err := s.App.Schedules.Run(ctx); err != nil || n != 1 {
			t.Fatalf("run: %d %v", n, err)
		}
		from := map[string]string{}
		for _, m := range reportMails(t, s) {
			from[m.To] = m.From
		}
		want := map[string]string{"cy@client.example": "Client Co Hub", "fi@client.example": "Client Co Hub", "mo@agency.example": "Acme Insights"}
		if len(from) != len(want) {
			t.Fatalf("e-mails to %v, want %v", from, want)
		}
		for to, name := range want {
			if from[to] != name {
				t.Errorf("e-mail to %s from %q, want %q", to, from[to], name)
			}
		}
		// The attached PDF wears the recipient's branding too: the client's
		// portal name for the client's users, the agency's for the agency's;
		// one PDF per branding, not one per recipient.
		blobs := map[string]bool{}
		for _, m := range reportMails(t, s) {
			var pdf []byte
			if err := s.DB.Get(ctx, &pdf, `SELECT b.data FROM mail_attachments a JOIN mail_blobs b ON b.hash = a.blob_hash
				WHERE a.mail_id = ? AND a.content_type = 'application/pdf'`, m.ID); err != nil {
				t.Fatalf("pdf to %s: %v", m.To, err)
			}
			blobs[string(pdf)] = true
			text := pdfText(t, pdf)
			other := map[string]string{"Client Co Hub": "Acme Insights", "Acme Insights": "Client Co Hub"}[want[m.To]]
			if !strings.Contains(text, want[m.To]) || strings.Contains(text, other) {
				t.Errorf("pdf to %s names %q? %v; names %q? %v\n%s", m.To, want[m.To], strings.Contains(text, want[m.To]),
					other, strings.Contains(text, other), text)
			}
		}
		if len(blobs) != 2 {
			t.Errorf("%d distinct PDFs, want 2 (the agency's and the client's)", len(blobs))
		}
		var skipped int
		if err := s.DB.Get(ctx, &skipped, `SELECT COUNT(*) FROM report_deliveries d JOIN users u ON u.id = d.user_id
			WHERE d.schedule_id = ? AND u.email = 'mark@client.example' AND d.status = 'skipped'`, sch); err != nil {
			t.Fatal(err)
		}
		if skipped != 1 {
			t.Fatalf("the member outside Finance: %d skipped deliveries, want 1", skipped)
		}
	})
}
