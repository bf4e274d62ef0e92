// Package config reads Liaison's configuration from the environment (SPEC §11).
//
// Every setting has a default so that `liaison serve` runs with no
// configuration at all. A bad value stops the start with one line naming the
// variable, rather than a default silently taking its place.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
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
	// TrustedProxies (LIAISON_TRUSTED_PROXIES, CIDRs or addresses,
	// comma-separated; default none) are the reverse proxies whose
	// X-Forwarded-For is believed: the client IP is the right-most address
	// in it that is not one of them.
	TrustedProxies []netip.Prefix
	LogLevel       slog.Level // LIAISON_LOG_LEVEL: debug, info (default), warn, error
	// Prices per billable brand and month, in cents (SPEC §8):
	// LIAISON_PRICE_MONTHLY_CENTS (default 4900) and
	// LIAISON_PRICE_ANNUAL_CENTS (default 4100, a month, billed annually).
	PriceMonthlyCents int64
	PriceAnnualCents  int64
	// AuditKeyFile (LIAISON_AUDIT_KEY_FILE) is the Ed25519 key that signs
	// the audit trail; empty: DataDir/audit-ed25519.pem, made on first start.
	AuditKeyFile string
	// MetricsToken (LIAISON_METRICS_TOKEN), when set, is the bearer token
	// /metrics requires. MetricsAddr (LIAISON_METRICS_ADDR), when set, serves
	// /metrics on that address only (e.g. 127.0.0.1:9090), not on Addr.
	MetricsToken string
	MetricsAddr  string
	// SQLiteMmapMB (LIAISON_SQLITE_MMAP_MB, default 0: none) bounds how much of
	// the SQLite file reads map into memory (db.Options).
	SQLiteMmapMB int64
	// WebhookAllowLoopback (LIAISON_WEBHOOK_ALLOW_LOOPBACK, default false)
	// lets webhook endpoints be on a loopback address, over http:// too:
	// for development and tests only. Private and link-local addresses
	// stay refused either way (internal/webhook).
	WebhookAllowLoopback bool
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
	if err := validAddr(c.Addr); err != nil {
		return c, fmt.Errorf("LIAISON_ADDR: %q %v (e.g. 127.0.0.1:8080)", c.Addr, err)
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
	if v := strings.TrimSpace(getenv("LIAISON_WEBHOOK_ALLOW_LOOPBACK")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("LIAISON_WEBHOOK_ALLOW_LOOPBACK: %q is not true or false", v)
		}
		c.WebhookAllowLoopback = b
	}
	for _, v := range strings.Split(getenv("LIAISON_TRUSTED_PROXIES"), ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		p, err := parsePrefix(v)
		if err != nil {
			return c, fmt.Errorf("LIAISON_TRUSTED_PROXIES: %q is not a CIDR (e.g. 10.0.0.0/8) or an IP address", v)
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if v := strings.TrimSpace(getenv("LIAISON_LOG_LEVEL")); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return c, fmt.Errorf("LIAISON_LOG_LEVEL: %q is not debug, info, warn or error", v)
		}
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
	if err := c.loadOps(getenv); err != nil {
		return c, err
	}
	if v := strings.TrimSpace(getenv("LIAISON_SQLITE_MMAP_MB")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 1<<20 {
			return c, fmt.Errorf("LIAISON_SQLITE_MMAP_MB: %q is not a size in MB between 0 and 1048576 (e.g. 256; 0, the default, maps nothing)", v)
		}
		c.SQLiteMmapMB = n
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

// validAddr checks a listen address before anything else starts (the
// migrations run before the listen): host:port, the port a number from 0
// to 65535, the host empty, an IP address or a host name.
func validAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("is not host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("has no port from 0 to 65535")
	}
	if host == "" {
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") ||
			strings.Trim(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
			return fmt.Errorf("has a host that is neither an IP address nor a host name")
		}
	}
	return nil
}

// parsePrefix reads a CIDR, or a single address as its /32 (/128).
func parsePrefix(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func or(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}
