package web

import (
	"testing"
	"time"
)

func TestAgo(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"}, {30 * time.Second, "just now"}, {80 * time.Second, "1 minute ago"},
		{3 * time.Minute, "3 minutes ago"}, {59 * time.Minute, "59 minutes ago"}, {time.Hour, "1 hour ago"},
		{5*time.Hour + 20*time.Minute, "5 hours ago"}, {26 * time.Hour, "1 day ago"}, {3 * 24 * time.Hour, "3 days ago"},
		{65 * 24 * time.Hour, "2 months ago"}, {800 * 24 * time.Hour, "2 years ago"}, {-2 * time.Hour, "in 2 hours"},
	} {
		if got := ago(now, now.Add(-c.d)); got != c.want {
			t.Errorf("ago(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestSmallHelpers(t *testing.T) {
	for in, want := range map[string]string{"Ada Lovelace": "AL", "grace": "G", "  ": "?", "Émile Zola Jr": "ÉZ"} {
		if got := initials(in); got != want {
			t.Errorf("initials(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36":                   "Chrome on Linux",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1": "Safari on iPhone",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0":                                    "Firefox on Windows",
		"Go-http-client/1.1": "Go program", "": "Unknown device",
	} {
		if got := browser(in); got != want {
			t.Errorf("browser(%q) = %q, want %q", in, got, want)
		}
	}
}
