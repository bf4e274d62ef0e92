package config

import (
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
	cases := map[string]map[string]string{
		"LIAISON_ADDR":         {"LIAISON_ADDR": "nonsense"},
		"LIAISON_BASE_URL":     {"LIAISON_BASE_URL": "ftp://x"},
		"LIAISON_DATABASE_URL": {"LIAISON_DATABASE_URL": "mysql://x"},
		"LIAISON_SMTP_URL":     {"LIAISON_SMTP_URL": "http://mail"},
		"LIAISON_OPEN_SIGNUP":  {"LIAISON_OPEN_SIGNUP": "maybe"},
	}
	for name, m := range cases {
		_, err := Load(env(m))
		if err == nil || !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestValuesAreRead(t *testing.T) {
	c, err := Load(env(map[string]string{
		"LIAISON_ADDR": "0.0.0.0:9000", "LIAISON_BASE_URL": "https://portal.example.com/",
		"LIAISON_DATABASE_URL": "postgres://u@h/db", "LIAISON_SMTP_URL": "smtps://u:p@mail:465",
		"LIAISON_OPEN_SIGNUP": "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "https://portal.example.com" || !c.SecureCookies() || c.OpenSignup || c.Addr != "0.0.0.0:9000" {
		t.Fatalf("%+v", c)
	}
}
