package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func TestSignupLoginMeLogout(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		c := s.NewClient()
		r := c.Must(t, 201, "POST", "/api/v1/signup", map[string]any{"name": "Ada Agency", "email": "  Ada@Example.COM ",
			"password": testkit.Password, "account_name": "Acme Agency", "account_kind": "agency"})
		user := r.Body["user"].(map[string]any)
		acc := r.Body["account"].(map[string]any)
		if user["email"] != "ada@example.com" || acc["kind"] != "agency" || !strings.HasPrefix(acc["id"].(string), "acc_") {
			t.Fatalf("signup answer: %s", r.Raw)
		}
		if sc := r.Header.Get("Set-Cookie"); !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") || strings.Contains(sc, "Secure") {
			t.Fatalf("cookie attributes: %s", sc)
		}
		// The lifetime is counted by the browser's clock (Max-Age), never a
		// date from the server's, which may differ from it.
		if sc := r.Header.Get("Set-Cookie"); !strings.Contains(sc, "Max-Age=2592000") || strings.Contains(sc, "Expires=") {
			t.Fatalf("session cookie lifetime: %s", sc)
		}
		me := c.Must(t, 200, "GET", "/api/v1/me", nil)
		ms := me.Body["memberships"].([]any)
		m0 := ms[0].(map[string]any)
		if len(ms) != 1 || m0["role"] != "admin" || m0["account"].(map[string]any)["name"] != "Acme Agency" {
			t.Fatalf("me: %s", me.Raw)
		}
		if v, ok := me.Body["impersonation"]; !ok || v != nil {
			t.Fatalf("me.impersonation must be null: %s", me.Raw)
		}
		// Same e-mail in another case is the same user.
		dup := s.NewClient().Do(t, "POST", "/api/v1/signup", map[string]any{"name": "X", "email": "ADA@example.com",
			"password": testkit.Password, "account_name": "Other", "account_kind": "client"})
		if dup.Status != 409 || dup.Code() != "email_taken" {
			t.Fatalf("duplicate e-mail: %d %s", dup.Status, dup.Raw)
		}
		c.Must(t, 204, "POST", "/api/v1/logout", nil)
		if r := c.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
			t.Fatalf("after logout: %d", r.Status)
		}
		c2 := s.Login(t, "ADA@example.com", testkit.Password)
		c2.Must(t, 200, "GET", "/api/v1/me", nil)
		c2.Must(t, 200, "GET", "/api/v1/accounts/"+acc["id"].(string), nil)
	})
}

func TestLoginFailuresLookTheSame(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		s.Signup(t, "Bo", "bo@example.com", "Bo Co", "client")
		wrong := s.NewClient().Do(t, "POST", "/api/v1/login", map[string]any{"email": "bo@example.com", "password": "not the password"})
		unknown := s.NewClient().Do(t, "POST", "/api/v1/login", map[string]any{"email": "nobody@example.com", "password": "not the password"})
		if wrong.Status != 401 || unknown.Status != 401 || wrong.Code() != unknown.Code() || wrong.Code() != "invalid_credentials" {
			t.Fatalf("wrong: %d %s; unknown: %d %s", wrong.Status, wrong.Raw, unknown.Status, unknown.Raw)
		}
		if wrong.Body["error"].(map[string]any)["message"] != unknown.Body["error"].(map[string]any)["message"] {
			t.Fatal("messages differ")
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		s.Signup(t, "Cy", "cy@example.com", "Cy Co", "client")
		var last testkit.Response
		for i := 0; i < 11; i++ {
			last = s.NewClient().Do(t, "POST", "/api/v1/login", map[string]any{"email": "cy@example.com", "password": "wrong password!"})
		}
		if last.Status != 429 || last.Code() != "rate_limited" || last.Header.Get("Retry-After") == "" {
			t.Fatalf("11th attempt: %d %v %s", last.Status, last.Header, last.Raw)
		}
		// The right password is refused too while the limit holds.
		if r := s.NewClient().Do(t, "POST", "/api/v1/login", map[string]any{"email": "cy@example.com", "password": testkit.Password}); r.Status != 429 {
			t.Fatalf("right password during limit: %d", r.Status)
		}
	})
}

func TestOpenSignupOff(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{Env: map[string]string{"LIAISON_OPEN_SIGNUP": "false"}})
		r := s.NewClient().Do(t, "POST", "/api/v1/signup", map[string]any{"name": "Di", "email": "di@example.com",
			"password": testkit.Password, "account_name": "Di", "account_kind": "client"})
		if r.Status != 403 || r.Code() != "signup_closed" {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
	})
}

var resetLink = regexp.MustCompile(`http://[^\s"<>]+/reset/([a-z0-9]+)`)

func TestPasswordResetEndsOtherSessions(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		old, _, _ := s.Signup(t, "Eve", "eve@example.com", "Eve Co", "client")
		anon := s.NewClient()
		for _, email := range []string{"eve@example.com", "nobody@example.com"} {
			r := anon.Must(t, 202, "POST", "/api/v1/password/forgot", map[string]any{"email": email})
			if r.Body["message"] == "" {
				t.Fatal("no message")
			}
		}
		all, _, err := s.Mailer.List(t.Context(), 10, "")
		if err != nil {
			t.Fatal(err)
		}
		var msgs []mail.Message
		for _, m := range all {
			if m.Template == "password_reset" {
				msgs = append(msgs, m)
			}
		}
		if len(msgs) != 1 || msgs[0].To != "eve@example.com" {
			t.Fatalf("want one reset e-mail to eve, got %+v", msgs)
		}
		m := resetLink.FindStringSubmatch(msgs[0].Text)
		if m == nil || !strings.HasPrefix(m[0], s.URL+"/reset/") {
			t.Fatalf("no reset link of the form {BASE_URL}/reset/{token} in %q", msgs[0].Text)
		}
		weak := anon.Do(t, "POST", "/api/v1/password/reset", map[string]any{"token": m[1], "password": "short"})
		if weak.Status != 400 || weak.Code() != "invalid_password" {
			t.Fatalf("weak password: %d %s", weak.Status, weak.Raw)
		}
		fresh := s.NewClient()
		fresh.Must(t, 200, "POST", "/api/v1/password/reset", map[string]any{"token": m[1], "password": "a brand new passphrase"})
		fresh.Must(t, 200, "GET", "/api/v1/me", nil)
		if r := old.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
			t.Fatalf("old session survived the reset: %d", r.Status)
		}
		again := anon.Do(t, "POST", "/api/v1/password/reset", map[string]any{"token": m[1], "password": "another new passphrase"})
		if again.Status != 410 {
			t.Fatalf("token reused: %d %s", again.Status, again.Raw)
		}
		s.Login(t, "eve@example.com", "a brand new passphrase")
		if r := anon.Do(t, "POST", "/api/v1/login", map[string]any{"email": "eve@example.com", "password": testkit.Password}); r.Status != 401 {
			t.Fatalf("old password still works: %d", r.Status)
		}
	})
}

func TestAPITokens(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		c, _, accID := s.Signup(t, "Fay", "fay@example.com", "Fay Co", "agency")
		r := c.Must(t, 201, "POST", "/api/v1/tokens", map[string]any{"name": "ci"})
		tok := r.Body["token"].(string)
		if !strings.HasPrefix(tok, "lia_") || r.Body["id"] == "" {
			t.Fatalf("token answer %s", r.Raw)
		}
		list := c.Must(t, 200, "GET", "/api/v1/tokens", nil)
		if strings.Contains(string(list.Raw), tok) {
			t.Fatal("token listed in clear after creation")
		}
		b := &testkit.APIClient{S: s, HTTP: s.Client(), Bearer: tok, Header: http.Header{}}
		b.Must(t, 200, "GET", "/api/v1/me", nil)
		b.Must(t, 200, "GET", "/api/v1/accounts/"+accID, nil)
		// Bearer requests need no same-origin check.
		b.Header.Set("Sec-Fetch-Site", "cross-site")
		b.Must(t, 201, "POST", "/api/v1/tokens", map[string]any{"name": "from a program"})
		c.Must(t, 204, "DELETE", "/api/v1/tokens/"+r.Body["id"].(string), nil)
		if r := b.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 || r.Code() != "invalid_token" {
			t.Fatalf("revoked token: %d %s", r.Status, r.Raw)
		}
		if r := c.Do(t, "DELETE", "/api/v1/tokens/tok_doesnotexist", nil); r.Status != 404 {
			t.Fatalf("unknown token: %d", r.Status)
		}
	})
}

func TestSessionsListAndEndOthers(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		a, _, _ := s.Signup(t, "Gil", "gil@example.com", "Gil Co", "client")
		b := s.Login(t, "gil@example.com", testkit.Password)
		r := a.Must(t, 200, "GET", "/api/v1/sessions", nil)
		if n := len(r.Body["sessions"].([]any)); n != 2 {
			t.Fatalf("want 2 sessions, got %d", n)
		}
		other, _, _ := s.Signup(t, "Hal", "hal@example.com", "Hal Co", "client")
		hs := other.Must(t, 200, "GET", "/api/v1/sessions", nil).Body["sessions"].([]any)[0].(map[string]any)["id"].(string)
		if r := a.Do(t, "DELETE", "/api/v1/sessions/"+hs, nil); r.Status != 404 {
			t.Fatalf("ending another user's session: %d", r.Status)
		}
		ended := a.Must(t, 200, "POST", "/api/v1/sessions/end-others", nil)
		if ended.Body["ended"].(float64) != 1 {
			t.Fatalf("ended %v", ended.Body)
		}
		if r := b.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
			t.Fatalf("other session still alive: %d", r.Status)
		}
		a.Must(t, 200, "GET", "/api/v1/me", nil)
		other.Must(t, 200, "GET", "/api/v1/me", nil)
	})
}

func TestSessionIdleExpiry(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		c, _, _ := s.Signup(t, "Ida", "ida@example.com", "Ida Co", "client")
		s.Clock.Advance(6 * 24 * time.Hour)
		c.Must(t, 200, "GET", "/api/v1/me", nil) // touches last-seen
		s.Clock.Advance(6 * 24 * time.Hour)
		c.Must(t, 200, "GET", "/api/v1/me", nil) // 12 days old, 6 idle: alive
		s.Clock.Advance(7*24*time.Hour + time.Minute)
		if r := c.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
			t.Fatalf("idle session alive: %d", r.Status)
		}
	})
}

func TestSessionAbsoluteExpiry(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		c, _, _ := s.Signup(t, "Jo", "jo@example.com", "Jo Co", "client")
		for i := 0; i < 5; i++ {
			s.Clock.Advance(5 * 24 * time.Hour)
			c.Must(t, 200, "GET", "/api/v1/me", nil)
		}
		s.Clock.Advance(6 * 24 * time.Hour) // 31 days after login, 6 idle
		if r := c.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
			t.Fatalf("session older than 30 days alive: %d", r.Status)
		}
	})
}

func TestCrossOriginCookieRequestsRefused(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		c, _, _ := s.Signup(t, "Kim", "kim@example.com", "Kim Co", "client")
		c.Header.Set("Sec-Fetch-Site", "cross-site")
		r := c.Do(t, "POST", "/api/v1/tokens", map[string]any{"name": "evil"})
		if r.Status != 403 || r.Code() != "cross_origin" {
			t.Fatalf("cross-site cookie POST: %d %s", r.Status, r.Raw)
		}
		c.Header = http.Header{"Origin": {"https://evil.example"}}
		if r := c.Do(t, "POST", "/api/v1/logout", nil); r.Status != 403 {
			t.Fatalf("foreign Origin: %d", r.Status)
		}
		c.Header = http.Header{"Sec-Fetch-Site": {"same-origin"}}
		c.Must(t, 201, "POST", "/api/v1/tokens", map[string]any{"name": "fine"})
		c.Header = http.Header{"Sec-Fetch-Site": {"cross-site"}}
		c.Must(t, 200, "GET", "/api/v1/me", nil) // safe methods pass
	})
}

func TestHTTPSBaseURLMakesCookiesSecure(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{Env: map[string]string{"LIAISON_BASE_URL": "https://portal.example.com"}})
	r := s.NewClient().Must(t, 201, "POST", "/api/v1/signup", map[string]any{"name": "Ray", "email": "ray@example.com",
		"password": testkit.Password, "account_name": "Ray Co", "account_kind": "client"})
	if sc := r.Header.Get("Set-Cookie"); !strings.Contains(sc, "Secure") || !strings.Contains(sc, "HttpOnly") {
		t.Fatalf("cookie over https base URL: %s", sc)
	}
	if r.Header.Get("Strict-Transport-Security") == "" {
		t.Fatal("no HSTS with an https base URL")
	}
}

// The last-seen time is written at most once a minute, so that a burst of
// reads does not queue on the single SQLite writer.
func TestLastSeenWrittenAtMostOnceAMinute(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		c, uid, _ := s.Signup(t, "Sal", "sal@example.com", "Sal Co", "client")
		lastSeen := func() time.Time {
			var ts time.Time
			if err := s.DB.Get(t.Context(), &ts, `SELECT last_seen_at FROM sessions WHERE user_id = ?`, uid); err != nil {
				t.Fatal(err)
			}
			return ts
		}
		first := lastSeen()
		s.Clock.Advance(30 * time.Second)
		c.Must(t, 200, "GET", "/api/v1/me", nil)
		if !lastSeen().Equal(first) {
			t.Fatal("last-seen written within the minute")
		}
		s.Clock.Advance(31 * time.Second)
		c.Must(t, 200, "GET", "/api/v1/me", nil)
		if got := lastSeen(); !got.Equal(s.Clock.Now()) {
			t.Fatalf("last-seen %v, want %v", got, s.Clock.Now())
		}
	})
}
