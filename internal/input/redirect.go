// Package input is what the server accepts from outside before anything
// else looks at it: redirect targets a user may supply (LocalPath) and text
// in paths, queries, forms and JSON bodies (Text, URL, Form, Struct).
package input

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxRedirect bounds a redirect target; the app's own paths are far shorter.
const maxRedirect = 2048

// LocalPath returns s when it is a path on this site that every browser
// reads as such, else "". It is the one check for every redirect whose
// target comes from a request (next=, back=, return_to, …).
//
// Browsers clean a Location before resolving it: they drop tabs and
// newlines anywhere and control characters and spaces at the ends, read a
// backslash as a slash, and some servers and proxies decode %2F and %5C on
// the way. "/\t/evil.test" is "//evil.test" to a browser, another host. So
// the target must start with exactly one "/", hold no control character,
// backslash or whitespace trick anywhere, be valid UTF-8, and its path
// (before ? and #) must, percent-decoded once, still be a plain absolute
// path with no "//", backslash, control character or dot segment.
func LocalPath(s string) string {
	if s == "" || len(s) > maxRedirect || !utf8.ValidString(s) || s[0] != '/' {
		return ""
	}
	if hasControlOrBackslash(s) {
		return ""
	}
	p := s
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	dec, err := url.PathUnescape(p)
	if err != nil || !utf8.ValidString(dec) || hasControlOrBackslash(dec) || !plainPath(p) || !plainPath(dec) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	return s
}

// LocalPathUnder returns s when LocalPath accepts it and its path is prefix
// or below it ("/app" accepts "/app", "/app/x", "/app?y", not "/apple"),
// else def.
func LocalPathUnder(s, prefix, def string) string {
	s = LocalPath(s)
	if s == "" || !strings.HasPrefix(s, prefix) {
		return def
	}
	if rest := s[len(prefix):]; rest != "" && !strings.HasSuffix(prefix, "/") && !strings.ContainsRune("/?#", rune(rest[0])) {
		return def
	}
	return s
}

// hasControlOrBackslash reports a backslash, a Unicode control character
// (C0, DEL, C1), a line or paragraph separator, or any whitespace other
// than the plain space.
func hasControlOrBackslash(s string) bool {
	for _, r := range s {
		if r == '\\' || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || (r != ' ' && unicode.IsSpace(r)) ||
			r == utf8.RuneError {
			return true
		}
	}
	return false
}

// plainPath reports a path of one leading slash with no empty segment
// ("//") and no "." or ".." segment.
func plainPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") {
		return false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}
