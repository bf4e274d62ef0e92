package audit_test

import (
	"testing"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/errs"
)

// FuzzParseCursor feeds ParseCursor arbitrary strings: it must never panic,
// must refuse with an Invalid error on "cursor", and whatever it accepts must
// be a positive seq that encodes back to a cursor naming the same seq.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{
		"", "MQ", audit.EncodeCursor(1), audit.EncodeCursor(42), audit.EncodeCursor(1<<63 - 1),
		"MA", "LTE", "KzE", "MDE", "OTIyMzM3MjAzNjg1NDc3NTgwOA", "MQ==", "!!!!", "\xff\x00",
		"YWJj", "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := audit.ParseCursor(s)
		if err != nil {
			if e := errs.As(err); e == nil || e.Kind != errs.Invalid || e.Field != "cursor" {
				t.Fatalf("ParseCursor(%q): error %v is not an invalid cursor", s, err)
			}
			return
		}
		if n <= 0 {
			t.Fatalf("ParseCursor(%q) = %d", s, n)
		}
		if m, err := audit.ParseCursor(audit.EncodeCursor(n)); err != nil || m != n {
			t.Fatalf("round trip of %d: %d, %v", n, m, err)
		}
	})
}
