package mail_test

import (
	"context"
	"errors"
	"log/slog"
	netmail "net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/jobs"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/testkit"
	"github.com/liaison-dev/liaison/internal/testkit/smtpsink"
)

var ctx = context.Background()

var quiet = slog.New(slog.DiscardHandler)

func resetData(name string) map[string]any {
	return map[string]any{"Name": name, "URL": "https://liaison.example/reset/tok123", "ExpiresIn": time.Hour}
}

func TestRenderTemplates(t *testing.T) {
	cases := []struct {
		name, subject string
		data          map[string]any
		want          []string // in both bodies
	}{
		{"password_reset", "Reset your Liaison password", resetData("Ann"),
			[]string{"Ann", "https://liaison.example/reset/tok123", "1 hour"}},
		{"welcome", "Welcome to Liaison",
			map[string]any{"Name": "Ann", "AccountName": "Acme Ltd", "URL": "https://liaison.example/login"},
			[]string{"Ann", "Acme Ltd", "https://liaison.example/login"}},
		{"email_verify", "Confirm your e-mail address for Liaison", map[string]any{"Name": "Ann", "URL": "https://liaison.example/verify/tok7", "ExpiresIn": 7 * 24 * time.Hour},
			[]string{"Ann", "https://liaison.example/verify/tok7", "7 days"}},
		{"password_changed", "Your Liaison password was changed", map[string]any{"Name": "Ann"}, []string{"Ann"}},
		{"two_factor_off", "Two-factor sign-in is off on your Liaison account", map[string]any{"Name": "Ann", "ResetBy": "Ada"}, []string{"Ann", "Ada, an administrator"}},
		{"link_request", "Agency A asks to link with Client C", map[string]any{"Name": "Ann", "AccountName": "Client C", "SenderName": "Agency A", "SenderKind": "agency", "ActorName": "Ada", "URL": "https://liaison.example/app/links"}, []string{"Ann", "Agency A", "https://liaison.example/app/links"}},
		{"domain_lost", "Your portal domain portal.acme.example stopped verifying", map[string]any{"Name": "Ann", "Domain": "portal.acme.example", "TXTName": "_liaison.portal.acme.example", "TXTValue": "liaison-verify=abc", "URL": "https://liaison.example/app/portal"}, []string{"Ann", "_liaison.portal.acme.example", "liaison-verify=abc", "https://liaison.example/app/portal"}},
		{"link_answer", "Client C accepted your link request", map[string]any{"Name": "Ann", "AccountName": "Agency A", "OtherName": "Client C", "ActorName": "Cleo", "Status": "active", "URL": "https://liaison.example/app/links"}, []string{"Ann", "Client C", "https://liaison.example/app/links"}},
		{"invitation", "Ada invites you to Agency A", map[string]any{"BrandName": "Agency A", "AgencyName": "Agency A", "InviterName": "Ada", "AccountName": "Client C", "Kind": "client", "Role": "admin", "Message": "Welcome aboard", "URL": "https://liaison.example/invite/tok123", "Expires": "16 November 2026 at 09:00 UTC"}, []string{"Ada", "Client C", "Welcome aboard", "https://liaison.example/invite/tok123", "16 November 2026"}},
		{"health_digest", "Client health this week at Agency A: 12 at risk, 1 churned", map[string]any{"Name": "Ada", "AgencyName": "Agency A", "Week": "23 November 2026",
			"AtRisk": []map[string]any{{"Name": "Acme", "URL": "https://liaison.example/app/clients/acc_1", "Detail": "score 35, last active 3 Nov 2026"}}, "AtRiskTotal": 12, "AtRiskMore": 11,
			"Churned": []map[string]any{{"Name": "Zeta", "URL": "https://liaison.example/app/clients/acc_2", "Detail": "score 5, never active"}}, "ChurnedTotal": 1, "ChurnedMore": 0,
			"Drops": []map[string]any{{"Name": "Beta", "URL": "https://liaison.example/app/clients/acc_3", "Detail": "80 → 52 (−28)"}},
			"URL":   "https://liaison.example/app/clients?status=at_risk", "UnsubscribeURL": "https://liaison.example/digest/unsubscribe/tok9", "ProfileURL": "https://liaison.example/app/profile"},
			[]string{"Acme", "score 35", "… and 11 more", "Zeta", "Beta", "80 → 52", "https://liaison.example/digest/unsubscribe/tok9", "https://liaison.example/app/clients/acc_3"}},
		{"impersonation_started", "Ada of Agency A logged in as Client C", map[string]any{"Name": "Cleo", "AccountName": "Client C", "AgencyName": "Agency A", "ImpersonatorName": "Ada", "ImpersonatorEmail": "ada@agency.example", "Reason": "Ticket 42", "StartedAt": "2 Nov 2026 09:00 UTC", "URL": "https://liaison.example/app/security"}, []string{"Cleo", "Ada", "ada@agency.example", "Ticket 42", "https://liaison.example/app/security"}},
		{"access_ending", "The link between Agency A and Client C ends in 7 days", map[string]any{"Name": "Ann", "What": "The link between Agency A and Client C", "Days": 7,
			"EndsAt": "16 November 2026 at 09:00 UTC", "SetBy": "client", "Agency": "Agency A", "Client": "Client C", "URL": "https://liaison.example/app/links", "CanExtend": false},
			[]string{"Ann", "16 November 2026", "Only the client", "https://liaison.example/app/links"}},
		{"access_ended", "The link between Agency A and Client C has ended", map[string]any{"Name": "Ann", "What": "The link between Agency A and Client C", "Days": 0,
			"EndsAt": "16 November 2026 at 09:00 UTC", "SetBy": "agency", "Agency": "Agency A", "Client": "Client C", "URL": "https://liaison.example/app/links", "CanExtend": true},
			[]string{"Ann", "16 November 2026", "https://liaison.example/app/links"}},
		{"access_request", "Mo asks for access to Client C", map[string]any{"Name": "Ann", "RequesterName": "Mo", "RequesterEmail": "mo@agency.example",
			"AskedFor": "acc_1", "ClientName": "Client C", "Reason": "Ticket 42", "URL": "https://liaison.example/app/access-requests/arq_1"},
			[]string{"Ann", "mo@agency.example", "Ticket 42", "https://liaison.example/app/access-requests/arq_1"}},
		{"access_request_answer", "Your access request for acc_1 was approved", map[string]any{"Name": "Mo", "Status": "approved", "DeciderName": "Ann",
			"AskedFor": "acc_1", "EndsAt": "16 November 2026 at 09:00 UTC", "URL": "https://liaison.example/app/access-requests/arq_1"},
			[]string{"Mo", "Ann", "16 November 2026", "https://liaison.example/app/access-requests/arq_1"}},
		{"scheduled_report", "Monthly (Nike), 1 to 31 October 2026", map[string]any{"Name": "Cy", "ReportTitle": "Monthly", "BrandReport": "Nike",
			"Range": "1 to 31 October 2026", "Attached": true, "URL": "https://liaison.example/r/tok5", "Cadence": "every Monday at 08:00"},
			[]string{"Cy", "Monthly", "Nike", "attached as a PDF", "https://liaison.example/r/tok5", "every Monday at 08:00"}},
	}
	var names []string
	for _, c := range cases {
		names = append(names, c.name)
		subject, html, text, err := mail.Render(c.name, c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if subject != c.subject {
			t.Errorf("%s: subject %q, want %q", c.name, subject, c.subject)
		}
		for _, w := range c.want {
			if !strings.Contains(html, w) || !strings.Contains(text, w) {
				t.Errorf("%s: %q missing from a body", c.name, w)
			}
		}
		if !strings.Contains(html, mail.DefaultBrandColor) || !strings.Contains(html, "<title>"+c.subject+"</title>") {
			t.Errorf("%s: layout defaults missing", c.name)
		}
		if strings.Contains(text, "<no value>") || strings.Contains(html, "ZgotmplZ") {
			t.Errorf("%s: bad rendering:\n%s\n%s", c.name, text, html)
		}
	}
	got := mail.Templates()
	slices.Sort(got)
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("templates %v, tested %v", got, names)
	}
}

func TestRenderEscapingAndErrors(t *testing.T) {
	d := resetData("<script>alert(1)</script>\nBcc: x@evil.example")
	d["BrandName"], d["BrandColor"] = "Acme & Co", "#ff0000"
	subject, html, text, err := mail.Render("password_reset", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatal("name not escaped in HTML")
	}
	if !strings.Contains(text, "<script>alert(1)</script>") {
		t.Fatal("text body should carry the name as is")
	}
	if subject != "Reset your Acme & Co password" || !strings.Contains(html, "Acme &amp; Co") || !strings.Contains(html, "#ff0000") {
		t.Fatalf("branding: %q", subject)
	}
	if strings.Contains(html, "Liaison") || strings.Contains(text, "Liaison") {
		t.Fatal("the brand replaces Liaison's name everywhere")
	}
	d = resetData("Ann")
	d["BrandColor"] = "red;background:url(x)"
	if _, html, _, _ = mail.Render("password_reset", d); !strings.Contains(html, mail.DefaultBrandColor) {
		t.Fatal("bad colour not replaced by the default")
	}
	d = resetData("Ann")
	d["Name"] = "Ann\r\nBcc: x@evil.example"
	d["BrandName"] = "Acme\nX-Evil: 1"
	if subject, _, _, _ = mail.Render("password_reset", d); strings.ContainsAny(subject, "\r\n") {
		t.Fatalf("subject spans lines: %q", subject)
	}
	if _, _, _, err := mail.Render("nope", nil); err == nil {
		t.Fatal("missing template: no error")
	}
	if _, _, _, err := mail.Render("welcome", map[string]any{"Name": "Ann"}); err == nil {
		t.Fatal("missing data key: no error")
	}
	for _, c := range []struct {
		in   any
		want string
	}{{30 * time.Minute, "30 minutes"}, {24 * time.Hour, "1 day"}, {2 * time.Hour, "2 hours"}, {"soon", "soon"}} {
		d := resetData("Ann")
		d["ExpiresIn"] = c.in
		if _, _, text, _ := mail.Render("password_reset", d); !strings.Contains(text, "expires in "+c.want) {
			t.Errorf("ExpiresIn %v: want %q", c.in, c.want)
		}
	}
}

type env struct {
	d     *db.DB
	q     *jobs.Queue
	clock *clock.Fake
	m     *mail.Mailer
}

func newEnv(t *testing.T, d *db.DB, cfg mail.Config) env {
	t.Helper()
	fake := clock.NewFake(time.Now().UTC().Truncate(time.Hour))
	q := jobs.New(d, fake.Now, quiet)
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://liaison.example"
	}
	m, err := mail.New(d, q, fake.Now, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return env{d: d, q: q, clock: fake, m: m}
}

func (e env) send(t *testing.T, em mail.Email) {
	t.Helper()
	if err := e.d.InTx(ctx, func(tx *db.Tx) error { return e.m.Send(ctx, tx, em) }); err != nil {
		t.Fatal(err)
	}
}

func (e env) runDue(t *testing.T, want int) {
	t.Helper()
	n, err := e.q.RunDue(ctx)
	if err != nil || n != want {
		t.Fatalf("RunDue: ran %d (want %d), %v", n, want, err)
	}
}

func (e env) only(t *testing.T) mail.Message {
	t.Helper()
	msgs, _, err := e.m.List(ctx, 10, "")
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox: %d messages, %v", len(msgs), err)
	}
	return msgs[0]
}

func reset(to string) mail.Email {
	return mail.Email{Template: "password_reset", To: to, Data: resetData("Ann")}
}

func TestSendWritesRowAndJobInOneTx(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mail.Config{})
		count := func() (rows, jobRows int) {
			if err := d.Get(ctx, &rows, `SELECT COUNT(*) FROM mail_outbox`); err != nil {
				t.Fatal(err)
			}
			if err := d.Get(ctx, &jobRows, `SELECT COUNT(*) FROM jobs WHERE kind = ?`, mail.JobKind); err != nil {
				t.Fatal(err)
			}
			return
		}
		boom := errors.New("boom")
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if err := e.m.Send(ctx, tx, reset("ann@example.com")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if r, j := count(); r != 0 || j != 0 {
			t.Fatalf("rolled back, yet %d rows and %d jobs", r, j)
		}
		e.send(t, reset("  Ann@Example.COM "))
		if r, j := count(); r != 1 || j != 1 {
			t.Fatalf("committed: %d rows and %d jobs", r, j)
		}
		m := e.only(t)
		if m.Status != mail.StatusQueued || m.To != "ann@example.com" || m.FromName != "Liaison" ||
			m.FromAddr != "liaison@liaison.example" || m.Subject != "Reset your Liaison password" ||
			!m.CreatedAt.Equal(e.clock.Now()) || m.SentAt != nil || m.Attempts != 0 {
			t.Fatalf("row: %+v", m)
		}
		if !strings.Contains(m.HTML, "https://liaison.example") || !strings.Contains(m.Text, "https://liaison.example/reset/tok123") {
			t.Fatal("bodies")
		}
		err = d.InTx(ctx, func(tx *db.Tx) error { return e.m.Send(ctx, tx, reset("not an address")) })
		if errs.KindOf(err) != errs.Invalid {
			t.Fatalf("bad address: %v", err)
		}
	})
}

func TestLocalOutbox(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mail.Config{})
		if !e.m.Local() {
			t.Fatal("no SMTP URL should mean the local outbox")
		}
		e.send(t, mail.Email{Template: "welcome", To: "bob@example.com", AccountID: "acc_1",
			Data:     map[string]any{"Name": "Bob", "AccountName": "Acme", "URL": "https://liaison.example/login"},
			FromName: "Acme Agency", FromAddr: "hello@acme.example"})
		e.clock.Advance(time.Second)
		e.runDue(t, 1)
		m := e.only(t)
		if m.Status != mail.StatusSent || m.Transport != mail.TransportLocal || m.Attempts != 1 ||
			m.SentAt == nil || !m.SentAt.Equal(e.clock.Now()) || m.AccountID != "acc_1" ||
			m.FromName != "Acme Agency" || m.FromAddr != "hello@acme.example" {
			t.Fatalf("row: %+v", m)
		}
		got, err := e.m.Get(ctx, m.ID)
		if err != nil || got.ID != m.ID || got.HTML != m.HTML {
			t.Fatalf("Get: %v", err)
		}
		if _, err := e.m.Get(ctx, "mail_nope"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("Get unknown: %v", err)
		}
	})
}

func TestSMTPDelivery(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		sink := smtpsink.New()
		if err := sink.Start(""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sink.Stop)
		e := newEnv(t, d, mail.Config{SMTPURL: sink.URL(), FromName: "Liaison Ops", FromAddr: "ops@liaison.example"})
		e.send(t, reset("ann@example.com"))
		e.runDue(t, 1)
		msgs, err := sink.WaitFor(1, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got := msgs[0]
		if got.From != "ops@liaison.example" || !slices.Equal(got.To, []string{"ann@example.com"}) ||
			got.Subject != "Reset your Liaison password" {
			t.Fatalf("received %q → %q: %q", got.From, got.To, got.Subject)
		}
		h, err := got.Header()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h.Get("Content-Type"), "multipart/alternative") || !strings.Contains(h.Get("From"), "Liaison Ops") {
			t.Fatalf("headers: %v", h)
		}
		bodies, err := got.Bodies()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(bodies["text/plain"], "https://liaison.example/reset/tok123") ||
			!strings.Contains(bodies["text/html"], `href="https://liaison.example/reset/tok123"`) {
			t.Fatalf("parts: %v", bodies)
		}
		m := e.only(t)
		if m.Status != mail.StatusSent || m.Transport != mail.TransportSMTP || m.Attempts != 1 || m.LastError != "" {
			t.Fatalf("row: %+v", m)
		}
		if !strings.Contains(h.Get("Message-Id"), m.ID) {
			t.Fatalf("Message-ID %q should carry %s", h.Get("Message-Id"), m.ID)
		}
		// A second run of the job (at-least-once delivery) sends nothing more.
		e.clock.Advance(time.Hour)
		e.runDue(t, 0)
		if len(sink.Messages()) != 1 {
			t.Fatal("sent twice")
		}
	})
}

func TestSMTPOutageIsRetried(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		sink := smtpsink.New()
		if err := sink.Start(""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sink.Stop)
		addr := sink.Addr()
		sink.Stop()
		e := newEnv(t, d, mail.Config{SMTPURL: sink.URL()})
		e.send(t, reset("ann@example.com"))
		e.runDue(t, 1)
		m := e.only(t)
		if m.Status != mail.StatusQueued || m.Attempts != 1 || m.LastError == "" || m.SentAt != nil {
			t.Fatalf("after a failed attempt: %+v", m)
		}
		e.runDue(t, 0) // backing off
		if err := sink.Start(addr); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		e.runDue(t, 1)
		if _, err := sink.WaitFor(1, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		m = e.only(t)
		if m.Status != mail.StatusSent || m.Attempts != 2 || m.LastError != "" || m.Transport != mail.TransportSMTP {
			t.Fatalf("after the retry: %+v", m)
		}
	})
}

type failing struct{ calls int }

func (f *failing) Send(context.Context, mail.Message) error {
	f.calls++
	return errors.New("421 try again later")
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		f := &failing{}
		e := newEnv(t, d, mail.Config{Sender: f})
		e.send(t, reset("ann@example.com"))
		for range mail.MaxAttempts + 3 {
			if _, err := e.q.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(2 * time.Hour)
		}
		m := e.only(t)
		if m.Status != mail.StatusFailed || m.Attempts != mail.MaxAttempts || f.calls != mail.MaxAttempts ||
			!strings.Contains(m.LastError, "421") {
			t.Fatalf("row %+v after %d calls", m, f.calls)
		}
		var status string
		if err := d.Get(ctx, &status, `SELECT status FROM jobs WHERE kind = ?`, mail.JobKind); err != nil || status != "failed" {
			t.Fatalf("job %q %v", status, err)
		}
	})
}

func TestListPages(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mail.Config{})
		for i := range 5 {
			if i != 2 { // two rows share a created_at: the ID breaks the tie
				e.clock.Advance(time.Second)
			}
			e.send(t, reset("u"+string(rune('a'+i))+"@example.com"))
		}
		var seen []mail.Message
		cursor := ""
		for page := 0; ; page++ {
			msgs, next, err := e.m.List(ctx, 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, msgs...)
			if next == "" {
				break
			}
			if page > 5 {
				t.Fatal("cursor does not advance")
			}
			cursor = next
		}
		if len(seen) != 5 {
			t.Fatalf("%d messages over the pages", len(seen))
		}
		for i := 1; i < len(seen); i++ {
			a, b := seen[i-1], seen[i]
			if a.CreatedAt.Before(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID {
				t.Fatalf("not newest first at %d", i)
			}
		}
		if seen[0].To != "ue@example.com" || seen[4].To != "ua@example.com" {
			t.Fatalf("order: %s … %s", seen[0].To, seen[4].To)
		}
		if _, _, err := e.m.List(ctx, 2, "garbage!"); errs.KindOf(err) != errs.Invalid {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}

func TestNewSMTPSender(t *testing.T) {
	for _, ok := range []string{"smtp://mail.example", "smtp://user:p%40ss@mail.example:2525",
		"smtps://user:pass@mail.example", "smtp://u:p@mail.example?auth=plain"} {
		if _, err := mail.NewSMTPSender(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "http://mail.example", "smtp://", "smtp://mail.example:0",
		"smtp://mail.example:x", "smtp://u:p@mail.example?auth=rot13"} {
		if _, err := mail.NewSMTPSender(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestRenderBranded: an e-mail with an agency's brand shows its name,
// colour and logo, and no trace of Liaison.
func TestRenderBranded(t *testing.T) {
	data := resetData("Ann")
	data["BrandName"], data["BrandColor"], data["BrandLogo"] = "Acme Portal", "#0f766e", "https://portal.acme.example/brand/logos/abc.png"
	data["BaseURL"] = "https://portal.acme.example"
	subject, html, text, err := mail.Render("password_reset", data)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Reset your Acme Portal password" || !strings.Contains(html, `src="https://portal.acme.example/brand/logos/abc.png"`) ||
		!strings.Contains(html, `alt="Acme Portal"`) || !strings.Contains(html, "#0f766e") {
		t.Errorf("branded e-mail:\n%s\n%s", subject, html)
	}
	for _, b := range []string{subject, html, text} {
		if strings.Contains(b, "Liaison") {
			t.Errorf("branded e-mail names Liaison:\n%s", b)
		}
	}
}

// TestSenderNamesAreEncoded: an agency's sender name with a quote, a comma,
// a backslash or non-ASCII letters is delivered with a From header that
// decodes back to the name (issue 15: a quote stopped every e-mail).
func TestSenderNamesAreEncoded(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		sink := smtpsink.New()
		if err := sink.Start(""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sink.Stop)
		e := newEnv(t, d, mail.Config{SMTPURL: sink.URL()})
		names := []string{`Acme "Best Agency`, `Doe, John & Partners`, `Back\slash <Agency>`, `Zoë Ågency — Ünïcode`,
			`"quoted"`, `=?utf-8?q?not_an_encoded_word?=`, `Agence spéciale, "la meilleure", très longue ` + strings.Repeat("é", 80)}
		for _, name := range names {
			e.send(t, mail.Email{Template: "password_reset", To: "ann@example.com", Data: resetData("Ann"),
				FromName: name, FromAddr: "hello@acme.example"})
		}
		e.runDue(t, len(names))
		msgs, err := sink.WaitFor(len(names), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, m := range msgs {
			h, err := m.Header()
			if err != nil {
				t.Fatal(err)
			}
			from, err := netmail.ParseAddress(h.Get("From"))
			if err != nil {
				t.Fatalf("From %q does not parse: %v", h.Get("From"), err)
			}
			if from.Address != "hello@acme.example" {
				t.Fatalf("From %q: address %q", h.Get("From"), from.Address)
			}
			got[from.Name] = true
		}
		for _, name := range names {
			if !got[name] {
				t.Errorf("no message arrived from %q; got %v", name, got)
			}
		}
		list, _, err := e.m.List(ctx, 20, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			if m.Status != mail.StatusSent {
				t.Errorf("%s from %q: %s (%s)", m.ID, m.FromName, m.Status, m.LastError)
			}
		}
	})
}
