package testkit

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/config"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/password"
	"github.com/liaison-dev/liaison/internal/server"
)

// FastPasswords are argon2id parameters small enough for tests; production
// uses password.Default.
var FastPasswords = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Server is a real Liaison serving on a loopback port.
type Server struct {
	*server.App
	URL   string
	Clock *clock.Fake // nil when the server runs on the real clock
	t     testing.TB  // the test that started it: API contract mismatches fail it

	// What Snapshot needs: the engine, the options, the data directory
	// and the PostgreSQL URL ("" on SQLite), and how to stop the server
	// before the test ends (once; the test's cleanup calls it too).
	engine  db.Dialect
	opts    ServerOptions
	dataDir string
	dbURL   string
	stop    func()
}

// ServerOptions tweak StartServer.
type ServerOptions struct {
	Env       map[string]string // LIAISON_* overrides
	FakeClock bool              // run on a fake clock (Server.Clock)
	Options   server.Options    // passed through
}

// StartServer starts Liaison on the given engine with a fresh database and
// returns it once it answers. It stops when the test ends.
func StartServer(t testing.TB, e db.Dialect, so ServerOptions) *Server {
	t.Helper()
	var dbURL string
	if e == db.Postgres {
		dbURL = PostgresSchema(t)
	}
	return startServer(t, e, so, filepath.Join(t.TempDir(), "data"), dbURL, nil)
}

// startServer starts Liaison on the data directory and, on PostgreSQL, the
// database URL given (a fresh one, or a copy of a Snapshot's); after, if
// not nil, runs once the server stopped.
func startServer(t testing.TB, e db.Dialect, so ServerOptions, dataDir, dbURL string, after func()) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"LIAISON_ADDR":     ln.Addr().String(),
		"LIAISON_BASE_URL": "http://" + ln.Addr().String(),
		"LIAISON_DATA_DIR": dataDir,
	}
	if e == db.Postgres {
		env["LIAISON_DATABASE_URL"] = dbURL
	}
	for k, v := range so.Env {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	o := so.Options
	o.NoDigestJob = true   // the digest tests run it themselves (server.Options)
	o.NoScheduleJob = true // as do the scheduled report tests
	var fake *clock.Fake
	if so.FakeClock {
		fake = clock.NewFake(FakeStart())
		o.Now = fake.Now
	}
	if o.PasswordParams == nil {
		p := FastPasswords
		o.PasswordParams = &p
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		if os.Getenv("LIAISON_TEST_LOG") != "" {
			o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
		}
	}
	app, err := server.New(context.Background(), cfg, o)
	if err != nil {
		if after != nil {
			after()
		}
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-done
			app.Close()
			if after != nil {
				after()
			}
		})
	}
	t.Cleanup(stop)
	return &Server{App: app, URL: "http://" + ln.Addr().String(), Clock: fake, t: t,
		engine: e, opts: so, dataDir: dataDir, dbURL: dbURL, stop: stop}
}

// Stop stops the server before the test ends (the test's cleanup then
// has nothing left to do). A walk that replaces a world by a fresh copy
// stops the old one, which gives its database back to the snapshot's pool
// (Snapshot).
func (s *Server) Stop() { s.stop() }

// ClockAheadEnv names a duration (e.g. "8760h") by which FakeStart moves the
// fake clock ahead of the real one. CI runs the clock-sensitive tests a year
// ahead with it, so a test that only passes before some calendar date fails
// at once rather than on that date.
const ClockAheadEnv = "LIAISON_TEST_CLOCK_AHEAD"

// FakeStart is where a fake clock starts: the first Monday 09:00 UTC after
// the real time (plus LIAISON_TEST_CLOCK_AHEAD). Tests compute every date
// from it, so the suite passes on any day; starting on a fixed weekday and
// hour keeps week-based rules (the Monday digest) easy to reason about.
func FakeStart() time.Time {
	now := time.Now().UTC()
	if v := os.Getenv(ClockAheadEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			panic(ClockAheadEnv + ": " + err.Error())
		}
		now = now.Add(d)
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, time.UTC)
	for day.Weekday() != time.Monday || !day.After(now) {
		day = day.AddDate(0, 0, 1)
	}
	return day
}

// Client returns an HTTP client with a cookie jar, as a browser-like caller.
// Its answers from /api/ are checked against the OpenAPI document while the
// contract check is on (contract.go).
func (s *Server) Client() *http.Client {
	jar, _ := cookiejar.New(nil)
	var rt http.RoundTripper = http.DefaultTransport
	if s.t != nil {
		rt = &contractTransport{t: s.t, base: s.URL, next: rt}
	}
	return &http.Client{Jar: jar, Transport: rt, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}
