package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Editing a schedule on its report's page (issue 17): the edit form shows
// the schedule as it is, the same fields as the create form; a change is
// saved and audited; a refused one says why beside its field and changes
// nothing; a schedule of another report or another agency is not found
// there (nor deleted), and a client user finds no edit at all.
func TestScheduleEditPage(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w, rid := reportWorld(t, e)
		s := w.s
		ctx := context.Background()
		page := "/app/reports/" + rid
		w.ada.post(page+"/schedules", url.Values{"frequency": {"weekly"}, "weekday": {"friday"}, "hour": {"9"},
			"recipients": {"admins:" + w.clientID, "user:" + w.adaID}}).redirects(t, "add schedule", page+"#schedules")
		var sid string
		if err := s.DB.Get(ctx, &sid, `SELECT id FROM report_schedules WHERE report_id = ?`, rid); err != nil {
			t.Fatal(err)
		}
		edit := page + "/schedules/" + sid
		w.ada.get(page).expect(t, "edit link", 200, `href="`+edit+`"`, "Edit schedule")

		// The form is the schedule as it is.
		a := w.ada.get(edit)
		a.expect(t, "edit form", 200, "Edit schedule", "every Friday at 09:00 (UTC)", `action="`+edit+`"`, "Save schedule")
		for _, re := range []string{`value="weekly" checked`, `<option value="friday" selected>`, `<option value="9" selected>`,
			`value="admins:` + w.clientID + `" checked`, `value="user:` + w.adaID + `" checked`} {
			if !regexp.MustCompile(re).MatchString(a.body) {
				t.Fatalf("edit form lacks %s:\n%s", re, a.body)
			}
		}
		if regexp.MustCompile(`value="user:` + w.graceID + `" checked`).MatchString(a.body) {
			t.Fatal("a recipient the schedule does not have is ticked")
		}

		// Refused edits: the error beside its field, the form as posted,
		// nothing changed and nothing audited.
		type state struct {
			Frequency  string  `db:"frequency"`
			Weekday    int     `db:"weekday"`   // -1: none
			MonthDay   int     `db:"month_day"` // -1: none, 0: the last day
			Hour       int     `db:"hour"`
			Recipients string  `db:"recipients"`
			UpdatedAt  db.Time `db:"updated_at"`
		}
		read := func() state {
			t.Helper()
			var st state
			if err := s.DB.Get(ctx, &st, `SELECT frequency, COALESCE(weekday, -1) AS weekday,
				COALESCE(month_day, -1) AS month_day, hour, recipients, updated_at FROM report_schedules WHERE id = ?`, sid); err != nil {
				t.Fatal(err)
			}
			return st
		}
		audited := func() int {
			return count(t, s, `SELECT COUNT(*) FROM audit_events WHERE action = 'report_schedule.update' AND target_id = ?`, sid)
		}
		before := read()
		a = w.ada.post(edit, url.Values{"frequency": {"monthly"}, "day": {"31"}, "hour": {"7"}, "recipients": {"user:" + w.graceID}})
		a.expect(t, "day 31", 400, "does not exist in every month", `id="f-day-error"`, `aria-describedby="f-day-error"`)
		for _, re := range []string{`value="monthly" checked`, `<option value="7" selected>`, `value="user:` + w.graceID + `" checked`} {
			if !regexp.MustCompile(re).MatchString(a.body) {
				t.Fatalf("the refused form lacks %s:\n%s", re, a.body)
			}
		}
		w.ada.post(edit, url.Values{"frequency": {"weekly"}, "weekday": {"monday"}, "hour": {"9"}}).
			expect(t, "no recipients", 400, "Choose at least one recipient", `id="f-recipients-error"`)
		w.ada.post(edit, url.Values{"frequency": {"weekly"}, "weekday": {"monday"}, "hour": {"noon"}, "recipients": {"user:" + w.adaID}}).
			expect(t, "hour not a number", 400, "Choose an hour from 0 to 23", `id="f-hour-error"`)
		w.ada.post(edit, url.Values{"frequency": {"weekly"}, "weekday": {"monday"}, "hour": {"9"}, "recipients": {"user:usr_nobody"}}).
			expect(t, "a stranger", 400, "not a user of your agency", `id="f-recipients-error"`)
		if after := read(); after != before {
			t.Fatalf("refused edits changed the schedule: %+v, was %+v", after, before)
		}
		if n := audited(); n != 0 {
			t.Fatalf("%d updates audited after refused edits", n)
		}

		// Saved: monthly on the last day at 07:00, to Grace only.
		w.ada.post(edit, url.Values{"frequency": {"monthly"}, "weekday": {"friday"}, "day": {"last"}, "hour": {"7"}, "recipients": {"user:" + w.graceID}}).
			redirects(t, "edit schedule", page+"#sch-"+sid)
		w.ada.get(page).expect(t, "edited", 200, "Schedule saved", "on the last day of every month at 07:00 (UTC)", "Grace Hopper")
		after := read()
		if after.Frequency != "monthly" || after.MonthDay != 0 || after.Weekday != -1 || after.Hour != 7 ||
			!strings.Contains(after.Recipients, w.graceID) || strings.Contains(after.Recipients, w.adaID) {
			t.Fatalf("after the edit: %+v", after)
		}
		if n := audited(); n != 1 {
			t.Fatalf("%d updates audited, want 1", n)
		}
		var by string
		if err := s.DB.Get(ctx, &by, `SELECT actor_id FROM audit_events WHERE action = 'report_schedule.update' AND target_id = ?`, sid); err != nil || by != w.adaID {
			t.Fatalf("audited by %q, want Ada: %v", by, err)
		}

		// Another report's schedule, on the same brand, is not found under
		// this report; another agency's is not found under either.
		b := w.ada.post("/app/brands/"+w.nike+"/reports", url.Values{"title": {"Other"}, "default_range": {"last_30_days"}, "comparison": {"previous_period"}})
		other := strings.TrimSuffix(strings.TrimPrefix(b.header.Get("Location"), "/app/reports/"), "/edit")
		w.ada.post("/app/reports/"+other+"/schedules", url.Values{"frequency": {"weekly"}, "weekday": {"monday"}, "hour": {"8"},
			"recipients": {"user:" + w.adaID}}).redirects(t, "other report's schedule", "/app/reports/"+other+"#schedules")
		var otherSID string
		if err := s.DB.Get(ctx, &otherSID, `SELECT id FROM report_schedules WHERE report_id = ?`, other); err != nil {
			t.Fatal(err)
		}
		w.ada.get(page+"/schedules/"+otherSID).expect(t, "another report's schedule", 404)
		w.ada.post(page+"/schedules/"+otherSID, url.Values{"frequency": {"weekly"}, "weekday": {"sunday"}, "hour": {"1"},
			"recipients": {"user:" + w.adaID}}).expect(t, "edit another report's schedule", 404)
		w.ada.post(page+"/schedules/"+otherSID+"/delete", url.Values{}).expect(t, "delete another report's schedule", 404)
		if n := count(t, s, `SELECT COUNT(*) FROM report_schedules WHERE id = ?`, otherSID); n != 1 {
			t.Fatal("another report's schedule was deleted through this report's page")
		}
		bc, bAdmin, agencyB := s.Signup(t, "Bea Other", "bea@other.example", "Other Agency", "agency")
		brandB := s.AddBrand(t, agencyB, "Puma")
		repB := bc.Must(t, 201, "POST", "/api/v1/brands/"+brandB+"/reports", map[string]any{"title": "B's"}).Body["id"].(string)
		schB := bc.Must(t, 201, "POST", "/api/v1/reports/"+repB+"/schedules", map[string]any{"frequency": "weekly", "weekday": "monday",
			"hour": 8, "recipients": []map[string]any{{"kind": "user", "user_id": bAdmin}}}).Body["id"].(string)
		w.ada.get(page+"/schedules/"+schB).expect(t, "another agency's schedule", 404)
		w.ada.post(page+"/schedules/"+schB, url.Values{"frequency": {"weekly"}, "weekday": {"sunday"}, "hour": {"1"},
			"recipients": {"user:" + w.adaID}}).expect(t, "edit another agency's schedule", 404)
		w.ada.get("/app/reports/"+repB+"/schedules/"+schB).expect(t, "another agency's report", 404)
		var hour int
		if err := s.DB.Get(ctx, &hour, `SELECT hour FROM report_schedules WHERE id = ?`, schB); err != nil || hour != 8 {
			t.Fatalf("another agency's schedule: hour %d %v", hour, err)
		}

		// A client user of the report finds no edit.
		g := w.grace.get(page)
		g.expect(t, "client: report", 200)
		if strings.Contains(g.body, "/schedules/") {
			t.Fatal("a client user sees a schedule's edit link")
		}
		w.grace.get(edit).expect(t, "client: edit form", 404)
		w.grace.post(edit, url.Values{"frequency": {"weekly"}, "weekday": {"sunday"}, "hour": {"1"}, "recipients": {"user:" + w.graceID}}).
			expect(t, "client: edit", 404)
		if n := audited(); n != 1 {
			t.Fatalf("%d updates audited after the refused posts, want 1", n)
		}
	})
}
