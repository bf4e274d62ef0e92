package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
	"github.com/liaison-dev/liaison/internal/testkit/smtpsink"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Two `liaison serve` processes on one database share sessions and rate
// limits: a cookie from one works on the other, and failed logins
// on one count on the other.
func TestTwoServersShareOneDatabase(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		a := testkit.StartServer(t, e, testkit.ServerOptions{})
		// The same database: the same PostgreSQL schema, or the same SQLite file.
		b := testkit.StartServer(t, e, testkit.ServerOptions{Env: map[string]string{
			"LIAISON_DATABASE_URL": a.Config.DatabaseURL, "LIAISON_DATA_DIR": a.Config.DataDir}})
		ca, _, _ := a.Signup(t, "Pat", "pat@example.com", "Pat Co", "client")
		cb := b.NewClient()
		// The jar holds the cookie for a's host:port; send it to b.
		for _, c := range ca.HTTP.Jar.Cookies(mustURL(t, a.URL)) {
			cb.Header.Add("Cookie", c.Name+"="+c.Value)
		}
		cb.Must(t, 200, "GET", "/api/v1/me", nil)
		for i := 0; i < 5; i++ {
			a.NewClient().Do(t, "POST", "/api/v1/login", map[string]any{"email": "pat@example.com", "password": "wrong password!"})
			b.NewClient().Do(t, "POST", "/api/v1/login", map[string]any{"email": "pat@example.com", "password": "wrong password!"})
		}
		if r := b.NewClient().Do(t, "POST", "/api/v1/login", map[string]any{"email": "pat@example.com", "password": "wrong password!"}); r.Status != 429 {
			t.Fatalf("limit not shared across processes: %d", r.Status)
		}
	})
}

// With LIAISON_SMTP_URL set, a reset e-mail reaches the SMTP server; when the
// server is down, the e-mail waits in the outbox and arrives once it is back.
func TestResetMailOverSMTP(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		sink := smtpsink.New()
		if err := sink.Start(""); err != nil {
			t.Fatal(err)
		}
		defer sink.Stop()
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true, Env: map[string]string{"LIAISON_SMTP_URL": "smtp://" + sink.Addr()}})
		s.Signup(t, "Quinn", "quinn@example.com", "Quinn Co", "client")
		// The sign-up's confirmation e-mail goes first; the test is about
		// the reset e-mails after it.
		waitSent(t, s, 1)
		sink.Reset()
		s.NewClient().Must(t, 202, "POST", "/api/v1/password/forgot", map[string]any{"email": "quinn@example.com"})
		msgs, err := sink.WaitFor(1, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		bodies, err := msgs[0].Bodies()
		if err != nil || msgs[0].To[0] != "quinn@example.com" || !strings.Contains(bodies["text/plain"], s.URL+"/reset/") {
			t.Fatalf("mail: %+v %v %v", msgs[0], bodies, err)
		}
		// Stop the sink only once the outbox row says sent: stopping it in
		// the middle of the SMTP exchange would (rightly) retry the mail.
		waitSent(t, s, 2)
		addr := sink.Addr()
		sink.Stop()
		s.NewClient().Must(t, 202, "POST", "/api/v1/password/forgot", map[string]any{"email": "quinn@example.com"})
		time.Sleep(300 * time.Millisecond) // the runner tries and fails
		if err := sink.Start(addr); err != nil {
			t.Fatal(err)
		}
		// Move past the retry backoff once (moving the fake clock on and on
		// would also expire the delivery's own lease and deliver it twice).
		s.Clock.Advance(2 * time.Minute)
		deadline := time.Now().Add(15 * time.Second)
		for len(sink.Messages()) < 2 && time.Now().Before(deadline) {
			if _, err := s.Jobs.RunDue(context.Background()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if n := len(sink.Messages()); n != 2 {
			for _, m := range sink.Messages() {
				h, _ := m.Header()
				t.Logf("%s %s %s", m.To, m.Subject, h.Get("Message-Id"))
			}
			msgs, _, _ := s.Mailer.List(context.Background(), 10, "")
			for _, m := range msgs {
				t.Logf("row %s %s attempts=%d err=%s", m.ID, m.Status, m.Attempts, m.LastError)
			}
			t.Fatalf("after the SMTP server came back: %d messages", n)
		}
	})
}

func waitSent(t *testing.T, s *testkit.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		msgs, _, err := s.Mailer.List(context.Background(), 50, "")
		if err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, m := range msgs {
			if m.Status == "sent" {
				sent++
			}
		}
		if sent >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("fewer than %d e-mails sent", n)
}
