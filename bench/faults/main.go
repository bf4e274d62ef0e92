// Command faults runs Liaison's fault suite (internal/ops/faults): real
// `liaison serve` processes under mixed writes and page views, on SQLite
// and on PostgreSQL (three processes on one database), through faults
// taken in turn: kill -9 of one process, a full disk (SQLite, as root: the
// data directory on a small tmpfs), an SMTP outage, and the processes'
// PostgreSQL connections terminated. It prints what it found and exits 1
// if an acknowledged write was lost, a write was left half-done, or page
// views were lost beyond the recorder's bound.
//
//	go run ./bench/faults                                  # SQLite
//	go run ./bench/faults -pg 'postgres://…/empty_db?sslmode=disable'   # and PostgreSQL
//	go run ./bench/faults -rounds 50 -workers 8            # longer
//	go run ./bench/faults -faults kill                     # kills only
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/ops/faults"
)

func main() {
	pg := flag.String("pg", "", "an empty PostgreSQL database (postgres://…); unset: SQLite only")
	rounds := flag.Int("rounds", 12, "faults per engine")
	workers := flag.Int("workers", 6, "concurrent writers")
	procs := flag.Int("processes", 3, "processes on PostgreSQL")
	minUp := flag.Duration("min-up", 500*time.Millisecond, "shortest time of writes before a kill")
	maxUp := flag.Duration("max-up", 3*time.Second, "longest time of writes before a kill")
	smtpDelay := flag.Duration("smtp-delay", 20*time.Millisecond, "how long the SMTP sink takes to accept a message (kills then land mid-conversation)")
	bin := flag.String("bin", "", "liaison binary (default: built from ./cmd/liaison)")
	faultList := flag.String("faults", "kill,disk,smtp,conns", "faults taken in turn; those an engine cannot take are skipped (disk: SQLite as root; conns: PostgreSQL)")
	views := flag.Int("view-workers", 2, "page-view writers (-1: none)")
	diskMB := flag.Int64("disk-mb", 256, "size of the tmpfs for the SQLite data directory (-faults disk)")
	verbose := flag.Bool("v", false, "log each fault")
	flag.Parse()

	dir, err := os.MkdirTemp("", "liaison-faults-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	if *bin == "" {
		*bin = filepath.Join(dir, "liaison")
		if out, err := exec.Command("go", "build", "-o", *bin, "./cmd/liaison").CombinedOutput(); err != nil {
			fail(fmt.Errorf("go build: %v\n%s", err, out))
		}
	}
	cfgs := []faults.Config{{Processes: 1}}
	if *pg != "" {
		cfgs = append(cfgs, faults.Config{PostgresURL: *pg, Processes: *procs})
	}
	ok := true
	for i, c := range cfgs {
		c.Bin, c.Workers, c.Rounds, c.MinUp, c.MaxUp, c.SMTPDelay = *bin, *workers, *rounds, *minUp, *maxUp, *smtpDelay
		c.Faults, c.ViewWorkers, c.DiskBytes = strings.Split(*faultList, ","), *views, *diskMB<<20
		c.Dir = filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(c.Dir, 0o750); err != nil {
			fail(err)
		}
		if *verbose {
			c.Log = os.Stderr
		}
		res, err := faults.Run(context.Background(), c)
		fmt.Println(res.String())
		if err != nil {
			fmt.Fprintln(os.Stderr, "faults:", err)
			ok = false
		}
		for _, m := range res.Missing {
			fmt.Println("  LOST:", m)
		}
		for _, m := range res.HalfDone {
			fmt.Println("  HALF-DONE:", m)
		}
		ok = ok && res.OK()
	}
	if !ok {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "faults:", err)
	os.Exit(2)
}
