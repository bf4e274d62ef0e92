package password

import (
	_ "embed"
	"strings"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/errs"
)

// Length rules. The minimum counts characters, as people do; the maximum
// counts bytes, because it exists to bound the work and storage a request can
// cause, not to limit anyone's choice of password.
const (
	MinChars = 10
	MaxBytes = 256
)

//go:embed common.txt
var commonText string

// common holds the embedded list of the most common passwords, lower-cased.
var common = func() map[string]struct{} {
	m := make(map[string]struct{})
	for _, line := range strings.Split(commonText, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[strings.ToLower(line)] = struct{}{}
	}
	return m
}()

// Validate checks a new password against the minimum rules: at least MinChars
// characters, at most MaxBytes bytes, not one character repeated, not the
// user's e-mail address, its local part or the user's name, and not one of the
// most common passwords. email and name may be empty when not known yet. The
// error is an errs.Invalid error for the field "password".
func Validate(plain, email, name string) error {
	bad := func(format string, args ...any) error { return errs.InvalidField("password", format, args...) }
	n := utf8.RuneCountInString(plain)
	if n < MinChars {
		return bad("Password must be at least %d characters long.", MinChars)
	}
	if len(plain) > MaxBytes {
		return bad("Password must be at most %d bytes long.", MaxBytes)
	}
	if !utf8.ValidString(plain) {
		return bad("Password contains invalid characters.")
	}
	if strings.Count(plain, plain[:firstRuneLen(plain)]) == n {
		return bad("Password must not be one character repeated.")
	}
	// Compare as people would see it: ignoring case and surrounding spaces.
	p := strings.TrimSpace(plain)
	if email = strings.TrimSpace(email); email != "" {
		local := email
		if at := strings.LastIndexByte(email, '@'); at >= 0 {
			local = email[:at]
		}
		if strings.EqualFold(p, email) || (local != "" && strings.EqualFold(p, local)) {
			return bad("Password must not be your e-mail address.")
		}
	}
	if name = strings.TrimSpace(name); name != "" && strings.EqualFold(p, name) {
		return bad("Password must not be your name.")
	}
	if _, ok := common[strings.ToLower(p)]; ok {
		return bad("This password is too common; choose one that is harder to guess.")
	}
	return nil
}

func firstRuneLen(s string) int {
	_, size := utf8.DecodeRuneInString(s)
	return size
}
