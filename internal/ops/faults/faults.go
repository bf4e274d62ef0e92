// Package faults is Liaison's fault suite (issue 20): real `liaison serve`
// processes take mixed writes from several workers and are killed with
// SIGKILL at random moments, on SQLite (one process) or PostgreSQL (several
// processes on one database, one killed at a time). After every fault the
// audit chain must verify (`liaison audit verify`); at the end every
// acknowledged write must be present with its audit entry and its e-mail,
// delivered; an unacknowledged one must be wholly there or wholly absent.
// It measures e-mails delivered twice (same Message-ID) and how long the
// e-mails pending at a kill waited.
//
// bench/faults runs it as a program; TestFaultSuiteShort runs a short
// version in CI.
package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/testkit/smtpsink"
)

// Config is one run.
type Config struct {
	Bin         string // the liaison binary
	Dir         string // a scratch directory
	PostgresURL string // an empty PostgreSQL database; "" runs on SQLite
	Processes   int    // processes serving at once (1 on SQLite)
	Workers     int    // concurrent writers
	Rounds      int    // faults, taken in turn from Faults
	// Faults are the kinds of fault, applied in turn: FaultKill (the
	// default), FaultDisk, FaultSMTP, FaultConns (faults_more.go).
	Faults []string
	// ViewWorkers post page views as a client user (2 when 0; -1: none).
	ViewWorkers int
	// DiskBytes is the size of the file system made for the SQLite data
	// directory when Faults has FaultDisk (256 MiB when 0).
	DiskBytes int64
	// Each round writes for a random time in [MinUp, MaxUp] before the kill.
	MinUp, MaxUp time.Duration
	// SMTPDelay is how long the SMTP sink holds its reply to a message it
	// has recorded, so that kills land in mid-conversation.
	SMTPDelay time.Duration
	Log       io.Writer
}

// Result is what a run found and measured.
type Result struct {
	Engine      string
	Processes   int
	Kills       int
	DiskFulls   int // times the SQLite data directory's file system was filled
	SMTPDowns   int // SMTP outages
	ConnKills   int // rounds of pg_terminate_backend
	Terminated  int // server connections terminated in them
	Skipped     []string
	Refused     map[int]int // writes answered with an error status, by status
	Acked       int         // writes answered 201
	Unacked     int         // writes that got no answer or an error
	UnackedDone int         // of those, committed whole anyway (allowed)
	Missing     []string
	HalfDone    []string
	VerifyRuns  int // `liaison audit verify` runs, all passed
	Emails      int // distinct messages received
	Duplicates  int // messages received more than once (same Message-ID)
	Interrupted int // outbox rows that counted an interrupted attempt
	Pending     int // e-mails queued but not delivered at a kill
	MaxDelay    time.Duration
	MedianDelay time.Duration
	// ResendMaxDelay is the longest wait, from the kill, of a message sent
	// again after an interrupted attempt.
	ResendMaxDelay time.Duration
	// Page views (views.go): acknowledged, of them not stored (all by
	// killed processes, within the bound), the most lost at one kill, and
	// the oldest lost view's age at its kill.
	Views, ViewsLost, ViewsLostMaxPerKill int
	ViewLossMaxAge                        time.Duration
	Elapsed                               time.Duration
}

// OK reports whether nothing was lost or half-done.
func (r Result) OK() bool { return len(r.Missing) == 0 && len(r.HalfDone) == 0 }

func (r Result) String() string {
	return fmt.Sprintf("%s, %d process(es): %d kills, %d acknowledged writes (%d unacknowledged, %d of them committed whole), "+
		"lost %d, half-done %d, audit verify passed %d times; %d e-mails, %d delivered twice (%d interrupted attempts); "+
		"%d pending at a kill, delay after the kill max %v median %v, resends after max %v; %v",
		r.Engine, r.Processes, r.Kills, r.Acked, r.Unacked, r.UnackedDone, len(r.Missing), len(r.HalfDone), r.VerifyRuns,
		r.Emails, r.Duplicates, r.Interrupted, r.Pending, r.MaxDelay.Round(time.Millisecond), r.MedianDelay.Round(time.Millisecond),
		r.ResendMaxDelay.Round(time.Millisecond), r.Elapsed.Round(time.Second)) + r.more()
}

type attempt struct {
	email string
	acked bool
	invID string
}

type proc struct {
	n    int
	gen  int // incarnation: every start has a new one
	addr string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	logs *bytes.Buffer
}

type suite struct {
	cfg     Config
	sink    *smtpsink.Sink
	keyFile string
	token   string
	agency  string

	mu       sync.Mutex
	procs    []*proc // nil while a slot is down
	attempts []attempt
	kills    []time.Time
	seq      int
	gens     int
	views    []view
	killedAt map[int]time.Time // incarnation → when it was gone
	filler   string            // the file filling the disk (faults_more.go)
	appName  string            // the processes' application_name on PostgreSQL
	refused  map[int]int       // writes answered with an error, by status
}

// Run runs the suite.
func Run(ctx context.Context, cfg Config) (res Result, err error) {
	start := time.Now()
	if cfg.Processes <= 0 || cfg.PostgresURL == "" {
		cfg.Processes = 1
	}
	cfg.Workers = max(cfg.Workers, 1)
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	res.Engine, res.Processes = "sqlite", cfg.Processes
	if cfg.PostgresURL != "" {
		res.Engine = "postgres"
	}
	s := &suite{cfg: cfg, sink: smtpsink.New(), procs: make([]*proc, cfg.Processes), killedAt: map[int]time.Time{}, refused: map[int]int{}}
	if len(cfg.Faults) == 0 {
		s.cfg.Faults = []string{FaultKill}
	}
	if cfg.ViewWorkers == 0 {
		s.cfg.ViewWorkers = 2
	}
	cleanup, err := s.prepare(&res)
	if err != nil {
		return res, err
	}
	defer cleanup()
	s.sink.ReplyDelay = cfg.SMTPDelay
	if err := s.sink.Start(""); err != nil {
		return res, err
	}
	defer s.sink.Stop()
	// One audit key for every process, as OPERATING.md asks.
	if _, err := audit.LoadKey("", cfg.Dir); err != nil {
		return res, err
	}
	s.keyFile = filepath.Join(cfg.Dir, audit.KeyFileName)
	defer s.stopAll()

	if err := s.setup(ctx); err != nil {
		return res, err
	}
	for i := range cfg.Processes {
		if err := s.start(ctx, i); err != nil {
			return res, err
		}
	}
	if err := s.login(ctx); err != nil {
		return res, err
	}

	var cookie *http.Cookie
	if s.cfg.ViewWorkers > 0 {
		if cookie, err = s.viewer(ctx); err != nil {
			return res, err
		}
	}

	wctx, stopWriters := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range cfg.Workers {
		wg.Go(func() { s.write(wctx, w) })
	}
	for w := range max(s.cfg.ViewWorkers, 0) {
		wg.Go(func() { s.viewWrite(wctx, w, cookie) })
	}
	for round := 0; round < cfg.Rounds && ctx.Err() == nil; round++ {
		up := cfg.MinUp + rand.N(cfg.MaxUp-cfg.MinUp+1)
		time.Sleep(up)
		kind := s.cfg.Faults[round%len(s.cfg.Faults)]
		if err := s.fault(ctx, kind, &res); err != nil {
			stopWriters()
			wg.Wait()
			return res, fmt.Errorf("round %d (%s): %w", round+1, kind, err)
		}
		if err := s.verifyAudit(ctx); err != nil {
			stopWriters()
			wg.Wait()
			return res, fmt.Errorf("after round %d (%s): %w", round+1, kind, err)
		}
		res.VerifyRuns++
	}
	stopWriters()
	wg.Wait()

	if err := s.drain(ctx, 90*time.Second); err != nil {
		return res, err
	}
	if err := s.verifyAudit(ctx); err != nil {
		return res, fmt.Errorf("at the end: %w", err)
	}
	res.VerifyRuns++
	s.stopAll()
	err = s.check(ctx, &res)
	res.Refused = s.refused
	res.Elapsed = time.Since(start)
	return res, err
}

func (s *suite) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, "faults: "+format+"\n", args...)
}

func (s *suite) env(p *proc) []string {
	env := []string{
		"LIAISON_ADDR=" + p.addr, "LIAISON_BASE_URL=http://" + p.addr, "LIAISON_DATA_DIR=" + p.dir,
		"LIAISON_SMTP_URL=" + s.sink.URL(), "LIAISON_AUDIT_KEY_FILE=" + s.keyFile, "LIAISON_LOG_LEVEL=warn",
		"PATH=" + os.Getenv("PATH"),
	}
	if s.cfg.PostgresURL != "" {
		env = append(env, "LIAISON_DATABASE_URL="+s.pgURL())
	}
	return env
}

func (s *suite) dataDir(i int) string {
	if s.cfg.PostgresURL == "" {
		return filepath.Join(s.cfg.Dir, "data") // one SQLite file
	}
	return filepath.Join(s.cfg.Dir, fmt.Sprintf("data%d", i))
}

// setup creates the agency and its admin with the CLI, as an operator would.
func (s *suite) setup(ctx context.Context) error {
	p := &proc{addr: "127.0.0.1:1", dir: s.dataDir(0)}
	cmd := exec.CommandContext(ctx, s.cfg.Bin, "admin", "create", "--email", "admin@faults.example",
		"--name", "Fault Admin", "--agency", "Fault Agency", "--password", "a perfectly good passphrase")
	cmd.Env = s.env(p)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("admin create: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`\((acc_[A-Za-z0-9_]+)\)`).FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("admin create: no agency ID in %q", out)
	}
	s.agency = string(m[1])
	return nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start starts process slot i and waits for /readyz.
func (s *suite) start(ctx context.Context, i int) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.gens++
	gen := s.gens
	s.mu.Unlock()
	p := &proc{n: i, gen: gen, addr: addr, dir: s.dataDir(i), done: make(chan struct{}), logs: &bytes.Buffer{}}
	p.cmd = exec.Command(s.cfg.Bin, "serve")
	p.cmd.Env = s.env(p)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return err
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(60 * time.Second)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := c.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("process %d exited at start:\n%s", i, p.logs)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d not ready after 60s:\n%s", i, p.logs)
		}
	}
	s.mu.Lock()
	s.procs[i] = p
	s.mu.Unlock()
	return nil
}

// kill sends SIGKILL to slot i's process and waits for it to be gone.
func (s *suite) kill(i int) {
	s.mu.Lock()
	p := s.procs[i]
	s.procs[i] = nil
	s.kills = append(s.kills, time.Now())
	s.mu.Unlock()
	if p == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
	s.mu.Lock()
	s.killedAt[p.gen] = time.Now() // once it is gone: nothing it answers comes later
	s.mu.Unlock()
	s.logf("killed process %d", i)
}

func (s *suite) stopAll() {
	s.mu.Lock()
	procs := slices.Clone(s.procs)
	for i := range s.procs {
		s.procs[i] = nil
	}
	s.mu.Unlock()
	for _, p := range procs {
		if p == nil {
			continue
		}
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
}

// live returns a random running process (nil when none runs).
func (s *suite) live() *proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	var up []*proc
	for _, p := range s.procs {
		if p != nil {
			up = append(up, p)
		}
	}
	if len(up) == 0 {
		return nil
	}
	return up[rand.N(len(up))]
}

// login gets an API token for the workers.
func (s *suite) login(ctx context.Context) error {
	addr := s.live().addr
	jar := &cookieJar{}
	c := &http.Client{Timeout: 10 * time.Second, Jar: jar}
	if _, err := post(ctx, c, "http://"+addr+"/api/v1/login", "", map[string]any{
		"email": "admin@faults.example", "password": "a perfectly good passphrase"}, 200); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	body, err := post(ctx, c, "http://"+addr+"/api/v1/tokens", "", map[string]any{"name": "faults"}, 201)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	tok, _ := body["token"].(string)
	if tok == "" {
		return errors.New("token: none in the answer")
	}
	s.token = tok
	return nil
}

// write is one worker: invitations into new clients and into the agency's
// staff, alternately, each to an address of its own. Every one writes the
// invitation (and for a client, the client account), its audit entry, its
// e-mail and its delivery job in one transaction.
func (s *suite) write(ctx context.Context, w int) {
	c := &http.Client{Timeout: 10 * time.Second}
	for n := 0; ctx.Err() == nil; n++ {
		p := s.live()
		if p == nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		addr := p.addr
		email := fmt.Sprintf("w%d-%d-%d@faults.example", w, n, rand.N(1<<30))
		url, body := "http://"+addr+"/api/v1/agencies/"+s.agency+"/invitations", map[string]any{"email": email}
		if n%2 == 1 {
			url, body = "http://"+addr+"/api/v1/agencies/"+s.agency+"/members", map[string]any{"email": email, "role": "member"}
		}
		resp, err := post(context.WithoutCancel(ctx), c, url, s.token, body, 201)
		a := attempt{email: email}
		var se statusError
		if err == nil {
			a.acked = true
			a.invID, _ = resp["id"].(string)
		} else if !isTransport(err) {
			s.logf("worker %d: %v", w, err)
		}
		s.mu.Lock()
		if errors.As(err, &se) {
			s.refused[se.status]++
		}
		s.attempts = append(s.attempts, a)
		s.mu.Unlock()
		if err != nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

type statusError struct {
	status int
	body   string
}

func (e statusError) Error() string { return fmt.Sprintf("status %d: %s", e.status, e.body) }

func isTransport(err error) bool {
	var se statusError
	return !errors.As(err, &se) || se.status >= 500
}

func jsonRequest(ctx context.Context, url, token string, body any) (*http.Request, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, nil
}

func post(ctx context.Context, c *http.Client, url, token string, body any, want int) (map[string]any, error) {
	req, err := jsonRequest(ctx, url, token, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return nil, statusError{resp.StatusCode, strings.TrimSpace(string(raw))}
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out, nil
}

// verifyAudit runs `liaison audit verify`, as an operator would, while the
// processes run.
func (s *suite) verifyAudit(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, s.cfg.Bin, "audit", "verify")
	cmd.Env = s.env(&proc{addr: "127.0.0.1:1", dir: s.dataDir(0)})
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("liaison audit verify: %v\n%s", err, out)
	}
	return nil
}

// cookieJar keeps the session cookie of login for the token request.
type cookieJar struct {
	mu      sync.Mutex
	cookies []*http.Cookie
}

func (j *cookieJar) SetCookies(_ *neturl.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.cookies = append(j.cookies, cs...)
}

func (j *cookieJar) Cookies(*neturl.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.cookies)
}

// median of ds (sorted in place).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, k int) bool { return ds[i] < ds[k] })
	return ds[len(ds)/2]
}
