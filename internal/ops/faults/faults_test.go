package faults_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/ops/faults"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestFaultSuiteShort is the short version of bench/faults that CI runs:
// a few kill -9 on SQLite, and three processes on one PostgreSQL with one
// killed at a time, under writes and page views. Nothing acknowledged may
// be lost, nothing half-done, page views lost only by killed processes
// and within the recorder's bound, and the audit chain verifies after
// every kill. The full disk, the SMTP outage and the connection kills take
// longer (mail retried after backoff) and run in bench/faults only.
func TestFaultSuiteShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers; not in -short")
	}
	bin := filepath.Join(t.TempDir(), "liaison")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/liaison").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(t *testing.T, cfg faults.Config) {
		cfg.Bin, cfg.Dir = bin, t.TempDir()
		if testing.Verbose() {
			cfg.Log = os.Stderr
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		res, err := faults.Run(ctx, cfg)
		t.Log(res.String())
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK() {
			t.Fatalf("lost %v\nhalf-done %v", res.Missing[:min(len(res.Missing), 5)], res.HalfDone[:min(len(res.HalfDone), 5)])
		}
		if res.Kills != cfg.Rounds || res.VerifyRuns != cfg.Rounds+1 || res.Acked < 10 || res.Emails < res.Acked || res.Views < 10 {
			t.Fatalf("the run did too little to prove anything: %s", res)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		run(t, faults.Config{Workers: 4, Rounds: 3, MinUp: 400 * time.Millisecond, MaxUp: time.Second, SMTPDelay: 20 * time.Millisecond})
	})
	t.Run("postgres", func(t *testing.T) {
		run(t, faults.Config{PostgresURL: testkit.PostgresSchema(t), Processes: 3, Workers: 4, Rounds: 2,
			MinUp: 500 * time.Millisecond, MaxUp: time.Second, SMTPDelay: 20 * time.Millisecond})
	})
}
