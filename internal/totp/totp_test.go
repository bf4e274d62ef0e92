package totp

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"
)

// The RFC 6238 appendix B vectors for SHA-1 (secret "12345678901234567890"),
// truncated to six digits as the apps use them.
func TestRFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for _, v := range []struct {
		unix int64
		want string // the RFC's 8 digits, last 6
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		got, err := Code(secret, time.Unix(v.unix, 0))
		if err != nil || got != v.want {
			t.Errorf("Code at %d = %q, %v; want %q", v.unix, got, err, v.want)
		}
	}
}

func TestCheckWindowAndReuse(t *testing.T) {
	s := NewSecret()
	now := time.Now()
	cur := Step(now)
	for _, d := range []int64{-1, 0, 1} {
		c, _ := CodeAt(s, cur+d)
		if st, ok := Check(s, c, now, 0); !ok || st != cur+d {
			t.Errorf("step %+d: %d %v", d, st, ok)
		}
		// A step at or below the last one used is refused.
		if _, ok := Check(s, c, now, cur+d); ok {
			t.Errorf("step %+d accepted again", d)
		}
	}
	for _, d := range []int64{-3, -2, 2, 3} {
		c, _ := CodeAt(s, cur+d)
		// Another step's code may collide by chance (one in a million).
		if c2, _ := CodeAt(s, cur); c2 == c {
			continue
		}
		if _, ok := Check(s, c, now, 0); ok {
			t.Errorf("step %+d outside the window accepted", d)
		}
	}
	c, _ := CodeAt(s, cur)
	if _, ok := Check(s, c[:3]+" "+c[3:], now, 0); !ok {
		t.Error("a code typed with a space refused")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", "12345x"} {
		if _, ok := Check(s, bad, now, 0); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestURIAndQR(t *testing.T) {
	u := URI("ABCD", "Liaison", "ann@example.com")
	if !strings.HasPrefix(u, "otpauth://totp/Liaison:ann@example.com?") || !strings.Contains(u, "secret=ABCD") {
		t.Errorf("URI = %s", u)
	}
	png, err := QRPNG(u, 200)
	if err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Errorf("QRPNG: %v, %d bytes", err, len(png))
	}
	if FormatSecret("ABCDEFGHIJ") != "ABCD EFGH IJ" {
		t.Error(FormatSecret("ABCDEFGHIJ"))
	}
}
