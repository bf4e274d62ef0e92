package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The operator's round: sign a checkpoint and keep it elsewhere, see the
// head printed by verify; after the newest entries are deleted and the head
// (and the signature tables) rewritten, verify passes on its own but fails
// against the kept checkpoint.
func TestAuditCheckpointCatchesTruncation(t *testing.T) {
	dir := t.TempDir()
	if code, out, errs := runCmd(t, dir, "admin", "create", "--email", "op@example.com", "--name", "Olga Op", "--agency", "First Agency"); code != 0 {
		t.Fatalf("admin create: %d %s %s", code, out, errs)
	}
	if code, out, errs := runCmd(t, dir, "admin", "create", "--email", "two@example.com", "--name", "Two", "--agency", "Second", "--password", "a perfectly good passphrase"); code != 0 {
		t.Fatalf("admin create: %d %s %s", code, out, errs)
	}
	code, cp, errs := runCmd(t, dir, "audit", "checkpoint")
	if code != 0 || !strings.Contains(cp, `"sig"`) {
		t.Fatalf("checkpoint: %d %s %s", code, cp, errs)
	}
	kept := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	if err := os.WriteFile(kept, []byte(cp), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, dir, "audit", "verify", "--checkpoint", kept)
	if code != 0 || !strings.Contains(out, "head: seq ") || !strings.Contains(out, "signed") {
		t.Fatalf("verify: %d %s %s", code, out, errs)
	}
	code, key, _ := runCmd(t, dir, "audit", "key")
	if code != 0 || !strings.Contains(key, "public key: ") {
		t.Fatalf("key: %d %s", code, key)
	}

	db, err := sql.Open("sqlite", filepath.Join(dir, "liaison.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)`,
		`UPDATE audit_head SET seq = (SELECT MAX(seq) FROM audit_events), hash = (SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1)`,
		`DELETE FROM audit_sigs WHERE seq > (SELECT MAX(seq) FROM audit_events)`,
		`DELETE FROM audit_checkpoints`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if code, out, errs = runCmd(t, dir, "audit", "verify"); code != 0 {
		t.Fatalf("without the kept checkpoint the truncation is invisible, verify should pass: %d %s %s", code, out, errs)
	}
	code, out, errs = runCmd(t, dir, "audit", "verify", "--checkpoint", kept)
	if code != 1 || !strings.Contains(errs, "head rewritten") {
		t.Fatalf("verify against the kept checkpoint: %d %s %s", code, out, errs)
	}
}
