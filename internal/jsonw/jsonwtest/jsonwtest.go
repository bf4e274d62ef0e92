// Package jsonwtest holds the values the byte-comparison tests of
// hand-written JSON encoders draw from (internal/jsonw): strings that
// encoding/json escapes in every way it can, and random strings, numbers
// and times.
package jsonwtest

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Strings are fixed strings covering each escape: HTML's <>& (not escaped
// with SetEscapeHTML(false)), quotes, backslashes, control characters,
// DEL, multi-byte UTF-8, U+2028/U+2029, invalid and truncated UTF-8.
var Strings = []string{"", "plain", `<script>alert("x")</script>`, "a&b", "Tom & Jerry's <b>", `back\slash`, "\"quoted\"",
	"tab\tnew\nline\rcr", "\b\f\x00\x01\x1f\x7f", "Café Ünïcødé 日本語 🙂", "\u2028\u2029", "bad \xff\xfe utf8", "\xe2\x82",
	"€", "\u00a0nbsp", "emoji 👩‍👩‍👧 zwj", "/slash/", "%s %d", "null", "{\"k\":1}"}

// runes the random strings are made of, weighted toward what escapes.
var pieces = []string{"a", "Z", "0", " ", "<", ">", "&", "\"", "\\", "/", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "日",
	"🙂", "\u2028", "\u2029", "\xff", "\xe2\x82", "\ufffd", "'", "%"}

// RandString returns a random string of up to 40 pieces.
func RandString(r *rand.Rand) string {
	n := r.IntN(40)
	var b []byte
	for range n {
		if r.IntN(3) == 0 {
			b = append(b, byte(r.IntN(256)))
			continue
		}
		b = append(b, pieces[r.IntN(len(pieces))]...)
	}
	return string(b)
}

// RandStringPtr returns nil one time in four.
func RandStringPtr(r *rand.Rand) *string {
	if r.IntN(4) == 0 {
		return nil
	}
	s := RandString(r)
	return &s
}

// RandFloat returns a float of any magnitude and sign, or a small integer,
// a round decimal or zero.
func RandFloat(r *rand.Rand) float64 {
	switch r.IntN(5) {
	case 0:
		return float64(r.IntN(2000) - 1000)
	case 1:
		return float64(r.IntN(100000)) / 100
	case 2:
		return 0
	case 3:
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 1
		}
		return f
	}
	return (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(60)-30))
}

// RandFloatPtr returns nil one time in four.
func RandFloatPtr(r *rand.Rand) *float64 {
	if r.IntN(4) == 0 {
		return nil
	}
	f := RandFloat(r)
	return &f
}

// RandTime returns a time within about three years of around, in UTC, the
// local zone or an odd fixed offset, with or without nanoseconds.
func RandTime(r *rand.Rand, around time.Time) time.Time {
	t := around.Add(time.Duration(r.Int64N(int64(3*365*24*time.Hour))) - 18*30*24*time.Hour)
	switch r.IntN(4) {
	case 0:
		t = t.UTC()
	case 1:
		t = t.In(time.FixedZone("odd", r.IntN(28*3600)-14*3600))
	case 2:
		t = t.Truncate(time.Second)
	}
	return t
}

// RandTimePtr returns nil one time in four.
func RandTimePtr(r *rand.Rand, around time.Time) *time.Time {
	if r.IntN(4) == 0 {
		return nil
	}
	t := RandTime(r, around)
	return &t
}

// Encode is encoding/json as huma's JSON format runs it (HTML escaping
// off), with its trailing newline.
func Encode(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return buf.Bytes()
}

// Appender is jsonw.Appender (not imported, so that jsonw's own tests can
// use this package).
type Appender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// Same fails t unless v's AppendJSON writes encoding/json's bytes (without
// the newline).
func Same(t testing.TB, v Appender) {
	t.Helper()
	want := bytes.TrimSuffix(Encode(t, v), []byte("\n"))
	got, err := v.AppendJSON(nil)
	if err != nil {
		t.Fatalf("AppendJSON: %v", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("AppendJSON differs from encoding/json at byte %d:\n got …%s\nwant …%s", i, clip(got, i), clip(want, i))
	}
}

func clip(b []byte, i int) []byte {
	from := max(0, i-40)
	return b[from:min(len(b), i+80)]
}
