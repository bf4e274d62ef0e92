package config

import (
	"fmt"
	"os"
	"strings"
)

// loadOps reads the operations settings of issue 20: the audit key file and
// the protection of /metrics.
func (c *Config) loadOps(getenv Getenv) error {
	c.AuditKeyFile = strings.TrimSpace(getenv("LIAISON_AUDIT_KEY_FILE"))
	if c.AuditKeyFile != "" {
		if st, err := os.Stat(c.AuditKeyFile); err != nil || st.IsDir() {
			return fmt.Errorf("LIAISON_AUDIT_KEY_FILE: %q is not a readable file (make one with: openssl genpkey -algorithm ed25519 -out audit.pem)", c.AuditKeyFile)
		}
	}
	c.MetricsToken = strings.TrimSpace(getenv("LIAISON_METRICS_TOKEN"))
	if t := c.MetricsToken; t != "" && (len(t) < 16 || strings.ContainsAny(t, " \t\r\n")) {
		return fmt.Errorf("LIAISON_METRICS_TOKEN: must be at least 16 characters without spaces (e.g. from: openssl rand -hex 24)")
	}
	c.MetricsAddr = strings.TrimSpace(getenv("LIAISON_METRICS_ADDR"))
	if c.MetricsAddr != "" {
		if err := validAddr(c.MetricsAddr); err != nil {
			return fmt.Errorf("LIAISON_METRICS_ADDR: %q %v (e.g. 127.0.0.1:9090)", c.MetricsAddr, err)
		}
		if c.MetricsAddr == c.Addr {
			return fmt.Errorf("LIAISON_METRICS_ADDR: %q is LIAISON_ADDR itself; leave it unset to serve /metrics there", c.MetricsAddr)
		}
	}
	return nil
}
