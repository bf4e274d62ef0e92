// Package ratelimit counts attempts in fixed windows stored in the database,
// so that a limit holds across every process serving one database (several
// `liaison serve` behind a load balancer on PostgreSQL) and across restarts.
//
// A bucket is one rule applied to one key (an e-mail, an IP, a user ID). Its
// window starts with the first hit and lasts Rule.Window; the first hit after
// the window has ended starts a new one. Each hit is a single atomic UPSERT,
// so concurrent hits from any number of processes are counted exactly.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Rule is a limit: at most Limit hits per key within Window.
type Rule struct {
	Name   string // unique among rules; part of every bucket name, so no ':'
	Limit  int
	Window time.Duration
}

// The rules of the application. Keys must be normalised by the caller (e.g.
// e-mails trimmed and lower-cased) or an attacker could vary a key's spelling
// to get a fresh bucket.
var (
	Login         = Rule{Name: "login", Limit: 10, Window: 15 * time.Minute}    // per account e-mail
	LoginIP       = Rule{Name: "login_ip", Limit: 50, Window: 15 * time.Minute} // per client IP
	PasswordReset = Rule{Name: "reset", Limit: 5, Window: time.Hour}            // per e-mail, and per IP with another key
	Signup        = Rule{Name: "signup", Limit: 20, Window: time.Hour}          // per client IP
	TokenCreate   = Rule{Name: "token", Limit: 20, Window: time.Hour}           // per user
	// TwoFactor counts second-factor codes (sign-in, set-up, turning it
	// off) per user: as many tries as passwords get.
	TwoFactor = Rule{Name: "two_factor", Limit: 10, Window: 15 * time.Minute}
)

// MaxWindow is the longest window a rule may have. Sweep relies on it to
// clear buckets of rules it has not seen (e.g. left by an older version).
const MaxWindow = 7 * 24 * time.Hour

// Limiter counts hits in the rate_limits table.
type Limiter struct {
	d   *db.DB
	now clock.Clock

	mu    sync.Mutex
	rules map[string]time.Duration // name → window of every rule known, for Sweep
}

// New returns a Limiter on d that reads the time from now.
func New(d *db.DB, now clock.Clock) *Limiter {
	l := &Limiter{d: d, now: now, rules: make(map[string]time.Duration)}
	for _, r := range []Rule{Login, LoginIP, PasswordReset, Signup, TokenCreate, TwoFactor} {
		l.rules[r.Name] = r.Window
	}
	return l
}

func (r Rule) check() error {
	if r.Name == "" || strings.Contains(r.Name, ":") || r.Limit < 1 || r.Window <= 0 || r.Window > MaxWindow {
		return fmt.Errorf("ratelimit: invalid rule %+v", r)
	}
	return nil
}

// bucket names the counter of rule r for key. The key is hashed so that
// bucket names have a bounded length and e-mails and IPs are not stored in
// clear in a table that nobody reads for them.
func bucket(r Rule, key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.Name + ":" + hex.EncodeToString(sum[:])
}

// clockNow is the time in the form both engines store exactly. On SQLite
// timestamps are text, compared as strings in SQL; that orders them correctly
// only because every value written here is UTC ("+00:00") with trailing
// fractional zeros trimmed ('+' and '.' sort before digits).
func (l *Limiter) clockNow() time.Time { return l.now().UTC().Truncate(time.Microsecond) }

// hitSQL counts one hit and returns the bucket's state after it. The window
// has ended when window_start <= now - Window (the cutoff); then the count
// restarts at 1 from now. The count stops at Limit+1, where every further hit
// is refused anyway, so that a flood cannot overflow the INTEGER column. SET
// expressions all see the row as it was before the update, on both engines.
const hitSQL = `INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1)
ON CONFLICT (bucket) DO UPDATE SET
	hits = CASE
		WHEN rate_limits.window_start <= ? THEN 1
		WHEN rate_limits.hits > ? THEN rate_limits.hits
		ELSE rate_limits.hits + 1 END,
	window_start = CASE
		WHEN rate_limits.window_start <= ? THEN excluded.window_start
		ELSE rate_limits.window_start END
RETURNING hits, window_start`

// Hit counts one attempt of rule r by key. When the attempt is over the limit
// it returns an errs.RateLimited error whose RetryAfter is the number of
// seconds until the window ends.
func (l *Limiter) Hit(ctx context.Context, r Rule, key string) error {
	if err := r.check(); err != nil {
		return err
	}
	l.remember(r)
	now := l.clockNow()
	cutoff := now.Add(-r.Window)
	var row struct {
		Hits        int     `db:"hits"`
		WindowStart db.Time `db:"window_start"` // text on SQLite: RETURNING loses the column type
	}
	// A transaction only because RETURNING needs a query on the write pool
	// (db.Get reads on the read-only pool); the UPSERT alone is atomic.
	err := l.d.InTx(ctx, func(tx *db.Tx) error {
		return tx.Get(ctx, &row, hitSQL, bucket(r, key), now, cutoff, r.Limit, cutoff)
	})
	if err != nil {
		return fmt.Errorf("ratelimit %s: %w", r.Name, err)
	}
	if row.Hits <= r.Limit {
		return nil
	}
	return limited(row.WindowStart.Add(r.Window).Sub(now), r.Window)
}

// limited builds the error for a refused hit, left time before the window
// ends. It is at least one second (the window may end between our clock
// reading and the client's retry) and at most one window (another process's
// clock may run ahead of ours).
func limited(left, window time.Duration) *errs.Error {
	left = min(max(left, time.Second), window)
	secs := int(math.Ceil(left.Seconds()))
	mins := (secs + 59) / 60
	unit := "minutes"
	if mins == 1 {
		unit = "minute"
	}
	return &errs.Error{
		Kind:       errs.RateLimited,
		Code:       "rate_limited",
		Message:    fmt.Sprintf("Too many attempts. Try again in %d %s.", mins, unit),
		RetryAfter: secs,
	}
}

// Reset clears the count of rule r for key, e.g. the per-e-mail login count
// after a successful login.
func (l *Limiter) Reset(ctx context.Context, r Rule, key string) error {
	if err := r.check(); err != nil {
		return err
	}
	if _, err := l.d.Exec(ctx, `DELETE FROM rate_limits WHERE bucket = ?`, bucket(r, key)); err != nil {
		return fmt.Errorf("ratelimit %s: reset: %w", r.Name, err)
	}
	return nil
}

func (l *Limiter) remember(r Rule) {
	l.mu.Lock()
	l.rules[r.Name] = r.Window
	l.mu.Unlock()
}

// Sweep deletes the buckets whose window has ended and returns how many. The
// table does not record each bucket's window, so Sweep uses the window of the
// rule named in the bucket: the application's rules and any other rule this
// Limiter has counted. Buckets of rules it does not know are deleted once
// MaxWindow has passed, which is late but never early.
func (l *Limiter) Sweep(ctx context.Context) (int, error) {
	now := l.clockNow()
	l.mu.Lock()
	windows := make(map[string]time.Duration, len(l.rules))
	for name, w := range l.rules {
		windows[name] = w
	}
	l.mu.Unlock()

	total := 0
	del := func(q string, args ...any) error {
		res, err := l.d.Exec(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("ratelimit: sweep: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("ratelimit: sweep: %w", err)
		}
		total += int(n)
		return nil
	}
	for name, w := range windows {
		prefix := name + ":"
		// substr rather than LIKE: LIKE would treat '_' in a name as a
		// wildcard, and is case-insensitive on SQLite. The length is a
		// character count on both engines, and a trusted integer, so it is
		// written into the SQL, which spares PostgreSQL inferring its type.
		q := fmt.Sprintf(`DELETE FROM rate_limits WHERE substr(bucket, 1, %d) = ? AND window_start <= ?`,
			utf8.RuneCountInString(prefix))
		if err := del(q, prefix, now.Add(-w)); err != nil {
			return total, err
		}
	}
	err := del(`DELETE FROM rate_limits WHERE window_start <= ?`, now.Add(-MaxWindow))
	return total, err
}
