// Package clock is the injected notion of "now". Services take a Clock so that
// expiry, status and health can be tested by moving time instead of waiting.
package clock

import (
	"sync"
	"time"
)

// Clock returns the current time in UTC, truncated to microseconds (the
// precision both SQLite and PostgreSQL keep, so values round-trip exactly).
type Clock func() time.Time

// Real is the wall clock.
func Real() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Fake is a settable clock for tests.
type Fake struct {
	mu sync.Mutex
	t  time.Time
}

// NewFake returns a fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{t: t.UTC().Truncate(time.Microsecond)} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

// Advance moves the fake clock forward.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// Set moves the fake clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.t = t.UTC().Truncate(time.Microsecond)
	f.mu.Unlock()
}
