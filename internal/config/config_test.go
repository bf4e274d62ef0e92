package config

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.BaseURL != "http://127.0.0.1:8080" || !c.OpenSignup || c.DatabaseURL != "" || c.SMTPURL != "" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if !strings.HasSuffix(c.SQLitePath(), "data/liaison.db") {
		t.Fatalf("sqlite path %s", c.SQLitePath())
	}
	if c.SecureCookies() {
		t.Fatal("http base URL must not set Secure cookies")
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
	}{
		{"LIAISON_ADDR", map[string]string{"LIAISON_ADDR": "nonsense"}},
		// A bad address is blamed on LIAISON_ADDR, not on the base URL
		// made from it; a bad port fails here, before any migration runs.
		{"LIAISON_ADDR", map[string]string{"LIAISON_ADDR": "bad host:8080"}},
		{"LIAISON_ADDR", map[string]string{"LIAISON_ADDR": "127.0.0.1:99999"}},
		{"LIAISON_ADDR", map[string]string{"LIAISON_ADDR": "127.0.0.1:http"}},
		{"LIAISON_BASE_URL", map[string]string{"LIAISON_BASE_URL": "ftp://x"}},
		{"LIAISON_DATABASE_URL", map[string]string{"LIAISON_DATABASE_URL": "mysql://x"}},
		{"LIAISON_SMTP_URL", map[string]string{"LIAISON_SMTP_URL": "http://mail"}},
		{"LIAISON_OPEN_SIGNUP", map[string]string{"LIAISON_OPEN_SIGNUP": "maybe"}},
		{"LIAISON_TRUSTED_PROXIES", map[string]string{"LIAISON_TRUSTED_PROXIES": "10.0.0.0/8, proxy.example"}},
		{"LIAISON_LOG_LEVEL", map[string]string{"LIAISON_LOG_LEVEL": "loud"}},
	}
	for _, c := range cases {
		_, err := Load(env(c.env))
		if err == nil || !strings.HasPrefix(err.Error(), c.name+":") {
			t.Errorf("%v: got %v, want an error naming %s", c.env, err, c.name)
		}
	}
}

func TestValuesAreRead(t *testing.T) {
	c, err := Load(env(map[string]string{
		"LIAISON_ADDR": "0.0.0.0:9000", "LIAISON_BASE_URL": "https://portal.example.com/",
		"LIAISON_DATABASE_URL": "postgres://u@h/db", "LIAISON_SMTP_URL": "smtps://u:p@mail:465",
		"LIAISON_OPEN_SIGNUP": "false", "LIAISON_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 ,fd00::/8", "LIAISON_LOG_LEVEL": "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "https://portal.example.com" || !c.SecureCookies() || c.OpenSignup || c.Addr != "0.0.0.0:9000" {
		t.Fatalf("%+v", c)
	}
	if fmt.Sprint(c.TrustedProxies) != "[10.0.0.0/8 192.168.1.7/32 fd00::/8]" || c.LogLevel != slog.LevelDebug {
		t.Fatalf("trusted proxies %v, log level %v", c.TrustedProxies, c.LogLevel)
	}
}
