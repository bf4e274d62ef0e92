package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/config"
	"github.com/liaison-dev/liaison/internal/db"
)

// healthcheck asks the server on LIAISON_ADDR for /readyz and exits 0 when it
// is ready: the container image's HEALTHCHECK, which has no shell or curl
// (distroless). A wildcard listen address is asked on loopback.
func healthcheck(cfg config.Config, stdout, stderr io.Writer) int {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		fmt.Fprintln(stderr, "liaison healthcheck:", err)
		return 2
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	url := "http://" + net.JoinHostPort(host, port) + "/readyz"
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(stderr, "liaison healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "liaison healthcheck: %s answered %d: %s", url, resp.StatusCode, body)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %s", url, body)
	return 0
}

// restore puts a backup made by `liaison backup` in place as the SQLite
// database of an empty data directory. The copy is checked (SQLite's
// integrity check, the migrations of this version, the audit chain) before
// it takes the database's name, so a bad backup never becomes the database.
func restore(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "liaison restore:", err)
		return 1
	}
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: liaison restore [--data-dir DIR] FILE")
		return 2
	}
	if cfg.DatabaseURL != "" {
		fmt.Fprintln(stderr, "liaison restore: on PostgreSQL, restore with pg_restore into an empty database (docs/OPERATING.md)")
		return 2
	}
	dest := cfg.SQLitePath()
	for _, f := range []string{dest, dest + "-wal"} {
		if _, err := os.Stat(f); err == nil {
			return fail(fmt.Errorf("%s already exists: restore into an empty data directory (stop the server and move the old one aside)", f))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fail(err)
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fail(err)
	}
	tmp := filepath.Join(cfg.DataDir, ".restore-"+filepath.Base(dest))
	if err := copyFile(args[0], tmp); err != nil {
		return fail(err)
	}
	defer func() {
		for _, f := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
			_ = os.Remove(f)
		}
	}()
	d, err := db.Open(ctx, "", tmp)
	if err != nil {
		return fail(err)
	}
	var check string
	if err := d.Get(ctx, &check, `PRAGMA integrity_check`); err != nil || check != "ok" {
		d.Close()
		return fail(fmt.Errorf("%s is not a sound SQLite database: %v %s", args[0], err, check))
	}
	n, err := d.Migrate(ctx)
	if err != nil {
		d.Close()
		return fail(err)
	}
	// Everything into the main file: the -wal beside the copy is deleted.
	if _, err := d.Exec(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		d.Close()
		return fail(err)
	}
	checked, brk, err := audit.Verify(ctx, d)
	if err == nil && brk != nil {
		err = fmt.Errorf("the backup's audit chain is broken: %s", brk)
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	if err := os.Link(tmp, dest); err != nil { // fails if a database appeared meanwhile
		return fail(err)
	}
	fmt.Fprintf(stdout, "restored %s into %s: integrity ok, %d migrations applied, %d audit entries verified\n", args[0], dest, n, checked)
	if _, err := os.Stat(filepath.Join(cfg.DataDir, audit.KeyFileName)); errors.Is(err, fs.ErrNotExist) && cfg.AuditKeyFile == "" {
		fmt.Fprintf(stdout, "copy the audit key kept with your backups to %s before starting (otherwise a new key signs from now on)\n",
			filepath.Join(cfg.DataDir, audit.KeyFileName))
	}
	return 0
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
