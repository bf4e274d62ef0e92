package clientbilling

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/errs"
)

// rule is what one field accepts: at most max characters; lines > 1 lets
// it hold that many lines (the address), else it is one line; email makes
// it an e-mail address.
type rule struct {
	max   int
	lines int
	email bool
}

// Validate checks and normalises every field the change names, in Fields
// order, and returns the change as it will be stored: surrounding spaces
// trimmed, line ends as "\n" and each line trimmed at its end, an e-mail
// address lower-cased. The first bad field is an Invalid error that names
// it (code invalid_<field>).
func Validate(c Change) (Change, error) {
	for _, f := range Fields {
		p := f.change(&c)
		if *p == nil {
			continue
		}
		v, err := f.rule.check(f, **p)
		if err != nil {
			return Change{}, err
		}
		*p = &v
	}
	return c, nil
}

func (r rule) check(f Field, v string) (string, error) {
	if !utf8.ValidString(v) {
		return "", errs.InvalidField(f.Name, "%s contains characters that are not text.", f.Label)
	}
	if r.lines > 1 {
		v = strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\r", "\n")
		lines := strings.Split(v, "\n")
		for i := range lines {
			lines[i] = strings.TrimRightFunc(lines[i], unicode.IsSpace)
		}
		v = strings.Join(lines, "\n")
	}
	v = strings.TrimSpace(v)
	for _, c := range v {
		if c == '\n' && r.lines > 1 {
			continue
		}
		if forbidden(c) {
			if c == '\n' {
				return "", errs.InvalidField(f.Name, "%s must be a single line.", f.Label)
			}
			return "", errs.InvalidField(f.Name, "%s contains a control character; remove it.", f.Label)
		}
	}
	if n := utf8.RuneCountInString(v); n > r.max {
		return "", errs.InvalidField(f.Name, "%s is too long: use at most %d characters (this has %d).", f.Label, r.max, n)
	}
	if r.lines > 1 && strings.Count(v, "\n") >= r.lines {
		return "", errs.InvalidField(f.Name, "%s has too many lines: use at most %d.", f.Label, r.lines)
	}
	if r.email && v != "" {
		e, err := auth.NormalizeEmail(v)
		if err != nil {
			return "", errs.InvalidField(f.Name, "Enter the contact's e-mail address like name@example.com, or leave it empty.")
		}
		v = e
	}
	return v, nil
}

// forbidden reports characters no field takes: control characters (a
// newline is allowed only where the field has lines), the line and
// paragraph separators, and the bidirectional overrides and isolates that
// make text display in another order than it is stored.
func forbidden(c rune) bool {
	switch {
	case unicode.IsControl(c):
		return true
	case c == '\u2028' || c == '\u2029':
		return true
	case c >= '\u202A' && c <= '\u202E', c >= '\u2066' && c <= '\u2069', c == '\u200E', c == '\u200F', c == '\u061C':
		return true
	}
	return false
}
