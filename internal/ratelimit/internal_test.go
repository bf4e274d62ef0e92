// Tests of the parts that need no database, inside the package so that they
// can reach the unexported helpers.
package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/errs"
)

var t0 = time.Now().UTC().Truncate(time.Hour) // from the real time, never a written date

func TestInvalidRules(t *testing.T) {
	l := New(nil, clock.NewFake(t0).Now) // never reaches the database
	for _, r := range []Rule{
		{Name: "", Limit: 1, Window: time.Minute},
		{Name: "a:b", Limit: 1, Window: time.Minute},
		{Name: "x", Limit: 0, Window: time.Minute},
		{Name: "x", Limit: 1, Window: 0},
		{Name: "x", Limit: 1, Window: MaxWindow + time.Second},
	} {
		if err := l.Hit(context.Background(), r, "k"); err == nil || errs.Is(err, errs.RateLimited) {
			t.Errorf("Hit with rule %+v: %v, want an invalid-rule error", r, err)
		}
	}
}

func TestRetryAfterBounds(t *testing.T) {
	for _, tc := range []struct {
		left time.Duration
		secs int
		msg  string
	}{
		{-time.Second, 1, "1 minute"}, // clock reading raced the window's end
		{1500 * time.Millisecond, 2, "1 minute"},
		{61 * time.Second, 61, "2 minutes"},
		{2 * time.Hour, 3600, "60 minutes"}, // another process's clock ahead: capped at the window
	} {
		e := limited(tc.left, time.Hour)
		if e.RetryAfter != tc.secs || e.Message != "Too many attempts. Try again in "+tc.msg+"." {
			t.Errorf("limited(%v) = %d, %q", tc.left, e.RetryAfter, e.Message)
		}
	}
}
