package id

import (
	"strings"
	"testing"
)

func TestNewIsValidAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		s := New(Account)
		if !Valid(Account, s) || seen[s] {
			t.Fatalf("bad or repeated id %q", s)
		}
		seen[s] = true
	}
	if Valid(User, New(Account)) {
		t.Fatal("prefix not checked")
	}
}

func TestSecretAndHash(t *testing.T) {
	a, b := Secret(), Secret()
	if a == b || len(a) < 40 || strings.ContainsAny(a, "+/=") {
		t.Fatalf("secrets %q %q", a, b)
	}
	if Hash(a) == Hash(b) || !Equal(Hash(a), Hash(a)) || Equal(Hash(a), Hash(b)) {
		t.Fatal("hash/equal broken")
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range []string{New(Account), "acc_", "acc_" + strings.Repeat("a", 26), "usr_x", "", "acc_ABCDEFGHIJKLMNOPQRSTUVWXYZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if Valid(Account, s) && (!strings.HasPrefix(s, "acc_") || len(s) != 30 || strings.ToLower(s) != s) {
			t.Fatalf("Valid accepted %q", s)
		}
	})
}
