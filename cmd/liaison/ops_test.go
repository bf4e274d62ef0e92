package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The documented restore: a backup put in place in an empty data directory
// with `liaison restore`, which then serves the same data (its audit chain
// verifies, its admin exists); a data directory that holds a database is
// refused.
func TestBackupRestore(t *testing.T) {
	src := t.TempDir()
	if code, out, errs := runCmd(t, src, "admin", "create", "--email", "op@example.com", "--name", "Olga Op", "--agency", "First Agency", "--password", "a perfectly good passphrase"); code != 0 {
		t.Fatalf("admin create: %d %s %s", code, out, errs)
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	if code, out, errs := runCmd(t, src, "backup", "--out", backup); code != 0 {
		t.Fatalf("backup: %d %s %s", code, out, errs)
	}
	dst := filepath.Join(t.TempDir(), "fresh")
	code, out, errs := runCmd(t, dst, "restore", backup)
	if code != 0 || !strings.Contains(out, "integrity ok") || !strings.Contains(out, "audit entries verified") {
		t.Fatalf("restore: %d %s %s", code, out, errs)
	}
	if code, out, errs = runCmd(t, dst, "audit", "verify"); code != 0 {
		t.Fatalf("verify after restore: %d %s %s", code, out, errs)
	}
	// The restored database has the admin: creating it again is refused.
	if code, _, errs = runCmd(t, dst, "admin", "create", "--email", "op@example.com", "--name", "Again", "--agency", "X"); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("restored data missing: %d %s", code, errs)
	}
	if code, _, errs = runCmd(t, dst, "restore", backup); code != 1 || !strings.Contains(errs, "empty data directory") {
		t.Fatalf("restore over a database: %d %s", code, errs)
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "other")
	if code, _, errs = runCmd(t, empty, "restore", junk); code != 1 {
		t.Fatalf("restore of junk: %d %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(empty, "liaison.db")); err == nil {
		t.Fatal("a bad backup became the database")
	}
}

// healthcheck exits 0 against a ready server and 1 when nothing answers.
func TestHealthcheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	env := map[string]string{"LIAISON_DATA_DIR": dir, "LIAISON_ADDR": addr}
	getenv := func(k string) string { return env[k] }
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"healthcheck"}, getenv, &out, &errb); code != 1 {
		t.Fatalf("nothing listening: %d %s", code, errb.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- run(ctx, []string{"serve"}, getenv, &bytes.Buffer{}, &bytes.Buffer{}) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out.Reset()
		if code := run(context.Background(), []string{"healthcheck"}, getenv, &out, &errb); code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthcheck never passed: %s", errb.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "ready") {
		t.Fatalf("healthcheck output %q", out.String())
	}
}
