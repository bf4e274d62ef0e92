package db

import (
	"runtime"
	"strings"
	"testing"
)

// pool_max_conns sets the pool's size and never reaches PostgreSQL (which
// would refuse it as an unknown setting); without it the pool is pgx's
// default size; a bad value is refused with its name.
func TestPoolSize(t *testing.T) {
	u, n, err := poolSize("postgres://u@h:5432/d?sslmode=disable&pool_max_conns=9")
	if err != nil || n != 9 || strings.Contains(u, "pool_max_conns") || !strings.Contains(u, "sslmode=disable") {
		t.Fatalf("got %q %d %v", u, n, err)
	}
	if u, n, err := poolSize("postgres://u@h/d"); err != nil || n != max(4, runtime.NumCPU()) || u != "postgres://u@h/d" {
		t.Fatalf("default: %q %d %v", u, n, err)
	}
	for _, bad := range []string{"0", "-1", "x", "1001"} {
		if _, _, err := poolSize("postgres://u@h/d?pool_max_conns=" + bad); err == nil || !strings.Contains(err.Error(), "pool_max_conns") {
			t.Errorf("pool_max_conns=%s: %v", bad, err)
		}
	}
}
