// Command mixed is a mixed-workload soak of a running Liaison: the reads
// and writes an agency's staff and its clients make, while the agency
// grows. Every -interval it prints the throughput and p50/p99 of all
// requests and of each kind, the agency's client count and the audit
// log's size, so that a request whose cost grows with the agency shows as
// a p99 that climbs from one line to the next.
//
// It drives the agency that `clientlist seed` made (its admin logs in with
// -email/-password); the seeded clients' own users (read from the
// database: -data-dir or -database-url, as for the seed) log in for page
// views. Shares of the request kinds are fixed (see kinds); argon2id logins
// come from 127.0.0.2… so that the server's per-address login limit holds.
//
//	go run ./bench/clientlist seed -data-dir D -clients 200 -other-agencies 0 -events 0
//	liaison serve (on D)
//	go run ./bench/mixed -url http://127.0.0.1:8080 -data-dir D -agency acc_… -duration 10m
//
// With -grow-clients and -grow-audit the agency grows at an even pace to
// those sizes by the end of -duration (issue 23: from 0 to 10,000 clients
// and 100,000 audit entries while the mix runs): -grow-workers more
// connections create clients and change seats (one audit entry each)
// whenever the agency is behind its schedule, and the mix's own creations
// wait for the schedule too. Their requests are reported apart (grow_*),
// so the mix's figures are those of the same requests at every size.
// With -pid (the server's), each line also gives the server's CPU per
// request, from /proc/PID/stat: a measure that queueing on a loaded
// machine does not inflate. -per-kind prints p50/p99 of every kind.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
)

// kind is one kind of request and its share of the mix (per mille).
type kind struct {
	name  string
	share int
	run   func(w *worker) (int, error)
}

var kinds []kind

func main() {
	var (
		base     = flag.String("url", "http://127.0.0.1:8080", "the server")
		dataDir  = flag.String("data-dir", "", "SQLite: the server's LIAISON_DATA_DIR (to find client users)")
		dbURL    = flag.String("database-url", "", "PostgreSQL: the server's LIAISON_DATABASE_URL")
		agency   = flag.String("agency", "", "the seeded agency's ID")
		email    = flag.String("email", "bench-admin@example.com", "its admin")
		pass     = flag.String("password", "correct horse battery staple", "the seeded users' password")
		workers  = flag.Int("workers", 8, "requests in flight")
		duration = flag.Duration("duration", 10*time.Minute, "how long")
		interval = flag.Duration("interval", time.Minute, "how often to print a line")
		maxCl    = flag.Int("clients", 10000, "stop creating clients at this many")
		growCl   = flag.Int("grow-clients", 0, "grow the agency to this many clients, evenly over -duration (0: no schedule)")
		growAu   = flag.Int("grow-audit", 0, "grow the audit log to this many entries, evenly over -duration")
		growW    = flag.Int("grow-workers", 2, "connections that keep the growth on schedule")
		pid      = flag.Int("pid", 0, "the server's process ID, for its CPU per request")
		perKind  = flag.Bool("per-kind", false, "print p50/p99 of each kind every interval")
		vacuum   = flag.Duration("vacuum", 0, "PostgreSQL with autovacuum off: run VACUUM ANALYZE this often, as autovacuum would (0: never)")
		nUsers   = flag.Int("client-users", 16, "client users that post page views and read /me (each logs in once at the start)")
	)
	flag.Parse()
	if *agency == "" {
		fail("-agency is required")
	}
	d, err := db.Open(context.Background(), *dbURL, filepath.Join(*dataDir, "liaison.db"))
	if err != nil {
		fail("open database: %v", err)
	}
	var clientUsers []string
	if err := d.Select(context.Background(), &clientUsers, `SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id
		JOIN agency_clients c ON c.client_id = m.account_id WHERE c.agency_id = ? ORDER BY u.email LIMIT ?`, *agency, *nUsers); err != nil {
		fail("client users: %v", err)
	}
	r := &run{base: *base, agency: *agency, pass: *pass, db: d, pid: *pid, perKind: *perKind}
	r.maxClients.Store(int64(*maxCl))
	if *growCl > 0 {
		r.maxClients.Store(int64(*growCl))
	}
	admin := r.login(*email, 2)
	r.admins = []*http.Client{admin}
	for i, e := range clientUsers {
		// A seeded user may not sign in (a disabled client): left out.
		if c, err := r.tryLogin(e, 3+i); err == nil {
			r.clients = append(r.clients, c)
		} else {
			fmt.Fprintf(os.Stderr, "mixed: %v (left out)\n", err)
		}
	}
	if len(r.clients) == 0 {
		fmt.Fprintln(os.Stderr, "mixed: no client users found: no page views")
	}
	r.adminEmail = *email
	r.setup()
	defineKinds()
	total := 0
	for _, k := range kinds {
		total += k.share
	}
	fmt.Printf("workers %d, duration %s; mix (per mille):", *workers, *duration)
	for _, k := range kinds {
		fmt.Printf(" %s %d", k.name, k.share)
	}
	fmt.Println()
	// A moment past the last interval, so that its line is printed.
	ctx, cancel := context.WithTimeout(context.Background(), *duration+time.Second)
	defer cancel()
	var wg sync.WaitGroup
	r.sample(context.Background())
	r.clients0 = r.clientsNow.Load()
	r.cpu0 = r.serverCPU()
	r.databaseCPU()
	if *vacuum > 0 && *dbURL != "" {
		r.vacuum(ctx, &wg, *vacuum)
	}
	if *growCl > 0 || *growAu > 0 {
		r.schedule(ctx, &wg, *growCl, *growAu, *growW, *duration)
	}
	fmt.Printf("%8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %s\n", "interval", "req/s", "p50 ms", "p99 ms", "errors", "clients", "audit", "list p99", "grow/s", "cpu µs", "slowest kind (p99 ms)")
	for i := range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{r: r, rng: rand.New(rand.NewPCG(uint64(i), 7))}
			for ctx.Err() == nil {
				n := w.rng.IntN(total)
				for _, k := range kinds {
					if n < k.share {
						start := time.Now()
						status, err := k.run(w)
						r.record(k.name, time.Since(start), status, err)
						break
					}
					n -= k.share
				}
			}
		}()
	}
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			wg.Wait() // the last, partial interval is not printed
			if v := time.Duration(r.vacuumed.Load()); v > 0 {
				fmt.Printf("VACUUM ANALYZE took %.1f s in all\n", v.Seconds())
			}
			return
		case <-tick.C:
			r.print(i, *interval)
		}
	}
}

func defineKinds() {
	kinds = []kind{
		{"list", 250, func(w *worker) (int, error) {
			q := []string{"", "&sort=-health", "&q=" + w.word(), "&status=active"}[w.rng.IntN(4)]
			return w.get(w.r.admins[0], "/api/v1/agencies/"+w.r.agency+"/clients?limit=50"+q)
		}},
		{"detail", 150, func(w *worker) (int, error) {
			return w.get(w.r.admins[0], "/api/v1/agencies/"+w.r.agency+"/clients/"+w.r.someClient(w))
		}},
		{"me", 200, func(w *worker) (int, error) {
			c := w.r.admins[0]
			if len(w.r.clients) > 0 && w.rng.IntN(2) == 0 {
				c = w.r.clients[w.rng.IntN(len(w.r.clients))]
			}
			return w.get(c, "/api/v1/me")
		}},
		{"invitations", 50, func(w *worker) (int, error) {
			return w.get(w.r.admins[0], "/api/v1/agencies/"+w.r.agency+"/invitations")
		}},
		{"audit", 20, func(w *worker) (int, error) {
			return w.get(w.r.admins[0], "/api/v1/accounts/"+w.r.agency+"/audit")
		}},
		{"page_view", 120, func(w *worker) (int, error) {
			if len(w.r.clients) == 0 {
				return w.get(w.r.admins[0], "/api/v1/me")
			}
			c := w.r.clients[w.rng.IntN(len(w.r.clients))]
			return w.send(c, "POST", "/api/v1/activity", map[string]any{"page": []string{"dashboard", "reports", "users"}[w.rng.IntN(3)]})
		}},
		{"seats", 40, func(w *worker) (int, error) {
			return w.send(w.r.admins[0], "PATCH", "/api/v1/agencies/"+w.r.agency+"/clients/"+w.r.someClient(w),
				map[string]any{"seats": 5 + w.rng.IntN(20)})
		}},
		{"brand", 40, func(w *worker) (int, error) {
			path := "/api/v1/agencies/" + w.r.agency + "/clients/" + w.r.someClient(w) + "/brands/" + w.r.brands[w.rng.IntN(len(w.r.brands))]
			if w.rng.IntN(2) == 0 {
				return w.send(w.r.admins[0], "PUT", path, nil)
			}
			return w.send(w.r.admins[0], "DELETE", path, nil)
		}},
		{"create", 100, func(w *worker) (int, error) {
			if w.r.clients0+w.r.created.Load() >= w.r.maxClients.Load() || w.r.scheduled && !w.r.behind(false) {
				return w.get(w.r.admins[0], "/api/v1/me")
			}
			return w.create()
		}},
		{"link_request", 15, func(w *worker) (int, error) {
			return w.send(w.r.admins[0], "POST", "/api/v1/accounts/"+w.r.agency+"/links",
				map[string]any{"target_email": fmt.Sprintf("nobody%d@mixed.example", w.rng.IntN(1e9))})
		}},
		{"login", 10, func(w *worker) (int, error) {
			c := w.r.browser(2 + w.rng.IntN(250))
			return w.send(c, "POST", "/api/v1/login", map[string]any{"email": w.r.adminEmail, "password": w.r.pass})
		}},
	}
}

type run struct {
	base, agency, pass, adminEmail string
	pid                            int
	perKind, scheduled             bool
	clients0                       int64 // the agency's clients at the start
	audit                          atomic.Int64
	grownSeats                     atomic.Int64 // seat changes made by the growth
	clientsNow                     atomic.Int64
	goal                           func() (clients, audit float64) // where the schedule is now
	cpu0                           float64
	backends                       map[int]float64 // CPU of each PostgreSQL backend, as last read
	vacuumed                       atomic.Int64    // time spent in VACUUM ANALYZE (-vacuum)
	db                             *db.DB
	admins, clients                []*http.Client
	brands                         []string
	mu                             sync.Mutex
	clientIDs                      []string
	browsers                       map[int]*http.Client // by the last byte of their address
	created, maxClients            atomic.Int64
	stats                          map[string][]time.Duration
	errors                         int
	statsMu                        sync.Mutex
}

type worker struct {
	r   *run
	rng *rand.Rand
}

var words = []string{"acme", "blue", "north", "star", "green", "labs", "media", "group", "digital", "studio"}

func (w *worker) word() string { return words[w.rng.IntN(len(words))] }

func (r *run) someClient(w *worker) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clientIDs[w.rng.IntN(len(r.clientIDs))]
}

func (r *run) addClient(id string) {
	if id == "" {
		return
	}
	r.created.Add(1)
	r.mu.Lock()
	r.clientIDs = append(r.clientIDs, id)
	r.mu.Unlock()
}

// anon is a client without cookies whose connections come from 127.0.0.n.
func (r *run) anon(n int) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(n))}, Timeout: 10 * time.Second}
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 1}}
}

// browser is the cookieless client of 127.0.0.n, made once: the login
// kind's 250 "browsers" each keep their connection between logins, as a
// browser does. A new client per login left its connection idle on the
// server until the server's idle timeout (120 s): 1,600–1,900 idle
// connections by the soak's third minute, whose goroutine stacks and
// buffers (33 MB) the collector walked on every cycle, and a first minute
// cheaper than every other (issue 23, session 10).
func (r *run) browser(n int) *http.Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.browsers == nil {
		r.browsers = map[int]*http.Client{}
	}
	c := r.browsers[n]
	if c == nil {
		c = r.anon(n)
		r.browsers[n] = c
	}
	return c
}

func (r *run) login(email string, ip int) *http.Client {
	c, err := r.tryLogin(email, ip)
	if err != nil {
		fail("%v", err)
	}
	return c
}

func (r *run) tryLogin(email string, ip int) (*http.Client, error) {
	c := r.anon(ip)
	c.Jar, _ = cookiejar.New(nil)
	c.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	w := &worker{r: r}
	if st, err := w.send(c, "POST", "/api/v1/login", map[string]any{"email": email, "password": r.pass}); st != 200 || err != nil {
		return nil, fmt.Errorf("login %s: %d %v", email, st, err)
	}
	return c, nil
}

// setup reads the agency's clients and makes sure it has brands.
func (r *run) setup() {
	w := &worker{r: r, rng: rand.New(rand.NewPCG(1, 2))}
	var page struct {
		Clients []struct {
			ID string `json:"id"`
		} `json:"clients"`
	}
	if st, err := w.do(r.admins[0], "GET", "/api/v1/agencies/"+r.agency+"/clients?limit=200", nil, &page); st != 200 {
		fail("list: %d %v", st, err)
	}
	for _, c := range page.Clients {
		r.clientIDs = append(r.clientIDs, c.ID)
	}
	for i := range 4 {
		var b struct {
			ID string `json:"id"`
		}
		if st, err := w.do(r.admins[0], "POST", "/api/v1/agencies/"+r.agency+"/brands", map[string]any{"name": fmt.Sprintf("Mixed brand %d %d", i, time.Now().UnixNano())}, &b); st != 201 && st != 200 {
			fail("brand: %d %v", st, err)
		}
		r.brands = append(r.brands, b.ID)
	}
	if len(r.clientIDs) == 0 {
		fail("the agency has no clients: seed it with -clients 1 or more")
	}
}

func (w *worker) get(c *http.Client, path string) (int, error) { return w.do(c, "GET", path, nil, nil) }
func (w *worker) send(c *http.Client, method, path string, body any) (int, error) {
	return w.do(c, method, path, body, nil)
}

func (w *worker) do(c *http.Client, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, w.r.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode < 300 {
		err = json.NewDecoder(res.Body).Decode(out)
	} else {
		_, _ = io.Copy(io.Discard, res.Body)
	}
	return res.StatusCode, err
}

// create makes a client of the agency.
func (w *worker) create() (int, error) {
	var out struct {
		ID string `json:"id"`
	}
	st, err := w.do(w.r.admins[0], "POST", "/api/v1/agencies/"+w.r.agency+"/clients",
		map[string]any{"name": fmt.Sprintf("Mixed %s %d", w.word(), w.rng.IntN(1e9))}, &out)
	if st == http.StatusCreated || st == http.StatusOK {
		w.r.addClient(out.ID)
	}
	return st, err
}

func (r *run) record(name string, d time.Duration, status int, err error) {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	if r.stats == nil {
		r.stats = map[string][]time.Duration{}
	}
	r.stats[name] = append(r.stats[name], d)
	// 409 (a link already pending) and 429 (a limit) are answers, not
	// failures; anything else above 399 is.
	if err != nil || status >= 500 || status >= 400 && status != 409 && status != 429 && status != 404 {
		r.errors++
	}
}

func (r *run) print(minute int, interval time.Duration) {
	r.statsMu.Lock()
	stats, errors := r.stats, r.errors
	r.stats, r.errors = nil, 0
	r.statsMu.Unlock()
	var all []time.Duration
	slowest, slowP99 := "", time.Duration(0)
	grown, served := 0, 0
	var names []string
	for name, ds := range stats {
		names = append(names, name)
		served += len(ds)
		if strings.HasPrefix(name, "grow_") {
			grown += len(ds)
			continue // the mix's figures are the mix's requests
		}
		all = append(all, ds...)
		if p := pct(ds, 99); p > slowP99 {
			slowest, slowP99 = name, p
		}
	}
	var audit, clients int
	_ = r.db.Get(context.Background(), &audit, `SELECT COUNT(*) FROM audit_events`)
	_ = r.db.Get(context.Background(), &clients, `SELECT COUNT(*) FROM agency_clients WHERE agency_id = ?`, r.agency)
	cpu := r.serverCPU()
	perReq, dbPerReq := 0.0, 0.0
	if served > 0 && r.pid > 0 {
		perReq = (cpu - r.cpu0) * 1e6 / float64(served)
	}
	r.cpu0 = cpu
	if d := r.databaseCPU(); served > 0 && d > 0 {
		dbPerReq = d * 1e6 / float64(served)
	}
	fmt.Printf("%8d %8.0f %8.1f %8.1f %8d %8d %8d %8.1f %8.0f %8.0f %s (%.1f)\n", minute, float64(len(all))/interval.Seconds(),
		ms(pct(all, 50)), ms(pct(all, 99)), errors, clients, audit, ms(pct(stats["list"], 99)), float64(grown)/interval.Seconds(), perReq, slowest, ms(slowP99))
	if dbPerReq > 0 {
		fmt.Printf("         database CPU %.0f µs per request (PostgreSQL backends of the database)\n", dbPerReq)
	}
	if r.perKind {
		slices.Sort(names)
		for _, n := range names {
			ds := stats[n]
			fmt.Printf("         %-14s %7d req %8.1f %8.1f\n", n, len(ds), ms(pct(ds, 50)), ms(pct(ds, 99)))
		}
	}
}

// serverCPU is the server's user and system CPU in seconds (0 without
// -pid), from /proc/PID/stat.
func (r *run) serverCPU() float64 {
	if r.pid <= 0 {
		return 0
	}
	return procCPU(r.pid)
}

// procCPU is a process's user and system CPU in seconds, 0 when it cannot
// be read.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command (which may hold spaces) in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // clock ticks (USER_HZ = 100 on Linux)
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mixed: "+format+"\n", args...)
	os.Exit(1)
}

// databaseCPU is the CPU the PostgreSQL backends of the soak's database
// (on this machine) used since the last call, in seconds; 0 on SQLite. A
// backend that ended between two calls is not counted.
func (r *run) databaseCPU() float64 {
	if r.db.Dialect() != db.Postgres {
		return 0
	}
	var pids []int
	if err := r.db.Select(context.Background(), &pids, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`); err != nil {
		return 0
	}
	now := map[int]float64{}
	used := 0.0
	for _, pid := range pids {
		c := procCPU(pid)
		now[pid] = c
		if before, ok := r.backends[pid]; ok {
			used += c - before
		} else if r.backends != nil {
			used += c // a backend started since the last call
		}
	}
	first := r.backends == nil
	r.backends = now
	if first {
		return 0
	}
	return used
}
