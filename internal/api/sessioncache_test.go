package api_test

import (
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// Sessions are cached in each process (auth/sessioncache.go). Three
// servers on one database: a logout, a password reset, a role change, a
// removal and a disabled client made on the first take effect on the very
// next request on each of the three, whose caches had the old answer.
func TestSessionCacheAcrossProcesses(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newClWorld(t, e)
		a := w.s
		servers := threeProcesses(t, e, a)
		// on returns, for each server, a client carrying c's cookie.
		on := func(c *testkit.APIClient) []*testkit.APIClient {
			var out []*testkit.APIClient
			for _, s := range servers {
				x := s.NewClient()
				for _, k := range c.HTTP.Jar.Cookies(mustURL(t, a.URL)) {
					x.Header.Add("Cookie", k.Name+"="+k.Value)
				}
				out = append(out, x)
			}
			return out
		}
		// expect sends the request through each server and wants the
		// status; called once before a change (which caches the session
		// on every server) and once after.
		expect := func(what string, cs []*testkit.APIClient, method, path string, body any, want int) {
			t.Helper()
			for i, c := range cs {
				if r := c.Do(t, method, path, body); r.Status != want {
					t.Errorf("%s: server %d answers %s %s with %d, want %d: %s", what, i, method, path, r.Status, want, r.Raw)
				}
			}
		}
		members := "/api/v1/agencies/" + w.agency + "/members"

		// Role change: a viewer may not change a role; made an admin on
		// server 0, they may on every server at once (the same role again:
		// nothing changes).
		viewer := on(w.viewer)
		same := map[string]any{"role": "account_manager"}
		expect("viewer", viewer, "PATCH", members+"/"+w.amID, same, 403)
		w.admin.Must(t, 200, "PATCH", members+"/"+w.viewerID, map[string]any{"role": "admin"})
		expect("viewer made admin", viewer, "PATCH", members+"/"+w.amID, same, 200)
		w.admin.Must(t, 200, "PATCH", members+"/"+w.viewerID, map[string]any{"role": "viewer"})
		expect("admin made viewer again", viewer, "PATCH", members+"/"+w.amID, same, 403)

		// Removal: the member no longer sees the agency.
		member := on(w.member)
		expect("member", member, "GET", members, nil, 200)
		w.admin.Must(t, 204, "DELETE", members+"/"+w.memberID, nil)
		expect("removed member", member, "GET", members, nil, 404)

		// A disabled client: its own users no longer see their account.
		cu, _, acme := w.clientUser(t, "Wile Boss", "boss@acme.example", "Acme")
		client := on(cu)
		expect("client user", client, "GET", "/api/v1/accounts/"+acme, nil, 200)
		w.admin.Must(t, 200, "PATCH", w.clientPath(acme), map[string]any{"enabled": false})
		// Disabling also ends the client users' sessions (auth.EndSessionsIn).
		expect("disabled client's user", client, "GET", "/api/v1/accounts/"+acme, nil, 401)

		// Logout on server 0 ends the session on every server.
		pat, _, _ := a.Signup(t, "Pat", "pat@example.com", "Pat Co", "client")
		pats := on(pat)
		expect("pat", pats, "GET", "/api/v1/me", nil, 200)
		pats[0].Must(t, 204, "POST", "/api/v1/logout", nil)
		expect("pat logged out", pats, "GET", "/api/v1/me", nil, 401)

		// A password reset on server 0 ends every session of the user.
		quinn, _, _ := a.Signup(t, "Quinn", "quinn@example.com", "Quinn Co", "client")
		quinns := on(quinn)
		expect("quinn", quinns, "GET", "/api/v1/me", nil, 200)
		a.NewClient().Must(t, 202, "POST", "/api/v1/password/forgot", map[string]any{"email": "quinn@example.com"})
		link := a.MailLink(t, "password_reset", "quinn@example.com", "/reset/")
		a.NewClient().Must(t, 200, "POST", "/api/v1/password/reset", map[string]any{
			"token": link[strings.LastIndex(link, "/")+1:], "password": "a brand new passphrase"})
		expect("quinn after the reset", quinns, "GET", "/api/v1/me", nil, 401)
	})
}

// threeProcesses returns a and two more servers on its database, each a
// process of its own as far as caches go.
func threeProcesses(t *testing.T, e db.Dialect, a *testkit.Server) []*testkit.Server {
	env := map[string]string{"LIAISON_DATABASE_URL": a.Config.DatabaseURL, "LIAISON_DATA_DIR": a.Config.DataDir}
	return []*testkit.Server{a,
		testkit.StartServer(t, e, testkit.ServerOptions{Env: env}),
		testkit.StartServer(t, e, testkit.ServerOptions{Env: env})}
}
