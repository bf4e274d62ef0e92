package api_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/schedule"
	"github.com/liaison-dev/liaison/internal/testkit"
)

type reportMail struct {
	ID   string `db:"id"`
	To   string `db:"to_addr"`
	Subj string `db:"subject"`
	Text string `db:"text_body"`
	From string `db:"from_name"`
	PDFs int    `db:"pdfs"`
}

func reportMails(t *testing.T, s *testkit.Server) []reportMail {
	t.Helper()
	var out []reportMail
	if err := s.DB.Select(context.Background(), &out, `SELECT o.id, o.to_addr, o.subject, o.text_body, o.from_name,
		(SELECT COUNT(*) FROM mail_attachments a WHERE a.mail_id = o.id AND a.content_type = 'application/pdf') AS pdfs
		FROM mail_outbox o WHERE o.template = 'scheduled_report' ORDER BY o.created_at, o.to_addr`); err != nil {
		t.Fatal(err)
	}
	return out
}

// nextDSTChange is the first day, at least a week after from, on which
// Berlin's UTC offset differs from the day before (computed from the real
// calendar, never written).
func nextDSTChange(t *testing.T, from time.Time, loc *time.Location) time.Time {
	t.Helper()
	day := time.Date(from.Year(), from.Month(), from.Day()+8, 12, 0, 0, 0, loc)
	for i := 0; i < 400; i++ {
		_, before := day.AddDate(0, 0, -1).Zone()
		if _, off := day.Zone(); off != before {
			return day
		}
		day = day.AddDate(0, 0, 1)
	}
	t.Fatal("no daylight-saving change in Berlin within 400 days")
	return time.Time{}
}

// A weekly schedule at 08:00 Europe/Berlin fires at 08:00 Berlin time on
// both sides of a daylight-saving change, once per occurrence with two
// processes running the job; each recipient gets one e-mail in the
// agency's brand, the PDF attached when they may export, else the link;
// the link records its opening; a recipient who lost access is skipped and
// the skip recorded; client users and members never see schedules or
// deliveries.
func TestScheduledReportEmails(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		ctx := context.Background()
		w := newDataWorld(t, e)
		s := w.s
		berlin, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		w.admin = w.admin.Token(t) // the clock moves months on: sessions would expire
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.agency+"/settings", map[string]any{"timezone": "Europe/Berlin"})
		w.admin.Must(t, 200, "PUT", "/api/v1/agencies/"+w.agency+"/portal", map[string]any{"portal_name": "Acme Insights", "hide_liaison_branding": true})
		_, cmemID, _ := s.Signup(t, "Cat Member", "cat@client.example", "Cat Own", "client")
		s.AddMember(t, w.clientID, cmemID, "member")
		var moID, cyID string
		if err := s.DB.Get(ctx, &moID, `SELECT id FROM users WHERE email = 'mo@agency.example'`); err != nil {
			t.Fatal(err)
		}
		if err := s.DB.Get(ctx, &cyID, `SELECT id FROM users WHERE email = 'cy@client.example'`); err != nil {
			t.Fatal(err)
		}
		var otherID string
		if err := s.DB.Get(ctx, &otherID, `SELECT id FROM users WHERE email = 'oz@other.example'`); err != nil {
			t.Fatal(err)
		}
		rep := w.member.Must(t, 201, "POST", "/api/v1/brands/"+w.brand+"/reports", map[string]any{"title": "Weekly traffic",
			"default_range": "last_7_days", "widgets": sampleWidgets}).Body["id"].(string)
		base := "/api/v1/reports/" + rep + "/schedules"
		recipients := []map[string]any{{"kind": "user", "user_id": cyID}, {"kind": "client_admins", "client_id": w.clientID},
			{"kind": "user", "user_id": cmemID}, {"kind": "user", "user_id": moID}}

		// Who may: admins and account managers; a member is refused, a
		// client user finds nothing.
		w.member.Must(t, 403, "POST", base, map[string]any{"frequency": "weekly", "weekday": "monday", "recipients": recipients})
		w.clientUser.Must(t, 404, "GET", base, nil)
		// Bad input, each a clear 400 naming its field, nothing written.
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"frequency": "monthly", "day": 31, "recipients": recipients}, "day"},
			{map[string]any{"frequency": "monthly", "day": "30", "recipients": recipients}, "day"},
			{map[string]any{"frequency": "monthly", "day": 0, "recipients": recipients}, "day"},
			{map[string]any{"frequency": "weekly", "recipients": recipients}, "weekday"},
			{map[string]any{"frequency": "weekly", "weekday": "someday", "recipients": recipients}, "weekday"},
			{map[string]any{"frequency": "daily", "recipients": recipients}, "frequency"},
			{map[string]any{"frequency": "weekly", "weekday": "monday", "hour": 24, "recipients": recipients}, "hour"},
			{map[string]any{"frequency": "weekly", "weekday": "monday"}, "recipients"},
			{map[string]any{"frequency": "weekly", "weekday": "monday", "recipients": []map[string]any{{"kind": "user", "user_id": otherID}}}, "recipients[0]"},
		} {
			r := w.admin.Do(t, "POST", base, c.body)
			if r.Status != 400 || !strings.Contains(string(r.Raw), `"field":"`+c.field+`"`) {
				t.Errorf("%v: %d %s, want 400 on %s", c.body, r.Status, r.Raw, c.field)
			}
		}
		if r := w.admin.Do(t, "POST", base, map[string]any{"frequency": "monthly", "day": 31, "recipients": recipients}); !strings.Contains(string(r.Raw), "last") {
			t.Errorf("day 31 does not point to last: %s", r.Raw)
		}
		var n int
		if err := s.DB.Get(ctx, &n, `SELECT COUNT(*) FROM report_schedules`); err != nil || n != 0 {
			t.Fatalf("refused schedules written: %d %v", n, err)
		}
		monthly := w.admin.Must(t, 201, "POST", base, map[string]any{"frequency": "monthly", "day": "last", "hour": 18, "recipients": recipients[:1]})
		if monthly.Body["day"] != "last" || monthly.Body["timezone"] != "Europe/Berlin" {
			t.Fatalf("monthly: %s", monthly.Raw)
		}
		w.admin.Must(t, 204, "DELETE", "/api/v1/schedules/"+monthly.Body["id"].(string), nil)

		sch := w.admin.Must(t, 201, "POST", base, map[string]any{"frequency": "weekly", "weekday": "monday", "hour": 8, "recipients": recipients})
		sid := sch.Body["id"].(string)
		if rs := sch.Body["recipients"].([]any); len(rs) != 4 || rs[0].(map[string]any)["email"] != "cy@client.example" {
			t.Fatalf("recipients: %s", sch.Raw)
		}
		w.clientUser.Must(t, 404, "GET", "/api/v1/schedules/"+sid+"/deliveries", nil)
		w.clientUser.Must(t, 404, "PATCH", "/api/v1/schedules/"+sid, map[string]any{"hour": 9})
		w.member.Must(t, 403, "GET", "/api/v1/schedules/"+sid+"/deliveries", nil)

		// The Mondays on either side of Berlin's next daylight-saving change.
		change := nextDSTChange(t, s.Clock.Now(), berlin)
		before := time.Date(change.Year(), change.Month(), change.Day(), 8, 0, 0, 0, berlin)
		for before.Weekday() != time.Monday || !before.Before(change) {
			before = time.Date(before.Year(), before.Month(), before.Day()-1, 8, 0, 0, 0, berlin)
		}
		after := time.Date(before.Year(), before.Month(), before.Day()+7, 8, 0, 0, 0, berlin)
		if before.UTC().Hour() == after.UTC().Hour() {
			t.Fatalf("%v and %v: no offset change between them", before, after)
		}
		other := schedule.New(s.DB, authz.New(s.DB), s.App.Reports, s.App.Branding, s.Mailer, s.Clock.Now, s.URL, s.Log)
		run := func(svcs ...*schedule.Service) int {
			t.Helper()
			var wg sync.WaitGroup
			counts := make([]int, len(svcs))
			for i, svc := range svcs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := svc.Run(ctx)
					if err != nil {
						t.Error(err)
					}
					counts[i] = n
				}()
			}
			wg.Wait()
			total := 0
			for _, c := range counts {
				total += c
			}
			return total
		}

		// Client Co may not export: its users get the link, Mo (agency) the PDF.
		w.admin.Must(t, 200, "PATCH", "/api/v1/agencies/"+w.agency+"/clients/"+w.clientID, map[string]any{"permissions": map[string]any{"can_export": false}})
		s.Clock.Set(before.Add(-time.Minute))
		if got := run(s.App.Schedules); got != 0 {
			t.Fatalf("07:59 Berlin: %d runs", got)
		}
		s.Clock.Set(before)
		if got := run(s.App.Schedules, other); got != 1 {
			t.Fatalf("08:00 Berlin before the change, two processes: %d runs", got)
		}
		if got := run(s.App.Schedules, other); got != 0 {
			t.Fatalf("a second run: %d", got)
		}
		mails := reportMails(t, s)
		if len(mails) != 3 {
			t.Fatalf("first occurrence: %d e-mails: %+v", len(mails), mails)
		}
		byTo := map[string]reportMail{}
		for _, m := range mails {
			byTo[m.To] = m
			if !strings.Contains(m.Subj, "Weekly traffic") || !strings.Contains(m.Text, "/r/") || m.From != "Acme Insights" ||
				strings.Contains(m.Subj+m.Text+m.From, "Liaison") {
				t.Errorf("e-mail to %s: %q from %q\n%s", m.To, m.Subj, m.From, m.Text)
			}
		}
		if byTo["mo@agency.example"].PDFs != 1 || byTo["cy@client.example"].PDFs != 0 || byTo["cat@client.example"].PDFs != 0 {
			t.Fatalf("attachments: %+v", byTo)
		}
		if !strings.Contains(byTo["mo@agency.example"].Text, "attached as a PDF") || strings.Contains(byTo["cy@client.example"].Text, "attached") {
			t.Errorf("wording: %q / %q", byTo["mo@agency.example"].Text, byTo["cy@client.example"].Text)
		}
		var pdf []byte
		if err := s.DB.Get(ctx, &pdf, `SELECT b.data FROM mail_attachments a JOIN mail_blobs b ON b.hash = a.blob_hash WHERE a.mail_id = ?`,
			byTo["mo@agency.example"].ID); err != nil || !strings.HasPrefix(string(pdf), "%PDF") {
			t.Fatalf("pdf: %v %.10q", err, pdf)
		}

		// Cy follows the link: logged in, it goes to the report and counts.
		link := regexp.MustCompile(`/r/[a-z0-9]+`).FindString(byTo["cy@client.example"].Text)
		anon := s.NewClient()
		anon.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		if r := anon.Do(t, "GET", link, nil); r.Status != 303 && r.Status != 302 {
			t.Fatalf("link logged out: %d", r.Status)
		}
		cy := s.Login(t, "cy@client.example", testkit.Password)
		cy.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := cy.HTTP.Get(s.URL + link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); !strings.HasSuffix(loc, "/app/reports/"+rep) {
			t.Fatalf("link goes to %q (%d)", loc, resp.StatusCode)
		}

		// Client Co loses the brand before the next Monday: its users are
		// skipped, and the skip is recorded.
		w.admin.Must(t, 204, "DELETE", "/api/v1/agencies/"+w.agency+"/clients/"+w.clientID+"/brands/"+w.brand, nil)
		s.Clock.Set(after.Add(-time.Minute))
		if got := run(s.App.Schedules); got != 0 {
			t.Fatalf("07:59 Berlin after the change: %d runs", got)
		}
		s.Clock.Set(after)
		if got := run(other, s.App.Schedules); got != 1 {
			t.Fatalf("08:00 Berlin after the change: %d runs", got)
		}
		if mails := reportMails(t, s); len(mails) != 4 || mails[3].To != "mo@agency.example" {
			t.Fatalf("second occurrence: %+v", mails)
		}
		ds := w.admin.Must(t, 200, "GET", "/api/v1/schedules/"+sid+"/deliveries", nil).Body["deliveries"].([]any)
		if len(ds) != 6 {
			t.Fatalf("deliveries: %v", ds)
		}
		status := map[string]string{}
		for _, x := range ds {
			d := x.(map[string]any)
			status[d["occurrence"].(string)+" "+d["email"].(string)] = d["status"].(string) + "," + fmt.Sprint(d["reason"])
			if d["email"] == "cy@client.example" && d["occurrence"] == before.Format("2006-01-02T15:04") && d["opened_at"] == nil {
				t.Errorf("Cy's opening not recorded: %v", d)
			}
			if d["email"] == "cat@client.example" && d["opened_at"] != nil {
				t.Errorf("Cat never opened it: %v", d)
			}
		}
		a := after.Format("2006-01-02T15:04")
		if status[a+" cy@client.example"] != "skipped,no_access" || status[a+" cat@client.example"] != "skipped,no_access" ||
			!strings.HasPrefix(status[a+" mo@agency.example"], "queued") && !strings.HasPrefix(status[a+" mo@agency.example"], "sent") {
			t.Fatalf("second occurrence deliveries: %v", status)
		}
		if !strings.HasSuffix(a, "T08:00") || !strings.HasSuffix(before.Format("2006-01-02T15:04"), "T08:00") {
			t.Fatalf("occurrences %s, %s", before, a)
		}
		var actions []string
		if err := s.DB.Select(ctx, &actions, `SELECT action FROM audit_events WHERE action LIKE 'report_schedule.%' ORDER BY seq`); err != nil {
			t.Fatal(err)
		}
		if strings.Join(actions, " ") != "report_schedule.create report_schedule.delete report_schedule.create report_schedule.send report_schedule.send" {
			t.Fatalf("audit: %v", actions)
		}
	})
}
