package testkit

import (
	"strings"
	"testing"
)

// MailLink returns the first link to s.URL+path… in the newest e-mail of the
// template to an address, read from the outbox as a person reads their
// mail (the text part).
func (s *Server) MailLink(t testing.TB, template, to, path string) string {
	t.Helper()
	msgs, _, err := s.Mailer.List(t.Context(), 200, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Template == template && m.To == to {
			i := strings.Index(m.Text, s.URL+path)
			if i < 0 {
				t.Fatalf("no %s link in %q", path, m.Text)
			}
			return strings.Fields(m.Text[i:])[0]
		}
	}
	t.Fatalf("no %s e-mail to %s", template, to)
	return ""
}
