package auth

import (
	"strings"
	"testing"
)

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@b.co", " A@B.CO ", "x", "", "a@b", "<a@b.co>", "Name <a@b.co>", "a@@b.co", "\x00@b.co", "ü@ex.com", strings.Repeat("a", 300) + "@b.co"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeEmail(s)
		if err != nil {
			return
		}
		if got != strings.ToLower(strings.TrimSpace(s)) || !strings.Contains(got, "@") || len(got) > 254 {
			t.Fatalf("NormalizeEmail(%q) = %q", s, got)
		}
		again, err := NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q (%v)", got, again, err)
		}
	})
}

func TestNormalizeEmail(t *testing.T) {
	good := map[string]string{" Ada@Example.COM ": "ada@example.com", "a.b+c@sub.example.org": "a.b+c@sub.example.org"}
	for in, want := range good {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "plain", "a@b", "Ada <a@b.co>", "a@.co", "a@co.", "@b.co", strings.Repeat("a", 250) + "@b.co"} {
		if _, err := NormalizeEmail(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
