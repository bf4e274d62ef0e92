// Package jsonw appends JSON without reflection, byte for byte as
// encoding/json writes it with HTML escaping off (huma's encoder): the hot
// responses (the client list page, /me, report data) implement Appender and
// the API's JSON format calls it instead of encoding/json (issue 23: the
// reflection walk was about a sixth of a list request's CPU). Anything an
// Appender cannot write exactly as encoding/json would (a NaN, a year past
// 9999) makes it return ErrFallback, and the caller encodes with
// encoding/json, which then answers as it always did. The tests in this
// package and in the types' packages compare the bytes with encoding/json's
// over fixed and random values.
package jsonw

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Appender is a value that appends its own JSON encoding to b.
type Appender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// ErrFallback says the value must be encoded by encoding/json.
var ErrFallback = errors.New("jsonw: encode with encoding/json")

const hex = "0123456789abcdef"

// String appends s as a JSON string, escaped as encoding/json escapes it
// with SetEscapeHTML(false): control characters, the quote and backslash;
// invalid UTF-8 becomes U+FFFD; U+2028 and U+2029 are escaped (JSONP).
func String(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// StringPtr appends *s, or null.
func StringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return String(b, *s)
}

// Key appends "k": (a field's name needs no escaping; map keys do).
func Key(b []byte, k string) []byte {
	b = String(b, k)
	return append(b, ':')
}

// Int appends n.
func Int(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// Bool appends true or false.
func Bool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// Float appends f as encoding/json writes a float64: the shortest
// representation, in exponent form below 1e-6 and from 1e21, with the
// exponent's leading zero dropped. NaN and infinities are ErrFallback
// (encoding/json refuses them).
func Float(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, ErrFallback
	}
	abs := math.Abs(f)
	fmt := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmt = 'e'
	}
	b = strconv.AppendFloat(b, f, fmt, -1, 64)
	if fmt == 'e' {
		// e-09 → e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// FloatPtr appends *f, or null.
func FloatPtr(b []byte, f *float64) ([]byte, error) {
	if f == nil {
		return append(b, "null"...), nil
	}
	return Float(b, *f)
}

// Time appends t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds as needed); a time it refuses is ErrFallback.
func Time(b []byte, t time.Time) ([]byte, error) {
	n := len(b)
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return b[:n], ErrFallback
	}
	return append(b, '"'), nil
}

// TimePtr appends *t, or null.
func TimePtr(b []byte, t *time.Time) ([]byte, error) {
	if t == nil {
		return append(b, "null"...), nil
	}
	return Time(b, *t)
}

// Strings appends a []string (nil is null).
func Strings(b []byte, s []string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, v)
	}
	return append(b, ']')
}

// FloatMap appends a map[string]float64 with its keys sorted, as
// encoding/json does (nil is null).
func FloatMap(b []byte, m map[string]float64) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var arr [16]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = Key(b, k)
		if b, err = Float(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
