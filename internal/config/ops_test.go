package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/config"
)

func TestOpsSettings(t *testing.T) {
	key := filepath.Join(t.TempDir(), "audit.pem")
	if err := os.WriteFile(key, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := map[string]string{"LIAISON_METRICS_TOKEN": "0123456789abcdef", "LIAISON_METRICS_ADDR": "127.0.0.1:9090", "LIAISON_AUDIT_KEY_FILE": key}
	c, err := config.Load(func(k string) string { return ok[k] })
	if err != nil || c.MetricsToken != "0123456789abcdef" || c.MetricsAddr != "127.0.0.1:9090" || c.AuditKeyFile != key {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []struct{ name, value string }{
		{"LIAISON_METRICS_TOKEN", "short"},
		{"LIAISON_METRICS_TOKEN", "has a space in it, long enough"},
		{"LIAISON_METRICS_ADDR", "nohostport"},
		{"LIAISON_METRICS_ADDR", "127.0.0.1:8080"}, // LIAISON_ADDR's default
		{"LIAISON_AUDIT_KEY_FILE", filepath.Join(t.TempDir(), "missing.pem")},
	} {
		_, err := config.Load(func(k string) string {
			if k == bad.name {
				return bad.value
			}
			return ""
		})
		if err == nil || !strings.HasPrefix(err.Error(), bad.name+":") {
			t.Errorf("%s=%q: %v", bad.name, bad.value, err)
		}
	}
}
