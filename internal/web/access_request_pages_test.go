package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// The end date of a link from both sides' links pages (issue 21): the
// client sets it, sees it as its own and extends it; the agency sees who
// set it and cannot extend it.
func TestLinkEndPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s, ada, grace := w.s, w.ada, w.grace
		lid := s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID})
		grace.get("/app/agencies").expect(t, "client's links", 200, "No end date", `action="/app/links/`+lid+`/end"`)
		day := s.Now().AddDate(0, 0, 10).Format(time.DateOnly)
		grace.post("/app/links/"+lid+"/end", url.Values{"ends_on": {day}}).redirects(t, "set end", "/app/agencies")
		a := grace.get("/app/agencies")
		a.expect(t, "end set", 200, "End date saved", "(set by you)", "Extend 30 days")
		a = ada.get("/app/links")
		a.expect(t, "agency's view", 200, "(set by the client)", "Change end")
		a.lacks(t, "agency's view", "/end/extend")
		ada.post("/app/links/"+lid+"/end/extend", nil).redirects(t, "agency extends", "/app/links#end-"+lid)
		ada.get("/app/links").expect(t, "refused extend", 200, "The other side set this end date", `aria-invalid="true"`)
		grace.post("/app/links/"+lid+"/end/extend", nil).redirects(t, "client extends", "/app/agencies")
		grace.get("/app/agencies").expect(t, "extended", 200, "Extended by 30 days")
		grace.post("/app/links/"+lid+"/end", url.Values{"ends_on": {"soon"}}).redirects(t, "bad date", "/app/agencies#end-"+lid)
		grace.get("/app/agencies").expect(t, "bad date shown", 200, "Choose a date", `id="ends-`+lid+`-error"`)
	})
}

// An agency member asks for access from the page, with the same notice
// whether or not the client exists; the admin opens the request from the
// e-mail's link (sign-in required) and approves it until a date.
func TestAccessRequestPages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s, ada := w.s, w.ada
		s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID})
		_, moID, _ := s.Signup(t, "Mo Member", "mo@agency.example", "Mo's own", "client")
		s.AddMember(t, w.agencyID, moID, "member")
		mo := loginAs(t, s, "mo@agency.example", testkit.Password)
		mo.post("/app/switch", url.Values{"account_id": {w.agencyID}}).redirects(t, "switch", "/app")
		mo.get("/app/access-requests").expect(t, "empty", 200, "Ask for access", "No access requests yet.", `aria-current="page"`)
		mo.post("/app/access-requests", url.Values{"client": {w.clientID}}).expect(t, "no reason", 400, `id="f-reason-error"`, `value="`+w.clientID+`"`)
		var notices []string
		for _, client := range []string{"acc_nosuchclient", w.clientID} {
			mo.post("/app/access-requests", url.Values{"client": {client}, "reason": {"Covering for Ann"}}).redirects(t, "ask", "/app/access-requests")
			a := mo.get("/app/access-requests")
			i := strings.Index(a.body, "Request sent.")
			if i < 0 {
				t.Fatalf("no notice:\n%s", a.body)
			}
			notices = append(notices, a.body[i:i+120])
		}
		if notices[0] != notices[1] {
			t.Fatalf("notices differ: %q / %q", notices[0], notices[1])
		}
		mo.get("/app/access-requests").lacks(t, "requester's list", "Navy Client")
		link := s.MailLink(t, "access_request", adminEmail, "/app/access-requests/")
		path := strings.TrimPrefix(link, s.URL)
		newVisitor(t, s).get(path).redirects(t, "signed out", "/login?next="+url.QueryEscape(path))
		w.grace.get(path).expect(t, "client admin", 404)
		a := ada.get(path)
		a.expect(t, "review", 200, "Navy Client", "Covering for Ann", "Approve", "Decline", `type="date"`)
		day := s.Now().AddDate(0, 0, 30).Format(time.DateOnly)
		ada.post(path+"/approve", url.Values{"ends_on": {day}}).redirects(t, "approve", path)
		ada.get(path).expect(t, "approved", 200, "Approved.", "approved, until")
		mo.get("/app/clients/"+w.clientID).expect(t, "now sees the client", 200, "Navy Client")
		mo.get(path).lacks(t, "requester's view", "Approve</button>")
		// The Access tab shows Mo's end date, set by the agency, which
		// extends it with one click, and sets one on the link.
		cp := "/app/clients/" + w.clientID
		a = ada.get(cp)
		a.expect(t, "access tab", 200, "End dates", "Mo Member", "(set by you)", "Extend 30 days", "The link with Navy Client", `id="end-link"`)
		ada.post(cp+"/access/end", url.Values{"subject": {"user"}, "subject_id": {moID}, "extend": {"1"}}).redirects(t, "extend", cp+"#access")
		ada.get(cp).expect(t, "extended", 200, "Extended by 30 days.")
		ada.post(cp+"/access/end", url.Values{"subject": {"link"}, "ends_on": {day}}).redirects(t, "link end", cp+"#access")
		ada.get(cp).expect(t, "link end", 200, "End date saved")
		ada.post(cp+"/access/end", url.Values{"subject": {"user"}, "subject_id": {moID}, "ends_on": {"soon"}}).redirects(t, "bad date", cp+"#end-user-"+moID)
		ada.get(cp).expect(t, "bad date beside its row", 200, `id="f-end-user-`+moID+`-error"`, "Choose a date")
		w.grace.get("/app/agencies").expect(t, "client sees the agency's end", 200, "(set by the agency)")
	})
}
