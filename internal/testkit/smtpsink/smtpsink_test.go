package smtpsink

import (
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"
)

func start(t *testing.T) *Sink {
	t.Helper()
	s := New()
	if err := s.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

const raw = "From: a@example.com\r\nTo: b@example.com\r\nSubject: =?UTF-8?q?H=C3=A9llo?=\r\n" +
	"Content-Type: text/plain\r\n\r\nline one\r\n.starts with a dot\r\n"

func TestReceivesAndParses(t *testing.T) {
	s := start(t)
	// net/smtp is an independent client: it would use STARTTLS or AUTH if the
	// sink offered them, and it must not.
	if err := smtp.SendMail(s.Addr(), nil, "a@example.com", []string{"b@example.com", "c@example.com"}, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.WaitFor(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.From != "a@example.com" || strings.Join(m.To, ",") != "b@example.com,c@example.com" {
		t.Fatalf("envelope: %q %q", m.From, m.To)
	}
	if m.Subject != "Héllo" {
		t.Fatalf("subject %q", m.Subject)
	}
	b, err := m.Bodies()
	if err != nil {
		t.Fatal(err)
	}
	if b["text/plain"] != "line one\n.starts with a dot\n" {
		t.Fatalf("body (dot unstuffing) %q", b["text/plain"])
	}
	if s.URL() != "smtp://"+s.Addr() {
		t.Fatal(s.URL())
	}
}

func TestProtocolErrorsAndExtensions(t *testing.T) {
	s := start(t)
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Fatal("STARTTLS offered")
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Fatal("AUTH offered")
	}
	if err := c.Rcpt("x@example.com"); err == nil || !strings.HasPrefix(err.Error(), "503") {
		t.Fatalf("RCPT before MAIL: %v", err)
	}
	if err := c.Noop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("x@example.com"); err == nil {
		t.Fatal("RSET did not clear the transaction")
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Messages()); n != 0 {
		t.Fatalf("%d messages", n)
	}
}

func TestStopAndRestartOnSameAddress(t *testing.T) {
	s := start(t)
	addr := s.Addr()
	// An idle open connection must not keep Stop from returning.
	idle, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	s.Stop()
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com"}, []byte(raw)); err == nil {
		t.Fatal("sent to a stopped sink")
	}
	if err := s.Start(addr); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Fatalf("restarted on %s, want %s", s.Addr(), addr)
	}
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com"}, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitFor(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(addr); err == nil {
		t.Fatal("second Start while running should fail")
	}
}

func TestConcurrentClientsAndWaitTimeout(t *testing.T) {
	s := start(t)
	if _, err := s.WaitFor(1, 50*time.Millisecond); err == nil {
		t.Fatal("WaitFor without messages should time out")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := smtp.SendMail(s.Addr(), nil, "a@example.com", []string{"b@example.com"}, []byte(raw)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if msgs, err := s.WaitFor(8, 5*time.Second); err != nil || len(msgs) != 8 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	s.Reset()
	if len(s.Messages()) != 0 {
		t.Fatal("Reset kept messages")
	}
}
