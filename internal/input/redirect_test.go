package input

import (
	"net/url"
	"strings"
	"testing"
)

// browserHost resolves target the way a browser does against
// https://liaison.test/ after its own cleaning (tabs and newlines removed
// anywhere, C0 controls and spaces trimmed at the ends, backslashes read as
// slashes, %2F/%5C decoded by an intermediary) and returns the host.
func browserHost(target string) string {
	s := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, target)
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	s = strings.ReplaceAll(s, "\\", "/")
	for _, enc := range []string{"%2f", "%2F", "%5c", "%5C"} {
		s = strings.ReplaceAll(s, enc, "/")
	}
	base, _ := url.Parse("https://liaison.test/app/")
	u, err := base.Parse(s)
	if err != nil {
		return "unparseable"
	}
	return u.Host
}

func TestLocalPathRefusesEveryOtherHost(t *testing.T) {
	evil := []string{
		"//evil.test", "///evil.test", "////evil.test", "/\\evil.test", "\\\\evil.test", "\\/evil.test",
		"/\t/evil.test", "/\n/evil.test", "/\r\n/evil.test", "\t//evil.test", " //evil.test", "/ /evil.test\x00",
		"/\x00/evil.test", "/\x0b/evil.test", "/\x0c/evil.test", "/\x1f/evil.test", "/\x7f/evil.test",
		"/\u0085/evil.test", "/\u2028/evil.test", "/\u00a0/evil.test", "/\u3000/evil.test",
		"/%2f/evil.test", "/%2F/evil.test", "/%5c/evil.test", "/%5Cevil.test", "/%2F%2Fevil.test",
		"/%09/evil.test", "/%0a/evil.test", "/%0d%0a/evil.test", "/%00/evil.test", "/%E2%80%A8/evil.test",
		"/%2e%2e//evil.test", "/..//evil.test", "/.//evil.test", "/app/..//evil.test", "/app//evil.test",
		"/%", "/%zz", "/\xff/evil.test", "/%ff",
		"https://evil.test", "http://evil.test/app", "javascript:alert(1)", "data:text/html,x", "evil.test",
		"HTTPS://evil.test", "https:evil.test", "//evil.test/app", "/\\/evil.test", "/\t\\evil.test",
		"", " ", "app", "./app", "../app", "?next=/app", "#x",
		"/" + strings.Repeat("a", 3000),
	}
	for _, s := range evil {
		if got := LocalPath(s); got != "" {
			t.Errorf("LocalPath(%q) = %q, want refused (a browser goes to host %q)", s, got, browserHost(s))
		}
	}
	good := []string{
		"/", "/app", "/app/clients", "/app/clients/acc_123?tab=users#top", "/app/clients?q=a%2Fb&status=active",
		"/login?next=%2Fapp%2Fclients", "/app/clients/acc_1?cursor=abc%3D%3D", "/app/caf%C3%A9", "/app/a%20b",
		"/app/clients?q=a//b",
	}
	for _, s := range good {
		if got := LocalPath(s); got != s {
			t.Errorf("LocalPath(%q) = %q, want it kept", s, got)
		}
		if h := browserHost(s); h != "liaison.test" {
			t.Fatalf("test table: %q goes to %q", s, h)
		}
	}
	// Whatever LocalPath keeps, a browser resolves on this host.
	for _, s := range append(evil, good...) {
		if LocalPath(s) != "" && browserHost(s) != "liaison.test" {
			t.Errorf("LocalPath kept %q, which a browser resolves to host %q", s, browserHost(s))
		}
	}
}

func TestLocalPathUnder(t *testing.T) {
	cases := []struct{ in, want string }{
		{"/app/clients", "/app/clients"},
		{"/app/clients/acc_1", "/app/clients/acc_1"},
		{"/app/clients?q=x", "/app/clients?q=x"},
		{"/app/clientsX", "def"},
		{"/app/users", "def"},
		{"/app/clients/\t/evil.test", "def"},
		{"//app/clients", "def"},
		{"/app/clients/..//evil.test", "def"},
	}
	for _, c := range cases {
		if got := LocalPathUnder(c.in, "/app/clients", "def"); got != c.want {
			t.Errorf("LocalPathUnder(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
