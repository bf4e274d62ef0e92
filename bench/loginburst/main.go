// Command loginburst is a small load driver for POST /api/v1/login on a
// running Liaison: it signs up -users users, then logs them in from
// -concurrency workers for -duration, and reports logins/s, latency and the
// answers that were not 200.
//
// The server's rate limits stay on. The client IP is the TCP peer address, so
// the driver spreads its requests over the loopback source addresses
// 127.0.0.2… (-ips of them, every one of which Linux routes to lo): sign-ups
// stay under 20 per address per hour, logins under 50 per address per 15
// minutes (it refuses to plan more), and users are taken round-robin so that
// no e-mail has more than a few logins in flight (its limit of 10 per 15
// minutes resets after each success).
//
//	go run ./bench/loginburst -url http://127.0.0.1:8080 -users 64 -concurrency 32 -duration 15s
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The server's limits (internal/ratelimit), which the driver keeps under.
const (
	signupPerIP = 20 // per hour
	loginPerIP  = 50 // per 15 minutes
)

func main() {
	var (
		base        = flag.String("url", "http://127.0.0.1:8080", "base URL of the server")
		users       = flag.Int("users", 64, "users to sign up and log in round-robin")
		concurrency = flag.Int("concurrency", 32, "logins in flight at once")
		duration    = flag.Duration("duration", 15*time.Second, "how long to log in")
		ips         = flag.Int("ips", 253, "source addresses to spread over: 127.0.0.2 … 127.0.0.(1+ips)")
		pass        = flag.String("password", "correct horse battery staple", "password of the users")
		pid         = flag.Int("pid", 0, "the server's process ID, to report its CPU time per login (Linux /proc)")
	)
	flag.Parse()
	if *ips < 1 || *ips > 253 || *users < 1 || *concurrency < 1 || *duration <= 0 {
		fail("bad flags: need 1 <= -ips <= 253, -users >= 1, -concurrency >= 1, -duration > 0")
	}
	if *users > signupPerIP**ips {
		fail("-users %d would need more than %d sign-ups per address over %d addresses", *users, signupPerIP, *ips)
	}
	*base = strings.TrimRight(*base, "/")

	clients := make([]*http.Client, *ips)
	for i := range clients {
		clients[i] = newClient(net.IPv4(127, 0, 0, byte(2+i)))
	}
	// Sign-ups get a fresh e-mail prefix per run, so the driver can run again
	// against the same server.
	run := randHex(4)
	emails := make([]string, *users)
	for i := range emails {
		emails[i] = fmt.Sprintf("burst-%s-%d@example.com", run, i)
	}
	rss := startRSS(*pid)
	start := time.Now()
	var signupErr atomic.Value
	parallel(*users, min(*concurrency, *users), func(i int) {
		body, _ := json.Marshal(map[string]string{"name": fmt.Sprintf("Burst %d", i), "email": emails[i], "password": *pass,
			"account_name": fmt.Sprintf("Burst %s %d", run, i), "account_kind": "client"})
		status, raw, err := post(clients[i%*ips], *base+"/api/v1/signup", body)
		if err == nil && status != http.StatusCreated {
			err = fmt.Errorf("status %d: %s", status, bytes.TrimSpace(raw))
		}
		if err != nil {
			signupErr.CompareAndSwap(nil, fmt.Errorf("sign-up %s: %w", emails[i], err))
		}
	})
	if err, _ := signupErr.Load().(error); err != nil {
		fail("%v", err)
	}
	signupPeak := rss.peak()
	fmt.Printf("signed up %d users in %.1fs\n", *users, time.Since(start).Seconds())

	bodies := make([][]byte, *users)
	for i := range bodies {
		bodies[i], _ = json.Marshal(map[string]string{"email": emails[i], "password": *pass})
	}
	budget := uint64(loginPerIP * *ips) // logins the per-address limit allows
	var (
		next     atomic.Uint64
		mu       sync.Mutex
		lat      []time.Duration
		statuses = map[string]int{}
		sample   = map[string]string{}
	)
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	cpu0, busy0, self0 := procTicks(*pid), machineTicks(), selfCPU()
	start = time.Now()
	var wg sync.WaitGroup
	for range *concurrency {
		wg.Go(func() {
			var mine []time.Duration
			myStatus := map[string]int{}
			mySample := map[string]string{}
			for ctx.Err() == nil {
				k := next.Add(1) - 1
				if k >= budget {
					break
				}
				t0 := time.Now()
				// Not bound to ctx: a login that started finishes and counts.
				status, raw, err := post(clients[k%uint64(*ips)], *base+"/api/v1/login", bodies[k%uint64(*users)])
				mine = append(mine, time.Since(t0))
				key := fmt.Sprint(status)
				if err != nil {
					key = "error"
					raw = []byte(err.Error())
				}
				myStatus[key]++
				if status != http.StatusOK {
					mySample[key] = string(bytes.TrimSpace(raw))
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			for k, v := range myStatus {
				statuses[k] += v
			}
			for k, v := range mySample {
				sample[k] = v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, busy1, self1 := procTicks(*pid), machineTicks(), selfCPU()
	loginPeak := rss.peak()
	rss.stop()
	if next.Load() >= budget {
		fmt.Printf("note: stopped early after %d logins, the most %d addresses may make in 15 minutes\n", budget, *ips)
	}

	slices.Sort(lat)
	ok := statuses["200"]
	bad := len(lat) - ok
	fmt.Printf("logins: %d in %.1fs, concurrency %d, %d users, %d source addresses\n", len(lat), elapsed.Seconds(), *concurrency, *users, *ips)
	fmt.Printf("logins/s: %.1f\n", float64(ok)/elapsed.Seconds())
	fmt.Printf("latency: p50 %s  p99 %s  max %s\n", pct(lat, 0.50), pct(lat, 0.99), pct(lat, 1))
	fmt.Printf("non-200: %d\n", bad)
	if cpu0 >= 0 && cpu1 >= 0 && len(lat) > 0 {
		secs := float64(cpu1-cpu0) / clockTicks
		fmt.Printf("server CPU: %.1f ms per login (%.0f%% of one core)\n", 1000*secs/float64(len(lat)), 100*secs/elapsed.Seconds())
	}
	if signupPeak > 0 && loginPeak > 0 {
		fmt.Printf("server VmRSS peak (sampled every 100 ms): %.1f MB while signing up, %.1f MB while logging in\n",
			float64(signupPeak)/1024, float64(loginPeak)/1024)
	}
	fmt.Printf("driver CPU (this program): %.0f%% of one core\n", 100*(self1-self0).Seconds()/elapsed.Seconds())
	if busy0 >= 0 && busy1 >= 0 {
		fmt.Printf("machine busy: %.0f%% of %d cores (everything on it)\n",
			100*float64(busy1-busy0)/clockTicks/elapsed.Seconds()/float64(runtime.NumCPU()), runtime.NumCPU())
	}
	keys := make([]string, 0, len(statuses))
	for k := range statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k != "200" {
			fmt.Printf("  %s × %d, e.g. %.200s\n", k, statuses[k], sample[k])
		}
	}
	if bad > 0 || ok == 0 {
		os.Exit(1)
	}
}

// rssSampler reads a process's VmRSS every 100 ms and keeps the peak since
// the last call to peak.
type rssSampler struct {
	mu   sync.Mutex
	max  int64 // kB
	done chan struct{}
}

func startRSS(pid int) *rssSampler {
	r := &rssSampler{done: make(chan struct{})}
	if pid <= 0 {
		return r
	}
	path := fmt.Sprintf("/proc/%d/status", pid)
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := vmRSS(path); kb > 0 {
				r.mu.Lock()
				r.max = max(r.max, kb)
				r.mu.Unlock()
			}
			select {
			case <-r.done:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

// peak returns the highest VmRSS seen since the last call, in kB (0: none).
func (r *rssSampler) peak() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.max
	r.max = 0
	return m
}

func (r *rssSampler) stop() { close(r.done) }

// vmRSS returns the VmRSS line of a /proc/PID/status file in kB, or 0.
func vmRSS(path string) int64 {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// procTicks returns the user+system CPU time of process pid in clock ticks,
// or -1 when pid is 0 or its /proc entry cannot be read.
func procTicks(pid int) int64 {
	if pid <= 0 {
		return -1
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// Fields after "(comm)": state is the first, utime the 12th, stime the 13th.
	_, rest, ok := strings.Cut(string(raw), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return u + s
}

// machineTicks returns the busy time of all CPUs (user, nice, system, irq,
// softirq, steal) from /proc/stat in clock ticks, or -1.
func machineTicks() int64 {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return -1
	}
	var n int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return -1
		}
		n += v
	}
	return n
}

// selfCPU returns the user+system CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// newClient returns a keep-alive client whose connections come from local.
func newClient(local net.IP) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: local}}
	return &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{DialContext: d.DialContext,
		MaxIdleConnsPerHost: 8, IdleConnTimeout: time.Minute, DisableCompression: true}}
}

// post sends a JSON body and returns the status and the answer.
func post(c *http.Client, url string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	return res.StatusCode, raw, err
}

// parallel calls fn(0…n-1) from workers goroutines.
func parallel(n, workers int, fn func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// pct returns the q-quantile of sorted durations (nearest rank).
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i].Round(100 * time.Microsecond)
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("no randomness: " + err.Error()))
	}
	return hex.EncodeToString(b)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loginburst: "+format+"\n", args...)
	os.Exit(2)
}
