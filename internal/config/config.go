// Package config reads Liaison's configuration from the environment (SPEC §11).
//
// Every setting has a default so that `liaison serve` runs with no
// configuration at all. A bad value stops the start with one line naming the
// variable, rather than a default silently taking its place.
package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Config is the whole of the server's configuration.
type Config struct {
	Addr        string // LIAISON_ADDR
	DataDir     string // LIAISON_DATA_DIR
	BaseURL     string // LIAISON_BASE_URL, without a trailing slash
	DatabaseURL string // LIAISON_DATABASE_URL; empty means SQLite in DataDir
	SMTPURL     string // LIAISON_SMTP_URL; empty means the local outbox
	OpenSignup  bool   // LIAISON_OPEN_SIGNUP
	// Prices per billable brand and month, in cents (SPEC §8):
	// LIAISON_PRICE_MONTHLY_CENTS (default 4900) and
	// LIAISON_PRICE_ANNUAL_CENTS (default 4100, a month, billed annually).
	PriceMonthlyCents int64
	PriceAnnualCents  int64
}

// Getenv is how Load reads variables; tests pass a map's lookup.
type Getenv func(string) string

// Load reads the configuration from getenv (os.Getenv when nil).
func Load(getenv Getenv) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Config{
		Addr:        or(getenv("LIAISON_ADDR"), "127.0.0.1:8080"),
		DataDir:     or(getenv("LIAISON_DATA_DIR"), "./data"),
		BaseURL:     strings.TrimRight(getenv("LIAISON_BASE_URL"), "/"),
		DatabaseURL: strings.TrimSpace(getenv("LIAISON_DATABASE_URL")),
		SMTPURL:     strings.TrimSpace(getenv("LIAISON_SMTP_URL")),
		OpenSignup:  true,
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("LIAISON_ADDR: %q is not host:port (e.g. 127.0.0.1:8080)", c.Addr)
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("LIAISON_BASE_URL: %q is not an http(s) URL (e.g. https://portal.example.com)", c.BaseURL)
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return c, fmt.Errorf("LIAISON_DATABASE_URL: must be a postgres:// URL, or unset for SQLite in the data directory")
		}
	}
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			return c, fmt.Errorf("LIAISON_SMTP_URL: must be smtp://[user:pass@]host:port or smtps://…, or unset for the local outbox")
		}
	}
	if v := strings.TrimSpace(getenv("LIAISON_OPEN_SIGNUP")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("LIAISON_OPEN_SIGNUP: %q is not true or false", v)
		}
		c.OpenSignup = b
	}
	for _, p := range []struct {
		name string
		dst  *int64
		def  int64
	}{{"LIAISON_PRICE_MONTHLY_CENTS", &c.PriceMonthlyCents, 4900}, {"LIAISON_PRICE_ANNUAL_CENTS", &c.PriceAnnualCents, 4100}} {
		*p.dst = p.def
		if v := strings.TrimSpace(getenv(p.name)); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || n > 100_000_000 {
				return c, fmt.Errorf("%s: %q is not a price in cents between 0 and 100000000 (e.g. 4900 for 49.00)", p.name, v)
			}
			*p.dst = n
		}
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return c, fmt.Errorf("LIAISON_DATA_DIR: %v", err)
	}
	c.DataDir = abs
	return c, nil
}

// SecureCookies reports whether cookies must carry the Secure attribute.
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// SQLitePath is the SQLite database file used when DatabaseURL is empty.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "liaison.db") }

func or(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}
