package jobs

import (
	"testing"
	"time"
)

// A worker whose claims keep failing waits longer each time, up to a
// minute, instead of asking the database (and logging) every poll.
func TestClaimBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
		32 * time.Second, time.Minute, time.Minute}
	for i, w := range want {
		if got := claimBackoff(time.Second, i+1); got != w {
			t.Errorf("after %d failures: %v, want %v", i+1, got, w)
		}
	}
	if got := claimBackoff(time.Second, 1000); got != time.Minute {
		t.Errorf("after 1000 failures: %v", got)
	}
}
