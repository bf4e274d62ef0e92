package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/config"
	"github.com/liaison-dev/liaison/internal/db"
)

// opsArgs are the flags of the audit and operations commands.
type opsArgs struct {
	checkpoint, publicKey *string
	after                 *int64
}

func opsFlags(fs *flag.FlagSet) opsArgs {
	return opsArgs{
		checkpoint: fs.String("checkpoint", "", "file of signed checkpoints kept off the machine, JSON lines (audit verify)"),
		publicKey:  fs.String("public-key", "", "the audit key's public half, base64 or PEM, or @FILE (audit verify, verify-export)"),
		after:      fs.Int64("after", 0, "only checkpoints above this sequence number (audit checkpoints)"),
	}
}

func auditCommand(ctx context.Context, cmd string, cfg config.Config, o opsArgs, args []string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "liaison %s: %v\n", cmd, err)
		return 1
	}
	if cmd == "audit verify-export" {
		if len(args) != 1 || *o.publicKey == "" {
			fmt.Fprintln(stderr, "usage: liaison audit verify-export --public-key KEY FILE")
			return 2
		}
		return verifyExport(args[0], *o.publicKey, stdout, stderr)
	}
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.SQLitePath())
	if err != nil {
		return fail(err)
	}
	defer d.Close()
	switch cmd {
	case "audit key":
		k, err := audit.LoadKey(cfg.AuditKeyFile, cfg.DataDir)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "public key: %s\nkey id: %s\n", k.PublicString(), k.ID)
		return 0
	case "audit checkpoint":
		k, err := audit.LoadKey(cfg.AuditKeyFile, cfg.DataDir)
		if err != nil {
			return fail(err)
		}
		c, _, err := audit.Sign(ctx, d, k, time.Now())
		if err != nil {
			return fail(err)
		}
		return printJSON(stdout, c)
	case "audit checkpoints":
		cs, err := audit.Checkpoints(ctx, d, *o.after, 0)
		if err != nil {
			return fail(err)
		}
		for _, c := range cs {
			if rc := printJSON(stdout, c); rc != 0 {
				return rc
			}
		}
		return 0
	}

	// audit verify
	var external []audit.Checkpoint
	if *o.checkpoint != "" {
		if external, err = readCheckpoints(*o.checkpoint); err != nil {
			return fail(err)
		}
	}
	pub, how, err := verifyKey(ctx, d, cfg, *o.publicKey, external)
	if err != nil {
		return fail(err)
	}
	if pub == nil {
		// No key anywhere yet: nothing was ever signed. The chain alone.
		n, brk, err := audit.Verify(ctx, d)
		if err != nil {
			return fail(err)
		}
		if brk != nil {
			fmt.Fprintf(stderr, "audit chain BROKEN after %d good entries: %s\n", n, brk.String())
			return 1
		}
		fmt.Fprintf(stdout, "audit chain OK: %d entries (nothing signed yet: no key found)\n", n)
		return 0
	}
	rep, brk, err := audit.VerifyAnchored(ctx, d, pub, external)
	if err != nil {
		return fail(err)
	}
	if brk != nil {
		fmt.Fprintf(stderr, "audit chain BROKEN after %d good entries: %s\n", rep.Checked, brk.String())
		return 1
	}
	fmt.Fprintf(stdout, "audit chain OK: %d entries, %d signed, %d checkpoints checked (%d from %s)\n",
		rep.Checked, rep.Signed, rep.Checkpoints, len(external), or(*o.checkpoint, "no file"))
	fmt.Fprintf(stdout, "head: seq %d hash %s\nkey: %s (%s)\n", rep.Head.Seq, rep.Head.Hash, audit.KeyID(pub), how)
	return 0
}

// verifyKey finds the public key to check signatures with: the one given,
// else the server's key file, else (with a warning in how) the key named by
// the checkpoints — which a forger could have replaced, so an operator
// checking seriously passes --public-key.
func verifyKey(ctx context.Context, d *db.DB, cfg config.Config, given string, external []audit.Checkpoint) (ed25519.PublicKey, string, error) {
	if given != "" {
		pub, err := parsePublicKeyArg(given)
		return pub, "given by --public-key", err
	}
	file := cfg.AuditKeyFile
	if file == "" {
		file = filepath.Join(cfg.DataDir, audit.KeyFileName)
	}
	if _, err := os.Stat(file); err == nil {
		k, err := audit.LoadKey(file, "")
		if err != nil {
			return nil, "", err
		}
		return k.Public(), "from " + file, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", err
	}
	if len(external) > 0 {
		pub, err := audit.ParsePublicKey(external[0].PublicKey)
		return pub, "named by the checkpoint file", err
	}
	c, ok, err := audit.LatestCheckpoint(ctx, d)
	if err != nil || !ok {
		return nil, "", err
	}
	pub, err := audit.ParsePublicKey(c.PublicKey)
	return pub, "named by the stored checkpoints; pass --public-key to pin it", err
}

func parsePublicKeyArg(s string) (ed25519.PublicKey, error) {
	if len(s) > 1 && s[0] == '@' {
		b, err := os.ReadFile(s[1:])
		if err != nil {
			return nil, err
		}
		s = string(b)
	}
	return audit.ParsePublicKey(s)
}

// readCheckpoints reads checkpoints as `audit checkpoints` and the job's
// log lines carry them: one JSON object a line (other fields ignored, so a
// log line with msg "audit checkpoint" works as is).
func readCheckpoints(file string) ([]audit.Checkpoint, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []audit.Checkpoint
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var c audit.Checkpoint
		if err := json.Unmarshal(line, &c); err != nil || c.Seq <= 0 || c.Sig == "" {
			return nil, fmt.Errorf("%s line %d: not a signed checkpoint", file, n)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no checkpoint in it", file)
	}
	return out, sc.Err()
}

func verifyExport(file, key string, stdout, stderr io.Writer) int {
	pub, err := parsePublicKeyArg(key)
	if err != nil {
		fmt.Fprintln(stderr, "liaison audit verify-export:", err)
		return 2
	}
	b, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(stderr, "liaison audit verify-export:", err)
		return 1
	}
	rep, err := audit.VerifyExport(b, pub)
	if err != nil {
		fmt.Fprintf(stderr, "audit export BROKEN: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "audit export OK: %d entries signed by key %s, %d newer than the checkpoint (seq %d) not signed yet\n",
		rep.Entries, audit.KeyID(pub), rep.Unsigned, rep.Anchored)
	return 0
}

func printJSON(w io.Writer, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 1
	}
	fmt.Fprintln(w, string(b))
	return 0
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
