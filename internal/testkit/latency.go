package testkit

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// Latencies collects the durations of a parallel benchmark's calls, from
// every goroutine, and reports their 50th and 99th percentiles.
type Latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

// Add hands over one goroutine's durations (once, when it is done).
func (l *Latencies) Add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

// Report reports p50-µs and p99-µs on b.
func (l *Latencies) Report(b *testing.B) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	b.ReportMetric(float64(l.all[len(l.all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(l.all[len(l.all)*99/100].Microseconds()), "p99-µs")
}
