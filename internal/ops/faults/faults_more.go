package faults

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for pg_terminate_backend
)

// The kinds of fault (Config.Faults).
const (
	// FaultKill sends SIGKILL to one process and starts it again.
	FaultKill = "kill"
	// FaultDisk fills the file system of the SQLite data directory (a
	// tmpfs of Config.DiskBytes mounted for the run: root on Linux only,
	// skipped otherwise, and on PostgreSQL, whose disk is not ours) for a
	// while, then frees it.
	FaultDisk = "disk"
	// FaultSMTP stops the SMTP server for a while, then starts it again on
	// the same address: mail waits in the outbox and goes out later.
	FaultSMTP = "smtp"
	// FaultConns terminates the processes' PostgreSQL connections
	// (pg_terminate_backend) three times over a while: transactions in
	// flight fail, the pools reconnect. PostgreSQL only.
	FaultConns = "conns"
)

// appName marks the processes' PostgreSQL connections (application_name),
// so that FaultConns terminates theirs and nobody else's on the server.
// Each process's listener of authentication changes names itself and is
// left alone.
func (s *suite) pgURL() string {
	u, err := url.Parse(s.cfg.PostgresURL)
	if err != nil {
		return s.cfg.PostgresURL
	}
	q := u.Query()
	q.Set("application_name", s.appName)
	u.RawQuery = q.Encode()
	return u.String()
}

// prepare checks the faults asked for against what this run can do, and
// mounts the small file system FaultDisk fills. The returned cleanup
// unmounts it; call it once the processes are stopped.
func (s *suite) prepare(res *Result) (func(), error) {
	s.appName = fmt.Sprintf("liaison-faults-%08x", rand.Uint32())
	var kinds []string
	cleanup := func() {}
	for _, k := range s.cfg.Faults {
		skip := ""
		switch k {
		case FaultKill, FaultSMTP:
		case FaultConns:
			if s.cfg.PostgresURL == "" {
				skip = "conns: PostgreSQL only"
			}
		case FaultDisk:
			switch {
			case s.cfg.PostgresURL != "":
				skip = "disk: SQLite only (PostgreSQL's disk is the database server's)"
			case runtime.GOOS != "linux" || os.Geteuid() != 0:
				skip = "disk: needs root on Linux to mount a small tmpfs for the data directory"
			case slices.Contains(kinds, FaultDisk):
			default:
				dir := s.dataDir(0)
				if err := os.MkdirAll(dir, 0o750); err != nil {
					return cleanup, err
				}
				size := s.cfg.DiskBytes
				if size <= 0 {
					size = 256 << 20
				}
				if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0750", size)); err != nil {
					skip = "disk: mount tmpfs: " + err.Error()
					break
				}
				cleanup = func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) }
			}
		default:
			return cleanup, fmt.Errorf("unknown fault %q (kill, disk, smtp, conns)", k)
		}
		if skip != "" {
			if !slices.Contains(res.Skipped, skip) {
				res.Skipped = append(res.Skipped, skip)
			}
			continue
		}
		kinds = append(kinds, k)
	}
	if len(kinds) == 0 {
		kinds = []string{FaultKill}
	}
	s.cfg.Faults = kinds
	return cleanup, nil
}

// fault applies one fault and returns once the system is whole again (the
// killed process restarted, the disk freed, the SMTP server back).
func (s *suite) fault(ctx context.Context, kind string, res *Result) error {
	hold := s.cfg.MinUp + rand.N(s.cfg.MaxUp-s.cfg.MinUp+1)
	switch kind {
	case FaultKill:
		victim := rand.N(s.cfg.Processes)
		s.kill(victim)
		res.Kills++
		if s.cfg.Processes > 1 {
			// The others carry on alone for a while: their heartbeats
			// must take over the victim's jobs.
			time.Sleep(s.cfg.MinUp)
		}
		return s.start(ctx, victim)
	case FaultSMTP:
		addr := s.sink.Addr()
		s.sink.Stop()
		res.SMTPDowns++
		s.logf("SMTP down for %v", hold)
		time.Sleep(hold)
		if err := s.sink.Start(addr); err != nil {
			return fmt.Errorf("SMTP back on %s: %w", addr, err)
		}
	case FaultDisk:
		if err := s.fillDisk(); err != nil {
			return err
		}
		res.DiskFulls++
		s.logf("disk full for %v", hold)
		time.Sleep(hold)
		if err := os.Remove(s.filler); err != nil {
			return err
		}
	case FaultConns:
		db, err := sql.Open("pgx", s.cfg.PostgresURL)
		if err != nil {
			return err
		}
		defer db.Close()
		res.ConnKills++
		for i := range 3 {
			if i > 0 {
				time.Sleep(hold / 3)
			}
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE application_name = $1 AND pid <> pg_backend_pid()`, s.appName).Scan(&n); err != nil {
				return fmt.Errorf("pg_terminate_backend: %w", err)
			}
			res.Terminated += n
			s.logf("terminated %d connections", n)
		}
	}
	return s.allUp()
}

// fillDisk writes a file until the file system says it is full.
func (s *suite) fillDisk() error {
	s.filler = filepath.Join(s.dataDir(0), "filler")
	f, err := os.Create(s.filler)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				// The last blocks too: a write of a single page must fail.
				for len(buf) > 1 {
					buf = buf[:len(buf)/2]
					for {
						if _, err := f.Write(buf); err != nil {
							break
						}
					}
				}
				return nil
			}
			return err
		}
	}
}

// allUp fails when a process exited during a fault that was not a kill:
// whatever the fault, a server must ride it out.
func (s *suite) allUp() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.procs {
		if p == nil {
			continue
		}
		select {
		case <-p.done:
			return fmt.Errorf("process %d exited:\n%s", i, p.logs)
		default:
		}
	}
	return nil
}

// more is the rest of Result.String: the other faults and page views.
func (r Result) more() string {
	var b strings.Builder
	if r.DiskFulls+r.SMTPDowns+r.ConnKills > 0 {
		fmt.Fprintf(&b, "; other faults: %d disk full, %d SMTP outages, %d connection kills (%d connections)", r.DiskFulls, r.SMTPDowns, r.ConnKills, r.Terminated)
	}
	fmt.Fprintf(&b, "; page views: %d acknowledged, %d lost at kills (at most %d at one kill, bound %d; the oldest acknowledged %v before its kill)",
		r.Views, r.ViewsLost, r.ViewsLostMaxPerKill, MaxLostViews, r.ViewLossMaxAge.Round(time.Millisecond))
	if len(r.Refused) > 0 {
		codes := slices.Sorted(maps.Keys(r.Refused))
		b.WriteString("; writes refused:")
		for _, c := range codes {
			fmt.Fprintf(&b, " %d×%d", r.Refused[c], c)
		}
	}
	for _, sk := range r.Skipped {
		fmt.Fprintf(&b, "; skipped %s", sk)
	}
	return b.String()
}
