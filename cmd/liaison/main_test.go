package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/liaison-dev/liaison/internal/requestctx"
)

func runCmd(t *testing.T, dataDir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"LIAISON_DATA_DIR": dataDir, "LIAISON_ADDR": "127.0.0.1:0", "LIAISON_BASE_URL": "http://portal.test"}
	code := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func TestAdminCreateAuditVerifyBackup(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCmd(t, dir, "admin", "create", "--email", "Op@Example.com", "--name", "Olga Op", "--agency", "First Agency")
	if code != 0 || !strings.Contains(out, "instance operator") || !strings.Contains(out, "http://portal.test/reset/") {
		t.Fatalf("admin create: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCmd(t, dir, "admin", "create", "--email", "op@example.com", "--name", "Again", "--agency", "Second")
	if code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("duplicate admin: %d %s %s", code, out, errs)
	}
	code, out, _ = runCmd(t, dir, "admin", "create", "--email", "two@example.com", "--name", "Two", "--agency", "Second", "--password", "a perfectly good passphrase")
	if code != 0 || strings.Contains(out, "operator") || strings.Contains(out, "/reset/") {
		t.Fatalf("second admin: %d %s", code, out)
	}
	code, out, errs = runCmd(t, dir, "audit", "verify")
	if code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify: %d %s %s", code, out, errs)
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	if code, out, errs = runCmd(t, dir, "backup", "--out", backup); code != 0 {
		t.Fatalf("backup: %d %s %s", code, out, errs)
	}
	// The backup holds every password hash: its owner alone reads it.
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if code, _, errs = runCmd(t, dir, "backup", "--out", backup); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("backup over an existing file: %d %s", code, errs)
	}
	b, err := sql.Open("sqlite", backup)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("backup holds %d users (%v)", n, err)
	}
	b.Close()

	// Tamper with the live database: the verifier must name the entry.
	live, err := sql.Open("sqlite", filepath.Join(dir, "liaison.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := live.Exec(`UPDATE audit_events SET action = 'account.delete' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	live.Close()
	code, out, errs = runCmd(t, dir, "audit", "verify")
	if code != 1 || !strings.Contains(errs, "BROKEN") || !strings.Contains(errs, "1") {
		t.Fatalf("tampered verify: %d %s %s", code, out, errs)
	}
}

func TestBadConfigNamesTheVariable(t *testing.T) {
	var out, errb bytes.Buffer
	env := map[string]string{"LIAISON_OPEN_SIGNUP": "perhaps"}
	code := run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "LIAISON_OPEN_SIGNUP") || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
		t.Fatalf("%d %q", code, errb.String())
	}
}

func TestMigrateAndUnknownCommand(t *testing.T) {
	dir := t.TempDir()
	if code, out, errs := runCmd(t, dir, "migrate"); code != 0 || !strings.Contains(out, "migrations applied") {
		t.Fatalf("migrate: %d %s %s", code, out, errs)
	}
	if code, out, _ := runCmd(t, dir, "migrate"); code != 0 || !strings.Contains(out, "applied: 0") {
		t.Fatalf("second migrate: %d %s", code, out)
	}
	if code, _, errs := runCmd(t, dir, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Fatalf("unknown: %d %s", code, errs)
	}
}

// One JSON logger everywhere: slog's default and the log package write JSON
// lines, a line logged with a request's context names the request id (the
// 500's "internal error" line, as api.FromDomain logs it), and
// LIAISON_LOG_LEVEL sets the level.
func TestOneJSONLogger(t *testing.T) {
	old := slog.Default()
	defer slog.SetDefault(old)
	var b bytes.Buffer
	newLogger(&b, slog.LevelInfo)
	ctx := requestctx.WithID(context.Background(), "rid123")
	slog.ErrorContext(ctx, "internal error", "err", "boom")
	slog.ErrorContext(ctx, "named", "request_id", "rid123")
	log.Print("from the log package")
	slog.Debug("hidden at info")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d is not JSON: %s", i, l)
		}
		if i < 2 && m["request_id"] != "rid123" {
			t.Errorf("line %d lacks the request id: %s", i, l)
		}
	}
	if strings.Count(lines[1], "request_id") != 1 {
		t.Errorf("request id repeated: %s", lines[1])
	}
	b.Reset()
	newLogger(&b, slog.LevelDebug)
	slog.Debug("shown at debug")
	if !strings.Contains(b.String(), "shown at debug") {
		t.Errorf("debug level: %q", b.String())
	}
}

// The README states the heap limit and GOGC that serve sets.
func TestReadmeStatesTheHeapLimit(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("soft Go heap limit of %d MiB (and `GOGC=%d`)", defaultMemoryLimit>>20, defaultGCPercent)
	if !strings.Contains(string(b), want) {
		t.Errorf("README.md does not say %q", want)
	}
}

// `liaison version` and `liaison --version` print the version, whatever the
// configuration.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out, errb bytes.Buffer
		bad := map[string]string{"LIAISON_ADDR": "nonsense"}
		code := run(context.Background(), args, func(k string) string { return bad[k] }, &out, &errb)
		if code != 0 || !strings.HasPrefix(out.String(), "liaison ") || !strings.Contains(out.String(), "go1.") || errb.Len() != 0 {
			t.Errorf("%v: %d %q %q", args, code, out.String(), errb.String())
		}
	}
}
