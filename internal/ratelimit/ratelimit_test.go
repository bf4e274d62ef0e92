// The database tests are an external test package: testkit starts the real
// server, which imports this package.
package ratelimit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	. "github.com/liaison-dev/liaison/internal/ratelimit"
	"github.com/liaison-dev/liaison/internal/testkit"
)

var ctx = context.Background()

// t0 has a fractional second on purpose: on SQLite timestamps compare as text,
// and the window boundaries below straddle values with and without fractions.
var t0 = time.Now().UTC().Truncate(time.Hour).Add(250 * time.Millisecond)

var small = Rule{Name: "test", Limit: 3, Window: 10 * time.Minute}

// bucket is the name the limiter must store: the rule and the SHA-256 of the key.
func bucket(r Rule, key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.Name + ":" + hex.EncodeToString(sum[:])
}

// mustHit fails the test unless the hit is allowed.
func mustHit(t *testing.T, l *Limiter, r Rule, key string) {
	t.Helper()
	if err := l.Hit(ctx, r, key); err != nil {
		t.Fatalf("hit %s/%s: %v", r.Name, key, err)
	}
}

// mustLimit fails the test unless the hit is refused, and returns the error.
func mustLimit(t *testing.T, l *Limiter, r Rule, key string) *errs.Error {
	t.Helper()
	err := l.Hit(ctx, r, key)
	e := errs.As(err)
	if e == nil || e.Kind != errs.RateLimited || e.Code != "rate_limited" {
		t.Fatalf("hit %s/%s: want a rate_limited error, got %v", r.Name, key, err)
	}
	return e
}

func TestLimitReachedAtLimitPlusOne(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		fc := clock.NewFake(t0)
		l := New(d, fc.Now)
		for range Login.Limit {
			mustHit(t, l, Login, "jane@example.com")
			fc.Advance(time.Second)
		}
		fc.Advance(time.Minute - time.Duration(Login.Limit)*time.Second) // one minute into the window
		e := mustLimit(t, l, Login, "jane@example.com")
		if e.RetryAfter != 14*60 {
			t.Errorf("RetryAfter = %d, want %d", e.RetryAfter, 14*60)
		}
		if e.Message != "Too many attempts. Try again in 14 minutes." {
			t.Errorf("message = %q", e.Message)
		}
		// Further refusals keep the same window; the count stops growing.
		fc.Advance(13*time.Minute + 30*time.Second) // 30 s before the end
		e = mustLimit(t, l, Login, "jane@example.com")
		if e.RetryAfter != 30 || e.Message != "Too many attempts. Try again in 1 minute." {
			t.Errorf("near the end: RetryAfter = %d, message %q", e.RetryAfter, e.Message)
		}
		var hits int
		if err := d.Get(ctx, &hits, `SELECT hits FROM rate_limits`); err != nil || hits != Login.Limit+1 {
			t.Errorf("stored hits = %d (%v), want %d", hits, err, Login.Limit+1)
		}
	})
}

func TestWindowRollover(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		for _, start := range []time.Time{t0, t0.Truncate(time.Second)} {
			fc := clock.NewFake(start)
			l := New(d, fc.Now)
			key := start.String()
			for range small.Limit {
				mustHit(t, l, small, key)
			}
			fc.Set(start.Add(small.Window - time.Microsecond))
			if e := mustLimit(t, l, small, key); e.RetryAfter != 1 {
				t.Errorf("1µs before the end: RetryAfter = %d, want 1", e.RetryAfter)
			}
			// The window ends exactly at start+Window: a new one begins there.
			fc.Set(start.Add(small.Window))
			for range small.Limit {
				mustHit(t, l, small, key)
			}
			e := mustLimit(t, l, small, key)
			if e.RetryAfter != int(small.Window.Seconds()) {
				t.Errorf("new window: RetryAfter = %d, want %d", e.RetryAfter, int(small.Window.Seconds()))
			}
			var ws db.Time
			if err := d.Get(ctx, &ws, `SELECT window_start FROM rate_limits WHERE bucket = ?`, bucket(small, key)); err != nil || !ws.Equal(start.Add(small.Window)) {
				t.Errorf("window_start = %v (%v), want %v", ws.Time, err, start.Add(small.Window))
			}
		}
	})
}

func TestKeysAndRulesIndependent(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		l := New(d, clock.NewFake(t0).Now)
		for range PasswordReset.Limit {
			mustHit(t, l, PasswordReset, "a@example.com")
		}
		mustLimit(t, l, PasswordReset, "a@example.com")
		mustHit(t, l, PasswordReset, "b@example.com")   // another key
		mustHit(t, l, PasswordReset, "203.0.113.7")     // the per-IP use of the same rule
		mustHit(t, l, Login, "a@example.com")           // another rule, same key
		mustHit(t, l, TokenCreate, "a@example.com")     // and another
		mustLimit(t, l, PasswordReset, "a@example.com") // still refused
	})
}

func TestBucketsHideKeys(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		l := New(d, clock.NewFake(t0).Now)
		mustHit(t, l, LoginIP, "jane@example.com")
		var b string
		if err := d.Get(ctx, &b, `SELECT bucket FROM rate_limits`); err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^login_ip:[0-9a-f]{64}$`).MatchString(b) || b != bucket(LoginIP, "jane@example.com") {
			t.Fatalf("bucket = %q, want login_ip:<sha-256 hex of the key>", b)
		}
	})
}

func TestReset(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		l := New(d, clock.NewFake(t0).Now)
		for range small.Limit {
			mustHit(t, l, small, "a")
			mustHit(t, l, small, "b")
		}
		mustLimit(t, l, small, "a")
		if err := l.Reset(ctx, small, "a"); err != nil {
			t.Fatal(err)
		}
		for range small.Limit {
			mustHit(t, l, small, "a")
		}
		mustLimit(t, l, small, "a")
		mustLimit(t, l, small, "b") // untouched by a's reset
		if err := l.Reset(ctx, small, "never-seen"); err != nil {
			t.Fatalf("reset of an unknown key: %v", err)
		}
	})
}

// hammer sends n concurrent hits of r for key, spread over the limiters, and
// returns how many were allowed. Any error other than a refusal fails the test.
func hammer(t *testing.T, ls []*Limiter, r Rule, key string, n int) int {
	t.Helper()
	var allowed atomic.Int32
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			err := ls[i%len(ls)].Hit(ctx, r, key)
			if err == nil {
				allowed.Add(1)
			} else if !errs.Is(err, errs.RateLimited) {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	return int(allowed.Load())
}

func TestConcurrentHitsCountExactly(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		l := New(d, clock.NewFake(t0).Now)
		r := Rule{Name: "burst", Limit: 20, Window: time.Hour}
		if got := hammer(t, []*Limiter{l}, r, "k", 50); got != 20 {
			t.Fatalf("%d of 50 concurrent hits allowed, want exactly 20", got)
		}
	})
}

// openShared opens two handles on one database, as two processes would.
func openShared(t *testing.T, e db.Dialect) (*db.DB, *db.DB) {
	t.Helper()
	var url, path string
	switch e {
	case db.SQLite:
		path = filepath.Join(t.TempDir(), "liaison.db")
	case db.Postgres:
		url = testkit.PostgresSchema(t)
	}
	open := func() *db.DB {
		d, err := db.Open(ctx, url, path)
		if err != nil {
			t.Fatalf("open %s: %v", e, err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	a := open()
	if _, err := a.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", e, err)
	}
	return a, open()
}

func TestLimitersShareCounts(t *testing.T) {
	for _, e := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			da, db2 := openShared(t, e)
			fc := clock.NewFake(t0)
			a, b := New(da, fc.Now), New(db2, fc.Now)

			// Taking turns: the limit is for both together.
			for i := range small.Limit {
				mustHit(t, []*Limiter{a, b}[i%2], small, "shared")
			}
			mustLimit(t, a, small, "shared")
			mustLimit(t, b, small, "shared")
			// A reset through one is seen by the other.
			if err := b.Reset(ctx, small, "shared"); err != nil {
				t.Fatal(err)
			}
			mustHit(t, a, small, "shared")

			// And concurrently, across both handles.
			r := Rule{Name: "burst", Limit: 20, Window: time.Hour}
			if got := hammer(t, []*Limiter{a, b}, r, "k", 50); got != 20 {
				t.Fatalf("%d of 50 hits over two handles allowed, want exactly 20", got)
			}
		})
	}
}

func TestSweep(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		fc := clock.NewFake(t0)
		l := New(d, fc.Now)
		mustHit(t, l, Login, "a")                                                 // 15-minute window
		mustHit(t, l, Signup, "b")                                                // 1-hour window
		mustHit(t, l, Rule{Name: "custom", Limit: 1, Window: 2 * time.Hour}, "c") // known because counted
		// A bucket of a rule this Limiter has never seen, e.g. from an older version.
		if _, err := d.Exec(ctx, `INSERT INTO rate_limits (bucket, window_start, hits) VALUES ('gone:x', ?, 1)`, t0); err != nil {
			t.Fatal(err)
		}
		count := func() int {
			var n int
			if err := d.Get(ctx, &n, `SELECT COUNT(*) FROM rate_limits`); err != nil {
				t.Fatal(err)
			}
			return n
		}
		sweep := func(want int) {
			t.Helper()
			if n, err := l.Sweep(ctx); err != nil || n != want {
				t.Fatalf("at %v: Sweep = %d, %v; want %d", fc.Now().Sub(t0), n, err, want)
			}
		}
		fc.Advance(15*time.Minute - time.Microsecond)
		sweep(0)
		fc.Advance(time.Microsecond)
		sweep(1) // login
		fc.Advance(45 * time.Minute)
		sweep(1) // signup
		fc.Advance(time.Hour)
		sweep(1) // custom
		if count() != 1 {
			t.Fatal("the unknown rule's bucket should wait for MaxWindow")
		}
		fc.Set(t0.Add(MaxWindow))
		sweep(1)
		if count() != 0 {
			t.Fatal("buckets left after the last sweep")
		}
	})
}
