package clientlist

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// TestCursorEncodesAsJSON: the hand-written cursor is the JSON
// encoding/json writes (HTML characters aside, which it escapes and
// decoding does not need), and every cursor reads back as it was.
func TestCursorEncodesAsJSON(t *testing.T) {
	k := int64(-42)
	long := strings.Repeat("Long name ", 60) // past the stack buffers
	for _, c := range []cursor{
		{Sort: "name", Name: "acme labs", ID: "acc_1"},
		{Sort: "-health", Key: &k, Name: "Zoë \"quoted\" \\ back\tslash\u2028", ID: "acc_2"},
		{Sort: "last_active", Key: new(int64), Name: long, ID: "acc_3"},
		{Sort: "name", Name: "bad utf-8 \xff and <b>&</b>", ID: "acc_4"},
	} {
		got := c.encode()
		raw, err := base64.RawURLEncoding.DecodeString(got)
		if err != nil {
			t.Fatalf("%q: not base64url: %v", got, err)
		}
		var want []byte
		var buf strings.Builder
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
		want = []byte(strings.TrimSuffix(buf.String(), "\n"))
		if string(raw) != string(want) {
			t.Errorf("cursor JSON\n got %s\nwant %s", raw, want)
		}
		back, err := parseCursor(got, c.Sort)
		if err != nil && len(got) <= 1000 {
			t.Fatalf("%q does not read back: %v", got, err)
		}
		if err == nil && (back.Name != strings.ToValidUTF8(c.Name, "\uFFFD") || back.ID != c.ID || (back.Key == nil) != (c.Key == nil) || back.Key != nil && *back.Key != *c.Key) {
			t.Errorf("read back %+v, want %+v", back, c)
		}
	}
}
