package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// outboxLink returns the invitation link of the newest invitation e-mail to
// an address, from the outbox.
func outboxLink(t *testing.T, s *testkit.Server, to string) string {
	t.Helper()
	return s.MailLink(t, "invitation", to, "/invite/")
}

// TestInvitePages walks the invitation pages without a browser: Invite
// Client by e-mail and by link, the landing page's three modes, sign-up
// with a field error, staff and team invitations, resend and cancel.
func TestInvitePages(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newAgencyWorld(t, e)
		s := w.s
		w.ada.get("/app/invitations").expect(t, "invitations page", 200, "Invite client", "Nike", "Create link instead of sending e-mail")
		w.ada.get("/app/clients").expect(t, "client list", 200, `href="/app/invitations#invite-client"`)
		// A malformed address stays on the form, beside the field.
		w.ada.post("/app/invitations", url.Values{"email": {"nope"}}).expect(t, "bad e-mail", 400, `id="f-email-error"`)
		w.ada.post("/app/invitations", url.Values{"email": {"carla@client.example"}, "brand_ids": {w.nike},
			"message": {"See you soon"}}).redirects(t, "invite by e-mail", "/app/invitations")
		w.ada.get("/app/invitations").expect(t, "listed", 200, "Invitation sent to carla@client.example", "carla@client.example", "Resend", "Cancel")
		// The same address again as a new client: refused beside the
		// field, pointing at Resend; no second client.
		w.ada.post("/app/invitations", url.Values{"email": {"carla@client.example"}}).
			expect(t, "invited twice", 409, `id="f-email-error"`, "Resend it instead", "Resend")
		// A new client invited and cancelled goes with its invitation.
		w.ada.post("/app/invitations", url.Values{"email": {"gone@client.example"}, "client_name": {"Gone Co"}}).
			redirects(t, "invite to cancel", "/app/invitations")
		var goneInv string
		if err := s.DB.Get(t.Context(), &goneInv, `SELECT id FROM invitations WHERE email = 'gone@client.example'`); err != nil {
			t.Fatal(err)
		}
		w.ada.post("/app/invitations/"+goneInv+"/cancel", nil).redirects(t, "cancel the new client's invitation", "/app/invitations")
		w.ada.get("/app/invitations").expect(t, "client removed", 200, "“Gone Co”, the client created for it, which nobody joined, is removed too")
		w.ada.get("/app/clients").lacks(t, "client removed", "Gone Co")
		w.ada.get("/app/clients?status=pending").expect(t, "pending client", 200, "carla@client.example", "Pending",
			"Open invitations", "/app/invitations/inv_")

		link := outboxLink(t, s, "carla@client.example")
		token := link[strings.LastIndex(link, "/")+1:]
		anon := newVisitor(t, s)
		anon.get("/invite/"+token).expect(t, "landing", 200, "Join carla@client.example", "Analytical Agency", "See you soon", "Choose a password")
		anon.post("/invite/"+token, url.Values{"name": {"Carla"}, "password": {"short"}}).expect(t, "weak password", 400, `id="f-password-error"`)
		anon.post("/invite/"+token, url.Values{"name": {"Carla"}, "password": {testkit.Password}}).redirects(t, "sign up", "/app")
		home := anon.get("/app")
		home.expect(t, "portal", 200, "Welcome to carla@client.example", "Nike")
		home.lacks(t, "portal", "Adidas")
		newVisitor(t, s).get("/invite/"+token).expect(t, "used", 410, "already been accepted")
		newVisitor(t, s).get("/invite/nothing").expect(t, "unknown", 404, "not valid")

		// A link invitation for an address with a user: log in to accept.
		w.ada.post("/app/invitations", url.Values{"email": {w.graceEmail}, "delivery": {"link"}}).redirects(t, "link", "/app/invitations")
		page := w.ada.get("/app/invitations")
		page.expect(t, "link shown", 200, "shown only now", "New link")
		gl := page.find(t, "link", `value="(http[^"]+/invite/[^"]+)"`)
		gtok := gl[strings.LastIndex(gl, "/")+1:]
		if w.ada.get("/app/invitations").body == page.body {
			t.Fatal("the link was shown twice")
		}
		newVisitor(t, s).get("/invite/"+gtok).expect(t, "login mode", 200, "Log in to accept")
		w.ada.get("/invite/"+gtok).expect(t, "other user", 200, "but you are logged in as "+adminEmail)
		w.grace.get("/invite/"+gtok).expect(t, "accept mode", 200, "Accept the invitation")
		w.grace.post("/invite/"+gtok, nil).redirects(t, "accept", "/app")

		// Staff invitation on Members; team invitation on a client's page.
		w.ada.post("/app/members/invitations", url.Values{"invite_email": {"zed@example.com"}, "invite_role": {"viewer"}}).
			redirects(t, "staff", "/app/members#invitations")
		w.ada.post("/app/members/invitations", url.Values{"invite_email": {"zed@example.com"}, "invite_role": {"viewer"}}).
			expect(t, "staff again", 409, `id="f-invite_email-error"`, "open invitation")
		w.ada.get("/app/members").expect(t, "members", 200, "zed@example.com", "Send invitation")
		// Four so far: the cancelled one of Gone Co stays on record.
		clientID := count(t, s, `SELECT COUNT(*) FROM invitations`)
		if clientID != 4 {
			t.Fatalf("%d invitations", clientID)
		}
		var carlaClient string
		if err := s.DB.Get(t.Context(), &carlaClient, `SELECT account_id FROM invitations WHERE email = 'carla@client.example'`); err != nil {
			t.Fatal(err)
		}
		w.ada.post("/app/clients/"+carlaClient+"/invitations", url.Values{"invite_email": {"dan@client.example"}, "invite_role": {"member"}}).
			redirects(t, "team", "/app/clients/"+carlaClient+"#invitations")
		detail := w.ada.get("/app/clients/" + carlaClient)
		detail.expect(t, "detail", 200, "dan@client.example", "Resend")
		invID := detail.find(t, "invitation", `/app/invitations/(inv_[a-z2-7]+)/cancel`)
		w.ada.post("/app/invitations/"+invID+"/resend", url.Values{"back": {"/app/clients/" + carlaClient + "#invitations"}}).
			redirects(t, "resend", "/app/clients/"+carlaClient+"#invitations")
		w.ada.post("/app/invitations/"+invID+"/cancel", url.Values{"back": {"/app/clients/" + carlaClient}}).
			redirects(t, "cancel", "/app/clients/"+carlaClient)
		after := w.ada.get("/app/clients/" + carlaClient)
		after.expect(t, "after cancel", 200, "Invitation cancelled")
		after.lacks(t, "after cancel", "dan@client.example")
		// Grace (another client's admin) cannot touch Carla's invitations.
		w.grace.post("/app/invitations/"+invID+"/cancel", nil).expect(t, "stranger", 404, "Page not found")

		// The client's admin invites from the portal's Users page.
		anon.get("/app/users").expect(t, "users", 200, "Invite someone", "Send invitation")
		anon.post("/app/users/invitations", url.Values{"invite_email": {"eve@client.example"}, "invite_role": {"member"}}).
			redirects(t, "portal invite", "/app/users#invitations")
		anon.get("/app/users").expect(t, "users listed", 200, "eve@client.example")
	})
}

// TestInvitePagesAccess: the invitation pages offer their forms only to
// those who may use them, and the guard refuses the others (403, or 404
// for what they do not see), writing nothing.
func TestInvitePagesAccess(t *testing.T) {
	w := newAgencyWorld(t, db.SQLite)
	s, ada := w.s, w.ada
	s.AddLink(t, testkit.LinkFixture{AgencyID: w.agencyID, ClientID: w.clientID, AccessAll: true})
	_, vicID, _ := s.Signup(t, "Vic Viewer", "vic@example.com", "Vic's own", "client")
	s.AddMember(t, w.agencyID, vicID, "viewer")
	vic := loginAs(t, s, "vic@example.com", testkit.Password)
	vic.post("/app/switch", url.Values{"account_id": {w.agencyID}}).redirects(t, "switch", "/app")
	a := vic.get("/app/invitations")
	a.expect(t, "viewer's invitations", 200, "Invitations")
	a.lacks(t, "viewer's invitations", `action="/app/invitations"`)
	vic.post("/app/invitations", url.Values{"email": {"x@y.example"}}).expect(t, "viewer invites", 403, "Forbidden")
	vic.post("/app/members/invitations", url.Values{"invite_email": {"x@y.example"}, "invite_role": {"viewer"}}).expect(t, "viewer invites staff", 403)
	vic.post("/app/clients/"+w.clientID+"/invitations", url.Values{"invite_email": {"x@y.example"}, "invite_role": {"member"}}).
		expect(t, "viewer invites a client user", 403)
	vic.get("/app/clients/"+w.clientID).lacks(t, "viewer's client page", `action="/app/clients/`+w.clientID+`/invitations"`)

	// Grace's member sees no Invite User and may not post it.
	_, memID, _ := s.Signup(t, "Mo Member", "mo@navy.example", "Mo's own", "client")
	s.AddMember(t, w.clientID, memID, "member")
	mo := loginAs(t, s, "mo@navy.example", testkit.Password)
	mo.post("/app/switch", url.Values{"account_id": {w.clientID}}).redirects(t, "switch", "/app")
	mo.get("/app/users").lacks(t, "member's users", "Send invitation")
	mo.post("/app/users/invitations", url.Values{"invite_email": {"x@y.example"}, "invite_role": {"member"}}).expect(t, "member invites", 403)

	// Grace's own invitation is hers: her agencies read it, nobody else
	// acts on it.
	w.grace.post("/app/users/invitations", url.Values{"invite_email": {"kid@navy.example"}, "invite_role": {"member"}}).
		redirects(t, "grace invites", "/app/users#invitations")
	var invID string
	if err := s.DB.Get(t.Context(), &invID, `SELECT id FROM invitations WHERE email = 'kid@navy.example'`); err != nil {
		t.Fatal(err)
	}
	mo.post("/app/invitations/"+invID+"/cancel", nil).expect(t, "member cancels", 403)
	vic.post("/app/invitations/"+invID+"/cancel", nil).expect(t, "viewer cancels", 403)
	// The admin of another agency that shares the client (issue 15) reads
	// Grace's own invitation but acts on it no more than Ada does.
	_, _, sharing := s.Signup(t, "Sam Sharing", "sam@sharing.example", "Sharing Agency", "agency")
	s.AddLink(t, testkit.LinkFixture{AgencyID: sharing, ClientID: w.clientID})
	sam := loginAs(t, s, "sam@sharing.example", testkit.Password)
	sam.get("/app/clients/"+w.clientID).lacks(t, "sharing agency's client page", `action="/app/invitations/`+invID+`/cancel"`)
	sam.post("/app/invitations/"+invID+"/cancel", nil).expect(t, "sharing agency cancels", 403)
	ada.post("/app/invitations/"+invID+"/cancel", nil).expect(t, "agency cancels the client's own", 403)
	s.Signup(t, "Carl Client", "carl@rc.example", "Rival's Client", "client")
	loginAs(t, s, "carl@rc.example", testkit.Password).post("/app/invitations/"+invID+"/cancel", nil).expect(t, "stranger cancels", 404)
	if n := count(t, s, `SELECT COUNT(*) FROM invitations`); n != 1 {
		t.Fatalf("%d invitations, want 1", n)
	}
	w.grace.post("/app/invitations/"+invID+"/cancel", url.Values{"back": {"/app/users"}}).redirects(t, "grace cancels", "/app/users")
	if n := count(t, s, `SELECT COUNT(*) FROM invitations WHERE status = 'cancelled'`); n != 1 {
		t.Fatal("not cancelled")
	}
}
