package audit_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

func exec(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// truncate deletes the entries above keep and sets the head back to entry
// keep, as someone with write access to the database would.
func truncate(t *testing.T, d *db.DB, keep int64) {
	t.Helper()
	var hash string
	if err := d.Get(context.Background(), &hash, `SELECT hash FROM audit_events WHERE seq = ?`, keep); err != nil {
		t.Fatal(err)
	}
	exec(t, d, `DELETE FROM audit_events WHERE seq > ?`, keep)
	exec(t, d, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, keep, hash)
}

// The case: the newest entries deleted and audit_head rewritten to
// an older entry. The chain holds (that is the hole), and so do the
// database's own signatures once those are truncated too; the checkpoint
// exported before the truncation catches it.
func TestTruncationCaughtByExportedCheckpoint(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		seed(t, d, 10)
		key := audit.GenerateKey()
		cp, n, err := audit.Sign(ctx, d, key, time.Now())
		if err != nil || n != 10 || cp.Seq != 10 {
			t.Fatalf("Sign = %+v, %d, %v", cp, n, err)
		}
		if err := cp.Check(key.Public()); err != nil {
			t.Fatal(err)
		}
		// Shipped off the machine as a JSON line, read back from there.
		line, _ := json.Marshal(cp)
		var exported audit.Checkpoint
		if err := json.Unmarshal(line, &exported); err != nil {
			t.Fatal(err)
		}
		rep, brk, err := audit.VerifyAnchored(ctx, d, key.Public(), []audit.Checkpoint{exported})
		if err != nil || brk != nil || rep.Signed != 10 || rep.Checkpoints != 2 || rep.Head.Seq != 10 || rep.Head.Hash != cp.Hash {
			t.Fatalf("untouched: %+v, %v, %v", rep, brk, err)
		}

		truncate(t, d, 7)
		// The signatures of the deleted entries still name them.
		if _, brk, _ := audit.VerifyAnchored(ctx, d, key.Public(), nil); brk == nil || brk.Seq != 8 {
			t.Fatalf("signatures of deleted entries not noticed: %v", brk)
		}
		// A careful forger truncates those tables too.
		exec(t, d, `DELETE FROM audit_sigs WHERE seq > 7`)
		exec(t, d, `DELETE FROM audit_checkpoints`)
		if _, brk, err := audit.Verify(ctx, d); err != nil || brk != nil {
			t.Fatalf("the chain alone should not see this (it is the hole being closed): %v %v", brk, err)
		}
		if _, brk, err := audit.VerifyAnchored(ctx, d, key.Public(), nil); err != nil || brk != nil {
			t.Fatalf("without the exported checkpoint nothing is left to see it: %v %v", brk, err)
		}
		_, brk, err = audit.VerifyAnchored(ctx, d, key.Public(), []audit.Checkpoint{exported})
		if err != nil || brk == nil || brk.Seq != 10 || !strings.Contains(brk.Reason, "head rewritten") {
			t.Fatalf("exported checkpoint: %v, %v", brk, err)
		}
		// New entries appended on top of the truncated chain, up to the
		// checkpoint's seq, do not pass either: their hash differs.
		seed(t, d, 3)
		_, brk, err = audit.VerifyAnchored(ctx, d, key.Public(), []audit.Checkpoint{exported})
		if err != nil || brk == nil || brk.Seq != 10 || !strings.Contains(brk.Reason, "rewritten up to it") {
			t.Fatalf("regrown chain: %v, %v", brk, err)
		}
	})
}

// An entry edited with its hash recomputed (and the head moved along)
// passes the chain but not its signature; a checkpoint forged with another
// key does not pass either.
func TestSignaturesCatchRewrites(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		seed(t, d, 5)
		key := audit.GenerateKey()
		if _, _, err := audit.Sign(ctx, d, key, time.Now()); err != nil {
			t.Fatal(err)
		}
		forged, err := audit.ForgeHash(ctx, d, 5, "thing.harmless")
		if err != nil {
			t.Fatal(err)
		}
		exec(t, d, `UPDATE audit_events SET action = 'thing.harmless', hash = ? WHERE seq = 5`, forged)
		exec(t, d, `UPDATE audit_head SET hash = ? WHERE id = 1`, forged)
		exec(t, d, `DELETE FROM audit_checkpoints`)
		if _, brk, _ := audit.Verify(ctx, d); brk != nil {
			t.Fatalf("a recomputed last entry passes the chain: %v", brk)
		}
		_, brk, err := audit.VerifyAnchored(ctx, d, key.Public(), nil)
		if err != nil || brk == nil || brk.Seq != 5 || !strings.Contains(brk.Reason, "signature") {
			t.Fatalf("rewritten entry: %v, %v", brk, err)
		}
		// Signing it again with another key is refused by the verifier.
		other := audit.GenerateKey()
		exec(t, d, `DELETE FROM audit_sigs`)
		if _, _, err := audit.Sign(ctx, d, other, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, brk, _ := audit.VerifyAnchored(ctx, d, key.Public(), nil); brk == nil || !strings.Contains(brk.Reason, other.ID) {
			t.Fatalf("another key's signatures: %v", brk)
		}
	})
}

// Sign refuses to sign a chain that is already broken, and signs only
// what is new on the next run.
func TestSignIsIncrementalAndRefusesBrokenChain(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		key := audit.GenerateKey()
		if c, n, err := audit.Sign(ctx, d, key, time.Now()); err != nil || n != 0 || c.Seq != 0 {
			t.Fatalf("empty log: %+v %d %v", c, n, err)
		}
		seed(t, d, 3)
		if _, n, err := audit.Sign(ctx, d, key, time.Now()); err != nil || n != 3 {
			t.Fatalf("first: %d %v", n, err)
		}
		seed(t, d, 2)
		if c, n, err := audit.Sign(ctx, d, key, time.Now()); err != nil || n != 2 || c.Seq != 5 {
			t.Fatalf("second: %+v %d %v", c, n, err)
		}
		seed(t, d, 1)
		exec(t, d, `UPDATE audit_events SET action = 'edited' WHERE seq = 6`)
		if _, n, err := audit.Sign(ctx, d, key, time.Now()); err == nil || n != 0 {
			t.Fatalf("signed an edited entry: %d %v", n, err)
		}
	})
}

// An account's export checks offline with the public key alone, holds only
// that account's entries, and any edit to it is caught.
func TestExportVerifiesOffline(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for i := range 6 {
			acc := "acc_a"
			if i%2 == 1 {
				acc = "acc_b"
			}
			appendOne(t, d, t0.Add(time.Duration(i)*time.Second), audit.Entry{AccountID: acc, ActorID: "usr_1",
				Action: "thing.done", After: map[string]any{"i": i, "note": "é <b>"}})
		}
		key := audit.GenerateKey()
		if _, _, err := audit.Sign(ctx, d, key, time.Now()); err != nil {
			t.Fatal(err)
		}
		appendOne(t, d, t0.Add(time.Minute), audit.Entry{AccountID: "acc_a", Action: "thing.late"}) // not signed yet
		ex, err := audit.ExportAccount(ctx, d, "acc_a", "", time.Now())
		if err != nil || len(ex.Entries) != 4 || ex.Checkpoint == nil {
			t.Fatalf("export: %d entries, %v", len(ex.Entries), err)
		}
		data, _ := json.Marshal(ex)
		rep, err := audit.VerifyExport(data, key.Public())
		if err != nil || rep.Entries != 3 || rep.Unsigned != 1 || rep.Anchored != 6 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
		if strings.Contains(string(data), "acc_b") {
			t.Fatal("another account's entries in the export")
		}
		if _, err := audit.VerifyExport(data, audit.GenerateKey().Public()); err == nil {
			t.Fatal("passed with another key")
		}
		tampered := strings.Replace(string(data), `\"i\":2`, `\"i\":9`, 1)
		if tampered == string(data) {
			t.Fatal("test did not tamper")
		}
		if _, err := audit.VerifyExport([]byte(tampered), key.Public()); err == nil || !strings.Contains(err.Error(), "edited") {
			t.Fatalf("edited entry: %v", err)
		}
	})
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	k1, err := audit.LoadKey("", dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, audit.KeyFileName))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	k2, err := audit.LoadKey(filepath.Join(dir, audit.KeyFileName), "")
	if err != nil || k2.ID != k1.ID {
		t.Fatalf("reloaded %v, %v", k2, err)
	}
	if _, err := audit.LoadKey(filepath.Join(dir, "missing.pem"), ""); err == nil {
		t.Fatal("a named key file that is missing must fail, not be created")
	}
	pub, err := audit.ParsePublicKey(k1.PublicString())
	if err != nil || audit.KeyID(pub) != k1.ID {
		t.Fatal(err)
	}
}
