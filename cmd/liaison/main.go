// Command liaison runs the Liaison server and its operator commands.
//
//	liaison serve                 run the server (default)
//	liaison migrate               apply database migrations and exit
//	liaison admin create --email E --name N --agency A [--password P]
//	liaison audit verify          check the audit log's hash chain and signatures
//	liaison audit checkpoint|checkpoints|key|verify-export   (audit.go)
//	liaison healthcheck|restore   (ops.go)
//	liaison backup [--out FILE]   consistent SQLite snapshot
//	liaison version               the version (also --version)
//
// Configuration comes from LIAISON_* environment variables (SPEC §11); the
// flags --addr, --data-dir, --base-url and --database-url mirror them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/liaison-dev/liaison/internal/config"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/requestctx"
	"github.com/liaison-dev/liaison/internal/server"
	"github.com/liaison-dev/liaison/internal/signup"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `usage: liaison <command> [flags]

commands:
  serve                  run the server (the default)
  migrate                apply database migrations and exit
  admin create           create an agency and its admin:
                           --email E --name N --agency A [--password P]
  audit verify [--checkpoint FILE] [--public-key K]
                         check the audit log's hash chain, signatures and checkpoints
                         (FILE: checkpoints kept off the machine, JSON lines); print the
                         head (seq, hash); exit 1 naming the first bad entry
  audit checkpoint       sign the new entries and the head now; print the checkpoint (JSON)
  audit checkpoints [--after SEQ]
                         print the stored signed checkpoints as JSON lines, to ship elsewhere
  audit key              print the audit signing key's public half and ID
  audit verify-export --public-key K FILE
                         check an account's audit export offline (no database needed)
  backup [--out FILE]    write a consistent SQLite snapshot (PostgreSQL: use pg_dump)
  version                print the version and exit (also --version)
  healthcheck            exit 0 when the server on LIAISON_ADDR answers /readyz (container HEALTHCHECK)
  restore FILE           put a backup in place as the database of an empty data directory,
                         after checking it (integrity, migrations, audit chain)
  demo --brand ID [--days N]
                         fill a brand with N days (default 365) of realistic daily
                         demo data ending today: sessions, conversions and revenue
                         per channel, conversion rate, session duration

configuration (environment; flags of the same name override):
  LIAISON_ADDR (--addr)  LIAISON_DATA_DIR (--data-dir)  LIAISON_BASE_URL (--base-url)
  LIAISON_DATABASE_URL (--database-url)  LIAISON_SMTP_URL  LIAISON_OPEN_SIGNUP
  LIAISON_TRUSTED_PROXIES  LIAISON_LOG_LEVEL
`

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "version" || len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		fmt.Fprintln(stdout, versionString())
		return 0
	}
	if cmd == "admin" || cmd == "audit" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			fmt.Fprint(stderr, usage)
			return 2
		}
		cmd, args = cmd+" "+args[0], args[1:]
	}
	fs := flag.NewFlagSet("liaison "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	overrides := map[string]*string{
		"LIAISON_ADDR":         fs.String("addr", "", "listen address (LIAISON_ADDR)"),
		"LIAISON_DATA_DIR":     fs.String("data-dir", "", "data directory (LIAISON_DATA_DIR)"),
		"LIAISON_BASE_URL":     fs.String("base-url", "", "public URL (LIAISON_BASE_URL)"),
		"LIAISON_DATABASE_URL": fs.String("database-url", "", "postgres:// URL (LIAISON_DATABASE_URL)"),
	}
	email := fs.String("email", "", "admin e-mail (admin create)")
	name := fs.String("name", "", "admin name (admin create)")
	agency := fs.String("agency", "", "agency name (admin create)")
	pass := fs.String("password", "", "admin password (admin create); omit to get a link to set it")
	out := fs.String("out", "", "backup file (backup); default DATA_DIR/backups/liaison-<time>.db")
	brand := fs.String("brand", "", "brand ID (demo)")
	days := fs.Int("days", 365, "days of data (demo)")
	ops := opsFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	env := func(k string) string {
		if v, ok := overrides[k]; ok && *v != "" {
			return *v
		}
		return getenv(k)
	}
	cfg, err := config.Load(env)
	if err != nil {
		fmt.Fprintln(stderr, "liaison:", err)
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		return serve(ctx, cfg, log, stderr)
	case "migrate":
		return migrate(ctx, cfg, stdout, stderr)
	case "admin create":
		return adminCreate(ctx, cfg, log, signup.AdminInput{Email: *email, Name: *name, Agency: *agency, Password: *pass}, stdout, stderr)
	case "audit verify", "audit checkpoint", "audit checkpoints", "audit key", "audit verify-export":
		return auditCommand(ctx, cmd, cfg, ops, fs.Args(), stdout, stderr)
	case "backup":
		return backup(ctx, cfg, *out, stdout, stderr)
	case "healthcheck":
		return healthcheck(cfg, stdout, stderr)
	case "restore":
		return restore(ctx, cfg, fs.Args(), stdout, stderr)
	case "demo":
		return demo(ctx, cfg, *brand, *days, stdout, stderr)
	}
	fmt.Fprintf(stderr, "liaison: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// version is set at build time (-ldflags "-X main.version=v1.2.3"); without
// it, the module version and the commit Go recorded in the binary are used.
var version = ""

// versionString is what `liaison version` prints: the version, the commit
// (with "+dirty" for a modified tree) and the Go release.
func versionString() string {
	v, rev := version, ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && dirty {
			rev += "+dirty"
		}
	}
	if v == "" {
		v = "(devel)"
	}
	out := "liaison " + v
	if rev != "" {
		out += " " + rev
	}
	return out + " " + runtime.Version()
}

// newLogger is the process's one logger: JSON lines on w from level up
// (LIAISON_LOG_LEVEL), each line logged with a request's context naming its
// request id. It becomes slog's default, and so the log package's too:
// nothing in the process logs plain text among the JSON lines.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	l := slog.New(requestctx.NewLogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
	slog.SetDefault(l)
	return l
}

// defaultMemoryLimit and defaultGCPercent are the soft heap limit and the
// GOGC that `serve` sets when GOMEMLIMIT and GOGC are not given.
//
// The server's live heap is small (tens of MB) and a request allocates
// ~150 kB, so at Go's default GOGC of 100 the collector ran about ten times
// a second under load and took 13 % of the CPU (pprof of the client list
// under wrk). At 400 the heap grows to five times the live data before a
// collection, and the server's CPU per client-list request fell 15–17 %.
//
// Logins are the other case: each argon2id hash allocates 19 MiB that
// becomes garbage at once, and with nothing else bounding the heap a burst
// of logins pushed RSS past the 150 MB target. The soft limit bounds it: at
// GOGC=400 the heap runs up to the limit during a burst, so the limit is
// lower than the 120 MiB it was at GOGC=100 (measured in bench/README.md:
// peak RSS 138–143 MB in a login burst, against 147–156 MB with 120 MiB;
// the collector then works harder during the burst, 50 ms of CPU per login
// against 42 ms). On the seeded 10,000-client database (the copy of the
// list in memory, 381 MB file) 104 MiB still peaked at 147–150 MB in the
// burst, and 92 MiB at 138–140 MB with the same logins per second (issue 23;
// bench/README.md); a page of the list allocates 13 kB since, not 22, which
// pays for the extra collections. On a faster machine (86–94 logins a
// second instead of 61–63) 92 MiB peaked at 149–151 MB again, and 84 MiB at
// 145 MB with 82–85 logins a second (issue 23, session 10). Large
// installations whose live heap is bigger set GOMEMLIMIT themselves.
const (
	defaultMemoryLimit = 84 << 20
	defaultGCPercent   = 400
)

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stderr io.Writer) int {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	servePprof(log)
	access := newLineBuffer(stderr, 64<<10, 100*time.Millisecond)
	defer access.Close() // after the app's Close (defers run last first): its last lines
	accessLog := slog.New(slog.NewJSONHandler(access, &slog.HandlerOptions{Level: cfg.LogLevel}))
	app, err := server.New(ctx, cfg, server.Options{Log: log, AccessLog: accessLog})
	if err != nil {
		fmt.Fprintln(stderr, "liaison:", err)
		return 1
	}
	defer app.Close()
	if err := app.ListenAndServe(ctx); err != nil {
		fmt.Fprintln(stderr, "liaison:", err)
		return 1
	}
	return 0
}

func migrate(ctx context.Context, cfg config.Config, stdout, stderr io.Writer) int {
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.SQLitePath())
	if err != nil {
		fmt.Fprintln(stderr, "liaison:", err)
		return 1
	}
	defer d.Close()
	n, err := d.Migrate(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "liaison:", err)
		return 1
	}
	fmt.Fprintf(stdout, "migrations applied: %d (%s)\n", n, d.Dialect())
	return 0
}

func adminCreate(ctx context.Context, cfg config.Config, log *slog.Logger, in signup.AdminInput, stdout, stderr io.Writer) int {
	if in.Email == "" || in.Name == "" || in.Agency == "" {
		fmt.Fprintln(stderr, "liaison admin create: --email, --name and --agency are required")
		return 2
	}
	app, err := server.New(ctx, cfg, server.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Fprintln(stderr, "liaison:", err)
		return 1
	}
	defer app.Close()
	res, err := app.Signups.CreateAdmin(ctx, in)
	if err != nil {
		if e := errs.As(err); e != nil {
			fmt.Fprintln(stderr, "liaison admin create:", e.Message)
		} else {
			fmt.Fprintln(stderr, "liaison admin create:", err)
		}
		return 1
	}
	// Deliver the queued e-mails now (a reset link, if any) so nothing waits
	// for the next `serve`.
	if _, err := app.Jobs.RunDue(ctx); err != nil {
		log.Warn("deliver queued e-mail", "err", err)
	}
	fmt.Fprintf(stdout, "created agency %q (%s) with admin %s\n", res.Agency.Name, res.Agency.ID, res.User.Email)
	if res.User.IsOperator {
		fmt.Fprintln(stdout, "this admin is the instance operator")
	}
	if res.ResetURL != "" {
		fmt.Fprintf(stdout, "set the password within 24 hours at: %s\n", res.ResetURL)
	}
	return 0
}

func backup(ctx context.Context, cfg config.Config, out string, stdout, stderr io.Writer) int {
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.SQLitePath())
	if err != nil {
		fmt.Fprintln(stderr, "liaison:", err)
		return 1
	}
	defer d.Close()
	if out == "" {
		out = filepath.Join(cfg.DataDir, "backups", "liaison-"+time.Now().UTC().Format("20060102-150405")+".db")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o750); err != nil {
		fmt.Fprintln(stderr, "liaison backup:", err)
		return 1
	}
	if err := d.Backup(ctx, out); err != nil {
		if errors.Is(err, db.ErrBackupPostgres) {
			fmt.Fprintln(stderr, "liaison backup:", err)
			return 2
		}
		fmt.Fprintln(stderr, "liaison backup:", err)
		return 1
	}
	fmt.Fprintln(stdout, "backup written to", out)
	return 0
}

func demo(ctx context.Context, cfg config.Config, brand string, days int, stdout, stderr io.Writer) int {
	if brand == "" {
		fmt.Fprintln(stderr, "liaison demo: --brand is required (a brand's ID, e.g. from GET /api/v1/agencies/{id}/brands)")
		return 2
	}
	app, err := server.New(ctx, cfg, server.Options{Log: slog.New(slog.DiscardHandler), NoDigestJob: true})
	if err != nil {
		fmt.Fprintln(stderr, "liaison:", err)
		return 1
	}
	defer app.Close()
	n, err := app.Data.Demo(ctx, brand, days)
	if err != nil {
		if e := errs.As(err); e != nil {
			fmt.Fprintln(stderr, "liaison demo:", e.Message)
		} else {
			fmt.Fprintln(stderr, "liaison demo:", err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "wrote %d points (%d days) to brand %s\n", n, days, brand)
	return 0
}
