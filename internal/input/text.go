package input

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/errs"
)

// Text from outside: every value of a path, a query, a posted form or a
// JSON body must be valid UTF-8 without control characters before anything
// reads it, so that no engine ever sees a NUL byte or invalid UTF-8
// (SQLite stored them; PostgreSQL refused them with a 500). Multi-line
// fields may hold \n, \r and \t; nothing may hold another control
// character. The server checks paths and queries once for every request
// (server.checkInput), the API every decoded input (Struct, in api.add), the
// pages every posted form (Form). Checks of meaning (an e-mail address, a
// name's length) stay in the domain.

// MultiLine names the fields that may hold line breaks and tabs: an
// invitation's personal message, the portal's welcome message and a
// client's billing address, the only text areas. Every other field is one
// line.
var MultiLine = map[string]bool{"message": true, "welcome_message": true, "address": true}

// MaxInt bounds every integer of a request whose field sets no narrower
// bound: no count, size or number of days of ours comes near it, and it
// fits every column on both engines.
const MaxInt = 1<<31 - 1

// MaxSeats bounds a client's seats (0 is unlimited).
const MaxSeats = 100_000

// Text reports the first problem of one value of field, as a 400.
func Text(field, s string, multiline bool) error {
	if !utf8.ValidString(s) {
		return errs.InvalidField(field, "%s is not valid UTF-8 text.", nameOf(field))
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			what := "a control character"
			if r == '\n' || r == '\r' {
				what = "a line break"
			}
			return errs.InvalidField(field, "%s holds %s (%U), which is not allowed here.", nameOf(field), what, r)
		}
	}
	return nil
}

func nameOf(field string) string {
	if field == "" {
		return "The value"
	}
	return "The field " + strconv.Quote(field)
}

// URL checks a request's path and every query key and value.
func URL(u *url.URL) error {
	if err := Text("path", u.Path, false); err != nil {
		return err
	}
	if u.RawPath != "" {
		if _, err := url.PathUnescape(u.RawPath); err != nil {
			return errs.InvalidField("path", "The path is not valid.")
		}
	}
	// A pair that does not parse (a bad escape, a semicolon) is dropped by
	// every reader of the query as it is here, so only what parses is
	// checked.
	q, _ := url.ParseQuery(u.RawQuery)
	return values(q, func(string) bool { return false })
}

// Form checks posted form values; field names in MultiLine may hold line
// breaks.
func Form(v url.Values) error { return values(v, func(k string) bool { return MultiLine[k] }) }

func values(v url.Values, multiline func(string) bool) error {
	for k, vs := range v {
		if err := Text("", k, false); err != nil {
			return errs.InvalidField("query", "A parameter name holds a control character or is not valid UTF-8.")
		}
		for _, s := range vs {
			if err := Text(k, s, multiline(k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Struct walks a decoded request (a huma input: path and query parameters
// and the body; header parameters are left to what stores them) and checks every string in it, by the field's
// JSON or parameter name; byte slices (uploads) are not text and are
// skipped.
func Struct(v any) error { return walk(reflect.ValueOf(v), "", 0) }

func walk(v reflect.Value, name string, depth int) error {
	if depth > 32 || !v.IsValid() {
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walk(v.Elem(), name, depth+1)
	case reflect.String:
		return Text(name, v.String(), MultiLine[leaf(name)])
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n := v.Int(); n > MaxInt || n < -MaxInt {
			return errs.InvalidField(name, "%s is out of range (at most %d).", nameOf(name), MaxInt)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.Uint() > MaxInt {
			return errs.InvalidField(name, "%s is out of range (at most %d).", nameOf(name), MaxInt)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			n := fieldName(f)
			if _, isHeader := f.Tag.Lookup("header"); n == "-" || isHeader {
				continue // headers (User-Agent) are not typed text: what stores one cleans it
			}
			child := n
			if name != "" && !f.Anonymous && n != "" {
				child = name + "." + n
			} else if n == "" {
				child = name
			}
			if err := walk(v.Field(i), child, depth+1); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // raw bytes: uploads
		}
		for i := 0; i < v.Len(); i++ {
			if err := walk(v.Index(i), name, depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if k := it.Key(); k.Kind() == reflect.String {
				if err := Text(name, k.String(), false); err != nil {
					return err
				}
			}
			if err := walk(it.Value(), name, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// fieldName is the name a request gives a field: its path, query or header
// parameter name, else its JSON name; "" for the body and embedded structs,
// "-" for fields that are not part of the request.
func fieldName(f reflect.StructField) string {
	for _, tag := range []string{"path", "query", "header", "json"} {
		if s, ok := f.Tag.Lookup(tag); ok {
			n, _, _ := strings.Cut(s, ",")
			return n
		}
	}
	if f.Name == "Body" || f.Anonymous {
		return ""
	}
	return strings.ToLower(f.Name)
}

func leaf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}
